"""OpenTimelineIO timeline → reelkit project, with a report of everything approximated or dropped.

Geometry comes from OpenTimelineIO's own algorithms, never re-derived by hand: an item's place is
``Track.range_of_child_at_index``, a track's own ``source_range`` is applied by
``algorithms.track_trimmed_to_range`` and nested stacks are flattened by ``algorithms.flatten_stack``.
Source times are relative to the media's ``available_range.start`` (media starting at 01:00:00:00 has
``source_in`` 0 at its first frame). A transition spans ``in_offset`` before the cut and ``out_offset``
after it: the incoming clip starts ``in_offset`` early, the outgoing one plays ``out_offset`` longer, and
reelkit's transition keeps ``in_offset``, so an asymmetric transition stays where it was. A transition
into or out of nothing (a gap, a disabled clip, a track's edge) becomes a fade over the same span.

Every approximation and drop is a note ``{path, item, feature, action, message}``; ``path`` indexes the
original timeline as Python does (``tracks[0][3][1]`` is ``timeline.tracks[0][3][1]``).
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

from .otio_clips import ClipBuilder
from .otio_values import plain, sec
from .otio_media import ImportOptions

KEY = "reelkit"
PATH = "__reelkit_path"


def normal_rate(rate: float) -> str:
    """A float frame rate as reelkit's ``num/den`` (23.976 and 23.976023976… are both 24000/1001)."""
    for n in (24, 30, 48, 60, 120):
        if abs(rate - n * 1000 / 1001) < 0.002:
            return f"{n * 1000}/1001"
    r = Fraction(rate).limit_denominator(1001)
    return f"{r.numerator}/{r.denominator}"


