"""Titles that no single font can draw (say CJK and emoji together), rendered by libass.

drawtext draws every glyph from one font file; libass asks fontconfig for a fallback font glyph by
glyph. Such a title becomes a one-event ASS file drawn with the ``subtitles`` filter: the same text,
size, colours, outline, box or background, position and margin, fades (``\\fad``) and opacity;
slides become ``\\move``, pop a ``\\t`` on the scale; typewriter shows the whole text (karaoke
timing in ASS would colour, not reveal).
"""

from __future__ import annotations

import os

from .builder import Stream
from .fonts import family_of
from .keyframes import first
from .project import TextClip

# ASS numpad alignment for each position
_ALIGN = {"bottom-left": 1, "bottom": 2, "bottom-right": 3, "left": 4, "center": 5, "right": 6, "top-left": 7,
          "top": 8, "top-right": 9, "custom": 5}


def _colour(c: str, opacity: float = 1.0) -> str:
    """&HAABBGGRR from #RRGGBB[AA] or a colour name (the names drawtext knows that ASS does not: white)."""
    names = {"white": "FFFFFF", "black": "000000", "red": "FF0000", "green": "008000", "blue": "0000FF",
             "yellow": "FFFF00"}
    base, _, alpha = c.partition("@")
    hexa = base[1:] if base.startswith("#") else names.get(base.lower(), "FFFFFF")
    a = float(alpha) if alpha else (int(hexa[6:8], 16) / 255 if len(hexa) == 8 else 1.0)
    a = max(0.0, min(1.0, a * opacity))
    return f"&H{round((1 - a) * 255):02X}{hexa[4:6]}{hexa[2:4]}{hexa[0:2]}".upper()


def _time(t: float) -> str:
    cs = max(0, round(t * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")


def write_ass(path: str, clip: TextClip, text: str, font: str | None, start: float, end: float, width: int,
              height: int, scale: float) -> str:
    """Write the title as an ASS file sized to the canvas."""
    pos = "bottom-left" if clip.style in ("lower-third", "news") else clip.position
    size = max(1, round(clip.size * scale))
    boxed = clip.box or clip.background is not None
    box = clip.background or clip.box_color
    outline_colour = _colour(box) if boxed else _colour(clip.outline_color)
    border = round(clip.box_padding * scale) if boxed else clip.outline
    margin = round(clip.margin * scale)
    style = (f"Style: T,{family_of(font)},{size},{_colour(clip.color, first(clip.opacity))},&H000000FF,"
             f"{outline_colour},{_colour(box) if boxed else '&H00000000'},0,0,0,0,100,100,0,0,"
             f"{3 if boxed else 1},{border},0,{_ALIGN[pos]},{margin},{margin},{margin},1")
    tags = []
    fade_in, fade_out = clip.fade_in, clip.fade_out
    anim = clip.animation
    if anim is not None and anim.type == "fade":
        fade_in = fade_out = anim.duration
    if fade_in or fade_out:
        tags.append(f"\\fad({round(fade_in * 1000)},{round(fade_out * 1000)})")
    if pos == "custom":
        tags.append(f"\\pos({round(width * first(clip.transform.x))},{round(height * first(clip.transform.y))})")
    if anim is not None and anim.type == "pop":
        ms = round(anim.duration * 1000)
        tags.append(f"\\fscx20\\fscy20\\t(0,{ms},0.5,\\fscx100\\fscy100)")
    if anim is not None and anim.type.startswith("slide-"):
        cx, cy = width // 2, height // 2
        fx, fy = {"left": (-width // 2, cy), "right": (width + width // 2, cy), "up": (cx, height * 2),
                  "down": (cx, -height)}[anim.type[6:]]
        tags = [t for t in tags if not t.startswith("\\pos")]
        tags.append(f"\\an5\\move({fx},{fy},{cx},{cy},0,{round(anim.duration * 1000)})")
    body = ("[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
            f"PlayResX: {width}\nPlayResY: {height}\n\n[V4+ Styles]\n"
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
            "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
            "Alignment, MarginL, MarginR, MarginV, Encoding\n"
            f"{style}\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
            f"Dialogue: 0,{_time(start)},{_time(end)},T,,0,0,0,,{{{''.join(tags)}}}{_escape(text)}\n")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(body)
    return path


def draw_with_libass(stream: Stream, path: str) -> Stream:
    """Draw the ASS title file onto ``stream``."""
    return stream.filter("subtitles", filename=os.path.abspath(path))
