// Overview: health checks, plugins (source, version, state, why disabled), live jobs with progress,
// ETA and cancel, and the last events.
import { errorText, fill, fmtSeconds, h } from "./dom";
import type { JobInfo } from "./reelkit";
import type { Store } from "./store";

export function overviewPage(store: Store): HTMLElement {
  const health = h("section", { class: "card", id: "health" }, h("h2", {}, "Health"), h("p", {}, "loading…"));
  const plugins = h("section", { class: "card", id: "plugins" }, h("h2", {}, "Plugins"));
  const jobs = h("section", { class: "card", id: "jobs" }, h("h2", {}, "Jobs"));
  const last = h("section", { class: "card", id: "last-events" }, h("h2", {}, "Last events"));
  const page = h("div", { class: "grid" }, health, jobs, plugins, last);

  void (async () => {
    try {
      const [hl, pl] = await Promise.all([store.client.invoke("kernel.health"), store.client.invoke("kernel.plugins")]);
      fill(health, h("h2", {}, "Health ", h("span", { class: `badge ${hl.state}`, id: "health-state" }, hl.state)),
        h("table", {}, ...Object.entries(hl.checks).map(([name, c]) =>
          h("tr", {}, h("td", {}, name), h("td", {}, h("span", { class: `badge ${c.state}` }, c.state)), h("td", {}, c.detail ?? "")))));
      fill(plugins, h("h2", {}, `Plugins (${pl.plugins.length})`),
        h("table", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "source"), h("th", {}, "version"), h("th", {}, "state")),
          ...pl.plugins.map((p) => h("tr", { class: "plugin" }, h("td", {}, p.name), h("td", {}, p.source), h("td", {}, p.version),
            h("td", {}, h("span", { class: `badge ${p.state}` }, p.state),
              p.error ? h("div", { class: "why" }, String(p.error.message ?? JSON.stringify(p.error))) : null)))));
      performance.mark("studio:overview-ready"); // first meaningful paint, read by bench/bench_studio.py
    } catch (e) {
      fill(health, h("h2", {}, "Health"), h("p", { class: "error" }, errorText(e)));
    }
  })();

  const drawJobs = () => {
    const list = [...store.jobs.values()].sort((a, b) => b.created_at - a.created_at).slice(0, 12);
    fill(jobs, h("h2", {}, "Jobs"), list.length ? h("div", {}, ...list.map((j) => jobRow(store, j))) : h("p", { class: "muted" }, "no jobs yet"));
    const recent = store.events.slice(-12).reverse();
    fill(last, h("h2", {}, "Last events"), h("ol", { class: "mono" }, ...recent.map((e) =>
      h("li", {}, h("time", {}, new Date(e.at).toLocaleTimeString()), " ", e.topic))));
  };
  drawJobs();
  const stop = store.listen(drawJobs);
  page.addEventListener("page-leave", () => stop());
  return page;
}

/** One job: kind, state, a progress bar with stage and ETA, and cancel while it runs. */
export function jobRow(store: Store, j: JobInfo): HTMLElement {
  const fraction = j.progress.fraction ?? (j.state === "succeeded" ? 1 : 0);
  const running = j.state === "running" || j.state === "queued";
  return h("div", { class: `job ${j.state}`, "data-job": j.job_id },
    h("div", {}, h("b", {}, j.kind), " ", h("span", { class: `badge ${j.state}` }, j.state),
      running ? h("button", { class: "small", onclick: () => void store.cancel(j.job_id) }, "Cancel") : null),
    h("progress", { max: 1, value: fraction }),
    h("small", {}, `${Math.round(fraction * 100)} %`, j.progress.stage ? ` · ${j.progress.stage}` : "",
      running && j.progress.eta_seconds !== null ? ` · ETA ${fmtSeconds(j.progress.eta_seconds)}` : "",
      j.error ? ` · ${String((j.error as { code?: string }).code ?? "")}` : ""));
}
