"""Command handlers of the recognition plugin (``recognition.*``)."""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

from reelkit.sdk import (Bus, Cluster, Empty, Field, Input, InputPath, JobContext, Output, OutputPath, Telemetry,
                         command)

from .api import ImageDetections, ModelEntry, VideoDetections
from .events import FrameProcessed
from .service import RecognitionService


class DetectImageInput(Input):
    path: InputPath = Field(description="Image file (PNG, JPEG, WebP, …)")
    model: str | None = Field(None, description="Model name (file name without .onnx); default: recognition.model")


class DetectVideoInput(Input):
    path: InputPath = Field(description="Video file")
    model: str | None = Field(None, description="Model name; default: recognition.model (a face model finds faces)")
    fps: float | None = Field(
        None, ge=0, le=240, description="Frames analysed per second of video; 0 = every frame; default: recognition.video_fps"
    )
    every: int = Field(1, ge=1, le=10_000, description="With fps 0: analyse every N-th frame")
    export: OutputPath | None = Field(
        None, description="Also write <export>.json, <export>.csv and <export>.markers.json (path without suffix)"
    )
    overwrite: bool = Field(False, description="Replace existing export files")


class FacesInput(Input):
    path: InputPath = Field(description="Image file")
    model: str | None = Field(None, description="Face model name; default: recognition.face_model")


class ModelsResult(Output):
    models_dir: str = Field(description="Where models are looked up (setting models_dir)")
    default_model: str = Field(description="Setting model")
    models: list[ModelEntry] = Field(description="Installed and downloadable models")
    providers_available: list[str] = Field(description="ONNX Runtime execution providers present")
    providers_in_use: dict[str, str] = Field(description="Loaded model → provider it actually runs on")


class PullModelInput(Input):
    name: str = Field(description="Catalog model name (see recognition.models)")


class AddModelInput(Input):
    path: InputPath = Field(description="An .onnx file to install into models_dir (its .json card is copied too)")
    name: str | None = Field(None, description="Install under this name; default: the file's name")


class ModelInstalled(Output):
    name: str = Field(description="Model name")
    path: str = Field(description="Installed file")
    sha256: str = Field(description="sha256 of the installed file")


@command("recognition.detect_image", summary="Detect objects in an image")
def detect_image(inp: DetectImageInput, recognition: RecognitionService) -> ImageDetections:
    return recognition.detect_image(inp.path, inp.model)


@command("recognition.faces", summary="Detect faces (boxes and five landmarks) in an image")
def faces(inp: FacesInput, recognition: RecognitionService) -> ImageDetections:
    return recognition.detect_image(inp.path, inp.model, task="faces")


@command("recognition.detect_video", summary="Detect objects over a video: per frame, per class, segments, tracks", job=True)
async def detect_video(
    inp: DetectVideoInput, recognition: RecognitionService, job: JobContext, bus: Bus, telemetry: Telemetry,
    cluster: Cluster,
) -> VideoDetections:
    stop = threading.Event()
    dispose = job.on_cancel(stop.set)
    last = [0.0]
    task = None if inp.model else "objects"  # a face model named explicitly runs as a face detector

    def on_frame(frames: int, t: float, fraction: float, count: int) -> None:
        bus.publish(FrameProcessed(job_id=job.job_id, path=inp.path, frames=frames, time=round(t, 4),
                                   fraction=round(fraction, 4), detections=count))
        now = time.monotonic()
        if now - last[0] >= 0.1:  # job snapshots are heavier than frame events
            last[0] = now
            job.progress(fraction, stage="detect", message=f"{frames} frames, {t:.1f}s")

    job.progress(0.0, stage="detect", message=inp.path)
    source = None
    if cluster.enabled:  # frame ranges on the workers, aggregated here (distributed.py)
        from .distributed import cluster_source

        source = cluster_source(cluster, inp.model, task, stop.is_set)
    run = asyncio.ensure_future(asyncio.to_thread(
        recognition.detect_video, inp.path, inp.model, fps=inp.fps, every=inp.every, task=task,
        on_frame=on_frame, cancelled=stop.is_set, source=source,
    ))
    try:
        report = await asyncio.shield(run)
    except asyncio.CancelledError:
        # Let the pipeline wind down (it polls ``stop``) so no decode/inference thread outlives the job.
        stop.set()
        with contextlib.suppress(BaseException):
            await run
        raise
    finally:
        dispose()
    _record(telemetry, report)
    job.raise_if_cancelled()
    if inp.export:
        from .report import export

        written = await asyncio.to_thread(export, report, Path(inp.export))
        report = report.model_copy(update={"exports": written})
    job.progress(1.0, stage="done", message=f"{report.frames_analysed} frames")
    return report


def _record(telemetry: Telemetry, report: VideoDetections) -> None:
    """Frames and per-stage seconds as metrics (the kernel already spans the job itself)."""
    if not telemetry.enabled:
        return
    telemetry.add("reelkit.recognition.frames_decoded", report.frames_decoded, model=report.model)
    telemetry.add("reelkit.recognition.frames_analysed", report.frames_analysed, model=report.model)
    for stage, seconds in report.stage_seconds.items():
        telemetry.add(f"reelkit.recognition.{stage}_seconds", seconds, model=report.model)


@command("recognition.models", summary="Models installed in models_dir and in the download catalog")
def models(inp: Empty, recognition: RecognitionService) -> ModelsResult:
    from .runtime import check_runtime

    check_runtime()  # extra.missing (install reelkit[cpu] or [gpu]) or a conflict, before the import
    import onnxruntime as ort

    return ModelsResult(
        models_dir=str(recognition.models_dir),
        default_model=recognition.settings.model,
        models=recognition.models(),
        providers_available=list(ort.get_available_providers()),
        providers_in_use=recognition.providers_in_use(),
    )


@command("recognition.pull_model", summary="Download a catalog model (resumable, sha256-verified)", job=True)
async def pull_model(inp: PullModelInput, recognition: RecognitionService, job: JobContext) -> ModelInstalled:
    from .errors import ModelNotFound
    from .registry import pull

    catalog = recognition.catalog()
    if inp.name not in catalog:
        raise ModelNotFound(
            f"{inp.name!r} is not in the model catalog; known: {', '.join(sorted(catalog))}",
            details={"model": inp.name},
        )
    entry = catalog[inp.name]

    def progress(done: int, total: int | None) -> None:
        job.progress(done / total if total else None, stage="download", message=f"{done} bytes")

    path = await asyncio.to_thread(pull, entry, recognition.models_dir, progress=progress)
    return ModelInstalled(name=inp.name, path=str(path), sha256=entry.sha256)


@command("recognition.add_model", summary="Install a local .onnx model into models_dir after checking it loads")
def add_model(inp: AddModelInput, recognition: RecognitionService) -> ModelInstalled:
    from .registry import add_model as add, sha256_of

    path = add(recognition.models_dir, Path(inp.path), inp.name)
    return ModelInstalled(name=path.stem, path=str(path), sha256=sha256_of(path))


COMMANDS = (detect_image, faces, detect_video, models, pull_model, add_model)
