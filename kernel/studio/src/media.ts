// Media: import a folder (a job with progress), a thumbnail grid with filmstrip scrubbing on hover,
// a waveform and the probe details of the picked file.
import { errorText, fill, h, json, mediaUrl } from "./dom";
import { jobRow } from "./overview";
import type { ImportedFile, MediaImportResult } from "./reelkit";
import type { Store } from "./store";

/** Files imported during this page's life (the Render and Detections pages offer them). */
export const imported: ImportedFile[] = [];

export function mediaPage(store: Store): HTMLElement {
  const folder = h("input", { type: "text", id: "import-path", placeholder: "folder to import (inside a root)" });
  const go = h("button", { type: "submit", class: "primary", id: "import-go" }, "Import");
  const status = h("div", { id: "import-status" });
  const grid = h("div", { class: "thumbs", id: "thumbs" });
  const details = h("section", { class: "card", id: "media-details" }, h("p", { class: "muted" }, "pick a file"));
  const form = h("form", { class: "toolbar" }, folder, go);
  const page = h("div", {}, form, status, h("div", { class: "split" }, grid, details));

  const show = (files: ImportedFile[]) => fill(grid, ...files.map((f) => tile(store, f, details)));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const ref = await store.client.invoke("media.import", { paths: [folder.value], thumbnails: true });
      const stop = store.listen(() => { const j = store.jobs.get(ref.job_id); if (j) fill(status, jobRow(store, j)); });
      const end = await store.follow(ref.job_id);
      stop();
      fill(status, jobRow(store, end));
      if (end.state !== "succeeded") return;
      const result = end.result as unknown as MediaImportResult;
      imported.splice(0, imported.length, ...result.files);
      show(result.files);
    } catch (err) {
      fill(status, h("p", { class: "error" }, errorText(err)));
    }
  });
  show(imported);
  return page;
}

function tile(store: Store, f: ImportedFile, details: HTMLElement): HTMLElement {
  const name = f.path.split("/").pop() ?? f.path;
  const img = f.thumbnail ? h("img", { src: mediaUrl(f.thumbnail), alt: name, class: "thumb-img" }) : h("div", { class: "noimg" }, "♪");
  const scrubber = h("div", { class: "scrubber" });
  const box = h("figure", { class: "thumb", "data-path": f.path }, h("div", { class: "frame-box" }, img, scrubber),
    h("figcaption", {}, name));
  type Strip = { file: string; width: number; height: number; tiles: { x: number; y: number; width: number; height: number }[] };
  let strip: Strip | null = null;
  let asked = false;
  box.addEventListener("mouseenter", async () => {
    if (asked || f.info.kind !== "video") return;
    asked = true;
    try {
      const fs = await store.client.invoke("media.filmstrip", { path: f.path, count: 10, width: 160 });
      strip = fs;
      scrubber.style.backgroundImage = `url("${mediaUrl(fs.file)}")`; // CSSOM: allowed by style-src 'self'
      box.classList.add("scrub");
    } catch { /* no filmstrip: the thumbnail stays */ }
  });
  box.addEventListener("mousemove", (e) => {
    if (!strip || !strip.tiles.length) return;
    const r = scrubber.getBoundingClientRect();
    const index = Math.min(strip.tiles.length - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * strip.tiles.length)));
    const t = strip.tiles[index];
    const scale = r.width / t.width;
    scrubber.style.backgroundSize = `${strip.width * scale}px ${strip.height * scale}px`;
    scrubber.style.backgroundPosition = `${-t.x * scale}px ${-t.y * scale}px`;
    scrubber.dataset.tile = String(index);
  });
  box.addEventListener("click", async () => {
    const wave = h("div", { class: "wave" });
    fill(details, h("h2", {}, name), wave, h("pre", { id: "probe" }, json(f.info)));
    if (f.info.streams.some((s) => s.kind === "audio")) {
      try {
        const w = await store.client.invoke("media.waveform", { path: f.path, width: 480, height: 64 });
        fill(wave, h("img", { src: mediaUrl(w.file), alt: "waveform", class: "waveform" }));
      } catch (e) {
        fill(wave, h("small", { class: "error" }, errorText(e)));
      }
    }
  });
  return box;
}
