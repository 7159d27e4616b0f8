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


def _colour(c: str) -> str:
    return "0x" + c[1:] if c.startswith("#") else c


def gradient_source(g: Graph, clip: GradientClip, width: int, height: int, fps: str, duration: float) -> Stream:
    """A still gradient filling the canvas: linear along ``angle`` (0° left to right, 90° top to bottom)
    from the first colour to the last, or radial from the centre (first) to the corners (last)."""
    opts: dict[str, object] = {f"c{i}": _colour(c) for i, c in enumerate(clip.colors)}
    if clip.kind == "linear":
        a = math.radians(clip.angle)
        dx, dy = math.cos(a), math.sin(a)
        half = abs(width * dx) / 2 + abs(height * dy) / 2  # the corners along the direction are the ends
        x0, y0 = width / 2 - dx * half, height / 2 - dy * half
        x1, y1 = width / 2 + dx * half, height / 2 + dy * half
        # FFmpeg 9's gradients misdraws a line that is exactly horizontal or vertical (the middle of a
        # red-to-blue line came out almost blue): one pixel of slant avoids it
        if round(y0) == round(y1):
            y1 = round(y1) + 1
        if round(x0) == round(x1):
            x1 = round(x1) + 1
        kind = "linear"
    else:
        x0, y0, x1, y1, kind = width / 2, height / 2, 0, 0, "radial"
    opts.update(s=f"{width}x{height}", r=fps, d=num(duration), n=len(clip.colors), type=kind, speed=0,
                x0=round(x0), y0=round(y0), x1=round(x1), y1=round(y1))
    return g.source("gradients", "v", **opts).filter("format", pix_fmts="yuv420p")
