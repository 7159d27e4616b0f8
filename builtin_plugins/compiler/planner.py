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

import os
from dataclasses import dataclass, field

from .asstitle import draw_with_libass, write_ass
from .builder import BuiltCommand, Graph, Stream, merge, num
from .clipvideo import Commands, apply_effect, clip_video, placed, ramp_source_pieces
from .effects import EffectContext
from .encoders import OutputPlan
from .fonts import one_font_covers
from .keyframes import animated, expression
from .project import ColorClip, GradientClip, MediaClip, TextClip, Track
from .subtitle_lang import iso639_2
from .text import draw_text, find_font, prepare, write_text_file
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
        outputs.append(_audio(g, tl, opts.workdir))
    languages = []
    for ti, track in enumerate(tl.project.tracks):
        if track.kind == "subtitle" and track.mode == "soft" and ti in opts.subtitles and out.soft_subtitles:
            inp = g.input(opts.subtitles[ti])
            outputs.append((inp, "s"))
            languages.append(iso639_2(track.language) if track.language else None)
    duration = tl.seconds(tl.frames)
    out_opts = list(out.args)
    for i, lang in enumerate(languages):  # MP4 shows 'und' and MKV/WebM nothing without it
        if lang:
            out_opts += [f"-metadata:s:s:{i}", f"language={lang}"]
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
    return isinstance(rc.clip, (ColorClip, TextClip, GradientClip)) or (rc.source is not None and rc.source.has_video)


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
        # runs that follow one another without a gap, from 0 to the end, are joined by concat
        if runs[0][0].start != 0 or runs[-1][-1].end != tl.frames or \
                any(a[-1].end != b[0].start for a, b in zip(runs, runs[1:])):
            return None
        ok = all(
            c.clip.transform.is_identity() and c.clip.layout is None and c.clip.mask is None
            and not animated(c.clip.opacity) and c.clip.opacity >= 1
            and not any(spec.makes_alpha for spec, _ in c.effects)
            and not (isinstance(c.clip, ColorClip) and "@" in c.clip.color)
            and not (isinstance(c.clip, GradientClip) and any("@" in col for col in c.clip.colors))
            for run in runs for c in run
        )
        return ti if ok else None
    return None


def _overlay_xy(tl: Timeline, rc: RClip, start: float) -> tuple[str, str]:
    """Where a placed clip goes: its layout cell, or transform x/y (keyframed: on the clip's clock)."""
    s = tl.project.settings
    if rc.clip.layout is not None:
        cx, cy, _w, _h = rc.clip.layout.box(s.width, s.height)
        return f"{num(cx)}-w/2", f"{num(cy)}-h/2"
    t = rc.clip.transform
    clock = f"(t-{num(start)})" if start else "t"
    return f"W*{expression(t.x, clock)}-w/2", f"H*{expression(t.y, clock)}-h/2"


def _title(base: Stream, tl: Timeline, rc: RClip, opts: PlanOptions, index: int) -> tuple[Stream, int]:
    clip = rc.clip
    assert isinstance(clip, TextClip)
    s = tl.project.settings
    text, font = prepare(clip, find_font(clip.font), s.width, opts.text_scale)
    if not one_font_covers(text):  # per-glyph fallback (CJK with emoji …): libass draws it
        path = os.path.join(opts.workdir, f"title_{index}.ass")
        write_ass(path, clip, text, font, tl.seconds(rc.start), tl.seconds(rc.end), s.width, s.height,
                  opts.text_scale)
        return draw_with_libass(base, path), index + 1
    path = write_text_file(opts.workdir, index, text)
    index += 1
    extra = None
    if clip.animation is not None and clip.animation.type == "typewriter":
        chars = list(text)
        steps = min(len(chars), 60)  # at most 60 drawtext filters: letters come in groups when longer
        extra = []
        for i in range(1, steps + 1):
            extra.append(write_text_file(opts.workdir, index, "".join(chars[: round(len(chars) * i / steps)])))
            index += 1
    base = draw_text(base, clip, tl.seconds(rc.start), tl.seconds(rc.end), path, font, opts.text_scale, text, extra)
    return base, index


