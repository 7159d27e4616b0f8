"""Segmented renders: a timeline split into time windows, each planned by the ordinary planner.

A segment is a *time window of the whole composition*, never a re-cut project: the planner plans the
same graph it would for a single-process render, and the output options select frames ``a … b``
(``-ss``/``-t`` on the output). So transitions, text, effects and speed changes crossing a boundary
render exactly as in one piece, and whatever the planner learns renders identically in segments.

One saving keeps that exact: clips that show nothing at or after ``a`` are dropped, and the timeline is
moved earlier by ``shift`` frames, the earliest start of any clip still showing at ``a`` — clips keep
their own start, length and source range, so their local time (fades, effects, speed) is unchanged.
Text clips may start before the shift (drawtext's timing is an expression of the composition time),
so a title that spans the whole timeline does not pin the shift at 0. With burned subtitles (timed on
the composition) nothing is moved.

Splitting prefers *clean cuts*: frames where every clip showing starts there, so the segment decodes
nothing before its window.

The video of each segment is encoded with identical settings (each encode starts a closed GOP with an
IDR frame); the audio is mixed once for the whole timeline as 32-bit float PCM (lossless against the
mixer's float output, so encoding it at the join gives the same packets as a single-process render);
the join copies the video streams through FFmpeg's concat demuxer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .encoders import AUDIO, OutputPlan, PROGRESS_ARGS, output_plan
from .planner import Plan, PlanOptions, plan
from .project import OutputSettings, TextClip
from .timeline import RClip, Timeline

# video containers the join can write (the concat demuxer copies their codecs' packets as they are)
SEGMENTABLE = {"mp4", "mov", "mkv", "webm"}


@dataclass(frozen=True)
class Window:
    """Frames ``start`` (inclusive) to ``end`` (exclusive) of the composition."""

    index: int
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start


def _pictures(tl: Timeline) -> list[RClip]:
    """Clips that the video graph draws (audio tracks are mixed apart; text may start before a shift)."""
    return [rc for track, clips in zip(tl.project.tracks, tl.tracks) if track.kind == "video"
            for rc in clips if not isinstance(rc.clip, TextClip)]


def clean_cuts(tl: Timeline) -> list[int]:
    """Frames where every picture that shows there starts there (nothing before needs decoding)."""
    pictures = _pictures(tl)
    starts = sorted({rc.start for rc in pictures if 0 < rc.start < tl.frames})
    return [f for f in starts if all(rc.start == f for rc in pictures if rc.start <= f < rc.end)]


def split(tl: Timeline, count: int, min_frames: int = 1) -> list[Window]:
    """About ``count`` windows of similar length, each boundary moved onto a clean cut within a quarter
    of a segment when there is one."""
    total = tl.frames
    count = max(1, min(count, total // max(1, min_frames)))
    length = total / count
    cuts = clean_cuts(tl)
    bounds = [0]
    for k in range(1, count):
        target = round(k * length)
        near = [c for c in cuts if abs(c - target) <= length / 4 and c > bounds[-1]]
        b = min(near, key=lambda c: abs(c - target)) if near else target
        if b - bounds[-1] >= min_frames and total - b >= min_frames:
            bounds.append(b)
    bounds.append(total)
    return [Window(i, a, b) for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]


def every(tl: Timeline, seconds: float) -> int:
    """How many windows of about ``seconds`` the timeline needs."""
    return max(1, round(tl.seconds(tl.frames) / max(seconds, 1e-3)))


def shifted(tl: Timeline, at: int) -> tuple[Timeline, int]:
    """The timeline without the clips that end before frame ``at``, moved ``shift`` frames earlier."""
    burned = any(t.kind == "subtitle" and t.mode == "burn" and not t.hidden for t in tl.project.tracks)
    showing = [rc for rc in _pictures(tl) if rc.end > at]
    shift = 0 if burned else min([at] + [rc.start for rc in showing if rc.start <= at])
    if shift == 0:
        return tl, 0
    tracks: list[list[RClip]] = []
    for clips in tl.tracks:
        kept = []
        for rc in clips:
            if rc.end <= at:
                continue  # shows nothing in the window (a transition into a kept clip is over by then)
            trans_in = rc.trans_in if any(p.end > at and p.end - rc.trans_in == rc.start for p in clips) else 0
            kept.append(RClip(rc.track, rc.index, rc.clip, rc.start - shift, rc.frames, rc.speed, rc.source,
                              rc.effects, trans_in, rc.trans_type, rc.trans_out))
        tracks.append(kept)
    return Timeline(tl.project, tl.rate, tracks, tl.frames - shift), shift


def video_settings(out: OutputSettings) -> OutputSettings:
    """The segment encoder settings: the render's own, without audio."""
    return out.model_copy(update={"audio_codec": "none"})


