// Detections: run recognition.detect_video on a clip, draw the boxes of its busiest frame over that
// frame, and chart the detections by class over time.
import { errorText, fill, h, mediaUrl } from "./dom";
import { imported } from "./media";
import { jobRow } from "./overview";
import type { RecognitionDetectVideoResult } from "./reelkit";
import type { Store } from "./store";

const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45"];

export function detectionsPage(store: Store): HTMLElement {
  const path = h("input", { type: "text", id: "detect-path", placeholder: "video file",
    value: imported.find((f) => f.info.kind === "video")?.path ?? "" });
  const go = h("button", { type: "submit", class: "primary", id: "detect-go" }, "Detect");
  const status = h("div", { id: "detect-status" });
  const view = h("div", { class: "split" });
  const form = h("form", { class: "toolbar" }, path, go);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const ref = await store.client.invoke("recognition.detect_video", { path: path.value, fps: 2 });
      const stop = store.listen(() => { const j = store.jobs.get(ref.job_id); if (j) fill(status, jobRow(store, j)); });
      const end = await store.follow(ref.job_id);
      stop();
      fill(status, jobRow(store, end));
      if (end.state === "succeeded") await show(store, end.result as unknown as RecognitionDetectVideoResult, view);
    } catch (err) {
      fill(status, h("p", { class: "error" }, errorText(err)));
    }
  });
  return h("div", {}, form, status, view);
}

async function show(store: Store, r: RecognitionDetectVideoResult, view: HTMLElement): Promise<void> {
  const busiest = [...r.frames].sort((a, b) => b.detections.length - a.detections.length)[0];
  const classes = r.classes.map((c) => c.class_name);
  const colour = (name: string) => COLOURS[Math.max(0, classes.indexOf(name)) % COLOURS.length];
  const frameBox = h("div", { class: "frame", id: "detect-frame" });
  if (busiest) {
    const thumb = await store.client.invoke("media.thumbnail", { path: r.path, time: busiest.time, width: 480 });
    frameBox.append(h("img", { src: mediaUrl(thumb.file), alt: `frame at ${busiest.time} s` }));
    for (const d of busiest.detections) {
      const [x1, y1, x2, y2] = d.box_norm;
      const box = h("div", { class: "box", "data-class": d.class_name, title: `${d.class_name} ${(d.confidence * 100).toFixed(0)} %` },
        h("span", {}, `${d.class_name} ${(d.confidence * 100).toFixed(0)}%`));
      box.style.cssText = `left:${x1 * 100}%;top:${y1 * 100}%;width:${(x2 - x1) * 100}%;height:${(y2 - y1) * 100}%;border-color:${colour(d.class_name)}`;
      frameBox.append(box);
    }
  }
  fill(view, h("section", { class: "card" }, h("h2", {}, `Frame at ${busiest?.time.toFixed(2) ?? "–"} s`), frameBox),
    h("section", { class: "card" }, h("h2", {}, "By class and time"), chart(r, classes, colour),
      h("div", { class: "legend" }, ...r.classes.map((c) => h("span", { "data-class": c.class_name },
        h("i", { class: `swatch c${Math.max(0, classes.indexOf(c.class_name)) % COLOURS.length}` }), ` ${c.class_name} (${c.detections})`))),
      h("small", { class: "muted" }, `detections per second of video · ${r.frames_analysed} frames analysed in ${r.elapsed_s.toFixed(1)} s`)));
}

/** An SVG of stacked bars: detections per class in each second of the clip. */
function chart(r: RecognitionDetectVideoResult, classes: string[], colour: (n: string) => string): SVGSVGElement {
  const seconds = Math.max(1, Math.ceil(r.duration || (r.frames.at(-1)?.time ?? 0) + 0.001));
  const counts = Array.from({ length: seconds }, () => new Map<string, number>());
  for (const f of r.frames) for (const d of f.detections) {
    const bucket = counts[Math.min(seconds - 1, Math.floor(f.time))];
    bucket.set(d.class_name, (bucket.get(d.class_name) ?? 0) + 1);
  }
  const max = Math.max(1, ...counts.map((m) => [...m.values()].reduce((a, b) => a + b, 0)));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${seconds * 20} 120`);
  svg.setAttribute("id", "detect-chart");
  counts.forEach((m, i) => {
    let y = 110;
    for (const name of classes) {
      const n = m.get(name) ?? 0;
      if (!n) continue;
      const hgt = (n / max) * 100;
      y -= hgt;
      const rect = document.createElementNS(ns, "rect");
      for (const [k, v] of Object.entries({ x: i * 20 + 2, y, width: 16, height: hgt, fill: colour(name), "data-class": name }))
        rect.setAttribute(k, String(v));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${name}: ${n} in second ${i}`;
      rect.append(title);
      svg.append(rect);
    }
  });
  return svg;
}
