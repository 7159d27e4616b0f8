"""The recognition service: loaded models (cached), image and video detection, the model registry.

One instance per kernel (injectable as ``RecognitionService``). Thread-safe: commands run in worker
threads, and each model's session is created once and shared (ONNX Runtime sessions are safe to run
concurrently).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

from reelkit.sdk import HealthResult, Paths

from .api import ImageDetections, ModelEntry, VideoDetections
from .settings import RecognitionSettings


class RecognitionService:
    """Object and face detection over images and videos."""

    def __init__(self, settings: RecognitionSettings, data_dir: Path):
        self.settings = settings
        self.models_dir = Path(settings.models_dir).expanduser() if settings.models_dir else data_dir / "models"
        self._lock = threading.Lock()
        self._loaded: dict[str, object] = {}  # model name -> Detector

    # -- models -------------------------------------------------------------------------------

    def catalog(self):
        from .registry import load_catalog

        return load_catalog(self.settings.catalog_file)

    def models(self) -> list[ModelEntry]:
        """Installed and downloadable models."""
        from .registry import list_models

        return list_models(self.models_dir, self.catalog())

    def detector(self, name: str | None = None, *, task: str | None = "objects"):
        """The cached ``Detector`` for model ``name`` (default: the settings' model for ``task``).

        ``task`` ``objects`` or ``faces`` refuses a model of the other kind; ``None`` accepts either.
        """
        from .detector import Detector
        from .errors import ModelInvalid
        from .registry import model_path
        from .runtime import load_model

        s = self.settings
        name = name or (s.face_model if task == "faces" else s.model)
        with self._lock:
            det = self._loaded.get(name)
            if det is None:
                workers, threads = self._parallelism()
                model = load_model(model_path(self.models_dir, name), providers=s.providers, threads=threads)
                faces = model.card.task == "faces"
                det = Detector(
                    model,
                    conf=s.face_conf_threshold if faces else s.conf_threshold,
                    iou=s.face_iou_threshold if faces else s.iou_threshold,
                    batch=s.batch_size,
                    workers=workers if model.provider == "CPUExecutionProvider" else (s.inference_workers or 1),
                )
                self._loaded[name] = det
        if task is not None and det.card.task != task:
            raise ModelInvalid(
                f"model {name!r} detects {det.card.task}, not {task}; choose a {task} model",
                details={"model": name, "task": det.card.task},
            )
        return det

    def _parallelism(self) -> tuple[int, int]:
        """(inference workers, intra-op threads) from the settings and the machine."""
        import os

        import onnxruntime as ort

        from .runtime import choose_providers

        s = self.settings
        on_cpu = choose_providers(s.providers, ort.get_available_providers())[0] == "CPUExecutionProvider"
        cpus = os.cpu_count() or 1
        workers = s.inference_workers or (min(4, cpus) if on_cpu else 1)
        # Several runs side by side on few threads each beat one run split over every core: less
        # synchronisation per run (measured: two 1-thread runs ≈ 1.5× one 2-thread run on 2 cores).
        threads = s.threads or (max(1, cpus // workers) if workers > 1 and on_cpu else 0)
        return workers, threads

    def providers_in_use(self) -> dict[str, str]:
        """Model name → execution provider actually used, for every loaded model."""
        with self._lock:
            return {name: det.model.provider for name, det in self._loaded.items()}

    # -- detection ----------------------------------------------------------------------------

    def detect_image(self, path: str | Path, model: str | None = None, *, task: str = "objects") -> ImageDetections:
        """Detect objects (or faces) in a still image."""
        from .image import load_rgb
        from .report import detections_to_api

        det = self.detector(model, task=task)
        image = load_rgb(path, self.settings.max_image_pixels)
        t0 = time.perf_counter()
        found = det.detect_rgb(image)
        elapsed = (time.perf_counter() - t0) * 1000
        return ImageDetections(
            path=str(path),
            model=det.model.name,
            provider=det.model.provider,
            width=image.shape[1],
            height=image.shape[0],
            detections=detections_to_api(found, det.card),
            elapsed_ms=round(elapsed, 2),
        )

    def detect_video(
        self,
        path: str | Path,
        model: str | None = None,
        *,
        fps: float | None = None,
        every: int = 1,
        task: str | None = "objects",
        on_frame: Callable[[int, float, float, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        source: Callable[..., Any] | None = None,
    ) -> VideoDetections:
        """Run the pipeline over a video and aggregate the results.

        ``fps`` None uses the ``video_fps`` setting; 0 analyses every ``every``-th frame.
        ``on_frame(analysed, time, fraction, detections)`` is called after each analysed frame.
        ``source`` replaces the local pipeline (same arguments, same frame results in order): the
        cluster's, which runs parts of the video on workers; aggregation stays here, so it is the same.
        """
        from .pipeline import PipelineStats, detect_video
        from .report import VideoReport

        det = self.detector(model, task=task)
        s = self.settings
        fps = s.video_fps if fps is None else fps
        stats = PipelineStats()
        report: VideoReport | None = None
        t0 = time.perf_counter()
        was_cancelled = False
        frames = (source or detect_video)(
            det, path, fps=fps or None, every=every, depth=s.queue_depth, cancelled=cancelled, stats=stats
        )
        try:
            for result in frames:
                if report is None:
                    frame_step = 1.0 / (stats.info.fps or 25.0)
                    # A sighting lasts one sampling step, never less than a frame (fps above the video's).
                    step = max(1.0 / fps, frame_step) if fps else every * frame_step
                    report = VideoReport(det.card, sample_step=step, max_gap=s.segment_gap)
                report.add(result)
                if on_frame:
                    dur = stats.info.duration if stats.info else 0.0
                    frac = min(1.0, (result.time + report.sample_step) / dur) if dur else 0.0
                    on_frame(stats.analysed, result.time, frac, len(result.detections))
        finally:
            frames.close()
        if cancelled is not None and cancelled():
            was_cancelled = True
        info = stats.info
        if report is None:
            report = VideoReport(det.card, sample_step=1.0 / fps if fps else 1.0, max_gap=s.segment_gap)
        return report.finish(
            path=str(path),
            model=det.model.name,
            provider=det.model.provider,
            width=info.width,
            height=info.height,
            duration=round(info.duration, 4),
            video_fps=round(info.fps, 4),
            sample_fps=fps or None,
            frames_decoded=stats.decoded,
            frames_analysed=stats.analysed,
            elapsed_s=round(time.perf_counter() - t0, 3),
            stage_seconds={k: round(v, 4) for k, v in stats.seconds.items()},
            cancelled=was_cancelled,
        )

    def close(self) -> None:
        """Drop the sessions."""
        with self._lock:
            self._loaded.clear()


def create(settings: RecognitionSettings, paths: Paths):
    """Kernel-lifetime factory: one service, sessions dropped at shutdown."""
    svc = RecognitionService(settings, paths.data_dir)
    yield svc
    svc.close()


def health(service: RecognitionService) -> HealthResult:
    """The runtime, the execution provider each loaded model really uses, and the default model."""
    import sys
    from importlib import metadata

    from reelkit.kernel.errors import KernelError

    from .runtime import check_runtime, installed_runtimes

    try:
        check_runtime()
    except KernelError as e:  # none installed, or two that shadow each other
        return HealthResult(state="error", detail=e.message)
    dist = installed_runtimes()[0]
    runtime = f"{dist} {metadata.version(dist)}"
    ort = sys.modules.get("onnxruntime")  # health never imports ONNX Runtime (~0.3 s) just to answer
    available = (", ".join(p.replace("ExecutionProvider", "") for p in ort.get_available_providers())
                 if ort is not None else "known once a model is loaded")
    used = service.providers_in_use()
    in_use = "; ".join(f"{m} on {p}" for m, p in used.items()) or "no model loaded yet"
    default = service.models_dir / f"{service.settings.model}.onnx"
    if not default.is_file():
        return HealthResult(
            state="warn",
            detail=f"{runtime} (providers: {available}); default model {service.settings.model!r} not in "
            f"{service.models_dir}: `reelkit models pull {service.settings.model}` or set "
            "REELKIT_RECOGNITION__MODELS_DIR",
        )
    return HealthResult(state="ok", detail=f"{runtime} (providers: {available}); {in_use}; models in {service.models_dir}")
