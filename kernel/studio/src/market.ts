// The Plugins page's marketplace: search the verified catalogue, install or update a plugin. The kernel
// decides consent (sandbox.consent_required, whose details carry the permission diff and the digest);
// this page only shows that diff and passes the digest back when the person clicks Allow.
import { errorText, fill, h } from "./dom";
import { jobRow } from "./overview";
import { permissionRows } from "./plugins";
import type { Store } from "./store";

interface Perm { kind: string; value: string; reason: string }
interface Diff {
  added: Perm[];
  widened: { old: Perm; new: Perm }[];
  narrowed: { old: Perm; new: Perm }[];
  removed: Perm[];
  unchanged: Perm[];
}
interface ConsentDetails { plugin: string; version: string; digest: string; diff: Diff; permissions: Perm[] }
type Pkg = Record<string, any>;

/** The marketplace section; `installed` is called after an install or update succeeded. */
export function marketSection(store: Store, installed: () => Promise<void>): HTMLElement {
  const search = h("input", { type: "search", id: "market-search", placeholder: "search the marketplace…" });
  const refresh = h("button", { type: "button", id: "market-refresh" }, "Refresh");
  const sources = h("p", { class: "muted", id: "market-sources" });
  const updates = h("div", { id: "market-outdated" });
  const results = h("div", { id: "market-results" });
  const status = h("div", { id: "market-job" });
  let timer = 0;

  const find = async () => {
    try {
      const [found, old] = await Promise.all([
        store.client.invoke("sandbox.market_search", { query: search.value, limit: 50 }),
        store.client.invoke("sandbox.market_outdated", {})]);
      const outdated = old.plugins.filter((p: Pkg) => p.outdated);
      fill(updates, ...outdated.map((p: Pkg) => h("p", { class: "outdated", "data-outdated": p.name },
        h("b", {}, p.name), ` ${p.installed} → ${p.latest} `,
        h("button", { type: "button", "data-action": "update", onclick: () => void run("sandbox.market_update", p.name) }, "Update"))));
      fill(results, ...(found.results.length ? found.results.map(card) : [h("p", { class: "muted" }, "no package matches")]));
    } catch (e) {
      fill(results, h("p", { class: "error", "data-code": (e as { kind?: string }).kind ?? "" }, errorText(e)));
    }
  };

  const card = (p: Pkg): HTMLElement => {
    const rows = permissionRows(p.permissions ?? {});
    const action = !p.installed
      ? h("button", { type: "button", "data-action": "install", onclick: () => void run("sandbox.market_install", p.name) }, "Install")
      : p.installed !== p.version
        ? h("button", { type: "button", "data-action": "update", onclick: () => void run("sandbox.market_update", p.name) }, `Update from ${p.installed}`)
        : h("span", { class: "badge ok", "data-role": "installed" }, "installed");
    return h("section", { class: "card package", "data-package": p.name },
      h("h3", {}, `${p.title || p.name} `, h("small", {}, p.version), " ", h("span", { class: "muted" }, `by ${p.publisher}`)),
      h("p", {}, String(p.summary ?? "")),
      rows.length ? h("table", { class: "permissions" }, h("tr", {}, h("th", {}, "kind"), h("th", {}, "what"), h("th", {}, "reason")),
        ...rows.map((r) => h("tr", {}, h("td", {}, r.kind), h("td", {}, h("code", {}, r.what)), h("td", {}, r.reason))))
        : h("p", { class: "muted" }, "asks for no permissions"),
      h("div", { class: "toolbar" }, action));
  };

  /** Start the job, follow it with progress; on sandbox.consent_required ask, and rerun with the digest. */
  const run = async (cmd: "sandbox.market_install" | "sandbox.market_update", name: string, consent?: string) => {
    fill(status, h("p", { class: "muted" }, `${cmd === "sandbox.market_install" ? "installing" : "updating"} ${name}…`));
    try {
      const ref = await store.client.invoke(cmd, consent ? { name, consent } : { name });
      const live = h("div", {});
      const redraw = () => { const j = store.jobs.get(ref.job_id); if (j) fill(live, jobRow(store, j)); };
      const stop = store.listen(redraw);
      fill(status, live);
      const end = await store.follow(ref.job_id);
      stop();
      const err = end.error as { code?: string; message?: string; details?: ConsentDetails } | null;
      if (end.state === "failed" && err?.code === "sandbox.consent_required" && err.details && !consent) {
        fill(status);
        if (await ask(err.details)) await run(cmd, name, err.details.digest);
        else fill(status, h("p", { class: "muted", "data-role": "declined" }, `${name}: not installed (consent declined)`));
        return;
      }
      fill(status, jobRow(store, end), end.state === "succeeded"
        ? h("p", { class: "ok", "data-role": "done" }, summary(end.result as Pkg))
        : h("p", { class: "error", "data-code": err?.code ?? "" }, `${err?.code ?? end.state}: ${err?.message ?? ""}`));
      if (end.state === "succeeded") { await installed(); await find(); }
    } catch (e) {
      fill(status, h("p", { class: "error", "data-code": (e as { kind?: string }).kind ?? "" }, errorText(e)));
    }
  };

  search.addEventListener("input", () => { clearTimeout(timer); timer = window.setTimeout(() => void find(), 200); });
  refresh.addEventListener("click", async () => {
    try { await store.client.invoke("sandbox.market_refresh", {}); } catch (e) { fill(sources, errorText(e)); return; }
    await showSources();
    await find();
  });
  const showSources = async () => {
    try {
      const { sources: list } = await store.client.invoke("sandbox.market_sources", {});
      sources.textContent = list.length
        ? "Sources: " + list.map((s: Pkg) => `${s.name} (${s.url}${s.packages === null ? ", not fetched yet" : `, ${s.packages} packages`})`).join(" · ")
        : "No marketplace source: add one with `reelkit market source add URL --root 1.root.json`.";
      if (list.length) await find();
    } catch (e) {
      sources.textContent = errorText(e);
    }
  };
  void showSources();
  return h("section", { class: "card", id: "marketplace" }, h("h2", {}, "Marketplace"),
    sources, h("div", { class: "toolbar" }, search, " ", refresh), updates, status, results);
}

