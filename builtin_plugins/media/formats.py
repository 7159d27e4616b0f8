"""The file types the media plugin supports, by extension and demuxer."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FORMATS", "FormatInfo", "IMAGE_DEMUXERS", "available_formats", "is_supported", "kind_for_extension"]


class FormatInfo(BaseModel):
    """One supported file type."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(description="Human name, e.g. 'MP4'")
    kind: str = Field(description="video, audio or image")
    extensions: list[str] = Field(description="File extensions, lower case, without the dot")
    demuxer: str = Field(description="FFmpeg demuxer that reads it")
    available: bool = Field(description="Whether this build of FFmpeg (PyAV) has that demuxer")


# (name, kind, extensions, demuxer)
FORMATS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("MP4", "video", ("mp4", "m4v"), "mov"),
    ("QuickTime", "video", ("mov", "qt"), "mov"),
    ("Matroska", "video", ("mkv",), "matroska"),
    ("WebM", "video", ("webm",), "matroska"),
    ("AVI", "video", ("avi",), "avi"),
    ("MPEG-TS", "video", ("ts", "m2ts", "mts"), "mpegts"),
    ("MPEG-PS", "video", ("mpg", "mpeg", "vob"), "mpeg"),
    ("WAV", "audio", ("wav",), "wav"),
    ("MP3", "audio", ("mp3",), "mp3"),
    ("FLAC", "audio", ("flac",), "flac"),
    ("Ogg (Vorbis, Opus)", "audio", ("ogg", "oga", "opus"), "ogg"),
    ("AAC (ADTS)", "audio", ("aac",), "aac"),
    ("M4A", "audio", ("m4a",), "mov"),
    ("PNG", "image", ("png",), "png_pipe"),
    ("JPEG", "image", ("jpg", "jpeg"), "jpeg_pipe"),
    ("WebP", "image", ("webp",), "webp_pipe"),
    ("GIF", "image", ("gif",), "gif"),
)

# Demuxers whose files are pictures rather than timed media.
IMAGE_DEMUXERS = frozenset({"image2", "gif", "apng"} | {d for *_, d in FORMATS if d.endswith("_pipe")})

_BY_EXT = {ext: kind for _, kind, exts, _ in FORMATS for ext in exts}


def kind_for_extension(path: str) -> str | None:
    """``video``/``audio``/``image`` for a supported extension, else None."""
    return _BY_EXT.get(os.path.splitext(path)[1][1:].lower())


def is_supported(path: str) -> bool:
    """Whether ``path`` has an extension the plugin imports from directories."""
    return kind_for_extension(path) is not None


@lru_cache(maxsize=1)
def available_formats() -> tuple[FormatInfo, ...]:
    """Every supported type, with whether the in-process FFmpeg (PyAV) can demux it."""
    import av

    have = av.formats_available
    return tuple(
        FormatInfo(name=name, kind=kind, extensions=list(exts), demuxer=demuxer, available=demuxer in have)
        for name, kind, exts, demuxer in FORMATS
    )
