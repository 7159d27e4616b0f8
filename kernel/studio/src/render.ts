// Render: a project editor validated by compiler.validate (problems by path), a preview frame at a
// time slider, render with progress and cancel, and the result played in a <video>.
import { errorText, fill, h, mediaUrl } from "./dom";
import { imported } from "./media";
import { jobRow } from "./overview";
import type { CompilerRenderResult } from "./reelkit";
import type { Store } from "./store";

function sample(source: string): string {
  return JSON.stringify({
    settings: { width: 160, height: 90, fps: 30 },
    output: { preset: "ultrafast" },
    tracks: [{ id: "v", kind: "video", clips: [{ type: "media", source, start: 0, duration: 1 }] }],
  }, null, 2);
}

export function renderPage(store: Store): HTMLElement {
  const editor = h("textarea", { id: "project-editor", rows: 16, spellcheck: false },
    sample(imported.find((f) => f.info.kind === "video")?.path ?? "/path/to/clip.mp4"));
  const problems = h("ul", { id: "problems", class: "problems" });
  const file = h("input", { type: "text", id: "project-file", placeholder: "project file (.json, inside a root)" });
  const openFile = async () => {
    fill(problems);
    try {
      editor.value = (await store.client.invoke("filesystem.read_text", { path: file.value })).text;
      await validate();
    } catch (e) {
      fill(problems, h("li", { class: "error" }, errorText(e)));
    }
  };
  const slider = h("input", { type: "range", id: "preview-time", min: 0, max: 1, step: 0.05, value: 0 });
  const frame = h("div", { class: "preview", id: "preview" });
  const output = h("input", { type: "text", id: "render-output", placeholder: "output file (inside a root)" });
  const renderBtn = h("button", { type: "button", class: "primary", id: "render-go" }, "Render");
  const status = h("div", { id: "render-status" });
  const player = h("div", { id: "player" });
  const page = h("div", { class: "split" },
    h("section", { class: "card" }, h("h2", {}, "Project"),
      h("div", { class: "toolbar" }, file, h("button", { type: "button", id: "project-open", onclick: () => void openFile() }, "Open")),
      editor,
      h("button", { type: "button", id: "validate" , onclick: () => void validate() }, "Validate"), problems),
    h("section", { class: "card" }, h("h2", {}, "Preview"), frame, slider, h("h2", {}, "Render"),
      h("div", { class: "toolbar" }, output, renderBtn), status, player));

  void store.client.invoke("filesystem.roots").then((r) => {
    if (!output.value && r.roots.length) output.value = `${r.roots[0].path}/studio-render.mp4`;
  }).catch(() => undefined);

  const project = (): Record<string, unknown> | null => {
    try {
      return JSON.parse(editor.value);
    } catch (e) {
      fill(problems, h("li", { class: "error" }, h("code", {}, "(document)"), ` not JSON: ${(e as Error).message}`));
      return null;
    }
  };
  const validate = async (): Promise<boolean> => {
    const doc = project();
    if (!doc) return false;
    const v = await store.client.invoke("compiler.validate", { project: doc });
    fill(problems, ...(v.valid ? [h("li", { class: "ok" }, `valid · ${v.duration ?? "?"} s`)] :
      v.problems.map((p) => h("li", { class: "error", "data-path": p.path }, h("code", {}, p.path), ` ${p.code}: ${p.message}`))));
    if (v.valid && v.duration) slider.max = String(v.duration);
    return v.valid;
  };
  const preview = async () => {
    const doc = project();
    if (!doc) return;
    try {
      const f = await store.client.invoke("compiler.preview_frame", { project: doc, time: Number(slider.value), height: 90 });
      fill(frame, h("img", { src: mediaUrl(f.path), alt: `frame at ${slider.value} s`, id: "preview-img" }));
    } catch (e) {
      fill(frame, h("p", { class: "error" }, errorText(e)));
    }
  };
  slider.addEventListener("change", () => void preview());
  renderBtn.addEventListener("click", async () => {
    const doc = project();
    if (!doc || !(await validate())) return;
    try {
      const ref = await store.client.invoke("compiler.render", { project: doc, output: output.value, overwrite: true });
      const stop = store.listen(() => { const j = store.jobs.get(ref.job_id); if (j) fill(status, jobRow(store, j)); });
      const end = await store.follow(ref.job_id);
      stop();
      fill(status, jobRow(store, end));
      if (end.state === "succeeded") {
        const r = end.result as unknown as CompilerRenderResult;
        fill(player, h("video", { src: mediaUrl(r.output), controls: true, id: "render-video", "data-duration": r.duration }));
      }
    } catch (e) {
      fill(status, h("p", { class: "error" }, errorText(e)));
    }
  });
  return page;
}
