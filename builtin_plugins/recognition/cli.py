"""``reelkit detect FILE`` and ``reelkit models list|add|pull`` (click only at import time)."""
from __future__ import annotations

from pathlib import Path

import click

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def _console():
    from rich.console import Console

    return Console()


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "-m", default=None, help="Model name (file name without .onnx); default: recognition.model")
@click.option("--fps", type=float, default=None, help="Frames analysed per second of video; 0 = every frame")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Where to write the results, without suffix (default: FILE's name + .detections beside it)")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON instead of a table")
def detect(file: Path, model: str | None, fps: float | None, output: Path | None, as_json: bool) -> None:
    """Detect objects in an image or a video: a summary table, and JSON (+ CSV, markers) written.

    \b
    Examples:
      reelkit detect clip.mp4
      reelkit detect street.jpg --model yolox_nano --json
    """
    from reelkit.sdk.cli import follow_job, print_json, run_kernel

    stem = output or file.with_name(file.stem + ".detections")
    is_image = file.suffix.lower() in IMAGE_SUFFIXES

    async def go(k):
        if is_image:
            return await k.invoke("recognition.detect_image", {"path": str(file), "model": model})
        ref = await k.invoke("recognition.detect_video",
                             {"path": str(file), "model": model, "fps": fps, "export": str(stem)})
        return await follow_job(k, ref, label="detecting", quiet=as_json)

    result = run_kernel(go, as_json=as_json)
    if is_image:
        from reelkit.sdk.files import atomic_write

        stem.parent.mkdir(parents=True, exist_ok=True)
        written = atomic_write(stem.with_name(stem.name + ".json"), result.model_dump_json(indent=2))
        exports = {"json": str(written)}
    else:
        exports = result.exports
    if as_json:
        print_json(result)
        return
    _print_summary(result, is_image, exports)


def _print_summary(result, is_image: bool, exports: dict[str, str]) -> None:
    from rich.table import Table

    console = _console()
    if is_image:
        summary = f"{result.path}: {len(result.detections)} objects ({result.model}, {result.provider})"
        table = Table("class", "confidence", "box (x1, y1, x2, y2)")
        for d in result.detections:
            table.add_row(d.class_name, f"{d.confidence:.2f}", ", ".join(f"{v:.0f}" for v in d.box))
    else:
        summary = (f"{result.path}: {result.frames_analysed} frames analysed in {result.elapsed_s:.1f}s "
                   f"({result.model}, {result.provider})")
        table = Table("class", "objects", "frames", "detections", "conf mean / max", "on screen")
        for c in result.classes:
            spans = ", ".join(f"{s.start:.1f}–{s.end:.1f}s" for s in c.segments[:4])
            if len(c.segments) > 4:
                spans += f" (+{len(c.segments) - 4})"
            table.add_row(c.class_name, str(c.objects), str(c.frames), str(c.detections),
                          f"{c.confidence_mean:.2f} / {c.confidence_max:.2f}", spans)
    console.print(summary, highlight=False)
    console.print(table)
    for kind, path in exports.items():
        console.print(f"{kind}: {path}")


@click.group()
def models() -> None:
    """Detection models: list, add a local file, pull from the catalog."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
def list_models(as_json: bool) -> None:
    """Installed models and the ones the catalog can download."""
    from reelkit.sdk.cli import print_json, run_kernel

    result = run_kernel(lambda k: k.invoke("recognition.models", {}))
    if as_json:
        print_json(result)
        return
    from rich.table import Table

    table = Table("name", "installed", "task", "size", "license", title=f"models in {result.models_dir}")
    for m in result.models:
        table.add_row(m.name + (" (default)" if m.name == result.default_model else ""), "yes" if m.installed else "no",
                      m.task or "", f"{m.size / 1e6:.1f} MB" if m.size else "", m.license or "")
    _console().print(table)


@models.command("add")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Install under this name (default: the file's name)")
def add(path: Path, name: str | None) -> None:
    """Install a local .onnx model (checked to load first) into models_dir."""
    from reelkit.sdk.cli import print_json, run_kernel

    print_json(run_kernel(lambda k: k.invoke("recognition.add_model", {"path": str(path), "name": name})))


@models.command("pull")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="No progress bar; errors as JSON")
def pull(name: str, as_json: bool) -> None:
    """Download a catalog model; an interrupted download resumes, the file is sha256-verified."""
    from reelkit.sdk.cli import follow_job, print_json, run_kernel

    async def go(k):
        ref = await k.invoke("recognition.pull_model", {"name": name})
        return await follow_job(k, ref, label=f"downloading {name}", quiet=as_json)

    print_json(run_kernel(go, as_json=as_json))
