"""Text clips through drawtext, safely.

User text never enters the filter graph: it is written to a UTF-8 file and drawtext reads it with
``textfile=`` and ``expansion=none`` (so ``%{…}`` is not expanded either). Only the file's path, which
the compiler chooses, and validated colours and numbers appear in the graph, and those go through the
builder's two-level escaping. Quotes, colons, percent signs, backslashes, newlines, emoji and any
script therefore render verbatim (glyphs permitting) and cannot inject filters.
"""

from __future__ import annotations

import os

from .builder import Stream, num
from .keyframes import animated, expression
from .project import TextClip

from .fonts import covering_font, find_font, font_problem, text_block, wrap_text  # noqa: F401  (re-exported)


def write_text_file(directory: str, index: int, text: str) -> str:
    """Write the clip's text to ``directory/text_<index>.txt`` (UTF-8, no trailing newline added)."""
    path = os.path.join(directory, f"text_{index}.txt")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text.replace("\r\n", "\n").replace("\r", "\n"))
    return path


def _position(clip: TextClip, start: float = 0.0) -> tuple[str, str]:
    m = clip.margin
    pos = clip.position
    if clip.style == "lower-third":
        pos = "bottom-left"
    elif clip.style == "news":
        pos = "bottom-left"
    if pos == "custom":
        clock = f"(t-{num(start)})"  # keyframes count from the clip's start
        return (f"w*{expression(clip.transform.x, clock)}-text_w/2",
                f"h*{expression(clip.transform.y, clock)}-text_h/2")
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
    fade_in, fade_out = clip.fade_in, clip.fade_out
    if clip.animation is not None and clip.animation.type == "fade":
        fade_in = fade_out = clip.animation.duration
    if fade_in > 0:
        parts.append(f"(t-{num(start)})/{num(fade_in)}")
    if fade_out > 0:
        parts.append(f"({num(end)}-t)/{num(fade_out)}")
    opacity = clip.opacity
    if not parts and not animated(opacity) and opacity >= 1:
        return None
    ramp = parts[0] if len(parts) == 1 else f"min({parts[0]},{parts[1]})" if parts else "1"
    return f"{expression(opacity, f'(t-{num(start)})')}*clip({ramp},0,1)"


def prepare(clip: TextClip, fontfile: str | None, width: int, scale: float = 1.0) -> tuple[str, str | None]:
    """The text to draw (wrapped when asked) and the font that has all its glyphs."""
    font = covering_font(clip.text, fontfile)
    text = clip.text.replace("\r\n", "\n").replace("\r", "\n")
    if clip.wrap:
        size = max(1, round(clip.size * scale))
        pad = (clip.box_padding if clip.box or clip.background else 0) * scale
        text = wrap_text(text, font, size, width * clip.box_width - 2 * pad)
    return text, font


def draw_text(stream: Stream, clip: TextClip, start: float, end: float, textfile: str, fontfile: str | None,
              scale: float = 1.0, text: str | None = None, extra_files: list[str] | None = None) -> Stream:
    """Draw ``clip`` onto ``stream`` between ``start`` and ``end`` seconds of the composition.

    ``fontfile`` must already be the covering font (:func:`prepare`); ``text`` is the prepared text
    (for layout sizes); ``extra_files`` hold the typewriter's growing prefixes.
    """
    x, y = _position(clip, start)
    size = max(1, round(clip.size * scale))
    anim = clip.animation
    u = f"clip((t-{num(start)})/{num(anim.duration)},0,1)" if anim else "1"
    out_ease = f"(1-(1-{u})*(1-{u}))"  # ease-out: fast, then settling
    if anim is not None and anim.type.startswith("slide-"):
        side = anim.type[6:]
        if side == "left":
            x = f"({x})-(1-{out_ease})*(({x})+text_w)"
        elif side == "right":
            x = f"({x})+(1-{out_ease})*(w-({x}))"
        elif side == "up":
            y = f"({y})+(1-{out_ease})*(h-({y}))"
        else:
            y = f"({y})-(1-{out_ease})*(({y})+text_h)"
    options: dict[str, object] = {
        "expansion": "none",
        "fontsize": size,
        "fontcolor": clip.color,
        "x": x,
        "y": y,
    }
    if anim is not None and anim.type == "pop":  # grow with a small overshoot (easeOutBack)
        options["fontsize"] = f"max(1,{size}*(1+2.70158*pow({u}-1,3)+1.70158*pow({u}-1,2)))"
    if fontfile:
        options["fontfile"] = fontfile
    elif clip.font:
        options["font"] = clip.font  # a family fontconfig resolves
    if clip.line_spacing:
        options["line_spacing"] = clip.line_spacing
    box_color = clip.background if clip.background and clip.style == "plain" else clip.box_color if clip.box else None
    if box_color:
        options.update(box=1, boxcolor=box_color, boxborderw=round(clip.box_padding * scale))
    if clip.outline:
        options.update(borderw=clip.outline, bordercolor=clip.outline_color)
    alpha = _alpha(clip, start, end)
    if alpha:
        options["alpha"] = alpha
    if clip.style != "plain":
        stream = _band(stream, clip, start, end, text or clip.text, fontfile, size, scale, x, u, out_ease)
    if not extra_files:
        return stream.filter("drawtext", textfile=textfile, **options, enable=f"between(t,{num(start)},{num(end)})")
    n = len(extra_files)  # typewriter: ever longer prefixes, one after the other
    for i, path in enumerate(extra_files):
        a = start + anim.duration * i / n
        b = start + anim.duration * (i + 1) / n
        enable = f"between(t,{num(a)},{num(end)})" if i == n - 1 else f"gte(t,{num(a)})*lt(t,{num(b)})"
        stream = stream.filter("drawtext", textfile=path, **options, enable=enable)
    return stream


def _band(stream: Stream, clip: TextClip, start: float, end: float, text: str, fontfile: str | None, size: int,
          scale: float, x: str, u: str, ease: str) -> Stream:
    """The background of a lower third (a bar behind the text) or a news title (a full-width band)."""
    tw, th = text_block(text, fontfile, size, clip.line_spacing)
    pad = round(clip.box_padding * scale) or 1
    m = clip.margin
    colour = clip.background or clip.box_color
    bh = round(th + 2 * pad)
    y = f"ih-{m}-{round(th)}-{pad}"
    if clip.style == "news":
        bx, bw = "0", "iw"
        accent = {"x": 0, "y": f"{y}-{max(2, pad // 2)}", "w": "iw", "h": max(2, pad // 2), "color": clip.color}
    else:
        bw = str(round(tw + 2 * pad))
        bx = f"{m}-{pad}"
        if clip.animation is not None and clip.animation.type == "slide-left":  # the bar slides with the text
            bx = f"({m}-{pad})-(1-{ease})*({m}+{round(tw)})"
        accent = {"x": bx, "y": y, "w": max(3, pad // 2), "h": bh, "color": clip.color}
    enable = f"between(t,{num(start)},{num(end)})"
    stream = stream.filter("drawbox", x=bx, y=y, w=bw, h=bh, color=colour, t="fill", enable=enable)
    return stream.filter("drawbox", **accent, t="fill", enable=enable)
