"""Plan: turn a resolved timeline into one FFmpeg filter graph and command.

Video: each track's clips form *runs* (clips chained by transitions, joined with xfade). The lowest
track becomes the base directly when one opaque full-frame run covers the whole timeline (the common
case, and as cheap as a hand-written command); otherwise runs are overlaid, shifted to their start,
on a background colour source, so gaps show the background. Text is drawn with drawtext on the
composite at its z-position; subtitles are burned last.

Audio: each clip's audio is trimmed, tempo-adjusted, faded (transitions become crossfades), delayed
to its start and summed by one amix (much less memory than acrossfade chains); ducked tracks get a
sub-mix and sidechaincompress; loudnorm on the master.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .builder import BuiltCommand, Graph, Stream, merge, num
from .effects import EffectContext
from .encoders import OutputPlan
from .project import ColorClip, MediaClip, TextClip, Track
from .text import draw_text, find_font, write_text_file
from .timeline import RClip, Timeline


@dataclass
class PlanOptions:
    """Inputs to planning besides the timeline."""

    exe: str
    output: OutputPlan
    workdir: str  # text files and the long-graph file go here
    subtitles: dict[int, str] = field(default_factory=dict)  # track index -> prepared subtitle file
    text_scale: float = 1.0
    range_start: float | None = None
    range_end: float | None = None


@dataclass
class Plan:
    """A planned render."""

    command: BuiltCommand
    duration: float  # seconds of output
    frames: int


def plan(tl: Timeline, opts: PlanOptions) -> Plan:
    """Build the whole command for ``tl``."""
    g = Graph()
    out = opts.output
    outputs: list = []
    if out.video:
        outputs.append(_video(g, tl, opts))
    if out.audio:
        outputs.append(_audio(g, tl))
    for ti, track in enumerate(tl.project.tracks):
        if track.kind == "subtitle" and track.mode == "soft" and ti in opts.subtitles and out.soft_subtitles:
            inp = g.input(opts.subtitles[ti])
            outputs.append((inp, "s"))
    duration = tl.seconds(tl.frames)
    out_opts = list(out.args)
    if opts.range_start is not None or opts.range_end is not None:
        a = opts.range_start or 0.0
        b = min(duration, opts.range_end if opts.range_end is not None else duration)
        out_opts += ["-ss", num(a), "-t", num(max(b - a, float(1 / tl.rate)))]
        duration = max(b - a, float(1 / tl.rate))
    # otherwise no -t: every stream already ends exactly at the end (trimmed in the graph), and FFmpeg 9's
    # -t (its sync queue) cut AAC audio up to three frames early, differently from run to run
    cmd = g.compile(opts.exe, outputs, out.target, out_opts, out.global_args, graph_dir=opts.workdir)
    return Plan(cmd, duration, round(duration * tl.rate))


# ---------------------------------------------------------------- video

def _runs(clips: list[RClip]) -> list[list[RClip]]:
    runs: list[list[RClip]] = []
    for rc in clips:
        if isinstance(rc.clip, TextClip):
            continue
        if rc.trans_in and runs:
            runs[-1].append(rc)
        else:
            runs.append([rc])
    return runs


def _visual(rc: RClip) -> bool:
    return isinstance(rc.clip, (ColorClip, TextClip)) or (rc.source is not None and rc.source.has_video)


def _direct_base(tl: Timeline) -> int | None:
    """Index of the track that can serve as the base itself, or None."""
    for ti, track in enumerate(tl.project.tracks):
        clips = [c for c in tl.tracks[ti] if _visual(c)] if track.kind in ("video", "text") else []
        if track.kind == "subtitle" and not track.hidden and track.mode == "burn":
            return None  # burned subtitles below the first picture need a base to draw on
        if track.hidden or not clips:
            continue
        if track.kind != "video" or any(isinstance(c.clip, TextClip) for c in clips):
            return None
        runs = _runs(clips)
        if len(runs) != 1 or runs[0][0].start != 0 or runs[0][-1].end != tl.frames:
            return None
        ok = all(
            c.clip.transform.is_identity() and c.clip.opacity >= 1 and not any(spec.makes_alpha for spec, _ in c.effects)
            and not (isinstance(c.clip, ColorClip) and "@" in c.clip.color)
            for c in runs[0]
        )
        return ti if ok else None
    return None


def _clip_video(g: Graph, tl: Timeline, rc: RClip, alpha: bool, placed: bool) -> Stream:
    s = tl.project.settings
    W, H, fps = s.width, s.height, s.fps
    clip = rc.clip
    dur = tl.seconds(rc.frames)
    if isinstance(clip, ColorClip):
        v = g.source("color", "v", c=clip.color, s=f"{W}x{H}", r=fps, d=num(dur))
        src_w, src_h = W, H
    else:
        assert isinstance(clip, MediaClip) and rc.source is not None
        src_w, src_h = rc.source.width, rc.source.height
        if rc.source.is_image:
            v = g.input(clip.source, loop=1, framerate=fps, t=num(dur)).video
        else:
            v = _input(g, tl, rc).video
            v = v.filter("setpts", expr="PTS-STARTPTS" if rc.speed == 1 else f"(PTS-STARTPTS)/{num(rc.speed)}")
        v = v.filter("fps", fps=fps).filter("trim", end_frame=rc.frames)
    t = clip.transform
    if t.crop is not None:
        c = t.crop
        v = v.filter("crop", w=f"iw*{num(1 - c.left - c.right)}", h=f"ih*{num(1 - c.top - c.bottom)}",
                     x=f"iw*{num(c.left)}", y=f"ih*{num(c.top)}")
        if src_w and src_h:
            src_w, src_h = src_w * (1 - c.left - c.right), src_h * (1 - c.top - c.bottom)
    tw, th = (_even(W * t.scale), _even(H * t.scale)) if placed else (W, H)
    fw, fh = tw, th  # the clip's frame size after fitting: effects and transitions rely on knowing it
    if (src_w, src_h) != (tw, th):
        if t.fit == "fill" or not (src_w and src_h):
            v = v.filter("scale", w=tw, h=th)
        elif t.fit == "cover":
            k = max(tw / src_w, th / src_h)
            v = v.filter("scale", w=max(tw, _even(src_w * k)), h=max(th, _even(src_h * k))).filter("crop", w=tw, h=th)
        else:
            k = min(tw / src_w, th / src_h)
            fw, fh = min(tw, _even(src_w * k)), min(th, _even(src_h * k))
            v = v.filter("scale", w=fw, h=fh)
            if not placed:
                pad = "black@0" if alpha else s.background
                v = v.filter("format", pix_fmts="yuva420p" if alpha else "yuv420p")
                v = v.filter("pad", w=W, h=H, x="(ow-iw)/2", y="(oh-ih)/2", color=pad)
                fw, fh = W, H
        v = v.filter("setsar", r=1)
    v = v.filter("format", pix_fmts="yuva420p" if alpha else "yuv420p")
    ctx = EffectContext(fw, fh, fps, dur)
    for spec, params in rc.effects:
        if spec.kind == "video":
            v = spec.apply(v, params, ctx)
    if any(spec.makes_alpha for spec, _ in rc.effects) and not alpha:
        v = v.filter("format", pix_fmts="yuv420p")
    if clip.fade_in > 0:
        v = v.filter("fade", t="in", st=0, d=clip.fade_in, **({"alpha": 1} if alpha else {"color": s.background}))
    if clip.fade_out > 0:
        st = max(0.0, dur - clip.fade_out)
        v = v.filter("fade", t="out", st=st, d=clip.fade_out, **({"alpha": 1} if alpha else {"color": s.background}))
    if clip.opacity < 1:
        v = v.filter("colorchannelmixer", aa=clip.opacity)
    if placed and t.rotation:
        rad = num(math.radians(t.rotation))
        v = v.filter("rotate", a=rad, ow=f"rotw({rad})", oh=f"roth({rad})", c="none")
    return v


def _input(g: Graph, tl: Timeline, rc: RClip):
    """The clip's video input (two spare frames; trimmed exactly later); its audio has its own."""
    clip = rc.clip
    length = (tl.seconds(rc.frames) + 2 / float(tl.rate)) * rc.speed
    return g.input(clip.source, "an", ss=num(clip.source_in), t=num(length))


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def _video(g: Graph, tl: Timeline, opts: PlanOptions) -> Stream:
    s = tl.project.settings
    fps = s.fps
    direct = _direct_base(tl)
    base: Stream | None = None
    if direct is None:
        base = g.source("color", "v", c=s.background, s=f"{s.width}x{s.height}", r=fps, d=num(tl.seconds(tl.frames)))
    text_index = 0
    for ti, track in enumerate(tl.project.tracks):
        if track.hidden or track.kind not in ("video", "text", "subtitle"):
            continue
        if track.kind == "subtitle":
            if track.mode == "burn" and ti in opts.subtitles:
                base = _burn_subtitles(base, track, opts.subtitles[ti])
            continue
        clips = [c for c in tl.tracks[ti] if _visual(c)]
        for run in _runs(clips):
            placed = len(run) == 1 and not run[0].clip.transform.is_identity()
            alpha = ti != direct
            streams = [_clip_video(g, tl, rc, alpha, placed) for rc in run]
            v, length = streams[0], run[0].frames
            for rc, nxt in zip(run[1:], streams[1:]):
                offset = length - rc.trans_in
                v = merge("xfade", [v, nxt], transition=rc.trans_type, duration=num(tl.seconds(rc.trans_in)),
                          offset=num(tl.seconds(offset)))
                length += rc.frames - rc.trans_in
            if ti == direct:
                base = v
                continue
            start = tl.seconds(run[0].start)
            if start:
                v = v.filter("setpts", expr=f"PTS-STARTPTS+{num(start)}/TB")
            t = run[0].clip.transform
            x, y = (f"W*{num(t.x)}-w/2", f"H*{num(t.y)}-h/2") if placed else (0, 0)
            base = merge("overlay", [base, v], x=x, y=y, eof_action="pass", repeatlast=0)
        for rc in tl.tracks[ti]:
            if isinstance(rc.clip, TextClip):
                path = write_text_file(opts.workdir, text_index, rc.clip.text)
                text_index += 1
                base = draw_text(base, rc.clip, tl.seconds(rc.start), tl.seconds(rc.end), path,
                                 find_font(rc.clip.font), opts.text_scale)
    assert base is not None
    return opts.output.finish_video(base.filter("trim", end_frame=tl.frames))


