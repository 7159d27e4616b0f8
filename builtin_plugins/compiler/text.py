"""Text clips through drawtext, safely.

User text never enters the filter graph: it is written to a UTF-8 file and drawtext reads it with
``textfile=`` and ``expansion=none`` (so ``%{…}`` is not expanded either). Only the file's path, which
the compiler chooses, and validated colours and numbers appear in the graph, and those go through the
builder's two-level escaping. Quotes, colons, percent signs, backslashes, newlines, emoji and any
script therefore render verbatim (glyphs permitting) and cannot inject filters.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .builder import Stream, num
from .project import TextClip

_FONT_DIRS = [
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    os.path.expanduser("~/.fonts"),
    os.path.expanduser("~/.local/share/fonts"),
    "/Library/Fonts",
    "/System/Library/Fonts",
    os.path.expanduser("~/Library/Fonts"),
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts"),
]
_DEFAULT_FAMILIES = ["DejaVuSans", "NotoSans-Regular", "LiberationSans-Regular", "Arial", "Helvetica", "Roboto-Regular"]


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@functools.lru_cache(maxsize=1)
def _font_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for root in _FONT_DIRS:
        if not os.path.isdir(root):
            continue
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                if f.lower().endswith((".ttf", ".otf", ".ttc")):
                    index.setdefault(_norm(Path(f).stem), os.path.join(dirpath, f))
    return index


@functools.lru_cache(maxsize=64)
def find_font(name: str | None = None) -> str | None:
    """A font file for ``name`` (a path, a file stem or a family), else a default sans; None if none."""
    if name and os.path.isfile(name):
        return name
    index = _font_index()
    if name:
        key = _norm(name)
        if key in index:
            return index[key]
        for stem, path in sorted(index.items()):  # "DejaVu Sans" also finds DejaVuSans-Bold when alone
            if stem.startswith(key):
                return path
    for family in _DEFAULT_FAMILIES:
        if _norm(family) in index:
            return index[_norm(family)]
    # any font beats none; with no file at all drawtext falls back to fontconfig's default
    return next(iter(sorted(index.values())), None)


def write_text_file(directory: str, index: int, text: str) -> str:
    """Write the clip's text to ``directory/text_<index>.txt`` (UTF-8, no trailing newline added)."""
    path = os.path.join(directory, f"text_{index}.txt")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text.replace("\r\n", "\n").replace("\r", "\n"))
    return path


def _position(clip: TextClip) -> tuple[str, str]:
    m = clip.margin
    pos = clip.position
    if pos == "custom":
        return f"w*{num(clip.transform.x)}-text_w/2", f"h*{num(clip.transform.y)}-text_h/2"
    x = "(w-text_w)/2"
    y = "(h-text_h)/2"
    if "left" in pos:
        x = str(m)
    if "right" in pos:
        x = f"w-text_w-{m}"
    if pos.startswith("top"):
        y = str(m)
    if pos.startswith("bottom"):
        y = f"h-text_h-{m}"
    return x, y


def _alpha(clip: TextClip, start: float, end: float) -> str | None:
    parts = []
    if clip.fade_in > 0:
        parts.append(f"(t-{num(start)})/{num(clip.fade_in)}")
    if clip.fade_out > 0:
        parts.append(f"({num(end)}-t)/{num(clip.fade_out)}")
    if not parts and clip.opacity >= 1:
        return None
    ramp = parts[0] if len(parts) == 1 else f"min({parts[0]},{parts[1]})" if parts else "1"
    return f"{num(clip.opacity)}*clip({ramp},0,1)"


def draw_text(stream: Stream, clip: TextClip, start: float, end: float, textfile: str, fontfile: str | None,
              scale: float = 1.0) -> Stream:
    """Draw ``clip`` onto ``stream`` between ``start`` and ``end`` seconds of the composition."""
    x, y = _position(clip)
    options: dict[str, object] = {
        "textfile": textfile,
        "expansion": "none",
        "fontsize": max(1, round(clip.size * scale)),
        "fontcolor": clip.color,
        "x": x,
        "y": y,
        "enable": f"between(t,{num(start)},{num(end)})",
    }
    if fontfile:
        options["fontfile"] = fontfile
    if clip.line_spacing:
        options["line_spacing"] = clip.line_spacing
    if clip.box:
        options.update(box=1, boxcolor=clip.box_color, boxborderw=clip.box_padding)
    if clip.outline:
        options.update(borderw=clip.outline, bordercolor=clip.outline_color)
    alpha = _alpha(clip, start, end)
    if alpha:
        options["alpha"] = alpha
    return stream.filter("drawtext", **options)
