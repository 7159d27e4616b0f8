"""Resolve a project onto its frame grid and check it: every problem, each with its path.

Seconds from the document become whole frames here (``round(t * fps)``); everything the planner
emits derives from those frames, so transitions and cuts land exactly on frame boundaries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from pydantic import ValidationError

from .effects import Catalog
from .keyframes import animated, pieces, values
from .project import ColorClip, GradientClip, MediaClip, Project, TextClip

XFADE_TRANSITIONS = frozenset(
    "fade wipeleft wiperight wipeup wipedown slideleft slideright slideup slidedown circlecrop rectcrop "
    "distance fadeblack fadewhite radial smoothleft smoothright smoothup smoothdown circleopen circleclose "
    "vertopen vertclose horzopen horzclose dissolve pixelize diagtl diagtr diagbl diagbr hlslice hrslice "
    "vuslice vdslice hblur fadegrays wipetl wipetr wipebl wipebr squeezeh squeezev zoomin fadefast fadeslow "
    "hlwind hrwind vuwind vdwind coverleft coverright coverup coverdown revealleft revealright revealup "
    "revealdown".split()
)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")


@dataclass(frozen=True)
class SourceInfo:
    """What the planner needs to know about a media file."""

    duration: float | None
    has_video: bool
    has_audio: bool
    width: int | None = None
    height: int | None = None
    is_image: bool = False


@dataclass(frozen=True)
class Problem:
    """One problem in a project document."""

    path: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


@dataclass
class RClip:
    """A clip placed on the frame grid."""

    track: int
    index: int
    clip: MediaClip | ColorClip | TextClip | GradientClip
    start: int  # frames
    frames: int
    speed: float = 1.0
    source: SourceInfo | None = None
    effects: list[tuple[Any, Any]] = field(default_factory=list)  # (EffectSpec, params model)
    trans_in: int = 0  # frames overlapping the previous clip
    trans_type: str = "fade"
    trans_out: int = 0  # frames overlapping the next clip
    #: a speed ramp as constant pieces (timeline seconds t0, t1 from the clip's start, speed), else None
    ramp: list[tuple[float, float, float]] | None = None

    @property
    def end(self) -> int:
        return self.start + self.frames

    @property
    def path(self) -> str:
        return f"tracks[{self.track}].clips[{self.index}]"


@dataclass
class Timeline:
    """The project resolved to frames, clips sorted by start within each track."""

    project: Project
    rate: Fraction
    tracks: list[list[RClip]]
    frames: int

    def seconds(self, frames: int) -> float:
        return float(frames / self.rate)


def pydantic_problems(error: ValidationError) -> list[Problem]:
    """Turn pydantic errors into problems with document paths (``tracks[1].clips[3].source_in``)."""
    out = []
    for err in error.errors():
        if err["type"] == "float_type" and isinstance(err.get("input"), list):
            continue  # a keyframe list: the number branch of the union says nothing useful
        parts: list[str] = []
        loc = list(err["loc"])
        for i, item in enumerate(loc):
            if isinstance(item, str) and (item == "float" or item.startswith(("list[", "function-"))):
                continue  # the branch tags pydantic puts in the paths of keyframable numbers
            if isinstance(item, int):
                parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
            elif i > 0 and isinstance(loc[i - 1], int) and item in ("media", "color", "text") and i + 1 < len(loc):
                continue  # the union tag pydantic inserts after a clip index
            else:
                parts.append(str(item))
        out.append(Problem(".".join(parts) or "(document)", err["msg"], "schema"))
    return out


def resolve(
    project: Project,
    probe: Callable[[str], SourceInfo | None],
    catalog: Catalog,
    check_files: bool = True,
) -> tuple[Timeline, list[Problem]]:
    """Place every clip on the frame grid; collect every problem found on the way."""
    rate = project.settings.rate
    problems: list[Problem] = []
    one_frame = float(1 / rate)

    def f(seconds: float) -> int:
        return round(Fraction(seconds).limit_denominator(10**6) * rate)

    ids = [t.id for t in project.tracks]
    for i, t in enumerate(project.tracks):
        if ids.count(t.id) > 1:
            problems.append(Problem(f"tracks[{i}].id", f"track id {t.id!r} is used more than once", "duplicate"))

    tracks: list[list[RClip]] = []
    for ti, track in enumerate(project.tracks):
        placed: list[RClip] = []
        tpath = f"tracks[{ti}]"
        if track.kind == "subtitle":
            if not track.source:
                problems.append(Problem(f"{tpath}.source", "a subtitle track needs a subtitle file", "missing"))
            elif check_files and not os.path.isfile(track.source):
                problems.append(Problem(f"{tpath}.source", f"file {track.source!r} does not exist", "missing_file"))
            if track.clips:
                problems.append(Problem(f"{tpath}.clips", "subtitle tracks take a file, not clips", "kind"))
            if track.language:
                from .subtitle_lang import iso639_2

                if iso639_2(track.language) is None:
                    problems.append(Problem(f"{tpath}.language", f"unknown two-letter language {track.language!r}; "
                                            "give its ISO 639-2 code (three letters, e.g. 'eng')", "language"))
            tracks.append(placed)
            continue
        if track.ducking is not None:
            if track.ducking.under not in ids or track.ducking.under == track.id:
                problems.append(Problem(f"{tpath}.ducking.under",
                                        f"{track.ducking.under!r} is not another track's id", "reference"))
        for ci, clip in enumerate(track.clips):
            if not clip.enabled:
                continue  # kept in the document (and through interchange), never rendered
            cpath = f"{tpath}.clips[{ci}]"
            rc = _place(clip, ti, ci, cpath, track.kind, probe, catalog, check_files, f, one_frame, problems)
            if rc is not None:
                placed.append(rc)
        placed.sort(key=lambda c: (c.start, c.index))
        _link(placed, f, rate, problems)
        tracks.append(placed)

    total = max((c.end for t in tracks for c in t), default=0)
    if total == 0 and not any(p.code != "schema" for p in problems):
        problems.append(Problem("tracks", "the project has no clips: add a clip to a track", "empty"))
    return Timeline(project, rate, tracks, total), problems


def _place(clip, ti, ci, cpath, kind, probe, catalog, check_files, f, one_frame, problems) -> RClip | None:
    if kind == "audio" and not isinstance(clip, MediaClip):
        problems.append(Problem(f"{cpath}.type", f"audio tracks hold media clips, not {clip.type}", "kind"))
        return None
    if kind == "text" and not isinstance(clip, TextClip):
        problems.append(Problem(f"{cpath}.type", f"text tracks hold text clips, not {clip.type}", "kind"))
        return None
    speed = 1.0
    effects = []
    for ei, ref in enumerate(clip.effects):
        epath = f"{cpath}.effects[{ei}]"
        params, errs = catalog.check(ref.name, ref.params)
        for sub, msg in errs:
            problems.append(Problem(f"{epath}.{sub}", msg, "effect"))
        if params is None:
            continue
        spec = catalog.get(ref.name)
        if isinstance(clip, TextClip):
            problems.append(Problem(f"{epath}.name", "effects apply to media and colour clips, not text", "effect"))
        elif kind == "audio" and spec.kind == "video":
            problems.append(Problem(f"{epath}.name", f"{ref.name!r} is a video effect on an audio track", "effect"))
        if ref.name == "speed":
            speed *= params.factor
        effects.append((spec, params))

    source = None
    duration = clip.duration
    ramp = None
    _check_files_of(clip, cpath, check_files, problems)
    if isinstance(clip, MediaClip):
        factor = speed
        if animated(clip.speed):
            if duration is None:
                problems.append(Problem(f"{cpath}.duration", "a speed ramp needs the clip's duration", "missing"))
                return None
            frames_n = max(1, f(clip.start + duration) - f(clip.start))
            ramp = [(a, b, v * factor) for a, b, v in pieces(clip.speed, frames_n * one_frame, min(frames_n, 48))]
            speed = sum((b - a) * v for a, b, v in ramp) / (frames_n * one_frame)
        else:
            speed *= clip.speed
        if any(not 0.25 <= v * factor <= 4 for v in values(clip.speed)):
            problems.append(Problem(f"{cpath}.speed", f"speed (with speed effects) is outside 0.25–4", "range"))
        if (clip.loop or clip.freeze is not None) and duration is None:
            problems.append(Problem(f"{cpath}.duration", "a looped or frozen clip needs its duration", "missing"))
            return None
        if check_files and not os.path.isfile(clip.source):
            problems.append(Problem(f"{cpath}.source", f"file {clip.source!r} does not exist", "missing_file"))
            return None
        source = probe(clip.source)
        if source is None:
            problems.append(Problem(f"{cpath}.source", f"{clip.source!r} is not a readable media file", "unreadable"))
            return None
        if kind == "audio" and not source.has_audio:
            problems.append(Problem(f"{cpath}.source", f"{clip.source!r} has no audio stream", "kind"))
        if kind == "video" and not source.has_video and not source.has_audio:
            problems.append(Problem(f"{cpath}.source", f"{clip.source!r} has no video or audio", "kind"))
        if clip.source_out is not None and clip.source_out <= clip.source_in:
            problems.append(Problem(f"{cpath}.source_out", "source_out must be after source_in", "range"))
            return None
        if duration is None and clip.source_out is not None:
            duration = (clip.source_out - clip.source_in) / speed
        if duration is None and source.duration is not None and not source.is_image:
            duration = (source.duration - clip.source_in) / speed
        if not source.is_image and source.duration is not None:
            if clip.source_in >= source.duration:
                problems.append(Problem(f"{cpath}.source_in", f"source_in {clip.source_in:g}s is beyond the source's "
                                        f"{source.duration:.3f}s", "range"))
                return None
            needed = clip.source_in + (duration or 0) * speed
            if clip.freeze is not None:
                needed = clip.freeze
                if clip.freeze >= source.duration:
                    problems.append(Problem(f"{cpath}.freeze", f"freeze {clip.freeze:g}s is beyond the source's "
                                            f"{source.duration:.3f}s", "range"))
            if clip.loop:
                needed = min(needed, clip.source_out or source.duration)
            if duration is not None and needed > source.duration + one_frame:
                field_name = "source_out" if clip.source_out is not None else "duration"
                problems.append(Problem(f"{cpath}.{field_name}", f"the clip needs the source up to {needed:.3f}s but "
                                        f"it lasts {source.duration:.3f}s; shorten the clip", "range"))
    if duration is None:
        problems.append(Problem(f"{cpath}.duration", "duration is required for this clip", "missing"))
        return None
    frames = f(clip.start + duration) - f(clip.start)
    if frames < 1:
        problems.append(Problem(f"{cpath}.duration", "the clip is shorter than one frame", "range"))
        return None
    for name in ("fade_in", "fade_out"):
        if getattr(clip, name) > duration + 1e-9:
            problems.append(Problem(f"{cpath}.{name}", f"{name} is longer than the clip ({duration:g}s)", "range"))
    return RClip(ti, ci, clip, f(clip.start), frames, speed, source, effects, ramp=ramp)


def _check_files_of(clip, cpath: str, check_files: bool, problems: list[Problem]) -> None:
    """Mask pictures and text fonts given as paths must exist (a missing font silently fell back before)."""
    from .text import font_problem

    mask = clip.mask
    if mask is not None and mask.source and check_files and not os.path.isfile(mask.source):
        problems.append(Problem(f"{cpath}.mask.source", f"mask picture {mask.source!r} does not exist", "missing_file"))
    if isinstance(clip, TextClip) and clip.font:
        msg = font_problem(clip.font)
        if msg:
            problems.append(Problem(f"{cpath}.font", msg, "missing_file"))
    if clip.layout is not None and clip.transition is not None:
        problems.append(Problem(f"{cpath}.layout", "a clip in a layout cell cannot take a transition", "transition"))


def _link(placed: list[RClip], f, rate: Fraction, problems: list[Problem]) -> None:
    """Attach transitions to the clips they join; everything else may not overlap."""
    prev: RClip | None = None
    for rc in placed:
        t = rc.clip.transition
        if t is not None:
            tpath = f"{rc.path}.transition"
            if t.type not in XFADE_TRANSITIONS:
                problems.append(Problem(f"{tpath}.type", f"unknown transition {t.type!r}; use an xfade name such as "
                                        "fade, dissolve, wipeleft, slideright, circleopen", "transition"))
            elif prev is None:
                problems.append(Problem(tpath, "the first clip of a track has no clip to transition from", "transition"))
            else:
                d = f(t.duration)
                overlap = prev.end - rc.start
                if isinstance(rc.clip, TextClip) or isinstance(prev.clip, TextClip):
                    problems.append(Problem(tpath, "text clips fade, they do not take transitions", "transition"))
                elif d > prev.frames or d > rc.frames:
                    problems.append(Problem(f"{tpath}.duration", f"the transition ({t.duration:g}s) is longer than "
                                            "one of the clips it joins", "transition"))
                elif overlap != d:
                    problems.append(Problem(f"{tpath}.duration", f"the clips must overlap by the transition's "
                                            f"{t.duration:g}s: start this clip at "
                                            f"{float((prev.end - d) / rate):.3f}s", "transition"))
                elif not (rc.clip.transform.is_identity() and prev.clip.transform.is_identity()) or \
                        rc.clip.layout is not None or prev.clip.layout is not None:
                    problems.append(Problem(tpath, "transitions join full-frame clips: reset transform x/y/scale/"
                                            "rotation/crop on both clips", "transition"))
                elif prev.trans_out:
                    problems.append(Problem(tpath, "the previous clip already transitions out", "transition"))
                else:
                    rc.trans_in, rc.trans_type, prev.trans_out = d, t.type, d
                    prev = rc
                    continue
        if prev is not None and rc.start < prev.end:
            problems.append(Problem(f"{rc.path}.start", f"overlaps {prev.path} (ends at "
                                    f"{float(prev.end / rate):.3f}s) on the same track", "overlap"))
        prev = rc if prev is None or rc.end >= prev.end else prev


def _keyed(clip) -> list[Any]:
    """Every value of ``clip`` that keyframes can animate (their times count from the clip's start)."""
    t = clip.transform
    out = [clip.opacity, t.x, t.y, t.scale, t.rotation]
    if t.crop is not None:
        out += [t.crop.left, t.crop.top, t.crop.right, t.crop.bottom]
    if clip.mask is not None:
        out += [clip.mask.x, clip.mask.y, clip.mask.width, clip.mask.height]
    if isinstance(clip, MediaClip):
        out.append(clip.volume)
    return out + [list(r.params.values()) for r in clip.effects if any(isinstance(v, list) for v in r.params.values())]


def window(tl: Timeline, at: int, until: int | None = None) -> tuple[Timeline, int]:
    """The part of ``tl`` needed to show frames ``at`` … ``until`` (default: just ``at``), moved to start
    near 0; returns (timeline, shift).

    Previews must not decode everything before ``at``: clips that end earlier are dropped and long
    clips are cut to start at the shift (their source_in moved on), so FFmpeg seeks instead of decoding.
    A transition in progress at ``at`` keeps both its clips from the transition's start, so the frame
    is exact; fades that are cut are shortened (an approximation only previews use).
    """
    shift = at
    for clips in tl.tracks:
        for rc in clips:
            if rc.trans_in and rc.start <= at < rc.start + rc.trans_in:
                shift = min(shift, rc.start)
            clip = rc.clip
            nonlinear = isinstance(clip, MediaClip) and (rc.ramp or clip.reverse or clip.loop) or \
                any(animated(v) for v in _keyed(clip))
            if nonlinear and rc.start < at < rc.end:  # their source or curves cannot simply be cut: keep them whole
                shift = min(shift, rc.start)
    tracks: list[list[RClip]] = []
    for clips in tl.tracks:
        kept = []
        for rc in clips:
            if rc.end <= shift or rc.start > (at if until is None else until):
                continue
            cut = max(0, shift - rc.start)
            clip = rc.clip
            if cut:
                secs = float(cut / tl.rate)
                update: dict[str, Any] = {"fade_in": max(0.0, clip.fade_in - secs)}
                if isinstance(clip, MediaClip):
                    update["source_in"] = clip.source_in + secs * rc.speed
                clip = clip.model_copy(update=update)
            trans_in = rc.trans_in if rc.start >= shift else 0
            kept.append(RClip(rc.track, rc.index, clip, rc.start - shift + cut, rc.frames - cut, rc.speed, rc.source,
                              rc.effects, trans_in, rc.trans_type, 0, rc.ramp))
        for prev, nxt in zip(kept, kept[1:]):
            if nxt.trans_in:
                prev.trans_out = nxt.trans_in
        for rc in kept:  # a transition whose first clip was dropped is no transition any more
            if rc.trans_in and not any(p.end - rc.trans_in == rc.start for p in kept if p is not rc):
                rc.trans_in = 0
        tracks.append(kept)
    frames = max((c.end for t in tracks for c in t), default=0)
    return Timeline(tl.project, tl.rate, tracks, max(frames, at - shift + 1)), shift
