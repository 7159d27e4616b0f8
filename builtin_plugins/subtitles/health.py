"""Health check: subtitles.embed needs an FFmpeg executable."""

from __future__ import annotations

import os

from reelkit.sdk import HealthResult

from .settings import SubtitlesSettings

__all__ = ["ffmpeg_health", "ffmpeg_exe"]


def ffmpeg_exe(settings: SubtitlesSettings) -> str:
    """``[subtitles] ffmpeg_path`` if set, else the static FFmpeg of the imageio-ffmpeg wheel."""
    if settings.ffmpeg_path:
        return settings.ffmpeg_path
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_health(settings: SubtitlesSettings) -> HealthResult:
    try:
        exe = ffmpeg_exe(settings)
    except Exception as e:  # imageio-ffmpeg raises RuntimeError when it has no binary
        return HealthResult(state="warn", detail=f"no FFmpeg for subtitles.embed ({e}); set [subtitles] ffmpeg_path")
    if not os.access(exe, os.X_OK):
        return HealthResult(state="warn", detail=f"FFmpeg at {exe} is not executable; set [subtitles] ffmpeg_path")
    return HealthResult(state="ok", detail=f"FFmpeg for subtitles.embed: {exe}")
