// Commands: every method rpc.discover lists for this session, searchable; a form generated from the
// input schema; the result or the error with its code; a job command is followed to its end.
import { errorText, fill, h, json } from "./dom";
import { jobRow } from "./overview";
import { schemaForm, type Param, type Schema } from "./form";
import type { Store } from "./store";

interface Method {
  name: string;
  summary?: string;
  params: Param[];
  "x-job"?: boolean;
}

export function commandsPage(store: Store, initial?: string): HTMLElement {
  const search = h("input", { type: "search", id: "command-search", placeholder: "search commands…" });
  const list = h("ul", { class: "command-list", id: "command-list" });
  const detail = h("section", { class: "card", id: "command-detail" }, h("p", { class: "muted" }, "pick a command"));
  const page = h("div", { class: "split" }, h("aside", {}, search, list), detail);
  let methods: Method[] = [];
  let defs: Record<string, Schema> = {};

  const draw = () => {
    const q = search.value.toLowerCase();
    fill(list, ...methods.filter((m) => !q || m.name.includes(q) || (m.summary ?? "").toLowerCase().includes(q))
      .map((m) => h("li", {}, h("a", { href: `#commands/${m.name}`, "data-command": m.name }, m.name,
        m["x-job"] ? h("span", { class: "badge job" }, "job") : null), h("small", {}, m.summary ?? ""))));
  };
  const open = (name: string) => {
    const m = methods.find((x) => x.name === name);
    if (!m) return;
    const out = h("div", { id: "command-result" });
    const form = schemaForm(m.params, defs, async (params) => {
      fill(out, h("p", { class: "muted" }, "running…"));
      try {
        const result = await store.client.call(m.name, params);
        const job = (result as { job_id?: string }).job_id;
        if (m["x-job"] && job) {
          const live = h("div", {});
          const redraw = () => { const j = store.jobs.get(job); if (j) fill(live, jobRow(store, j)); };
          const stop = store.listen(redraw);
          fill(out, live);
          const end = await store.follow(job);
          stop();
          fill(out, jobRow(store, end), h("pre", { class: `result ${end.state}` }, json(end.state === "succeeded" ? end.result : end.error)));
        } else {
          fill(out, h("pre", { class: "result ok" }, json(result)));
        }
      } catch (e) {
        fill(out, h("pre", { class: "result error", "data-code": (e as { kind?: string }).kind ?? "" }, errorText(e)));
      }
    });
    form.addEventListener("form-error", (e) => fill(out, h("pre", { class: "result error" }, (e as CustomEvent).detail)));
    fill(detail, h("h2", {}, m.name), h("p", {}, m.summary ?? ""), form, out);
  };
  search.addEventListener("input", draw);
  page.addEventListener("open-command", (e) => open((e as CustomEvent).detail));
  void store.client.discover().then((doc) => {
    methods = (doc.methods as unknown as Method[]).filter((m) => !m.name.startsWith("rpc."));
    defs = ((doc.components as { schemas?: Record<string, Schema> } | undefined)?.schemas) ?? {};
    draw();
    if (initial) open(initial);
  });
  return page;
}