def _burn_subtitles(base: Stream, track: Track, path: str) -> Stream:
    options: dict[str, object] = {"filename": path}
    st = track.style
    if st is not None:
        def ass_colour(hex_rgb: str) -> str:
            r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
            return f"&H00{b}{g}{r}".upper()
        options["force_style"] = (
            f"FontName={st.font},FontSize={st.size},PrimaryColour={ass_colour(st.color)},"
            f"OutlineColour={ass_colour(st.outline_color)},Outline={num(st.outline)},MarginV={st.margin_v}"
        )
    return base.filter("subtitles", **options)


# ---------------------------------------------------------------- audio

def _atempo(a: Stream, speed: float) -> Stream:
    while speed > 2.0:
        a, speed = a.filter("atempo", tempo=2.0), speed / 2.0
    while speed < 0.5:
        a, speed = a.filter("atempo", tempo=0.5), speed / 0.5
    return a.filter("atempo", tempo=speed) if abs(speed - 1) > 1e-9 else a


def _clip_audio(g: Graph, tl: Timeline, rc: RClip, track: Track) -> Stream:
    clip = rc.clip
    assert isinstance(clip, MediaClip)
    sr = tl.project.settings.sample_rate
    dur = tl.seconds(rc.frames)
    # its own -i without video: a shared input made FFmpeg decode video far ahead of the xfades that
    # need it (the audio mix wants every clip's audio from the start) and hold it all in memory
    a = g.input(clip.source, "vn", ss=num(clip.source_in), t=num((dur + 2 / float(tl.rate)) * rc.speed)).audio
    a = _atempo(a, rc.speed).filter("atrim", end=num(dur))
    a = a.filter("aformat", sample_fmts="fltp", sample_rates=sr, channel_layouts="stereo")
    ctx = EffectContext(tl.project.settings.width, tl.project.settings.height, tl.project.settings.fps, dur)
    for spec, params in rc.effects:
        if spec.kind == "audio":
            a = spec.apply(a, params, ctx)
    gain = clip.volume * track.volume
    if abs(gain - 1) > 1e-9:
        a = a.filter("volume", volume=gain)
    fade_in = max(clip.fade_in, tl.seconds(rc.trans_in))
    fade_out = max(clip.fade_out, tl.seconds(rc.trans_out))
    if fade_in > 0:
        a = a.filter("afade", t="in", st=0, d=fade_in)
    if fade_out > 0:
        a = a.filter("afade", t="out", st=max(0.0, dur - fade_out), d=fade_out)
    start_samples = round(rc.start / tl.rate * sr)
    if start_samples:
        a = a.filter("adelay", delays=f"{start_samples}S", all=1)
    return a


