"""Opening a video with PyAV and choosing which frames to analyse.

The pipeline owns its decoding (the media plugin's commands work on whole files; this needs frames).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import MediaNotFound, MediaUnreadable


@dataclass(frozen=True)
class VideoInfo:
    """What the pipeline needs to know about a video stream before decoding."""

    width: int
    height: int
    fps: float
    duration: float  # seconds; 0 when unknown
    frames: int  # 0 when unknown


def open_video(path: str | Path) -> tuple[Any, Any, VideoInfo]:
    """Open ``path`` and return ``(container, video_stream, info)``.

    Raises ``media.not_found`` for a missing path and ``media.unreadable`` for anything PyAV cannot
    open or that has no video stream.
    """
    import av

    p = Path(path)
    if not p.exists():
        raise MediaNotFound(f"video {p} does not exist; check the path", details={"path": str(p)})
    if p.is_dir():
        raise MediaUnreadable(f"{p} is a directory, not a video file", details={"path": str(p)})
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise MediaUnreadable(
            f"{p} cannot be read as media ({e}); is it a complete video file?", details={"path": str(p)}
        ) from e
    if not container.streams.video:
        container.close()
        raise MediaUnreadable(
            f"{p} has no video stream (audio or data only); object detection needs video",
            details={"path": str(p), "reason": "no_video_stream"},
        )
    stream = container.streams.video[0]
    ctx = stream.codec_context
    if not ctx.width or not ctx.height:
        container.close()
        raise MediaUnreadable(f"{p}: the video stream has no frame size", details={"path": str(p)})
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    frames = stream.frames or int(round(duration * float(rate)))
    return container, stream, VideoInfo(ctx.width, ctx.height, float(rate), duration, frames)


class FrameSampler:
    """Chooses frames: every ``every``-th one, or at most ``fps`` per second by timestamp."""

    def __init__(self, *, fps: float | None = None, every: int = 1):
        if fps is not None and fps <= 0:
            raise ValueError("fps must be positive")
        self.period = 1.0 / fps if fps else None
        self.every = max(1, every)
        self._next = 0.0

    def take(self, index: int, time: float) -> bool:
        """Whether frame ``index`` at ``time`` seconds is analysed."""
        if self.period is None:
            return index % self.every == 0
        # A small tolerance so 30 fps sampled at 10 fps takes every 3rd frame despite rounding.
        if time + 1e-6 >= self._next:
            self._next += self.period * max(1, int((time + 1e-6 - self._next) / self.period) + 1)
            return True
        return False
