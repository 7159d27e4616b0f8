"""Rich tables of probe results, for people (``reelkit probe``, the demo)."""

from __future__ import annotations

import os

from .api import MediaInfo

__all__ = ["media_table", "describe_row"]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def describe_row(info: MediaInfo) -> list[str]:
    """File, kind, format, duration, video, audio, size — as strings."""
    v, a = info.video, info.audio
    video = ""
    if v is not None:
        fps = f" {float(v.frame_rate):.3g} fps" if v.frame_rate else ""
        rot = f" rot {v.rotation}°" if v.rotation else ""
        video = f"{v.codec} {v.width}x{v.height}{fps}{rot}"
    audio = f"{a.codec} {a.sample_rate} Hz {a.channel_layout or a.channels}" if a is not None else ""
    dur = f"{info.duration:.2f} s" if info.duration is not None else "-"
    return [os.path.basename(info.path), info.kind, _format_label(info), dur, video, audio, _size(info.size)]


def _format_label(info: MediaInfo) -> str:
    """``MP4`` rather than the demuxer's ``mov,mp4,m4a,3gp,3g2,mj2`` when the extension agrees."""
    from .formats import FORMATS

    ext = os.path.splitext(info.path)[1][1:].lower()
    demuxers = set(info.format_name.split(","))
    for name, kind, exts, demuxer in FORMATS:
        family = {demuxer, demuxer.removesuffix("_pipe"), "webm" if demuxer == "matroska" else demuxer}
        if kind == "image":
            family.add("image2")  # FFmpeg opens .jpg and friends by file name, with image2
        if ext in exts and family & demuxers:
            return name
    return info.format_name.split(",")[0]


def media_table(infos: list[MediaInfo], title: str | None = None):
    """A rich Table with one row per file."""
    from rich.table import Table

    table = Table(title=title)
    for col in ("File", "Kind", "Format", "Duration", "Video", "Audio", "Size"):
        table.add_column(col, justify="right" if col in ("Duration", "Size") else "left")
    for info in infos:
        table.add_row(*describe_row(info))
    return table
