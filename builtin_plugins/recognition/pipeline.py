"""The video pipeline: decode → letterbox into reused buffers → batched inference → NMS.

Three stages run at once, joined by bounded queues so memory stays flat however long the video::

    decode thread      PyAV decodes and samples; frames go out in batches (decoding is the one
                       stage that cannot be split, so it does nothing else)
    inference threads  ``workers`` at once on the shared session, each taking a batch: swscale
                       scales every frame straight to the letterboxed size and colour order into a
                       buffer from a pool (no other copy), then session.run (ONNX Runtime releases
                       the GIL); the buffer goes back to the pool as soon as the run returns
    caller's thread    puts batches back in order, decode + NMS per frame, yields FrameResult

Preparing frames in the inference threads rather than the decode thread matters on few cores:
with three busy threads on two cores, a decode thread that also scaled and converted every frame
got about two thirds of a core and became the bottleneck (measured: 3.9 ms of its time a frame
for 1.2 ms of work, the cores 25 % idle).

A model exported with a fixed batch of 1 simply gets batches of one.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .detector import Detections, Detector
from .errors import MediaUnreadable
from .letterbox import Letterbox, fill_frame
from .video import FrameSampler, VideoInfo, open_video

_END = object()


@dataclass
class FrameResult:
    """Detections of one analysed frame."""

    index: int  # index of the frame in decoding order
    time: float  # seconds from the start of the stream
    detections: Detections


@dataclass
class PipelineStats:
    """Counters of one run, for progress and benchmarks."""

    decoded: int = 0
    analysed: int = 0
    batches: int = 0
    info: VideoInfo | None = None
    # seconds spent in each stage (summed over frames; the stages overlap in time)
    seconds: dict[str, float] = field(default_factory=lambda: {"decode": 0.0, "prepare": 0.0, "infer": 0.0, "post": 0.0})


def make_buffer_pool(shape: tuple[int, ...], capacity: int) -> Any:
    """The kernel's buffer pool (``get``/``put``; blocks when all buffers are out)."""
    from reelkit.sdk.perf import BufferPool

    return BufferPool(shape, np.float32, capacity)


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put with backpressure, giving up when the run is stopping."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue, stop: threading.Event) -> Any:
    """Get, giving up (returning ``_END``) when the run is stopping."""
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            continue
    return _END


def _acquire(pool: Any, stop: threading.Event) -> np.ndarray | None:
    """A free buffer, or ``None`` when the run is stopping."""
    while not stop.is_set():
        try:
            return pool.get(timeout=0.1)
        except TimeoutError:
            continue
    return None


