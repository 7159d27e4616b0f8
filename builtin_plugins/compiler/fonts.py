"""Fonts for text clips: find a file by name, refuse missing paths, fall back per script, wrap lines.

drawtext draws every glyph from one font file, so a title mixing scripts would show boxes for the
characters its font lacks. :func:`covering_font` asks fontconfig (``fc-list :charset=…``) for an
installed font that has every character of the text and uses it instead; libass (burned subtitles)
does the same fallback per glyph by itself.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

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



_FONT_EXTENSIONS = (".ttf", ".otf", ".ttc", ".otc", ".pfb", ".woff", ".woff2")


def font_problem(name: str) -> str | None:
    """Why ``name`` cannot be used as a font, or None: a path (or a file name) that does not exist."""
    looks_like_path = os.sep in name or "/" in name or name.lower().endswith(_FONT_EXTENSIONS)
    if looks_like_path and not os.path.isfile(name):
        return (f"font file {name!r} does not exist; give an existing font file or a family name "
                "such as 'DejaVu Sans'")
    return None


def _emoji(ch: str) -> bool:
    return ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) <= 0x27BF or ord(ch) in (0x200D, 0xFE0F)


@functools.lru_cache(maxsize=256)
def _covering(chars: str) -> tuple[str, ...]:
    exe = shutil.which("fc-list")
    if not exe or not chars:
        return ()
    charset = " ".join(f"{ord(c):x}" for c in chars)
    try:
        out = subprocess.run([exe, "--format", "%{file}\\n", f":charset={charset}"], capture_output=True,
                             text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    files = sorted({line.strip() for line in out.splitlines() if line.strip() and os.path.isfile(line.strip())})

    def rank(path: str) -> tuple[int, int, str]:  # a regular sans first, then anything
        stem = Path(path).stem.lower()
        return ("sans" not in stem and "hei" not in stem and "gothic" not in stem,
                any(w in stem for w in ("bold", "italic", "oblique", "light", "mono", "serif")), path)

    return tuple(sorted(files, key=rank))


def covering_font(text: str, preferred: str | None) -> str | None:
    """``preferred`` if it has every character of ``text``, else an installed font that has them all
    (emoji are dropped from the question when no font has them), else ``preferred``."""
    chars = "".join(sorted({c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"}))
    if not chars or all(ord(c) < 0x250 for c in chars):  # Latin: every default font has it
        return preferred
    for wanted in (chars, "".join(c for c in chars if not _emoji(c))):
        found = _covering(wanted)
        if found:
            return preferred if preferred in found else found[0]
    return preferred


def one_font_covers(text: str) -> bool:
    """True when some installed font (or the Latin default) has every character of ``text``; False means
    the text needs per-glyph fallback, which libass does (drawtext draws from one font only)."""
    chars = "".join(sorted({c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"}))
    if not chars or all(ord(c) < 0x250 for c in chars) or not shutil.which("fc-list") or _covering(chars):
        return True
    # characters no installed font has stay boxes either way: libass helps only when the others need
    # more than one font
    known = "".join(c for c in chars if ord(c) < 0x250 or _covering(c))
    return not known or bool(_covering(known))


def family_of(fontfile: str | None) -> str:
    """The family name fontconfig gives ``fontfile`` (for libass), 'sans-serif' when unknown."""
    exe = shutil.which("fc-query")
    if fontfile and exe:
        try:
            out = subprocess.run([exe, "--format", "%{family[0]}", fontfile], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
            if out:
                return out.splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            pass
    return "sans-serif"


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def wrap_text(text: str, fontfile: str | None, size: int, max_width: float) -> str:
    """Break ``text`` so that no line is wider than ``max_width`` pixels in ``fontfile`` at ``size``:
    at spaces, and between any two CJK (wide) characters; a single word wider than the line is split."""
    measure = _measurer(fontfile, size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        tokens: list[str] = []
        for part in paragraph.split(" "):
            word = ""
            for ch in part:
                if _wide(ch):
                    if word:
                        tokens.append(word)
                    tokens.append(ch)
                    word = ""
                else:
                    word += ch
            tokens.append(word + " ")
        line = ""
        for tok in tokens:
            trial = line + tok
            if line and measure(trial.rstrip()) > max_width:
                lines.append(line.rstrip())
                line = tok
                while measure(line.rstrip()) > max_width and len(line.rstrip()) > 1:  # one overlong word
                    cut = len(line)
                    while cut > 1 and measure(line[:cut]) > max_width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            else:
                line = trial
        lines.append(line.rstrip())
    return "\n".join(lines)


def text_block(text: str, fontfile: str | None, size: int, line_spacing: int = 0) -> tuple[float, float]:
    """(width, height) in pixels of ``text`` drawn in ``fontfile`` at ``size`` (an estimate without Pillow)."""
    measure = _measurer(fontfile, size)
    lines = text.split("\n")
    return max(measure(ln) for ln in lines), len(lines) * size * 1.2 + line_spacing * (len(lines) - 1)


@functools.lru_cache(maxsize=32)
def _measurer(fontfile: str | None, size: int):
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(fontfile, size) if fontfile else ImageFont.load_default(size)
        return lambda s: font.getlength(s)
    except (ImportError, OSError):  # a rough width: CJK characters are square, others about half that
        return lambda s: sum(size if _wide(c) else size * 0.55 for c in s)
