"""What an OpenTimelineIO clip shows: its media file (relinked), an offline stand-in, or a generator.

Editors relink missing media by mapping an old location to a new file or folder; ``relink`` does the
same: each key is an old reference (a path, a ``file://`` URL, or a folder) and its value the new file or
folder. ``search_folders`` are then searched by file name. A clip whose media is still missing becomes
an *offline* clip: a colour clip (the background, i.e. transparent, or a slate colour) that keeps the
reference, so the clip is reported, keeps its place and is written back unchanged on export.
Generators become colour clips; SMPTE bars become a still drawn once with FFmpeg's ``smptehdbars``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

BARS = {"smptebars", "smpte_bars", "bars", "colorbars", "color_bars", "smptehdbars"}
SOLIDS = {"solidcolor", "solid_color", "solid", "color", "colour", "slug", "black", "matte", "colormatte"}


@dataclass
class ImportOptions:
    """How an import treats what it cannot show as is (the fields of ``compiler.import_otio``)."""

    relink: dict[str, str] = field(default_factory=dict)
    search_folders: list[str] = field(default_factory=list)
    offline: str = "background"  # or "slate"
    slate_color: str = "#5a1a1a"
    fps: str | None = None
    stills_dir: str | None = None  # where freeze frames and bars are drawn; None: approximated by colours
    width: int = 1280
    height: int = 720


def url_to_path(url: str, base_dir: str) -> str:
    """A media reference's ``target_url`` as a local path (``file://`` decoded, relative to the file)."""
    if url.startswith("file:"):
        parsed = urlparse(url)
        path = unquote(parsed.path)
        if parsed.netloc and parsed.netloc != "localhost":
            path = f"//{parsed.netloc}{path}"
        return path
    if "://" in url:
        return url
    return url if os.path.isabs(url) else os.path.normpath(os.path.join(base_dir, url))


def relink(reference: str, base_dir: str, opts: ImportOptions) -> tuple[str | None, str]:
    """Find the media for ``reference``; returns (existing path or None, how it was found)."""
    path = url_to_path(reference, base_dir) if reference else ""
    if path and os.path.isfile(path):
        return path, "found"
    for old, new in opts.relink.items():
        old_path = url_to_path(old, base_dir)
        if reference in (old, old_path) or path == old_path:
            target = os.path.join(new, os.path.basename(path)) if os.path.isdir(new) else new
            return (target, "relinked") if os.path.isfile(target) else (None, f"relink target {target!r} is missing")
    for old, new in opts.relink.items():
        prefix = url_to_path(old, base_dir).rstrip("/\\") + "/"
        if path.startswith(prefix):
            target = os.path.join(new, path[len(prefix):])
            if os.path.isfile(target):
                return target, "relinked"
    name = os.path.basename(path) if path else ""
    for folder in opts.search_folders:
        if name and os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name), "relinked"
    return None, "missing"


def parse_color(value: Any) -> str | None:
    """A generator's colour parameter (``#rrggbb``, ``[r, g, b]`` in 0…1 or 0…255, ``{r, g, b}``) as hex."""
    if isinstance(value, str) and value.startswith("#") and len(value) in (7, 9):
        try:
            int(value[1:], 16)
            return value
        except ValueError:
            return None
    if isinstance(value, dict):
        value = [value.get(k, value.get(k[0].upper() + k[1:], 0)) for k in ("red", "green", "blue")] \
            if "red" in value or "Red" in value else [value.get(k, 0) for k in ("r", "g", "b")]
    try:
        rgb = [float(v) for v in list(value)[:3]]
    except (TypeError, ValueError):
        return None
    if len(rgb) != 3 or any(v < 0 for v in rgb):
        return None
    scale = 255.0 if all(v <= 1.0 for v in rgb) else 1.0
    return "#" + "".join(f"{min(255, round(v * scale)):02x}" for v in rgb)


def generator_color(kind: str, params: dict[str, Any]) -> str | None:
    """The colour a solid generator shows, or None when it is not a solid."""
    if kind.lower().replace(" ", "") not in SOLIDS:
        return None
    for key in ("color", "colour", "Color", "fill_color", "rgb"):
        if key in params:
            return parse_color(params[key])
    return "#000000"  # a slug or black matte


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def draw_bars(folder: str, width: int, height: int) -> str:
    """SMPTE HD colour bars as a PNG (drawn once per size)."""
    out = os.path.join(folder, f"smpte_bars_{width}x{height}.png")
    if not os.path.isfile(out):
        _draw(out, ["-f", "lavfi", "-i", f"smptehdbars=s={width}x{height}"])
    return out


def draw_still(folder: str, source: str, seconds: float) -> str:
    """The frame of ``source`` at ``seconds`` as a PNG (a freeze frame)."""
    digest = hashlib.sha256(f"{os.path.abspath(source)}\0{os.path.getmtime(source)}\0{seconds!r}".encode()).hexdigest()
    out = os.path.join(folder, f"freeze_{digest[:24]}.png")
    if not os.path.isfile(out):
        _draw(out, ["-ss", f"{seconds:.6f}", "-i", source])
    return out


def _draw(out: str, args: list[str]) -> None:
    from reelkit.sdk.files import atomic_output

    os.makedirs(os.path.dirname(out), exist_ok=True)
    with atomic_output(out) as tmp:
        subprocess.run([_ffmpeg(), "-v", "error", "-y", *args, "-frames:v", "1", "-update", "1", "-f", "image2",
                        "-c:v", "png", str(tmp)], check=True, capture_output=True, timeout=60)


@functools.lru_cache(maxsize=1024)
def _timecode(path: str, mtime: float) -> str | None:
    import av

    try:
        with av.open(path) as c:
            for tags in [c.metadata, *(s.metadata for s in c.streams)]:
                if tags.get("timecode"):
                    return str(tags["timecode"])
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    return None


def media_timecode(path: str) -> str | None:
    """The start timecode a media file carries (a QuickTime/MP4 ``tmcd`` track, MXF), or None.

    EDLs and references without an ``available_range`` give source times as timecodes: a clip at
    01:00:10:00 of a file that starts at 01:00:00:00 is 10 s into it.
    """
    try:
        return _timecode(os.path.abspath(path), os.path.getmtime(path))
    except OSError:
        return None