def detect_video(
    detector: Detector,
    path: str | Path,
    *,
    fps: float | None = None,
    every: int = 1,
    depth: int = 3,
    decode_threads: int = 0,
    workers: int | None = None,
    group: int = 4,
    cancelled: Callable[[], bool] | None = None,
    stats: PipelineStats | None = None,
    frames: tuple[int, int | None] | None = None,
) -> Iterator[FrameResult]:
    """Yield detections for the sampled frames of ``path``, in order.

    ``depth`` bounds each queue (groups in flight). ``decode_threads`` 0: the cores the inference
    workers leave free, at least one (on a CPU where the workers take every core, extra decoder
    threads only take turns with inference: 1.5 % more CPU a frame here, nothing gained).
    ``workers`` concurrent ``session.run`` calls (default: the detector's); results are put back in
    frame order. Frames travel between threads in groups of at least ``group`` (whole batches): a
    queue hand-off per frame cost more than scaling one. At most about
    ``group × (2 × depth + workers + 2)`` decoded frames are held at once.
    ``cancelled`` is polled by every stage; a cancelled run stops early and yields no more.
    ``frames`` (first, end) analyses only frame indexes in that range (one part of a video spread over a
    cluster); decoding still starts at 0 so the sampler picks exactly the frames a whole run picks.
    Closing the iterator stops and joins the worker threads.
    """
    container, stream, info = open_video(path)
    stats = stats if stats is not None else PipelineStats()
    stats.info = info
    card = detector.card
    h, w = card.input_size
    box = Letterbox.for_card(info.width, info.height, card)
    batch = detector.batch
    fixed_batch = detector.card.batch is not None  # such a model only takes full batches
    group = batch * max(1, -(-group // batch))  # whole batches
    workers = max(1, workers or detector.workers)
    pool = make_buffer_pool((batch, 3, h, w), workers)  # one a worker: filled and run in turn
    painted: dict = {}
    lock = threading.Lock()
    decoded: queue.Queue = queue.Queue(maxsize=depth)
    inferred: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    is_cancelled = cancelled or (lambda: False)
    sampler = FrameSampler(fps=fps, every=every)
    first, end = frames or (0, None)
    if not decode_threads:
        cpus = os.cpu_count() or 1
        model = detector.model
        busy = workers * (model.threads or cpus) if model.provider == "CPUExecutionProvider" else 0
        decode_threads = max(1, cpus - busy)
    stream.thread_count = decode_threads
    stream.thread_type = "AUTO"

    def decode() -> None:
        frames: list[Any] = []
        metas: list[tuple[int, float]] = []
        sec = stats.seconds
        seq = 0
        try:
            mark = time.perf_counter()
            for index, frame in enumerate(container.decode(stream)):
                now = time.perf_counter()
                sec["decode"] += now - mark
                if stop.is_set() or is_cancelled():
                    break
                if end is not None and index >= end:
                    break
                stats.decoded = index + 1
                t = float(frame.time) if frame.time is not None else index / info.fps
                if sampler.take(index, t) and index >= first:
                    if frame.width != box.src_w or frame.height != box.src_h:
                        raise MediaUnreadable(
                            f"{path}: frame size changed mid-stream ({frame.width}x{frame.height})",
                            details={"path": str(path)},
                        )
                    frames.append(frame)
                    metas.append((index, t))
                    if len(metas) == group:
                        if not _put(decoded, (seq, frames, metas), stop):
                            return
                        seq += 1
                        frames, metas = [], []
                mark = time.perf_counter()  # time blocked on a full queue is not decoding
            if metas:
                _put(decoded, (seq, frames, metas), stop)
        except BaseException as e:  # handed to the consumer, raised there
            _put(decoded, e, stop)
        finally:
            _put(decoded, _END, stop)

    def infer() -> None:
        from av.video.reformatter import VideoReformatter

        sec = stats.seconds
        sws = VideoReformatter()
        try:
            while True:
                item = _get(decoded, stop)
                if item is _END:
                    _put(decoded, _END, stop)  # for the sibling workers
                    _put(inferred, _END, stop)
                    return
                if isinstance(item, BaseException):
                    _put(inferred, item, stop)
                    continue
                seq, frames, metas = item
                del item
                buf = _acquire(pool, stop)
                if buf is None:
                    return
                outputs, prep_s, infer_s = [], 0.0, 0.0
                try:
                    for start in range(0, len(frames), batch):
                        t0 = time.perf_counter()
                        for i, frame in enumerate(frames[start:start + batch]):
                            fill_frame(buf[i], frame, box, card, sws, painted)
                        t1 = time.perf_counter()
                        n = min(batch, len(frames) - start)
                        outputs.append(detector.run(buf if n == batch or fixed_batch else buf[:n]))
                        prep_s, infer_s = prep_s + t1 - t0, infer_s + time.perf_counter() - t1
                    del frames
                finally:
                    pool.put(buf)  # the runs have returned: the buffer can be refilled
                with lock:
                    sec["prepare"] += prep_s
                if not _put(inferred, (seq, outputs, metas, infer_s), stop):
                    return
        except BaseException as e:
            _put(inferred, e, stop)
            _put(inferred, _END, stop)

    threads = [threading.Thread(target=decode, name="recognition-decode", daemon=True)]
    threads += [threading.Thread(target=infer, name=f"recognition-infer-{i}", daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    pending: dict[int, tuple] = {}  # batches that finished out of order, until their turn
    next_seq = ended = 0
    try:
        while ended < workers:
            item = inferred.get()
            if item is _END:
                ended += 1
                continue
            if isinstance(item, BaseException):
                if isinstance(item, MediaUnreadable):
                    raise item
                if _is_av_error(item):
                    raise MediaUnreadable(
                        f"{path}: decoding failed ({item}); the file may be truncated or corrupt",
                        details={"path": str(path)},
                    ) from item
                raise item
            pending[item[0]] = item
            while next_seq in pending:
                _, outputs, metas, infer_s = pending.pop(next_seq)
                next_seq += 1
                stats.batches += len(outputs)
                stats.seconds["infer"] += infer_s
                for i, (index, t) in enumerate(metas):
                    stats.analysed += 1
                    t0 = time.perf_counter()
                    result = FrameResult(index, t, detector.postprocess(outputs[i // batch], i % batch, box))
                    stats.seconds["post"] += time.perf_counter() - t0
                    yield result
                if is_cancelled():
                    return
    finally:
        stop.set()
        for q in (decoded, inferred):
            _drain(q)
        for t in threads:
            t.join(timeout=5)
        if not threads[0].is_alive():  # never close a container another thread still decodes from
            container.close()


def _drain(q: queue.Queue) -> None:
    """Empty ``q`` so a thread blocked putting into it can see the stop and leave."""
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


def _is_av_error(e: BaseException) -> bool:
    try:
        import av
    except ImportError:
        return False
    return isinstance(e, av.error.FFmpegError)