class Importer:
    """One import: call :meth:`run` once; ``notes`` is the report."""

    def __init__(self, timeline: Any, options: ImportOptions, base_dir: str, notes: list[dict[str, str]],
                 copy: bool = True):
        import opentimelineio as otio

        self.otio = otio
        # paths are tagged into the items' metadata before flattening: a copy unless the timeline is ours
        self.tl = timeline.deepcopy() if copy else timeline
        self.opts = options
        self.notes = notes
        self.clips = ClipBuilder(options, base_dir, self.note)

    def note(self, path: str, item: Any, feature: str, action: str, message: str) -> None:
        name = getattr(item, "name", "") if item is not None else ""
        self.notes.append({"path": path, "item": name or "", "feature": feature, "action": action, "message": message})

    def run(self) -> dict[str, Any]:
        """The project document (a dict, validated by the caller)."""
        otio = self.otio
        for ti, track in enumerate(self.tl.tracks):
            # items OTIO's algorithms copy (trimmed tracks, flattened stacks) carry their path in metadata;
            # the others' paths are their indices, with no write into a thousand dictionaries
            if not isinstance(track, otio.core.Composition):
                continue
            if track.source_range is not None or not isinstance(track, otio.schema.Track):
                _tag(track, f"tracks[{ti}]")
            else:
                for i, child in enumerate(track):
                    if isinstance(child, otio.core.Composition):
                        child.metadata[PATH] = f"tracks[{ti}][{i}]"
                        _tag(child, f"tracks[{ti}][{i}]")
        self._drop_unmeasurable()
        base: dict[str, Any] = dict(plain(self.tl.metadata.get(KEY)) or {})
        base.setdefault("name", self.tl.name or "imported")
        settings = dict(base.get("settings") or {})
        settings.setdefault("fps", self.opts.fps or normal_rate(self._rate()))
        base["settings"] = settings
        self.background = settings.get("background", "#000000")
        meta = dict(base.get("metadata") or {})
        foreign = {k: v for k, v in plain(self.tl.metadata).items() if k != KEY}
        if foreign or self.tl.global_start_time is not None:
            meta["otio"] = {"metadata": foreign} if foreign else {}
            if self.tl.global_start_time is not None:
                meta["otio"]["global_start_time"] = plain(self.tl.global_start_time)
        base["metadata"] = meta
        tracks, used = [], set()
        self.ends: list[float] = []
        for ti, ot in enumerate(self.tl.tracks):
            if not isinstance(ot, otio.schema.Track):
                wrapper = otio.schema.Track(name=ot.name, kind=otio.schema.TrackKind.Video)
                wrapper.append(ot.deepcopy())
                self.note(f"tracks[{ti}]", ot, "stack_item", "approximated",
                          f"a {type(ot).__name__} directly in the timeline's stack was imported as a track of its own")
                ot = wrapper
            tracks.append(self._track(ot, ti, used))
        total = max(self.ends, default=0.0)
        self._keep_length(tracks, total)
        base["tracks"] = tracks
        base["markers"] = [self.clips.marker(m, 0.0, 1.0, f"tracks.markers[{i}]", None)
                           for i, m in enumerate(self.tl.tracks.markers)]
        return base

    def _drop_unmeasurable(self) -> None:
        """A clip with neither a source_range nor a media available_range has no length (OTIO cannot place
        anything after it): it is left out, with a note."""
        otio = self.otio
        for clip in list(self.tl.find_clips()):
            try:
                clip.trimmed_range()
            except otio.exceptions.OTIOError:
                parent = clip.parent()
                self.note(clip.metadata.get(PATH) or _path_of(clip), clip, "clip", "dropped", "the clip has no source_range and "
                          "its media no available_range, so it has no length; give it a source_range")
                del parent[parent.index(clip)]

    def _rate(self) -> float:
        for item in self.tl.find_children(descended_from_type=self.otio.core.Item):
            if item.source_range is not None:
                return item.source_range.duration.rate
        if self.tl.global_start_time is not None:
            return self.tl.global_start_time.rate
        return 30.0

    def _track(self, ot: Any, ti: int, used: set[str]) -> dict[str, Any]:
        otio = self.otio
        path = f"tracks[{ti}]"
        mine = dict(plain(ot.metadata.get(KEY)) or {})
        kind = "audio" if ot.kind == otio.schema.TrackKind.Audio else "video"
        if ot.kind not in (otio.schema.TrackKind.Audio, otio.schema.TrackKind.Video):
            self.note(path, ot, "track_kind", "approximated", f"track kind {ot.kind!r} was imported as video")
        kind = mine.get("kind", kind)
        tid = _unique(mine.get("id") or ot.name or f"track{ti}", used)
        track: dict[str, Any] = {**mine, "id": tid, "kind": kind}
        if ot.name and "name" not in mine:
            track["name"] = ot.name[:500]
        if not ot.enabled:
            track["muted" if kind == "audio" else "hidden"] = True
        shift = ot.source_range.start_time.to_seconds() if ot.source_range is not None else 0.0
        track["markers"] = [self.clips.marker(m, shift, 1.0, f"{path}.markers[{i}]", None)
                            for i, m in enumerate(ot.markers)]
        if kind == "subtitle":
            return track
        flat = self._trimmed(ot, ot.source_range, path)
        events: list[tuple[str, Any, Any, str]] = []
        self._walk(flat, 0.0, kind, events, path, flat is not ot)
        # where the track ends: its last item's end (OTIO's duration also counts a leading transition's
        # in_offset, time before 0 that is never shown)
        self.ends.append(sec(max((s + d for what, _, (s, d), _ in events if what != "transition"), default=0.0)))
        track["clips"] = self.clips.place(events, kind, path)
        return track

    def _trimmed(self, comp: Any, rng: Any, path: str) -> Any:
        """``comp`` cut to ``rng`` by OpenTimelineIO; transitions the cut would split are dropped first."""
        otio = self.otio
        if rng is None:
            return comp
        try:
            return otio.algorithms.track_trimmed_to_range(comp, rng)
        except otio.exceptions.CannotTrimTransitionsError:
            copy = comp.deepcopy()
            for i in reversed(range(len(copy))):
                item = copy[i]
                if isinstance(item, otio.schema.Transition):
                    r = copy.range_of_child_at_index(i)
                    if r.start_time < rng.start_time < r.end_time_exclusive() or \
                            r.start_time < rng.end_time_exclusive() < r.end_time_exclusive():
                        self.note(item.metadata.get(PATH, path), item, "transition", "dropped",
                                  "the track's source_range cuts through this transition; it became a cut")
                        del copy[i]
            return otio.algorithms.track_trimmed_to_range(copy, rng)

    def _walk(self, track: Any, offset: float, kind: str, events: list[tuple[str, Any, Any, str]], prefix: str,
              tagged: bool) -> None:
        """Append ``(what, item, (start, duration), path)`` for each child, nested compositions flattened;
        ``tagged``: the items are copies that carry their path in metadata."""
        otio = self.otio
        for i, child in enumerate(track):
            r = track.range_of_child_at_index(i)
            start, dur = offset + r.start_time.to_seconds(), r.duration.to_seconds()
            path = child.metadata.get(PATH, "") if tagged else f"{prefix}[{i}]"
            if isinstance(child, otio.schema.Transition):
                events.append(("transition", child, (start, dur), path))
            elif isinstance(child, otio.schema.Gap):
                events.append(("gap", child, (start, dur), path))
            elif isinstance(child, otio.schema.Clip):
                events.append(("clip", child, (start, dur), path))
            elif isinstance(child, otio.schema.Stack):
                inner = self._flatten(child, kind, path)
                self._walk(self._trimmed(inner, child.trimmed_range(), path), start, kind, events, path, True)
            elif isinstance(child, otio.schema.Track):
                self.note(path, child, "nested_track", "approximated", "a track nested in a track was flattened "
                          "into its parent")
                self._walk(self._trimmed(child, child.source_range, path), start, kind, events, path, True)
            else:
                self.note(path, child, type(child).__name__, "dropped", f"a {type(child).__name__} is not a clip, "
                          "gap or transition; its time was left empty")
                events.append(("gap", child, (start, dur), path))

    def _flatten(self, stack: Any, kind: str, path: str) -> Any:
        """The tracks of a nested stack that match ``kind``, flattened by OpenTimelineIO (top track wins)."""
        otio = self.otio
        want = otio.schema.TrackKind.Audio if kind == "audio" else otio.schema.TrackKind.Video
        keep = otio.schema.Stack()
        for child in stack:
            if isinstance(child, otio.schema.Track) and child.kind != want:
                self.note(child.metadata.get(PATH, path), child, "nested_track", "dropped",
                          f"a {child.kind} track nested in a {kind} track was left out")
                continue
            keep.append(child.deepcopy())
        if len(keep) > 1:
            self.note(path, stack, "nested_stack", "approximated", f"a nested stack of {len(keep)} tracks was "
                      "flattened with otio.algorithms.flatten_stack (upper tracks cover lower ones)")
        else:
            self.note(path, stack, "nested_stack", "approximated", "a nested stack was flattened into its track")
        if not len(keep):
            return otio.schema.Track()
        return otio.algorithms.flatten_stack(keep)  # untrimmed: the caller cuts it to stack.trimmed_range()

    def _keep_length(self, tracks: list[dict[str, Any]], total: float) -> None:
        """A trailing gap makes the timeline longer than its clips: hold that length with a filler."""
        ends = [c["start"] + _length(c) for t in tracks for c in t.get("clips", []) if c.get("enabled", True)]
        end = max(ends, default=0.0)
        if total - end < 1e-6:
            return
        video = next((t for t in tracks if t["kind"] == "video"), None)
        if video is None:
            self.note("tracks", None, "trailing_gap", "dropped", f"the timeline lasts {total:g}s but its last clip "
                      f"ends at {end:g}s; an audio-only project ends with its last clip")
            return
        video["clips"].append({"type": "color", "color": self.background, "start": sec(end),
                               "duration": sec(total - end),
                               "metadata": {"otio": {"filler": True}}})


def _tag(comp: Any, path: str) -> None:
    """Write each item's path in the original timeline into its metadata (flattening copies metadata)."""
    for i, child in enumerate(comp):
        child.metadata[PATH] = f"{path}[{i}]"
        if hasattr(child, "__iter__") and not isinstance(child, str) and hasattr(child, "range_of_child_at_index"):
            _tag(child, f"{path}[{i}]")


def _length(c: dict[str, Any]) -> float:
    if c.get("duration") is not None:
        return c["duration"]
    return (c["source_out"] - c.get("source_in", 0)) / c.get("speed", 1.0)  # sized by source_out


def _path_of(item: Any) -> str:
    """``tracks[i][j]…`` of an item, from its parents (for the rare note on an untagged item)."""
    parts = []
    while item.parent() is not None:
        parts.append(f"[{item.parent().index(item)}]")
        item = item.parent()
    return "tracks" + "".join(reversed(parts))


def _unique(name: str, used: set[str]) -> str:
    name = name[:120] or "track"
    out, n = name, 1
    while out in used:
        n += 1
        out = f"{name}.{n}"
    used.add(out)
    return out


def base_dir_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))
