"""The recognition step of ``reelkit demo``: detect objects in the first sample clip."""
from __future__ import annotations

from pathlib import Path


async def run(demo) -> None:
    """Detect in ``demo.artifacts["clips"][0]`` when a model is installed; otherwise say how to get one."""
    clips = demo.artifacts.get("clips") or []
    if not clips:
        demo.say("recognition: no sample clip from the media step, nothing to analyse")
        return
    listing = await demo.invoke("recognition.models", {})
    default = next((m for m in listing.models if m.name == listing.default_model), None)
    if default is None or not default.installed:
        demo.say(
            f"recognition: no model {listing.default_model!r} in {listing.models_dir}. Get one with "
            f"`reelkit models pull {listing.default_model}` (about 3.7 MB, sha256-verified), or point "
            "REELKIT_RECOGNITION__MODELS_DIR at a folder holding yolox_nano.onnx (this repository's "
            "../shared/models), then run the demo again."
        )
        return
    clip = Path(clips[0])
    out = Path(demo.workdir) / "detections" / clip.stem
    ref = await demo.invoke("recognition.detect_video", {"path": str(clip), "fps": 5, "export": str(out)})
    report = await demo.wait(ref)
    from rich.table import Table

    speed = report.frames_analysed / report.elapsed_s if report.elapsed_s else 0.0
    table = Table("class", "objects", "frames", "conf max", "on screen",
                  title=f"{clip.name}: {report.frames_analysed} frames, {speed:.0f} frames/s on {report.provider}")
    for c in report.classes:
        table.add_row(c.class_name, str(c.objects), str(c.frames), f"{c.confidence_max:.2f}",
                      ", ".join(f"{s.start:.1f}–{s.end:.1f}s" for s in c.segments[:3]))
    if report.classes:
        demo.console.print(table)
    else:
        demo.say(f"{table.title}: no objects found (the sample clip is a synthetic test pattern)")
    demo.say(f"results: {', '.join(report.exports.values())}")
    demo.artifacts["detections"] = report.exports.get("json")
