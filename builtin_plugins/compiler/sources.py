"""Source facts for planning: from the media plugin's ``media.probe``, or PyAV as a fallback.

The compiler asks ``media.probe`` through the Invoker (plugins talk through commands). The PyAV
fallback keeps the compiler's pure parts (tests, benchmark, planning without a kernel) usable.
"""

from __future__ import annotations

import os
from typing import Any

from .timeline import IMAGE_EXTENSIONS, SourceInfo


def from_probe_result(result: Any, path: str = "") -> SourceInfo:
    """Map a ``media.probe`` result (model or dict: duration, streams[…]) onto SourceInfo."""
    data = result.model_dump() if hasattr(result, "model_dump") else dict(result)
    streams = data.get("streams") or []
    video = audio = None
    for s in streams:
        kind = s.get("kind") or s.get("type") or s.get("codec_type") or s.get("media_type")
        if kind == "video" and video is None:
            video = s
        elif kind == "audio" and audio is None:
            audio = s
    duration = data.get("duration")
    is_image = data.get("kind") == "image" or (
        bool(video) and not audio and path.lower().endswith(IMAGE_EXTENSIONS)
    )
    return SourceInfo(
        duration=float(duration) if duration else None,
        has_video=video is not None,
        has_audio=audio is not None,
        width=(video or {}).get("width"),
        height=(video or {}).get("height"),
        is_image=is_image,
    )


def local_probe(path: str) -> SourceInfo | None:
    """Probe ``path`` with PyAV; None when it cannot be read."""
    import av  # heavy: imported on first use

    try:
        with av.open(path) as c:
            v = next((s for s in c.streams if s.type == "video"), None)
            a = next((s for s in c.streams if s.type == "audio"), None)
            duration = c.duration / 1_000_000 if c.duration else None
            if duration is None:
                for s in (v, a):
                    if s is not None and s.duration and s.time_base:
                        duration = float(s.duration * s.time_base)
                        break
            is_image = v is not None and a is None and (
                path.lower().endswith(IMAGE_EXTENSIONS) or (v.frames in (0, 1) and not duration)
            )
            return SourceInfo(
                duration=duration,
                has_video=v is not None,
                has_audio=a is not None,
                width=v.codec_context.width if v is not None else None,
                height=v.codec_context.height if v is not None else None,
                is_image=is_image,
            )
    except (av.FFmpegError, OSError, ValueError):
        return None


def file_key(path: str) -> tuple[str, int, int]:
    """A cache key that changes when the file does."""
    st = os.stat(path)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)