def plan_window(tl: Timeline, win: Window, exe: str, target: str, container: str, encoder: str | None,
                workdir: str) -> Plan:
    """The command rendering ``win``'s video to ``target``: the whole composition's plan, output-trimmed."""
    part, shift = shifted(tl, win.start)
    oplan = output_plan(video_settings(tl.project.output), target, container, encoder)
    a, b = tl.seconds(win.start - shift), tl.seconds(win.end - shift)
    p = plan(part, PlanOptions(exe, oplan, workdir, range_start=a, range_end=b))
    # -frames:v pins the count exactly (a -t of a non-representable length can round either way)
    args = list(p.command.args)
    args[-1:-1] = ["-frames:v", str(win.frames)]
    p.command.args = args
    return Plan(p.command, tl.seconds(win.frames), win.frames)


def audio_part(out: OutputSettings) -> str:
    """The audio part's file extension: AAC is encoded by the audio task itself (MP4 keeps its sample
    timestamps exactly), so the join only copies; other codecs travel as float PCM and are encoded there."""
    return "m4a" if (out.audio_codec or "aac") == "aac" else "nut"


def plan_audio(tl: Timeline, exe: str, target: str, workdir: str, container: str = "mp4") -> Plan | None:
    """The whole timeline's audio mix, encoded (AAC) or as float PCM (None when the output has no audio)."""
    out = tl.project.output
    if out.audio_codec == "none":
        return None
    glob = ["-hide_banner", "-nostdin", "-y", "-v", "error", *PROGRESS_ARGS]
    if out.deterministic:
        glob += ["-filter_threads", "1", "-filter_complex_threads", "1"]
    if target.endswith(".m4a"):
        args = ["-f", "mp4", *audio_args(out, container), *_threads(out)]
        oplan = OutputPlan(target, "mp4", None, None, "aac", args, glob)
    else:
        oplan = OutputPlan(target, "nut", None, None, "pcm", ["-f", "nut", "-c:a", "pcm_f32le"], glob)
    return plan(tl, PlanOptions(exe, oplan, workdir))


def _threads(out: OutputSettings) -> list[str]:
    threads = out.threads or (2 if out.deterministic else None)
    args = ["-threads", str(threads)] if threads else []
    if out.deterministic:
        args += ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    return args


def audio_args(out: OutputSettings, container: str) -> list[str]:
    """The audio encoder options the single-process render would use for ``container``."""
    full = output_plan(out.model_copy(update={"video_codec": None}), "x", container, "libx264")
    if not full.audio_codec:
        return []
    args = ["-c:a", AUDIO[full.audio_codec]]
    if full.audio_codec not in ("pcm", "flac"):
        args += ["-b:a", out.audio_bitrate]
    return args


def write_list(path: str, segments: list[str]) -> None:
    """The concat demuxer's list file (paths quoted for its syntax)."""
    with open(path, "w", encoding="utf-8") as fh:
        for s in segments:
            fh.write("file '" + os.path.abspath(s).replace("'", "'\\''") + "'\n")


def join_command(exe: str, list_file: str, audio: str | None, out: OutputSettings, container: str,
                 target: str) -> list[str]:
    """Concat the segments' video and the audio part without re-encoding (PCM audio is encoded here)."""
    from .encoders import CONTAINERS

    muxer = CONTAINERS[container][0]
    args = [exe, "-hide_banner", "-nostdin", "-y", "-v", "error", *PROGRESS_ARGS,
            "-f", "concat", "-safe", "0", "-i", list_file]
    if audio:
        args += ["-i", audio]
    args += ["-map", "0:v:0"] + (["-map", "1:a:0"] if audio else []) + ["-c:v", "copy"]
    if audio:
        args += ["-c:a", "copy"] if audio.endswith(".m4a") else audio_args(out, container)
    return args + _threads(out) + ["-f", muxer, target]
