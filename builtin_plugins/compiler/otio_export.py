"""reelkit project → OpenTimelineIO timeline.

A track's clips are laid end to end with gaps between them. Two clips joined by a transition overlap
on reelkit's timeline; OTIO cuts between them and the transition spans ``in_offset`` before the cut and
``out_offset`` after it, where ``in_offset`` is the transition's own (centred when it has none). What an
import converted is written back as it came: offline clips with their original media reference and
source range, generators, freeze frames and effects, fades that stood for a transition into a gap,
names, enabled flags, markers with colours and the foreign metadata. Everything reelkit has and OTIO
lacks travels under ``metadata["reelkit"]`` (see :mod:`.otio_import`).
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Any

from .otio_values import ref_from_plain
from .otio_media import url_to_path
from .project import ColorClip, MediaClip, Project, TextClip

KEY = "reelkit"


class Exporter:
    """Builds one ``otio.schema.Timeline`` from a project."""

    def __init__(self, project: Project):
        import opentimelineio as otio

        self.otio, self.project = otio, project
        self.rate = float(Fraction(project.settings.fps))

    def rt(self, seconds: float) -> Any:
        """Seconds as time at the project rate; within 1/10000 of a frame it is that frame (no float noise)."""
        value = seconds * self.rate
        if abs(value - round(value)) < 1e-4:
            value = float(round(value))
        return self.otio.opentime.RationalTime(value, self.rate)

    def range(self, start: float, duration: float) -> Any:
        return self.otio.opentime.TimeRange(self.rt(start), self.rt(duration))

    def timeline(self) -> Any:
        otio, p = self.otio, self.project
        tl = otio.schema.Timeline(name=p.name)
        kept = (p.metadata.get("otio") or {}) if isinstance(p.metadata.get("otio"), dict) else {}
        for k, v in (kept.get("metadata") or {}).items():
            tl.metadata[k] = _from_plain(v)
        if kept.get("global_start_time"):
            tl.global_start_time = _from_plain(kept["global_start_time"])
        tl.metadata[KEY] = p.model_dump(mode="json", exclude={"tracks", "markers"})
        for track in p.tracks:
            tl.tracks.append(self.track(track))
        for m in p.markers:
            tl.tracks.markers.append(self.marker(m, 0.0, 1.0))
        return tl

    def marker(self, m: Any, origin: float, speed: float) -> Any:
        """``m`` in its owner's time: ``origin`` is where the owner's time is at its start."""
        otio = self.otio
        out = otio.schema.Marker(name=m.name, marked_range=self.range(origin + m.time * speed, m.duration * speed),
                                 metadata={KEY: _dump(m)})
        if m.color:
            out.color = m.color
        if m.comment:
            out.comment = m.comment
        return out

    def track(self, track: Any) -> Any:
        otio = self.otio
        kind = otio.schema.TrackKind.Audio if track.kind == "audio" else otio.schema.TrackKind.Video
        ot = otio.schema.Track(name=track.name or track.id, kind=kind)
        ot.metadata[KEY] = _dump(track, exclude={"clips"})
        ot.enabled = not (track.muted if track.kind == "audio" else track.hidden)
        for m in track.markers:
            ot.markers.append(self.marker(m, 0.0, 1.0))
        clips = sorted(track.clips, key=lambda c: c.start)
        pos = 0.0
        for i, c in enumerate(clips):
            duration = c.duration if c.duration is not None else _media_length(c)
            otio_meta = c.metadata.get("otio") if isinstance(c.metadata.get("otio"), dict) else {}
            start, end = c.start, c.start + duration
            if otio_meta.get("filler"):
                ot.append(otio.schema.Gap(source_range=self.range(0, end - pos)))
                pos = end
                continue
            nxt = clips[i + 1] if i + 1 < len(clips) else None
            joined = c.transition is not None and i > 0
            trim_in = _head(c) if joined else 0.0
            trim_out = _tail(nxt) if nxt is not None and nxt.transition else 0.0
            before = after = None
            info = otio_meta.get("transition_in")
            if isinstance(info, dict) and not joined and \
                    abs(c.fade_in - info.get("used_in", info["in_offset"]) - info["out_offset"]) < 1e-6:
                trim_in, before = info.get("used_in", info["in_offset"]), info
            info = otio_meta.get("transition_out")
            if isinstance(info, dict) and not trim_out and \
                    abs(c.fade_out - info["in_offset"] - info["out_offset"]) < 1e-6:
                trim_out, after = info["out_offset"], info
            if joined:
                t, orig = c.transition, otio_meta.get("transition") or {}
                meta = {k: _from_plain(v) for k, v in (orig.get("metadata") or {}).items()}
                meta[KEY] = _dump(t)
                ttype = orig.get("transition_type") if orig and t.type == "fade" else _otio_transition(t.type)
                ot.append(otio.schema.Transition(name=orig.get("name", "transition"), transition_type=ttype,
                                                 in_offset=self.rt(trim_in), out_offset=self.rt(t.duration - trim_in),
                                                 metadata=meta))
            if start + trim_in > pos + 1e-9:
                ot.append(otio.schema.Gap(source_range=self.range(0, start + trim_in - pos)))
            if before is not None:
                ot.append(self._restored_transition(before))
            ot.append(self.clip(c, trim_in, (end - trim_out) - (start + trim_in), otio_meta))
            if after is not None:
                ot.append(self._restored_transition(after))
            pos = end - trim_out
        return ot

    def _restored_transition(self, info: dict[str, Any]) -> Any:
        otio = self.otio
        return otio.schema.Transition(name=info.get("name") or "", transition_type=info.get("transition_type") or
                                      otio.schema.TransitionTypes.SMPTE_Dissolve,
                                      in_offset=self.rt(info["in_offset"]), out_offset=self.rt(info["out_offset"]),
                                      metadata={k: _from_plain(v) for k, v in (info.get("metadata") or {}).items()})

    def clip(self, c: Any, trim_in: float, shown: float, kept: dict[str, Any]) -> Any:
        otio = self.otio
        name = c.name if c.name is not None else (os.path.basename(c.source) if isinstance(c, MediaClip) else c.type)
        out = otio.schema.Clip(name=name)
        for k, v in (kept.get("metadata") or {}).items():
            out.metadata[k] = _from_plain(v)
        out.metadata[KEY] = _dump(c)
        offline = kept.get("offline") if isinstance(c, ColorClip) else None
        speed, source_in = (c.speed, c.source_in) if isinstance(c, MediaClip) else (1.0, 0.0)
        if offline:
            speed, source_in = offline.get("speed", 1.0), offline.get("source_in", 0.0)
        if kept.get("freeze"):
            source_in, speed = kept["freeze"]["source_in"], 0.0
        ref = self._reference(c, kept, offline)
        out.media_reference = ref
        origin = 0.0
        if getattr(ref, "available_range", None) is not None:
            origin = ref.available_range.start_time.to_seconds()
        elif kept.get("media_start"):
            origin = _from_plain(kept["media_start"]).to_seconds()
        src = origin + source_in + trim_in * speed
        out.source_range = self.range(src, shown)
        out.enabled = bool(offline.get("enabled", True)) if offline else c.enabled
        if kept.get("effects"):
            for e in kept["effects"]:
                out.effects.append(_from_plain(e))
        elif isinstance(c, MediaClip) and (c.speed != 1.0 or c.reverse):
            out.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=-c.speed if c.reverse else c.speed))
        for m in c.markers:
            out.markers.append(self.marker(m, origin + source_in, speed or 1.0))
        return out

    def _reference(self, c: Any, kept: dict[str, Any], offline: dict[str, Any] | None) -> Any:
        otio = self.otio
        original = kept.get("media_reference")
        if kept.get("generator"):
            g = kept["generator"]
            return otio.schema.GeneratorReference(generator_kind=g["kind"], parameters=g.get("parameters") or {})
        if offline is not None:
            if original:
                return ref_from_plain(original)
            return otio.schema.MissingReference(name=offline.get("reference") or "")
        if isinstance(c, MediaClip):
            source = kept["freeze"]["source"] if kept.get("freeze") else c.source
            if original and original.get("kind") == "ExternalReference":
                ref = ref_from_plain(original)
                if url_to_path(ref.target_url, os.getcwd()) != source:  # relinked: the new file is what was kept
                    ref.target_url = os.path.abspath(source)
                return ref
            return otio.schema.ExternalReference(target_url=os.path.abspath(source))
        kind = "reelkit.text" if isinstance(c, TextClip) else "SolidColor"
        return otio.schema.GeneratorReference(generator_kind=kind, parameters={"color": getattr(c, "color", "")})


def _dump(model: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    """reelkit's own fields, defaults left out (OTIO converts metadata value by value: small is fast)."""
    d = model.model_dump(mode="json", exclude_defaults=True, exclude=exclude)
    for key in ("name", "type", "kind"):  # an unnamed item stays unnamed; a clip keeps its kind
        if key in type(model).model_fields:
            d[key] = getattr(model, key)
    return d


def _head(c: Any) -> float:
    """Seconds of ``c``'s transition before the cut (its ``in_offset``, centred by default)."""
    t = c.transition
    if t is None:
        return 0.0
    return t.duration / 2 if t.in_offset is None else min(t.in_offset, t.duration)


def _tail(c: Any) -> float:
    return c.transition.duration - _head(c)


def _media_length(c: Any) -> float:
    if isinstance(c, MediaClip) and c.source_out is not None:
        return (c.source_out - c.source_in) / c.speed
    raise ValueError(f"clip at {c.start}s has no duration; validate the project first")


def _otio_transition(kind: str) -> str:
    import opentimelineio as otio

    return otio.schema.TransitionTypes.SMPTE_Dissolve if kind in ("fade", "dissolve") else "Custom_Transition"


def _from_plain(value: Any) -> Any:
    """Plain JSON back into OTIO objects where it holds ``OTIO_SCHEMA`` dicts."""
    import opentimelineio as otio

    if isinstance(value, dict) and "OTIO_SCHEMA" in value:
        return otio.adapters.read_from_string(json.dumps(value), adapter_name="otio_json")
    if isinstance(value, dict):
        return {k: _from_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_plain(v) for v in value]
    return value
