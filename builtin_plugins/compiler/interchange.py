"""Editor formats through the opentimelineio-plugins adapters: what each one carries, and what not.

Final Cut Pro 7 XML (``fcp_xml``, read by Premiere and Resolve), FCPX XML (``fcpx_xml``, when its
adapter is installed), CMX 3600 EDL (``cmx_3600``) and AAF (``AAF``, Avid). Before writing, a timeline is
shaped to what the adapter accepts (items it refuses become gaps, half-frame cuts land on whole
frames, rates are the timeline's own, AAF transitions get the Avid dissolve definition they need);
after writing, the file is read back with the same adapter and compared item by item, so the list of
what the format did not carry is what this file lost, each with its path, not a guess.
"""

from __future__ import annotations

from typing import Any

#: What no file of the format keeps, whatever the project (reelkit's own fields ride in OTIO metadata)
LIMITS = {
    "otio_json": [],
    "fcp_xml": ["reelkit fields (effects, transforms, text, fades, opacity, output settings)",
                "colour, bars and text clips (the adapter writes no generators): left as gaps"],
    "fcpx_xml": ["reelkit fields (effects, transforms, text, fades, opacity, output settings)",
                 "colour, bars and text clips (the adapter writes no generators): left as gaps",
                 "transitions (the adapter writes cuts)"],
    "cmx_3600": ["reelkit fields (effects, transforms, text, fades, opacity, output settings)",
                 "colour, bars and text clips (an EDL event needs a source): left as gaps",
                 "every track but the first video track", "track names", "timeline markers",
                 "disabled clips", "media start timecodes beyond the source timecode"],
    "AAF": ["reelkit fields (effects, transforms, text, fades, opacity, output settings)",
            "colour, bars and text clips (the adapter writes no generators): left as gaps", "markers"],
}
_VIDEO_DISSOLVE = "0c3bea40-fc05-11d2-8a29-0050040ef7d2"
_AUDIO_DISSOLVE = "0c3bea41-fc05-11d2-8a29-0050040ef7d2"


def shape(tl: Any, adapter: str, durations: dict[str, float]) -> tuple[Any, list[dict[str, str]]]:
    """A copy of ``tl`` the adapter can write; returns it and notes for what had to change."""
    import opentimelineio as otio

    tl = tl.deepcopy()
    notes: list[dict[str, str]] = []
    rate = _rate(tl)
    if adapter == "cmx_3600":
        video = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video]
        for i, t in enumerate(tl.tracks):
            if video and t is not video[0]:
                notes.append(_note(f"tracks[{i}]", t.name, "track", "an EDL holds one video track"))
        keep = video[:1]
        while len(tl.tracks):
            tl.tracks.pop()
        for t in keep:
            tl.tracks.append(t)
    for ti, track in enumerate(tl.tracks):
        for i in range(len(track)):
            item = track[i]
            path = f"tracks[{ti}][{i}]"
            if isinstance(item, otio.schema.Transition):
                _whole_frames(item, rate)
                if adapter == "AAF":
                    _aaf_dissolve(item, track.kind)
                continue
            if not isinstance(item, otio.schema.Clip):
                continue
            ref = item.media_reference
            if isinstance(ref, otio.schema.GeneratorReference) and adapter != "otio_json":
                notes.append(_note(path, item.name, "generator", f"{ref.generator_kind} clips cannot be written "
                                                                 f"by the {adapter} adapter; left as a gap"))
                track[i] = otio.schema.Gap(source_range=item.source_range)
                continue
            if isinstance(ref, otio.schema.MissingReference) and adapter in ("fcp_xml", "AAF"):
                item.media_reference = otio.schema.ExternalReference(target_url=ref.name or item.name)
                ref = item.media_reference
            if getattr(ref, "available_range", "absent") is None:
                ref.available_range = _available(item, durations, rate)
    return tl, notes


