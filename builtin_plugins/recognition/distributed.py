"""``recognition.detect_video`` over a Dask cluster: frame ranges analysed on workers, merged here.

The video's frame indexes are cut into one range per worker thread. Each worker decodes from the
start (so its sampler picks exactly the frames a whole run picks) but runs the model only on its
range, with the detector its kernel keeps loaded between tasks (the session stays warm). The frame
results come back in order and go through the same :class:`VideoReport` as a local run — tracks are
stitched across range boundaries because the tracker sees one continuous sequence, and the per-class
time aggregation is the same code. Storage: the video must be readable by the workers at the same
path (checked up front: ``cluster.storage_unreachable``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any


def detect_range(spec: dict[str, Any], first: int, end: int | None) -> dict[str, Any]:
    """On a worker: the frame results of frames ``first`` … ``end`` (None: to the end)."""
    from reelkit.kernel.cluster_worker import is_cancelled, runtime

    from .pipeline import PipelineStats, detect_video
    from .service import RecognitionService

    svc = runtime().service(RecognitionService)
    det = svc.detector(spec["model"], task=spec["task"])
    stats = PipelineStats()
    job = spec["job_id"]
    results = list(detect_video(det, spec["path"], fps=spec["fps"], every=spec["every"], depth=spec["depth"],
                                cancelled=lambda: is_cancelled(job), stats=stats, frames=(first, end)))
    return {"results": results, "analysed": stats.analysed, "seconds": dict(stats.seconds)}


def cluster_source(cluster: Any, model: str | None, task: str | None, cancelled: Any) -> Any:
    """A ``source`` for :meth:`RecognitionService.detect_video` that spreads the work over ``cluster``."""

    def source(det: Any, path: Any, *, fps: float | None, every: int, depth: int, cancelled: Any = cancelled,
               stats: Any) -> Iterator[Any]:
        from reelkit.kernel.cluster import StorageUnreachable
        from reelkit.kernel.cluster_worker import cancel_job

        from .video import open_video

        container, _, info = open_video(path)
        container.close()
        stats.info = info
        client = cluster.client()
        problems = {w: p for w, p in client.run(_readable, str(path)).items() if p}
        if problems:
            raise StorageUnreachable(
                f"the cluster's workers must read {path} at the same path as this process: "
                + "; ".join(f"worker {w}: {p}" for w, p in sorted(problems.items())), details={"workers": problems})
        total = info.frames or max(1, round(info.duration * info.fps))
        n = max(1, min(cluster.workers(), total // 8 or 1))
        bounds = [round(k * total / n) for k in range(n)] + [None]
        job = uuid.uuid4().hex[:12]
        spec = {"path": str(path), "model": model, "task": task, "fps": fps, "every": every, "depth": depth,
                "job_id": job}
        futures = [client.submit(detect_range, spec, a, b, pure=False, retries=1, key=f"reelkit-detect-{job}-{i}")
                   for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]
        try:
            for f in futures:
                while not _wait(f, 0.2):
                    if cancelled():
                        client.run(cancel_job, job)
                        return
                part = f.result()
                stats.analysed += part["analysed"]
                for k, v in part["seconds"].items():
                    stats.seconds[k] = stats.seconds.get(k, 0.0) + v
                yield from part["results"]
            stats.decoded = total
        finally:
            for f in futures:
                f.cancel()

    return source


def _wait(future: Any, timeout: float) -> bool:
    import distributed

    try:
        distributed.wait([future], timeout=timeout)
    except TimeoutError:
        return False
    return True


def _readable(path: str) -> str:
    import os

    return "" if os.access(path, os.R_OK) else f"cannot read {path}"