def _mix(streams: list[Stream]) -> Stream:
    if len(streams) == 1:
        return streams[0]
    return merge("amix", streams, inputs=len(streams), normalize=0, duration="longest", dropout_transition=0)


def _audio(g: Graph, tl: Timeline) -> Stream:
    project = tl.project
    sr = project.settings.sample_rate
    total = tl.seconds(tl.frames)
    ducked = {t.id for t in project.tracks if t.ducking} | {t.ducking.under for t in project.tracks if t.ducking}
    flat: list[Stream] = []
    per_track: dict[str, Stream] = {}
    for ti, track in enumerate(project.tracks):
        if track.muted or track.kind not in ("video", "audio"):
            continue
        streams = [
            _clip_audio(g, tl, rc, track)
            for rc in tl.tracks[ti]
            if isinstance(rc.clip, MediaClip) and not rc.clip.mute and rc.source is not None and rc.source.has_audio
        ]
        if not streams:
            continue
        if track.id in ducked:
            per_track[track.id] = _mix(streams)
        else:
            flat.extend(streams)
    # a sidechain source is used twice: once as the key, once in the mix
    keys = [t.ducking.under for t in project.tracks if t.ducking and t.id in per_track and t.ducking.under in per_track]
    split: dict[str, list[Stream]] = {}
    for tid in set(keys):
        split[tid] = per_track[tid].split(keys.count(tid) + 1)
        per_track[tid] = split[tid].pop()
    for t in project.tracks:
        if t.ducking and t.id in per_track and t.ducking.under in split:
            d = t.ducking
            per_track[t.id] = merge("sidechaincompress", [per_track[t.id], split[d.under].pop()], threshold=d.threshold,
                                    ratio=d.ratio, attack=d.attack, release=d.release)
    streams = flat + list(per_track.values())
    if not streams:
        return g.source("anullsrc", "a", r=sr, cl="stereo", d=num(total))
    a = _mix(streams)
    loud = project.output.loudness
    if loud is not None:
        a = a.filter("loudnorm", I=loud.integrated, TP=loud.true_peak, LRA=loud.lra).filter("aresample", osr=sr)
    samples = round(tl.frames / tl.rate * sr)
    return a.filter("apad", whole_len=samples).filter("atrim", end_sample=samples)
