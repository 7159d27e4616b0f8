"""OpenTimelineIO import and export.

OTIO lays a track's items end to end and centres a transition on the cut (``in_offset`` before it,
``out_offset`` after it, both taken from the clips' handles); reelkit overlaps the two clips by the
transition's length. Export cuts at the middle of the overlap; import undoes that. Everything reelkit
has and OTIO lacks (effects, transforms, text, fades, output settings, ducking, subtitle tracks)
travels under ``metadata["reelkit"]``, so a file reelkit wrote comes back as the same project.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any
from urllib.parse import unquote, urlparse

from reelkit.sdk.files import atomic_output

from .project import MediaClip, Project, TextClip, Track

KEY = "reelkit"


def _rt(seconds: float, rate: float):
    import opentimelineio as otio

    return otio.opentime.RationalTime(seconds * rate, rate)  # half-frame offsets (centred cuts) stay exact


def _range(start: float, duration: float, rate: float):
    import opentimelineio as otio

    return otio.opentime.TimeRange(_rt(start, rate), _rt(duration, rate))


def export_otio(project: Project, path: str) -> tuple[int, int]:
    """Write ``project`` to ``path`` (.otio); returns (tracks, clips) written."""
    import opentimelineio as otio

    rate = float(Fraction(project.settings.fps))
    tl = otio.schema.Timeline(name=project.name)
    tl.metadata[KEY] = project.model_dump(mode="json", exclude={"tracks", "markers"})
    clips_written = 0
    for track in project.tracks:
        kind = otio.schema.TrackKind.Audio if track.kind == "audio" else otio.schema.TrackKind.Video
        ot = otio.schema.Track(name=track.id, kind=kind)
        ot.metadata[KEY] = track.model_dump(mode="json", exclude={"clips"})
        clips = sorted(track.clips, key=lambda c: c.start)
        pos = 0.0
        for i, c in enumerate(clips):
            duration = c.duration if c.duration is not None else _media_length(c)
            start, end = c.start, c.start + duration
            trim_in = c.transition.duration / 2 if c.transition and i else 0.0
            nxt = clips[i + 1] if i + 1 < len(clips) else None
            trim_out = nxt.transition.duration / 2 if nxt is not None and nxt.transition else 0.0
            if trim_in:
                ot.append(otio.schema.Transition(name="transition", transition_type=_otio_transition(c.transition.type),
                                                 in_offset=_rt(trim_in, rate), out_offset=_rt(trim_in, rate),
                                                 metadata={KEY: {"type": c.transition.type}}))
            if start + trim_in > pos + 1e-9:
                ot.append(otio.schema.Gap(source_range=_range(0, start + trim_in - pos, rate)))
            shown = (end - trim_out) - (start + trim_in)
            ot.append(_otio_clip(c, trim_in, shown, rate))
            clips_written += 1
            pos = end - trim_out
        tl.tracks.append(ot)
    for m in project.markers:
        tl.tracks.markers.append(otio.schema.Marker(name=m.name, marked_range=_range(m.time, m.duration, rate),
                                                    metadata={KEY: m.model_dump(mode="json")}))
    with atomic_output(path) as tmp:  # the adapter is named, so the temporary suffix does not matter
        otio.adapters.write_to_file(tl, str(tmp), adapter_name="otio_json")
    return len(project.tracks), clips_written


def _media_length(c: Any) -> float:
    if isinstance(c, MediaClip) and c.source_out is not None:
        return (c.source_out - c.source_in) / c.speed
    raise ValueError(f"clip at {c.start}s has no duration; validate the project first")


def _otio_transition(kind: str) -> str:
    import opentimelineio as otio

    return otio.schema.TransitionTypes.SMPTE_Dissolve if kind in ("fade", "dissolve") else "Custom_Transition"


def _otio_clip(c: Any, trim_in: float, shown: float, rate: float):
    import opentimelineio as otio

    meta = {KEY: c.model_dump(mode="json")}
    if isinstance(c, MediaClip):
        ref = otio.schema.ExternalReference(target_url=os.path.abspath(c.source))
        src_start = c.source_in + trim_in * c.speed
        return otio.schema.Clip(name=os.path.basename(c.source), media_reference=ref,
                                source_range=_range(src_start, shown, rate), metadata=meta)
    kind = "reelkit.text" if isinstance(c, TextClip) else "SolidColor"
    ref = otio.schema.GeneratorReference(generator_kind=kind, parameters={"color": getattr(c, "color", "")})
    return otio.schema.Clip(name=kind, media_reference=ref, source_range=_range(0, shown, rate), metadata=meta)


def import_otio(path: str) -> Project:
    """Read an OTIO timeline into a Project (lossless for files reelkit wrote)."""
    import opentimelineio as otio

    try:
        tl = otio.adapters.read_from_file(path)
    except (otio.exceptions.OTIOError, ValueError, KeyError, TypeError) as e:  # unknown suffix, bad content
        from reelkit.sdk import InputInvalid

        raise InputInvalid(f"{path}: not a timeline OpenTimelineIO can read ({type(e).__name__}: {e}); give an "
                           ".otio file (or a format of an installed adapter)", code="compiler.otio_unreadable",
                           details={"path": path}) from e
    base: dict[str, Any] = dict(tl.metadata.get(KEY, {}) or {})
    rate = None
    tracks = []
    for ti, ot in enumerate(tl.tracks):
        tmeta = dict(ot.metadata.get(KEY, {}) or {})
        kind = tmeta.get("kind") or ("audio" if ot.kind == otio.schema.TrackKind.Audio else "video")
        clips: list[dict[str, Any]] = []
        pos = 0.0
        pending: float = 0.0
        pending_type = "fade"
        for item in ot:
            if isinstance(item, otio.schema.Transition):
                pending = item.in_offset.to_seconds() + item.out_offset.to_seconds()
                pending_type = (item.metadata.get(KEY) or {}).get("type") or "fade"
                if clips and "_extend" in clips[-1]:  # the outgoing clip plays on through the second half
                    clips[-1]["_extend"] = item.out_offset.to_seconds()
                continue
            dur = item.source_range.duration.to_seconds() if item.source_range else item.duration().to_seconds()
            rate = rate or (item.source_range.duration.rate if item.source_range else None)
            if isinstance(item, otio.schema.Gap):
                pos += dur
                continue
            mine = dict(item.metadata.get(KEY, {}) or {})
            if mine:
                clips.append(mine)
            elif isinstance(item, otio.schema.Clip):
                back = pending / 2 if pending else 0.0
                ref = item.media_reference
                url = getattr(ref, "target_url", "") or ""
                source = unquote(urlparse(url).path) if url.startswith("file:") else url
                src_in = item.source_range.start_time.to_seconds() if item.source_range else 0.0
                clip = {"type": "media", "source": source, "start": round(pos - back, 6), "_extend": 0.0,
                        "source_in": round(max(0.0, src_in - back), 6), "duration": round(dur + back, 6)}
                if pending:
                    clip["transition"] = {"type": pending_type, "duration": round(pending, 6)}
                clips.append(clip)
            pending = 0.0
            pos += dur
        for c in clips:
            extend = c.pop("_extend", 0.0)  # only clips built from OTIO geometry carry it
            if extend:
                c["duration"] = round(c["duration"] + extend, 6)
        track = {**tmeta, "id": tmeta.get("id") or ot.name or f"track{ti}", "kind": kind, "clips": clips}
        tracks.append(Track.model_validate(track).model_dump(mode="json", exclude_none=True))
    markers = []
    for m in tl.tracks.markers:
        mine = (m.metadata.get(KEY) or {})
        markers.append(mine or {"time": m.marked_range.start_time.to_seconds(), "name": m.name,
                                "duration": m.marked_range.duration.to_seconds()})
    if "settings" not in base and rate:
        base["settings"] = {"fps": rate}
    base.setdefault("name", tl.name or "imported")
    return Project.model_validate({**base, "tracks": tracks, "markers": markers})
