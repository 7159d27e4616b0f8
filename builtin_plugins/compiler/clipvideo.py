"""One visual clip's filter chain: source and time (reverse, freeze, loop, speed ramp), crop, fit
(contain, cover, fill, contain-blur, a layout cell), mask, effects, fades, opacity, scale, rotation.

Everything inside the chain runs on the clip's own clock (0 at its first frame), so keyframe times,
which count from the clip's start, are used as they are. Values that change every frame use
FFmpeg's per-frame expressions (scale ``eval=frame``, rotate's angle); options that have no
expression of their own are driven by a ``sendcmd`` file with ``[expr]`` commands (opacity through
colorchannelmixer's ``aa``, keyframed effect parameters).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from .builder import Graph, Stream, labelled, merge, num
from .effects import EffectContext
from .keyframes import animated, expression, first
from .masks import apply_mask, gradient_source
from .project import ColorClip, GradientClip, MediaClip
from .timeline import RClip, Timeline


@dataclass
class Commands:
    """Writes sendcmd files into the render's work folder and hands out filter instance labels."""

    workdir: str
    prefix: str = "v"
    count: int = 0
    files: list[str] = field(default_factory=list)

    def label(self) -> str:
        self.count += 1
        return f"{self.prefix}k{self.count}"

    def _path(self) -> str:
        return os.path.join(self.workdir, f"commands_{self.prefix}{len(self.files)}.txt")

    def drive(self, s: Stream, targets: list[tuple[str, str, str]], audio: bool = False) -> Stream:
        """Insert a (a)sendcmd that sets each ``(filter@label, option, expression)`` on every frame."""
        path = self._path()
        lines = [f"0-86400000 [expr] {target} {option} '{expr}';" for target, option, expr in targets]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        self.files.append(path)
        return s.filter("asendcmd" if audio else "sendcmd", f=path)

    def steps(self, s: Stream, target: str, option: str, pieces: list[tuple[float, float, str]],
              audio: bool = False) -> Stream:
        """Insert a (a)sendcmd that sets ``option`` to each piece's value from its start on."""
        path = self._path()
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("".join(f"{num(a)} {target} {option} {value};\n" for a, _b, value in pieces))
        self.files.append(path)
        return s.filter("asendcmd" if audio else "sendcmd", f=path)


def even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def placed(rc: RClip) -> bool:
    """A clip drawn at its own size and place (not a full-canvas layer)."""
    c = rc.clip
    return c.layout is not None or not c.transform.is_identity() and not (
        c.transform.crop is not None and c.transform.crop.animated() and _only_crop(c.transform))


def _only_crop(t) -> bool:
    return (t.x, t.y, t.scale, t.rotation) == (0.5, 0.5, 1.0, 0.0)


def target_size(tl: Timeline, rc: RClip) -> tuple[int, int]:
    """The box the clip is fitted into: the canvas, its layout cell, or the canvas times its (first) scale."""
    s = tl.project.settings
    if rc.clip.layout is not None:
        _cx, _cy, w, h = rc.clip.layout.box(s.width, s.height)
        return even(w), even(h)
    if not placed(rc):
        return s.width, s.height
    k = first(rc.clip.transform.scale) if not animated(rc.clip.transform.scale) else 1.0
    return even(s.width * k), even(s.height * k)


def _source(g: Graph, tl: Timeline, rc: RClip) -> tuple[Stream, int | None, int | None]:
    s = tl.project.settings
    W, H, fps = s.width, s.height, s.fps
    clip = rc.clip
    dur = tl.seconds(rc.frames)
    if isinstance(clip, ColorClip):
        return g.source("color", "v", c=clip.color, s=f"{W}x{H}", r=fps, d=num(dur)), W, H
    if isinstance(clip, GradientClip):
        return gradient_source(g, clip, W, H, fps, dur), W, H
    assert isinstance(clip, MediaClip) and rc.source is not None
    src_w, src_h = rc.source.width, rc.source.height
    one = 1 / float(tl.rate)
    if rc.source.is_image:
        v = g.input(clip.source, loop=1, framerate=fps, t=num(dur)).video
    elif clip.freeze is not None:  # one frame, held
        v = g.input(clip.source, "an", ss=num(clip.freeze), t=num(2 * one)).video
        v = v.filter("trim", end_frame=1).filter("setpts", expr="PTS-STARTPTS")
        v = v.filter("tpad", stop_mode="clone", stop_duration=num(dur + 2 * one))
    elif clip.loop:
        length = _loop_length(rc)
        if clip.source_in == 0 and clip.source_out is None:
            v = g.input(clip.source, "an", stream_loop=-1, t=num((dur + 2 * one) * rc.speed)).video
            v = v.filter("setpts", expr="PTS-STARTPTS")
        else:  # a range of the file: decoded once, repeated from memory
            n = max(1, round(length * float(tl.rate)))
            v = g.input(clip.source, "an", ss=num(clip.source_in), t=num(length + 2 * one)).video
            v = v.filter("setpts", expr="PTS-STARTPTS").filter("fps", fps=fps).filter("trim", end_frame=n)
            v = v.filter("loop", loop=-1, size=n).filter("setpts", expr="N/FRAME_RATE/TB")
        if rc.speed != 1:
            v = v.filter("setpts", expr=f"PTS/{num(rc.speed)}")
    else:
        length = (dur + 2 * one) * rc.speed
        v = g.input(clip.source, "an", ss=num(clip.source_in), t=num(length)).video
        if rc.ramp:
            v = v.filter("setpts", expr=f"({ramp_expression(rc.ramp)})/TB")
        else:
            v = v.filter("setpts", expr="PTS-STARTPTS" if rc.speed == 1 else f"(PTS-STARTPTS)/{num(rc.speed)}")
        if clip.reverse:  # the exact range, then backwards (held in memory: keep reversed clips short)
            v = v.filter("fps", fps=fps).filter("trim", end_frame=rc.frames).filter("reverse")
            v = v.filter("setpts", expr="N/FRAME_RATE/TB")
    v = v.filter("fps", fps=fps).filter("trim", end_frame=rc.frames)
    return v, src_w, src_h


