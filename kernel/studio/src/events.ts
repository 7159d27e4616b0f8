// Events: the live stream with a topic-glob filter, pause and a payload inspector. Only the rows in
// view exist in the DOM (a fixed row height and a spacer), so 1,000 events/s cost one redraw a frame.
import { fill, globRegExp, h, json } from "./dom";
import type { Store, StoredEvent } from "./store";

const ROW = 22;

export function eventsPage(store: Store): HTMLElement {
  const filter = h("input", { type: "search", id: "event-filter", placeholder: "topic glob, e.g. job.* or *.failed", value: "*" });
  const pause = h("button", { id: "event-pause", type: "button" }, "Pause");
  const counter = h("span", { id: "event-count", class: "muted" });
  const viewport = h("div", { class: "event-viewport", id: "event-viewport" });
  const spacer = h("div", { class: "spacer" });
  const rows = h("div", { class: "rows" });
  viewport.append(spacer, rows);
  const inspector = h("pre", { id: "event-inspector", class: "inspector" }, "click an event to inspect its payload");
  const page = h("div", { class: "events" }, h("div", { class: "toolbar" }, filter, pause, counter),
    h("div", { class: "split" }, viewport, inspector));

  let paused = false;
  let frozen: StoredEvent[] | null = null;
  let matched: StoredEvent[] = [];
  let scanned = 0; // how much of store.events has been filtered (new events are appended)
  let firstSeq = 0;
  let regex = globRegExp("*");
  let follow = true;
  const pool: HTMLElement[] = [];

  const refilter = () => {
    regex = globRegExp(filter.value.trim() || "*");
    matched = [];
    scanned = 0;
    firstSeq = 0;
    draw();
  };
  const update = () => {
    const all = store.events;
    // the ring drops its oldest events: restart the scan when it moved under us
    if (all.length && all[0].seq !== firstSeq) {
      const dropped = all[0].seq - firstSeq;
      if (firstSeq !== 0 && dropped > 0) {
        scanned = Math.max(0, scanned - dropped);
        matched = matched.filter((e) => e.seq >= all[0].seq);
      }
      firstSeq = all[0].seq;
    }
    for (let i = scanned; i < all.length; i++) if (regex.test(all[i].topic)) matched.push(all[i]);
    scanned = all.length;
  };
  const draw = () => {
    if (!paused) update();
    const list = paused && frozen ? frozen : matched;
    spacer.style.height = `${list.length * ROW}px`;
    if (follow && !paused) viewport.scrollTop = viewport.scrollHeight;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 5);
    const count = Math.ceil(viewport.clientHeight / ROW) + 10;
    const visible = list.slice(first, first + count);
    rows.style.transform = `translateY(${first * ROW}px)`;
    // recycle the row elements: a frame changes only the rows whose event changed
    while (pool.length < visible.length) {
      const row = h("div", { class: "row" }, h("time"), h("span", { class: "topic" }), h("span", { class: "preview" }));
      pool.push(row);
      rows.append(row);
    }
    pool.forEach((row, i) => {
      const e = visible[i];
      row.hidden = e === undefined;
      if (e === undefined || row.dataset.seq === String(e.seq)) return;
      row.dataset.seq = String(e.seq);
      row.dataset.topic = e.topic;
      const [time, topic, preview] = row.children;
      time.textContent = new Date(e.at).toLocaleTimeString();
      topic.textContent = e.topic;
      preview.textContent = JSON.stringify(e.event).slice(0, 120);
    });
    counter.textContent = `${list.length} shown · ${store.received} received${paused ? " · paused" : ""}`;
  };

  filter.addEventListener("input", refilter);
  pause.addEventListener("click", () => {
    paused = !paused;
    frozen = paused ? matched.slice() : null;
    pause.textContent = paused ? "Resume" : "Pause";
    draw();
  });
  viewport.addEventListener("scroll", () => {
    follow = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - ROW;
    draw();
  });
  rows.addEventListener("click", (e) => {
    const row = (e.target as HTMLElement).closest(".row") as HTMLElement | null;
    if (!row) return;
    const seq = Number(row.dataset.seq);
    const ev = store.events.find((x) => x.seq === seq);
    if (ev) fill(inspector, `${ev.topic}\n\n${json(ev.event)}`);
  });
  const stop = store.listen(draw);
  page.addEventListener("page-leave", () => stop());
  requestAnimationFrame(draw);
  return page;
}
