"""Errors of the media plugin.

    KernelError
    ├── NotFound
    │   └── MediaNotFound        media.not_found       the path does not exist
    ├── MediaUnreadable          media.unreadable      exists, but is not media FFmpeg can read
    ├── Unavailable
    │   └── FFmpegMissing        media.ffmpeg_missing  no FFmpeg binary could be found or run
    └── FFmpegFailed             media.ffmpeg_failed   an FFmpeg run (proxy) exited with an error
"""

from __future__ import annotations

from reelkit.sdk import KernelError, NotFound, Unavailable

__all__ = ["FFmpegFailed", "FFmpegMissing", "MediaNotFound", "MediaUnreadable"]


class MediaNotFound(NotFound):
    """The path given does not exist."""

    code = "media.not_found"


class MediaUnreadable(KernelError):
    """The path exists but is not a media file FFmpeg can read (directory, empty, text, corrupt)."""

    code = "media.unreadable"


class FFmpegMissing(Unavailable):
    """No usable FFmpeg binary: the setting is wrong, none on PATH, and the wheel's binary is absent."""

    code = "media.ffmpeg_missing"


class FFmpegFailed(KernelError):
    """An FFmpeg process exited with an error."""

    code = "media.ffmpeg_failed"