def _loop_length(rc: RClip) -> float:
    clip = rc.clip
    end = clip.source_out if clip.source_out is not None else (rc.source.duration or 0)
    return max(1e-3, end - clip.source_in)


def ramp_expression(ramp: list[tuple[float, float, float]]) -> str:
    """setpts for a speed ramp: output time as a function of the source time T (constant pieces)."""
    src = 0.0
    bounds = []
    for t0, t1, v in ramp:
        bounds.append((src, t0, v))
        src += (t1 - t0) * v
    expr = ""
    for i in range(len(bounds) - 1, -1, -1):
        s0, t0, v = bounds[i]
        piece = f"{num(t0)}+(T-STARTT-{num(s0)})/{num(v)}"
        expr = piece if not expr else f"if(lt(T-STARTT,{num(bounds[i + 1][0])}),{piece},{expr})"
    return expr


def ramp_source_pieces(ramp: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """The ramp's pieces in source time: (source start, source end, speed)."""
    src, out = 0.0, []
    for t0, t1, v in ramp:
        out.append((src, src + (t1 - t0) * v, v))
        src += (t1 - t0) * v
    return out


def _fit(v: Stream, tl: Timeline, rc: RClip, src_w, src_h, tw: int, th: int) -> tuple[Stream, int, int]:
    """Fit the source into tw x th; returns (stream, frame width, frame height)."""
    clip = rc.clip
    fit = clip.layout.fit if clip.layout is not None else clip.transform.fit
    if (src_w, src_h) == (tw, th):
        return v, tw, th  # nothing to scale (E1's case: its graph stays what a person would write)
    if not (src_w and src_h):
        return v.filter("scale", w=tw, h=th).filter("setsar", r=1), tw, th
    if fit == "fill":
        return v.filter("scale", w=tw, h=th).filter("setsar", r=1), tw, th
    if fit in ("cover", "contain-blur"):
        k = max(tw / src_w, th / src_h)
        cover = lambda s: s.filter("scale", w=max(tw, even(src_w * k)), h=max(th, even(src_h * k))).filter(
            "crop", w=tw, h=th).filter("setsar", r=1)
        if fit == "cover":
            return cover(v), tw, th
        # contain-blur: the picture contained, on a blurred, darkened copy of itself that covers the box
        back, front = v.split(2)
        back = cover(back).filter("gblur", sigma=max(4, round(min(tw, th) / 30))).filter("eq", brightness=-0.08)
        k = min(tw / src_w, th / src_h)
        front = front.filter("scale", w=min(tw, even(src_w * k)), h=min(th, even(src_h * k))).filter("setsar", r=1)
        return merge("overlay", [back, front], x="(W-w)/2", y="(H-h)/2"), tw, th
    k = min(tw / src_w, th / src_h)
    fw, fh = min(tw, even(src_w * k)), min(th, even(src_h * k))
    return v.filter("scale", w=fw, h=fh).filter("setsar", r=1), fw, fh


def clip_video(g: Graph, tl: Timeline, rc: RClip, alpha: bool, cmds: Commands) -> Stream:
    """The clip's picture, ready to be overlaid (or to be the base when not ``alpha``)."""
    s = tl.project.settings
    W, H, fps = s.width, s.height, s.fps
    clip = rc.clip
    dur = tl.seconds(rc.frames)
    is_placed = placed(rc)
    v, src_w, src_h = _source(g, tl, rc)
    t = clip.transform
    crop = t.crop
    if crop is not None and not crop.animated():
        v = v.filter("crop", w=f"iw*{num(1 - crop.left - crop.right)}", h=f"ih*{num(1 - crop.top - crop.bottom)}",
                     x=f"iw*{num(crop.left)}", y=f"ih*{num(crop.top)}")
        if src_w and src_h:
            src_w, src_h = src_w * (1 - crop.left - crop.right), src_h * (1 - crop.top - crop.bottom)
    tw, th = target_size(tl, rc)
    v, fw, fh = _fit(v, tl, rc, src_w, src_h, tw, th)
    needs_alpha = alpha or clip.mask is not None or (crop is not None and crop.animated())
    v = v.filter("format", pix_fmts="yuva420p" if needs_alpha else "yuv420p")
    if clip.mask is not None:
        v = apply_mask(g, v, clip.mask, fw, fh, fps, dur, rc.frames)
    if crop is not None and crop.animated():  # keyframed crop hides the cut sides (a moving rectangle mask)
        v = apply_mask(g, v, _crop_mask(crop), fw, fh, fps, dur, rc.frames)
    if not is_placed and (fw, fh) != (W, H):
        pad = "black@0" if alpha else s.background
        v = v.filter("pad", w=W, h=H, x="(ow-iw)/2", y="(oh-ih)/2", color=pad)
        fw, fh = W, H
    ctx = EffectContext(fw, fh, fps, dur)
    for spec, params in rc.effects:
        if spec.kind == "video":
            v = apply_effect(v, spec, params, ctx, cmds)
    if any(spec.makes_alpha for spec, _ in rc.effects) and not alpha:
        v = v.filter("format", pix_fmts="yuv420p")
    elif needs_alpha and not alpha:
        v = v.filter("format", pix_fmts="yuv420p")  # a masked base layer: flattened onto black
    if clip.fade_in > 0:
        v = v.filter("fade", t="in", st=0, d=clip.fade_in, **({"alpha": 1} if alpha else {"color": s.background}))
    if clip.fade_out > 0:
        st = max(0.0, dur - clip.fade_out)
        v = v.filter("fade", t="out", st=st, d=clip.fade_out, **({"alpha": 1} if alpha else {"color": s.background}))
    if animated(clip.opacity):
        label = cmds.label()
        v = cmds.drive(v, [(f"colorchannelmixer@{label}", "aa", expression(clip.opacity, "T"))])
        v = v.filter(f"colorchannelmixer@{label}", aa=first(clip.opacity))
    elif clip.opacity < 1:
        v = v.filter("colorchannelmixer", aa=clip.opacity)
    if is_placed and animated(t.scale) and clip.layout is None:
        k = expression(t.scale, "t")
        v = v.filter("scale", w=f"max(2,trunc({fw}*{k}/2)*2)", h=f"max(2,trunc({fh}*{k}/2)*2)", eval="frame")
    if is_placed and (animated(t.rotation) or first(t.rotation)):
        if animated(t.rotation):
            v = v.filter("rotate", a=f"({expression(t.rotation, 't')})*PI/180", ow="hypot(iw,ih)",
                         oh="hypot(iw,ih)", c="none")
        else:
            rad = num(math.radians(t.rotation))
            v = v.filter("rotate", a=rad, ow=f"rotw({rad})", oh=f"roth({rad})", c="none")
    return v


def _crop_mask(crop):
    """A keyframed crop as a rectangle mask whose edges follow the four sides (sampled 8 times a segment)."""
    from .keyframes import Keyframe, value_at
    from .project import Mask

    sides = (crop.left, crop.right, crop.top, crop.bottom)
    keys = sorted({k.time for v in sides if animated(v) for k in v})
    times = sorted({a + (b - a) * i / 8 for a, b in zip(keys, keys[1:]) for i in range(8)} | set(keys))

    def kf(fn):
        return [Keyframe(time=tm, value=fn(*(value_at(v, tm) for v in sides))) for tm in times]

    return Mask(shape="rectangle", x=kf(lambda l, r, t, b: (l + 1 - r) / 2), y=kf(lambda l, r, t, b: (t + 1 - b) / 2),
                width=kf(lambda l, r, t, b: max(0.0, 1 - l - r)), height=kf(lambda l, r, t, b: max(0.0, 1 - t - b)))


def apply_effect(v: Stream, spec, params, ctx: EffectContext, cmds: Commands, audio: bool = False) -> Stream:
    """Apply one effect; its keyframed parameters are sent to its filters on every (audio) frame."""
    keyed = getattr(params, "_keyframes", None) or {}
    if not keyed:
        return spec.apply(v, params, ctx)
    filters = {f for name in keyed for f, _o, _t in spec.animate[name]}
    labels = {f: cmds.label() for f in filters}
    targets = [(f"{f}@{labels[f]}", option, template.replace("{v}", f"({expression(keyed[name], 'T')})"))
               for name in keyed for f, option, template in spec.animate[name]]
    v = cmds.drive(v, targets, audio=audio)
    with labelled(labels):
        return spec.apply(v, params, ctx)
