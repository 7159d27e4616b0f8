"""Named output presets: canvas and encoding settings for the usual destinations.

A project names one with ``"preset": "youtube-1080p"``; what its own ``settings`` and ``output``
say wins, field by field (the preset fills only what the document leaves out). ``compiler.presets``
lists them.
"""

from __future__ import annotations

import copy
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "youtube-1080p": {
        "summary": "YouTube 1080p: 1920x1080 H.264 High, CRF 18, AAC 384k, MP4",
        "settings": {"width": 1920, "height": 1080},
        "output": {"container": "mp4", "video_codec": "h264", "audio_codec": "aac", "crf": 18, "preset": "medium",
                   "audio_bitrate": "384k", "pixel_format": "yuv420p"},
    },
    "youtube-4k": {
        "summary": "YouTube 4K: 3840x2160 H.264, CRF 18, AAC 384k, MP4",
        "settings": {"width": 3840, "height": 2160},
        "output": {"container": "mp4", "video_codec": "h264", "audio_codec": "aac", "crf": 18, "preset": "medium",
                   "audio_bitrate": "384k", "pixel_format": "yuv420p"},
    },
    "shorts": {
        "summary": "YouTube Shorts, TikTok, Instagram Reels: vertical 1080x1920 H.264, CRF 20, AAC 192k, MP4",
        "settings": {"width": 1080, "height": 1920},
        "output": {"container": "mp4", "video_codec": "h264", "audio_codec": "aac", "crf": 20, "preset": "medium",
                   "audio_bitrate": "192k", "pixel_format": "yuv420p", "loudness": {"integrated": -14}},
    },
    "instagram-square": {
        "summary": "Instagram feed: square 1080x1080 H.264, CRF 20, AAC 192k, MP4",
        "settings": {"width": 1080, "height": 1080},
        "output": {"container": "mp4", "video_codec": "h264", "audio_codec": "aac", "crf": 20, "preset": "medium",
                   "audio_bitrate": "192k", "pixel_format": "yuv420p"},
    },
    "prores-master": {
        "summary": "Mastering: ProRes 422 (10-bit 4:2:2) in MOV with PCM audio, at the project's canvas size",
        "settings": {},
        "output": {"container": "mov", "video_codec": "prores", "audio_codec": "pcm", "pixel_format": "yuv422p10le"},
    },
    "web-gif": {
        "summary": "Animated GIF for the web: 480 wide, 15 fps, palette per clip, no audio",
        "settings": {"width": 480, "height": 270, "fps": 15},
        "output": {"container": "gif", "video_codec": "gif", "audio_codec": "none"},
    },
}
PRESETS["tiktok"] = {**PRESETS["shorts"], "summary": "Alias of shorts (1080x1920)"}
PRESETS["reels"] = {**PRESETS["shorts"], "summary": "Alias of shorts (1080x1920)"}


def names() -> list[str]:
    """Preset names, sorted."""
    return sorted(PRESETS)


def apply_preset(data: Any) -> Any:
    """Fill a raw project document's settings and output from its ``preset`` (the document wins)."""
    if not isinstance(data, dict) or data.get("preset") is None:
        return data
    name = data["preset"]
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(names())} (see compiler.presets)")
    preset = PRESETS[name]
    out = dict(data)
    for key in ("settings", "output"):
        mine = out.get(key)
        if mine is not None and not isinstance(mine, dict):
            continue  # a model instance or a wrong type: left to the schema
        merged = copy.deepcopy(preset[key])
        merged.update(mine or {})
        out[key] = merged
    return out