def compare(written: Any, back: Any) -> list[dict[str, str]]:
    """Differences between the timeline written and the one the adapter read back, with paths."""
    import opentimelineio as otio

    out: list[dict[str, str]] = []
    w_tracks, b_tracks = list(written.tracks), list(back.tracks)
    if len(b_tracks) < len(w_tracks):
        out.append(_note("tracks", "", "track", f"{len(w_tracks) - len(b_tracks)} of {len(w_tracks)} tracks "
                                                "did not come back"))
    w_m = [(m.name, m.color) for m in written.tracks.markers]
    b_m = [(m.name, m.color) for m in back.tracks.markers]
    if w_m != b_m:
        out.append(_note("tracks.markers", "", "marker", f"timeline markers {w_m} came back as {b_m}"))
    pairs = []  # tracks paired by kind, in order (FCPX lists its audio lanes first)
    for kind in (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio):
        b_kind = [t for t in b_tracks if t.kind == kind]
        pairs += list(zip([(i, t) for i, t in enumerate(w_tracks) if t.kind == kind], b_kind))
    for (ti, wt), bt in sorted(pairs, key=lambda p: p[0][0]):
        if wt.name != bt.name:
            out.append(_note(f"tracks[{ti}]", wt.name, "name", f"track name {wt.name!r} came back as {bt.name!r}"))
        wc, bc = list(wt.find_clips()), list(bt.find_clips())
        if len(wc) != len(bc):
            out.append(_note(f"tracks[{ti}]", wt.name, "clip", f"{len(wc)} clips were written, {len(bc)} came back"))
        for ci, (a, b) in enumerate(zip(wc, bc)):
            path = f"tracks[{ti}].clips[{ci}]"
            if a.enabled != b.enabled:
                out.append(_note(path, a.name, "enabled", f"enabled {a.enabled} came back as {b.enabled}"))
            if [(m.name, m.color) for m in a.markers] != [(m.name, m.color) for m in b.markers]:
                out.append(_note(path, a.name, "marker", "clip markers or their colours did not come back as written"))
            warp = [e.time_scalar for e in a.effects if isinstance(e, otio.schema.LinearTimeWarp)]
            if warp != [e.time_scalar for e in b.effects if isinstance(e, otio.schema.LinearTimeWarp)]:
                out.append(_note(path, a.name, "time_warp", f"speed {warp} did not come back"))
        wt_, bt_ = ([(t.in_offset, t.out_offset) for t in x if isinstance(t, otio.schema.Transition)] for x in (wt, bt))
        if len(bt_) < len(wt_):
            out.append(_note(f"tracks[{ti}]", wt.name, "transition", f"{len(wt_) - len(bt_)} of {len(wt_)} "
                                                                    "transitions came back as cuts"))
        for k, (a, b) in enumerate(zip(wt_, bt_)):
            if a != b:
                out.append(_note(f"tracks[{ti}]", wt.name, "transition", f"transition {k} offsets (in, out) "
                                 f"{_frames(a)} came back as {_frames(b)}: the same span, the cut moved"))
    if back.duration() != written.duration():
        out.append(_note("", written.name, "duration", f"the timeline lasted {written.duration().to_seconds():g}s, "
                                                      f"it came back as {back.duration().to_seconds():g}s "
                                                      "(a trailing gap is not kept)"))
    return out


def _note(path: str, item: str, feature: str, message: str) -> dict[str, str]:
    return {"path": path, "item": item or "", "feature": feature, "action": "not_carried", "message": message}


def _frames(pair: Any) -> tuple[float, float]:
    return tuple(round(t.value, 3) for t in pair)  # type: ignore[return-value]


def _rate(tl: Any) -> float:
    for item in tl.find_clips():
        return item.source_range.duration.rate if item.source_range else item.duration().rate
    return 24.0


def _whole_frames(t: Any, rate: float) -> None:
    """Editors cut on frames: a centred cut in an odd-length transition moves half a frame later."""
    import math

    import opentimelineio as otio

    total = round((t.in_offset + t.out_offset).rescaled_to(rate).value)
    a = math.floor(t.in_offset.rescaled_to(rate).value + 1e-6)
    t.in_offset, t.out_offset = otio.opentime.RationalTime(a, rate), otio.opentime.RationalTime(total - a, rate)


def _available(item: Any, durations: dict[str, float], rate: float) -> Any:
    """The media's range: its probed length, else just what the clip uses."""
    import opentimelineio as otio

    from .otio_media import url_to_path

    sr = item.source_range
    length = durations.get(url_to_path(getattr(item.media_reference, "target_url", "") or "", "/"))
    end = sr.end_time_exclusive().rescaled_to(rate).value
    frames = max(end, round(length * rate)) if length else end
    return otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(frames, rate))


def _aaf_dissolve(t: Any, kind: str) -> None:
    """The metadata the AAF writer needs for a dissolve (Avid's own operation definition)."""
    import opentimelineio as otio

    video = kind == otio.schema.TrackKind.Video
    t.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
    t.metadata["AAF"] = {
        "CutPoint": int(round(t.in_offset.value)),
        "PointList": [{"Value": 0, "Time": 0}, {"Value": 1, "Time": 1}],
        "OperationGroup": {"Operation": {
            "Identification": _VIDEO_DISSOLVE if video else _AUDIO_DISSOLVE,
            "Name": "Video Dissolve" if video else "Mono Audio Dissolve", "Description": "",
            "DataDefinition": {"Name": "Picture" if video else "Sound"}, "IsTimeWarp": False, "Bypass": 1,
            "NumberInputs": 2, "OperationCategory": "OperationCategory_Effect"}},
    }
