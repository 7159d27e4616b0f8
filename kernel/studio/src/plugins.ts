// Plugins: installed WASM plugins with their permissions and reasons; enable, disable, remove; and the
// marketplace (market.ts): search, install, update with the consent dialog.
import { errorText, fill, h } from "./dom";
import { marketSection } from "./market";
import type { Store } from "./store";

export function pluginsPage(store: Store): HTMLElement {
  const list = h("div", { id: "wasm-plugins" }, h("p", { class: "muted" }, "loading…"));
  const draw = async () => {
    try {
      const { plugins } = await store.client.invoke("sandbox.list");
      if (!plugins.length) return fill(list, h("p", { class: "muted" }, "no WASM plugins installed"));
      const cards = await Promise.all(plugins.map(async (p) => {
        const info = (await store.client.invoke("sandbox.info", { id: p.id })).plugin as Record<string, any>;
        const rows = permissionRows(info.permissions ?? {});
        const act = (cmd: "sandbox.enable" | "sandbox.disable" | "sandbox.remove") => async () => {
          try { await store.client.invoke(cmd, { id: p.id }); } catch (e) { alert(errorText(e)); }
          await draw();
        };
        return h("section", { class: "card wasm", "data-plugin": p.id, "data-state": p.state },
          h("h2", {}, `${p.name || p.id} `, h("small", {}, p.version), " ", h("span", { class: `badge ${p.state}`, "data-role": "state" }, p.state)),
          p.error ? h("p", { class: "why" }, p.error) : null,
          h("p", { class: "muted" }, String(info.manifest?.description ?? info.description ?? "")),
          h("p", {}, "Commands: ", ...p.commands.map((c) => h("code", { class: "tag" }, c))),
          info.limits ? h("p", { class: "muted" }, "Limits: ", Object.entries(info.limits as Record<string, unknown>)
            .map(([k, v]) => `${k} ${v}`).join(" · ")) : null,
          h("h3", {}, "Permissions (what it may do, and why)"),
          h("table", { class: "permissions" }, h("tr", {}, h("th", {}, "kind"), h("th", {}, "what"), h("th", {}, "reason")), ...rows.map((r) => h("tr", {}, h("td", {}, r.kind), h("td", {}, h("code", {}, r.what)),
            h("td", {}, r.reason)))),
          h("div", { class: "toolbar" },
            p.enabled ? h("button", { type: "button", "data-action": "disable", onclick: act("sandbox.disable") }, "Disable")
              : h("button", { type: "button", "data-action": "enable", onclick: act("sandbox.enable") }, "Enable"),
            h("button", { type: "button", class: "danger", "data-action": "remove", onclick: () => { if (confirm(`Remove ${p.id}?`)) void act("sandbox.remove")(); } }, "Remove")));
      }));
      fill(list, ...cards);
    } catch (e) {
      fill(list, h("p", { class: "error" }, errorText(e)));
    }
  };
  void draw();
  return h("div", {}, list, marketSection(store, draw));
}

interface PermissionRow { kind: string; what: string; reason: string }

/** The manifest's permissions ({commands: [{pattern, reason}], filesystem: […], …}) as flat rows. */
export function permissionRows(perms: Record<string, unknown>): PermissionRow[] {
  const rows: PermissionRow[] = [];
  for (const [kind, value] of Object.entries(perms)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item && typeof item === "object") {
        const { reason, ...rest } = item as Record<string, unknown>;
        const what = Object.values(rest).map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" ");
        rows.push({ kind, what, reason: String(reason ?? "") });
      } else {
        rows.push({ kind, what: String(item), reason: "" });
      }
    }
  }
  return rows;
}
