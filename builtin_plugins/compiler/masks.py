"""Masks (rectangle, ellipse, image, luma; feathered, keyframed, inverted) and gradient backgrounds.

A mask is a grey picture the size of the clip's fitted frame that becomes its alpha (alphamerge).
Shapes are drawn by ``geq`` from the signed distance to the edge, so ``feather`` pixels blend
linearly across the edge (half inside, half outside; at least one pixel, which anti-aliases hard
edges). A shape without keyframes is drawn once and repeated (``loop``); a keyframed one is drawn
on every frame with the keyframes as expressions of ``T``. Image masks use a picture's alpha,
luma masks its brightness; both are scaled to the clip, feathered by a blur.
"""

from __future__ import annotations

import math

from .builder import Graph, Stream, merge, num
from .keyframes import animated, expression
from .project import GradientClip, Mask


def _shape_expression(mask: Mask) -> str:
    cx = f"(W*{expression(mask.x, 'T')})"
    cy = f"(H*{expression(mask.y, 'T')})"
    hw = f"(W*{expression(mask.width, 'T')}/2)"
    hh = f"(H*{expression(mask.height, 'T')}/2)"
    if mask.shape == "rectangle":
        d = f"min(min(X-({cx}-{hw}),({cx}+{hw})-X),min(Y-({cy}-{hh}),({cy}+{hh})-Y))"
    else:  # distance to an ellipse's edge, scaled by its smaller radius (exact for circles)
        d = f"(1-hypot((X-{cx})/max({hw},0.001),(Y-{cy})/max({hh},0.001)))*min({hw},{hh})"
    inside = f"clip(({d})/{num(max(1.0, mask.feather))}+0.5,0,1)"
    return f"255*(1-{inside})" if mask.invert else f"255*{inside}"


def mask_stream(g: Graph, mask: Mask, width: int, height: int, fps: str, duration: float, frames: int) -> Stream:
    """The mask as a grey stream of ``frames`` frames of ``width`` x ``height``."""
    if mask.shape in ("image", "luma"):
        assert mask.source is not None
        m = g.input(mask.source, loop=1, framerate=fps, t=num(duration + 0.1)).video
        m = m.filter("scale", w=width, h=height)
        m = m.filter("format", pix_fmts="rgba").filter("alphaextract") if mask.shape == "image" else \
            m.filter("format", pix_fmts="gray")
        if mask.feather > 0:
            m = m.filter("gblur", sigma=num(mask.feather / 2))
        if mask.invert:
            m = m.filter("negate")
        return m.filter("fps", fps=fps).filter("trim", end_frame=frames).filter("setpts", expr="PTS-STARTPTS")
    moving = any(animated(v) for v in (mask.x, mask.y, mask.width, mask.height))
    one = 1 / _rate(fps)
    m = g.source("color", "v", c="black", s=f"{width}x{height}", r=fps, d=num(duration + one if moving else one))
    m = m.filter("format", pix_fmts="gray").filter("geq", lum=_shape_expression(mask))
    if not moving:  # drawn once, then repeated: geq per pixel is the costly part
        m = m.filter("loop", loop=-1, size=1)
    return m.filter("trim", end_frame=frames).filter("setpts", expr="N/FRAME_RATE/TB")


def apply_mask(g: Graph, v: Stream, mask: Mask, width: int, height: int, fps: str, duration: float,
               frames: int) -> Stream:
    """``v`` (with an alpha channel) showing only where ``mask`` is white."""
    m = mask_stream(g, mask, width, height, fps, duration, frames)
    v = v.filter("setpts", expr="N/FRAME_RATE/TB")  # both inputs on the same clock for framesync
    return merge("alphamerge", [v, m])


def _rate(fps: str) -> float:
    n, _, d = fps.partition("/")
    return float(n) / float(d or 1)


def rgba(colour: str) -> tuple[int, int, int, int]:
    """(r, g, b, a) of a validated colour: #RRGGBB[AA] or a CSS/FFmpeg colour name, with an optional @alpha."""
    base, _, alpha = colour.partition("@")
    if base.startswith("#"):
        r, g, b = (int(base[i:i + 2], 16) for i in (1, 3, 5))
        a = int(base[7:9], 16) if len(base) == 9 else 255
    else:
        try:
            from PIL import ImageColor

            r, g, b = ImageColor.getrgb(base)[:3]
        except (ImportError, ValueError):
            raise ValueError(f"colour {colour!r} is not a name reelkit knows for gradients; use #RRGGBB") from None
        a = 255
    if alpha:
        a = round(float(alpha) * 255)
    return r, g, b, a


def _ramp(values: list[int], t: str) -> str:
    """Piecewise-linear interpolation of ``values`` (evenly spaced) at the expression ``t`` in 0 … 1."""
    n = len(values) - 1
    out = str(values[-1])
    for k in range(n - 1, -1, -1):
        piece = f"({values[k]}+({values[k + 1] - values[k]})*({t}*{n}-{k}))"
        out = piece if k == n - 1 else f"if(lt({t}*{n},{k + 1}),{piece},{out})"
    return out


def gradient_source(g: Graph, clip: GradientClip, width: int, height: int, fps: str, duration: float) -> Stream:
    """A still gradient filling the canvas: linear along ``angle`` (0° left to right, 90° top to bottom)
    from the first colour to the last, or radial from the centre (first) to the corners (last).

    Drawn once by geq and repeated: FFmpeg 9's own ``gradients`` source drew a different picture from
    run to run (a horizontal red-to-blue line came out red-to-blue, or all blue).
    """
    if clip.kind == "linear":
        a = math.radians(clip.angle)
        dx, dy = math.cos(a), math.sin(a)
        half = abs(width * dx) / 2 + abs(height * dy) / 2  # the corners along the direction are the ends
        t = f"clip(((X-{num(width / 2)})*{num(dx)}+(Y-{num(height / 2)})*{num(dy)})/{num(2 * half)}+0.5,0,1)"
    else:
        t = f"clip(hypot(X-{num(width / 2)},Y-{num(height / 2)})/{num(math.hypot(width / 2, height / 2))},0,1)"
    colours = [rgba(c) for c in clip.colors]
    alpha = any(c[3] < 255 for c in colours)
    planes = {ch: _ramp([c[i] for c in colours], t) for i, ch in enumerate("rgb")}
    if alpha:
        planes["a"] = _ramp([c[3] for c in colours], t)
    one = 1 / _rate(fps)
    v = g.source("color", "v", c="black", s=f"{width}x{height}", r=fps, d=num(one))
    v = v.filter("format", pix_fmts="gbrap" if alpha else "gbrp").filter("geq", **planes)
    frames = max(1, round(duration * _rate(fps)))
    v = v.filter("loop", loop=-1, size=1).filter("trim", end_frame=frames).filter("setpts", expr="N/FRAME_RATE/TB")
    return v.filter("format", pix_fmts="yuva420p" if alpha else "yuv420p")
