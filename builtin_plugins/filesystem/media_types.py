"""Media type of a file by its extension (video, audio, image, subtitle)."""

from __future__ import annotations

from typing import Literal

MediaType = Literal["video", "audio", "image", "subtitle"]

EXTENSIONS: dict[str, frozenset[str]] = {
    "video": frozenset(
        "mp4 m4v mov mkv webm avi mpg mpeg mts m2ts ts wmv flv 3gp ogv mxf vob y4m".split()
    ),
    "audio": frozenset("mp3 wav flac aac m4a ogg oga opus wma aif aiff ac3 mka".split()),
    "image": frozenset("jpg jpeg png gif bmp tif tiff webp heic heif avif exr dpx tga".split()),
    "subtitle": frozenset("srt ass ssa vtt sub sbv ttml dfxp scc lrc".split()),
}

_BY_EXTENSION: dict[str, str] = {
    ext: kind for kind, exts in EXTENSIONS.items() for ext in exts
}


def media_type_of(name: str) -> str | None:
    """Return "video", "audio", "image" or "subtitle" for a file name, or None.

    Case-insensitive, by the last extension only (`clip.MP4` is video, `notes.txt` is None).
    """
    _, dot, ext = name.rpartition(".")
    if not dot or not ext:
        return None
    return _BY_EXTENSION.get(ext.lower())