function summary(r: Pkg): string {
  const one = (x: Pkg) => (x.changed === false ? `${x.name} ${x.version}: already the latest`
    : `${x.name} ${x.version} installed${x.previous ? ` (was ${x.previous}, kept for rollback)` : ""}`);
  return Array.isArray(r.updated) ? r.updated.map(one).join("; ") || "nothing to update" : one(r);
}

/** The consent dialog: every permission with its reason and what changed; resolves true on Allow. */
function ask(d: ConsentDetails): Promise<boolean> {
  const added = new Set(d.diff.added.map((p) => `${p.kind} ${p.value}`));
  const widened = new Map(d.diff.widened.map((w) => [`${w.new.kind} ${w.new.value}`, w.old.value]));
  const change = (p: Perm) => (added.has(`${p.kind} ${p.value}`) ? "added"
    : widened.has(`${p.kind} ${p.value}`) ? "widened" : "unchanged");
  const rows = d.permissions.map((p) => h("tr", { "data-change": change(p), "data-kind": p.kind },
    h("td", {}, h("span", { class: `badge change-${change(p)}` }, change(p))), h("td", {}, p.kind),
    h("td", {}, h("code", {}, p.value), widened.has(`${p.kind} ${p.value}`) ? h("small", {}, ` (was ${widened.get(`${p.kind} ${p.value}`)})`) : null),
    h("td", {}, p.reason)));
  const removed = d.diff.removed.map((p) => h("tr", { "data-change": "removed", "data-kind": p.kind },
    h("td", {}, h("span", { class: "badge change-removed" }, "removed")), h("td", {}, p.kind), h("td", {}, h("code", {}, p.value)), h("td", {}, p.reason)));
  const narrowed = d.diff.narrowed.map((n) => h("tr", { "data-change": "narrowed", "data-kind": n.new.kind },
    h("td", {}, h("span", { class: "badge change-narrowed" }, "narrowed")), h("td", {}, n.new.kind),
    h("td", {}, h("code", {}, n.new.value), h("small", {}, ` (was ${n.old.value})`)), h("td", {}, n.new.reason)));
  const allow = h("button", { type: "button", "data-action": "allow", class: "primary" }, "Allow");
  const cancel = h("button", { type: "button", "data-action": "cancel" }, "Cancel");
  const first = d.diff.unchanged.length === 0 && d.diff.removed.length === 0 && d.diff.narrowed.length === 0 && d.diff.widened.length === 0;
  const dialog = h("dialog", { id: "consent-dialog", "data-plugin": d.plugin, "data-version": d.version },
    h("h2", {}, `${d.plugin} ${d.version} asks for permission`),
    h("p", {}, first ? "Installing it grants everything below." : "This version asks for more than you granted before; the changes are marked."),
    h("table", { class: "permissions consent" }, h("tr", {}, h("th", {}, "change"), h("th", {}, "kind"), h("th", {}, "what"), h("th", {}, "reason")),
      ...rows, ...narrowed, ...removed),
    h("p", { class: "muted" }, h("small", {}, `consent digest ${d.digest}`)),
    h("div", { class: "toolbar" }, allow, " ", cancel));
  document.body.appendChild(dialog);
  return new Promise((resolve) => {
    const done = (yes: boolean) => { dialog.close(); dialog.remove(); resolve(yes); };
    allow.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); }); // Escape: as Cancel
    dialog.showModal();
  });
}