def _video(g: Graph, tl: Timeline, opts: PlanOptions) -> Stream:
    s = tl.project.settings
    fps = s.fps
    cmds = Commands(opts.workdir)
    direct_runs: list[Stream] = []
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
            alpha = ti != direct
            streams = [clip_video(g, tl, rc, alpha, cmds) for rc in run]
            v, length = streams[0], run[0].frames
            for rc, nxt in zip(run[1:], streams[1:]):
                offset = length - rc.trans_in
                v = merge("xfade", [v, nxt], transition=rc.trans_type, duration=num(tl.seconds(rc.trans_in)),
                          offset=num(tl.seconds(offset)))
                length += rc.frames - rc.trans_in
            if ti == direct:
                direct_runs.append(v)
                continue
            start = tl.seconds(run[0].start)
            if start:
                v = v.filter("setpts", expr=f"PTS-STARTPTS+{num(start)}/TB")
            x, y = _overlay_xy(tl, run[0], start) if len(run) == 1 and placed(run[0]) else (0, 0)
            base = merge("overlay", [base, v], x=x, y=y, eof_action="pass", repeatlast=0)
        if ti == direct:
            base = direct_runs[0] if len(direct_runs) == 1 else merge("concat", direct_runs, n=len(direct_runs), v=1, a=0)
        for rc in tl.tracks[ti]:
            if isinstance(rc.clip, TextClip):
                base, text_index = _title(base, tl, rc, opts, text_index)
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


def _clip_audio(g: Graph, tl: Timeline, rc: RClip, track: Track, cmds: Commands) -> Stream:
    clip = rc.clip
    assert isinstance(clip, MediaClip)
    sr = tl.project.settings.sample_rate
    dur = tl.seconds(rc.frames)
    # its own -i without video: a shared input made FFmpeg decode video far ahead of the xfades that
    # need it (the audio mix wants every clip's audio from the start) and hold it all in memory
    one = 1 / float(tl.rate)
    if clip.loop and clip.source_in == 0 and clip.source_out is None:
        a = g.input(clip.source, "vn", stream_loop=-1, t=num((dur + 2 * one) * rc.speed)).audio
    elif clip.loop:
        from .clipvideo import _loop_length

        length = _loop_length(rc)
        a = g.input(clip.source, "vn", ss=num(clip.source_in), t=num(length)).audio
        a = a.filter("aresample", sample_rate=sr).filter("atrim", end=num(length))
        a = a.filter("aloop", loop=-1, size=round(length * sr)).filter("asetpts", expr="N/SR/TB")
    else:
        a = g.input(clip.source, "vn", ss=num(clip.source_in), t=num((dur + 2 * one) * rc.speed)).audio
    if rc.ramp:  # the tempo follows the ramp's pieces, in source time, split over two atempo (0.5 … 2 each)
        pieces = ramp_source_pieces(rc.ramp)
        for stage in ("a", "b"):
            label = f"ramp{rc.track}_{rc.index}{stage}"
            a = cmds.steps(a, f"atempo@{label}", "tempo", [(p0, p1, num(v ** 0.5)) for p0, p1, v in pieces], audio=True)
            a = a.filter(f"atempo@{label}", tempo=num(pieces[0][2] ** 0.5))
            if stage == "a":  # the second stage sees the first one's output clock
                acc, shifted = 0.0, []
                for p0, p1, v in pieces:
                    shifted.append((acc, acc + (p1 - p0) / v ** 0.5, v))
                    acc += (p1 - p0) / v ** 0.5
                pieces = shifted
    else:
        a = _atempo(a, rc.speed)
    a = a.filter("atrim", end=num(dur))
    if clip.reverse:
        a = a.filter("areverse")
    a = a.filter("aformat", sample_fmts="fltp", sample_rates=sr, channel_layouts="stereo")
    ctx = EffectContext(tl.project.settings.width, tl.project.settings.height, tl.project.settings.fps, dur)
    for spec, params in rc.effects:
        if spec.kind == "audio":
            a = apply_effect(a, spec, params, ctx, cmds, audio=True)
    if animated(clip.volume):
        a = a.filter("volume", volume=expression(clip.volume, "t", scale=track.volume), eval="frame")
    elif abs(clip.volume * track.volume - 1) > 1e-9:
        a = a.filter("volume", volume=clip.volume * track.volume)
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


def _audio(g: Graph, tl: Timeline, workdir: str) -> Stream:
    project = tl.project
    cmds = Commands(workdir, prefix="a")
    sr = project.settings.sample_rate
    total = tl.seconds(tl.frames)
    ducked = {t.id for t in project.tracks if t.ducking} | {t.ducking.under for t in project.tracks if t.ducking}
    flat: list[Stream] = []
    per_track: dict[str, Stream] = {}
    for ti, track in enumerate(project.tracks):
        if track.muted or track.kind not in ("video", "audio"):
            continue
        streams = [
            _clip_audio(g, tl, rc, track, cmds)
            for rc in tl.tracks[ti]
            if isinstance(rc.clip, MediaClip) and not rc.clip.mute and rc.source is not None and rc.source.has_audio
            and rc.clip.freeze is None
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
            # the key must last as long as the music: once it ended, sidechaincompress ended the output too and
            # the music went silent after the dialogue; padded with silence, the music comes back
            key = split[d.under].pop().filter("apad", whole_len=round(tl.frames / tl.rate * sr))
            per_track[t.id] = merge("sidechaincompress", [per_track[t.id], key], threshold=d.threshold,
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
