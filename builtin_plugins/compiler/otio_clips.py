"""One track's OpenTimelineIO items (already placed by OTIO) → reelkit clip documents.

Used by :mod:`.otio_import`. Clips get their place and source range from OTIO; transitions then move
the clips they join (see that module's docstring). What reelkit cannot show the way OTIO describes it
is converted and noted; the original (media reference, generator, effects, the transition a fade stands
for) is kept under the clip's ``metadata["otio"]`` so export writes it back.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from .otio_media import BARS, ImportOptions, draw_bars, draw_still, generator_color, media_timecode, relink
from .otio_values import plain, ref_plain, sec

KEY = "reelkit"
MINE = "__reelkit_mine"  # the reelkit fields a reelkit export stored beside a clip (while importing only)
MAX_SPEED, MIN_SPEED = 4.0, 0.25


class ClipBuilder:
    """Builds clip dicts for one import; ``note(path, item, feature, action, message)`` reports."""

    def __init__(self, options: ImportOptions, base_dir: str, note: Callable[..., None]):
        import opentimelineio as otio

        self.otio, self.opts, self.base_dir, self.note = otio, options, base_dir, note
        self.stills = options.stills_dir or os.path.join(tempfile.gettempdir(), "reelkit-otio-stills")

    # -- markers ---------------------------------------------------------------------------------------
    def marker(self, m: Any, shift: float, speed: float, path: str, owner: Any) -> dict[str, Any]:
        """A marker at seconds from its owner's start (``shift`` is the owner's start in the marker's space)."""
        t = (m.marked_range.start_time.to_seconds() - shift) / (speed or 1.0)
        if t < 0:
            self.note(path, m, "marker", "approximated", f"the marker lies {-t:g}s before the start of its item; "
                      "moved to the start")
            t = 0.0
        out = {"time": sec(t), "name": (m.name or "")[:500], "duration": sec(max(0.0, m.marked_range.duration
                                                                                   .to_seconds() / (speed or 1.0)))}
        if m.color:
            out["color"] = str(m.color)[:32]
        if m.comment:
            out["comment"] = str(m.comment)[:2000]
        mine = plain(m.metadata.get(KEY)) or {}
        if mine:  # written by reelkit: its own fields (a colour left unset stays unset), OTIO's place
            out = {**mine, **{k: out[k] for k in ("time", "duration") if abs(out[k] - mine.get(k, -1)) >= 1e-7}}
        return out

    # -- clips ------------------------------------------------------------------------------------------
    def place(self, events: list[tuple[str, Any, Any]], kind: str, tpath: str) -> list[dict[str, Any]]:
        """Clips of one track from its events; transitions applied to their neighbours."""
        slots: list[tuple[str, Any, Any]] = []
        for what, item, (start, dur), path in events:
            if what == "clip":
                slots.append(("clip", self.clip(item, start, dur, kind, path), item, path))
            else:
                slots.append((what, None, item, path))
        for i, (what, _, item, path) in enumerate(slots):
            if what == "transition":
                prev = slots[i - 1][1] if i > 0 and slots[i - 1][0] == "clip" else None
                nxt = slots[i + 1][1] if i + 1 < len(slots) and slots[i + 1][0] == "clip" else None
                self.transition(item, _live(prev), _live(nxt), path or tpath)
        out = [d for what, d, _, _ in slots if what == "clip" and d is not None]
        for d in out:
            _settle(d, d.pop(MINE, None) or {})
        return out

    def clip(self, item: Any, start: float, dur: float, kind: str, path: str) -> dict[str, Any] | None:
        otio = self.otio
        meta = plain(item.metadata)  # one pass over OTIO's dictionary (each access crosses the bindings)
        mine = dict(meta.pop(KEY, None) or {})
        if ((mine.get("metadata") or {}).get("otio") or {}).get("offline"):
            mine = {}  # an offline stand-in reelkit wrote: look for its media again (it may be there now)
        keep: dict[str, Any] = {}
        if meta:
            keep["metadata"] = meta
        sr = item.trimmed_range()
        speed, freeze, reverse = self._time_effects(item, path, keep)
        ref = item.media_reference
        ar = getattr(ref, "available_range", None)
        source_in = (sr.start_time - ar.start_time).to_seconds() if ar is not None else sr.start_time.to_seconds()
        if ar is not None:
            keep["media_start"] = plain(ar.start_time)
        if source_in < 0:
            self.note(path, item, "source_range", "approximated", f"source_range starts {-source_in:g}s before the "
                      "media's available_range; read from the media's first frame")
            source_in = 0.0
        if mine:
            keep.clear()  # export wrote these from the document itself; the document's own fields say it all
        d: dict[str, Any] = {**mine, "start": sec(start), "duration": sec(dur), "enabled": bool(item.enabled),
                             MINE: mine}  # popped by _settle once transitions have moved the clip
        if "name" not in mine and item.name:
            d["name"] = item.name[:500]
        markers = item.markers
        d["markers"] = [self.marker(m, sr.start_time.to_seconds(), speed, f"{path}.markers[{i}]", item)
                        for i, m in enumerate(markers)] if len(markers) else []
        if mine.get("type") in ("color", "text"):
            return self._with(d, keep)
        if isinstance(ref, otio.schema.GeneratorReference):
            return self._generator(d, ref, kind, path, item, keep)
        reference = getattr(ref, "target_url", "") or ""
        if isinstance(ref, otio.schema.ImageSequenceReference):
            reference = ref.target_url_base + ref.name_prefix
        found, how = relink(reference, self.base_dir, self.opts) if reference else (None, "missing")
        if isinstance(ref, otio.schema.ImageSequenceReference):
            found, how = None, "image sequences are not rendered"
        if not mine:
            keep["media_reference"] = ref_plain(ref)
        if found is None:
            return self._offline(d, reference or item.name, source_in, speed, kind, path, item, keep, how)
        if how == "relinked":
            self.note(path, item, "media_reference", "relinked", f"{reference!r} was found at {found!r}")
        if ar is None and sr.start_time.to_seconds() > 0:
            source_in, start = self._from_timecode(found, sr, source_in, path, item)
            if start is not None and not mine:
                keep["media_start"] = plain(start)  # export writes the same source timecode back
        if freeze:
            if kind == "audio":
                self.note(path, item, "freeze_frame", "dropped", "a freeze frame on an audio track is silence")
                return self._with({**d, "type": "color", "enabled": False, "metadata": {}}, keep)
            still = draw_still(self.stills, found, source_in)
            keep["freeze"] = {"source": found, "source_in": sec(source_in)}
            self.note(path, item, "freeze_frame", "approximated", f"drawn as a still of {found!r} at {source_in:g}s")
            return self._with({**d, "type": "media", "source": still}, keep)
        media = {**d, "type": "media", "source": found, "source_in": sec(source_in)}
        if not mine:
            media["speed"] = speed
            if reverse:
                media["reverse"] = True
        return self._with(media, keep)

    def _from_timecode(self, found: str, sr: Any, source_in: float, path: str, item: Any) -> tuple[float, Any]:
        """No available_range: a source time past the media's own start timecode counts from that start."""
        tc = media_timecode(found)
        try:
            start = self.otio.opentime.from_timecode(tc, sr.start_time.rate) if tc else None
        except ValueError:
            start = None
        if start is None or start.to_seconds() <= 0 or source_in < start.to_seconds():
            return source_in, None
        self.note(path, item, "source_range", "approximated", f"no available_range: the media's timecode "
                  f"{tc} was taken as its first frame (source_in {source_in - start.to_seconds():g}s)")
        return source_in - start.to_seconds(), start

    def _time_effects(self, item: Any, path: str, keep: dict[str, Any]) -> tuple[float, bool, bool]:
        otio = self.otio
        scalar, freeze, dropped = 1.0, False, []
        effects = item.effects
        if not len(effects):
            return scalar, freeze, False
        effects = list(effects)
        for e in effects:
            if isinstance(e, otio.schema.FreezeFrame) or (isinstance(e, otio.schema.LinearTimeWarp)
                                                         and e.time_scalar == 0):
                freeze = True
            elif isinstance(e, otio.schema.LinearTimeWarp):
                scalar *= e.time_scalar
            else:
                dropped.append(plain(e))
                self.note(path, item, "effect", "dropped", f"effect {e.effect_name or e.name or type(e).__name__!r} "
                          "has no reelkit equivalent")
        keep["effects"] = [plain(e) for e in effects]
        reverse = scalar < 0 and not freeze  # a negative warp plays the source range backwards: reelkit's reverse
        scalar = abs(scalar)
        if not freeze and not MIN_SPEED <= scalar <= MAX_SPEED:
            clamped = min(MAX_SPEED, max(MIN_SPEED, scalar))
            self.note(path, item, "time_warp", "approximated", f"speed {scalar:g} is outside reelkit's "
                      f"{MIN_SPEED:g}–{MAX_SPEED:g}; played at {clamped:g}")
            scalar = clamped
        return scalar, freeze, reverse

    def _generator(self, d, ref, kind, path, item, keep) -> dict[str, Any]:
        gkind, params = ref.generator_kind or "", plain(ref.parameters) or {}
        keep["generator"] = {"kind": gkind, "parameters": params}
        if kind == "audio":
            self.note(path, item, "generator", "dropped", f"generator {gkind!r} on an audio track is silence")
            return self._with({**d, "type": "color", "enabled": False}, keep)
        if gkind.lower().replace(" ", "") in BARS:
            bars = draw_bars(self.stills, self.opts.width, self.opts.height)
            return self._with({**d, "type": "media", "source": bars}, keep)
        color = generator_color(gkind, params)
        if color is None:
            self.note(path, item, "generator", "approximated", f"generator {gkind!r} is unknown; shown as black")
            color = "#000000"
        return self._with({**d, "type": "color", "color": color}, keep)

    def _offline(self, d, reference, source_in, speed, kind, path, item, keep, how) -> dict[str, Any]:
        slate = self.opts.offline == "slate"
        keep["offline"] = {"reference": reference, "source_in": sec(source_in), "speed": speed,
                           "enabled": bool(item.enabled)}
        shown = "silence" if kind == "audio" else ("a slate" if slate else "the background")
        self.note(path, item, "media_reference", "offline", f"media {reference!r} is offline ({how}); shown as "
                  f"{shown}; relink it with the import option relink: {{old reference or folder: new path or folder}}")
        out = {k: v for k, v in d.items() if k in ("start", "duration", "name", "markers", "enabled")}
        out.update(type="color", color=self.opts.slate_color if slate else "#000000")
        if kind == "audio" or not slate:
            out["enabled"] = False  # not drawn: the background (or the tracks below) shows, audio is silent
        return self._with(out, keep)

    @staticmethod
    def _with(d: dict[str, Any], keep: dict[str, Any]) -> dict[str, Any]:
        if keep:
            meta = dict(d.get("metadata") or {})
            meta["otio"] = {**(meta.get("otio") or {}), **keep}
            d["metadata"] = meta
        return d

    # -- transitions ------------------------------------------------------------------------------------
    def transition(self, item: Any, prev: dict[str, Any] | None, nxt: dict[str, Any] | None, path: str) -> None:
        a, b = item.in_offset.to_seconds(), item.out_offset.to_seconds()
        mine = plain(item.metadata.get(KEY)) or {}
        kind = mine.get("type") or "fade"
        if not mine and item.transition_type not in ("", self.otio.schema.TransitionTypes.SMPTE_Dissolve):
            self.note(path, item, "transition", "approximated", f"transition {item.transition_type!r} is shown "
                      "as a dissolve (fade)")
        info = {"in_offset": sec(a), "out_offset": sec(b), "name": item.name, "transition_type":
                item.transition_type, "metadata": {k: v for k, v in plain(item.metadata).items() if k != KEY}}
        if a + b <= 0:
            return
        if nxt is not None and a > 0:
            a = self._head(nxt, a, path, item)
        if prev is not None and nxt is not None:
            if a + b > 10:
                self.note(path, item, "transition", "dropped", f"a {a + b:g}s transition is longer than reelkit's "
                          "10s; it became a cut")
                nxt["start"], nxt["duration"] = sec(nxt["start"] + a), sec(nxt["duration"] - a)
                _shift(nxt, -a)
                return
            prev["duration"] = sec(prev["duration"] + b)
            nxt["transition"] = {"type": kind, "duration": sec(a + b)}
            if not mine:  # the OTIO transition's own name, type and metadata, for export
                self._with(nxt, {"transition": {k: info[k] for k in ("name", "transition_type", "metadata")}})
            if abs(a - b) > 1e-9:
                nxt["transition"]["in_offset"] = sec(a)
            return
        if prev is not None:
            prev["duration"] = sec(prev["duration"] + b)
            prev["fade_out"] = sec(a + b)
            self._with(prev, {"transition_out": info})
            self.note(path, item, "transition", "approximated", "a transition into nothing became a fade out")
        elif nxt is not None:
            nxt["fade_in"] = sec(a + b)
            if abs(a - info["in_offset"]) > 1e-9:
                info["used_in"] = sec(a)  # the track's start cut the transition: export writes it whole again
            self._with(nxt, {"transition_in": info})
            self.note(path, item, "transition", "approximated", "a transition from nothing became a fade in")
        else:
            self.note(path, item, "transition", "dropped", "a transition between two gaps shows nothing")

    def _head(self, nxt: dict[str, Any], a: float, path: str, item: Any) -> float:
        """Start ``nxt`` ``a`` seconds early (its head handle); less when the track or the media ends first."""
        room = nxt["start"]
        if nxt.get("type") == "media" and "source_in" in nxt:
            room = min(room, nxt["source_in"] / nxt.get("speed", 1.0))
        if a > room + 1e-9:
            self.note(path, item, "transition", "approximated", f"the incoming clip has {room:g}s before its cut, "
                      f"not the transition's in_offset {a:g}s; the transition starts at the cut minus {room:g}s")
            a = room
        nxt["start"] = sec(nxt["start"] - a)
        nxt["duration"] = sec(nxt["duration"] + a)
        if "source_in" in nxt:
            nxt["source_in"] = sec(nxt["source_in"] - a * nxt.get("speed", 1.0))
        _shift(nxt, a)
        return a


def _settle(d: dict[str, Any], mine: dict[str, Any]) -> None:
    """Where OTIO's geometry agrees with the reelkit fields stored beside it (within 100 ns), keep the
    document's own values: a round trip then changes nothing, not even float noise or a default."""
    for key in ("start", "duration", "source_in"):
        if isinstance(mine.get(key), (int, float)) and key in d and abs(d[key] - mine[key]) < 1e-7:
            d[key] = mine[key]
    if mine.get("source_out") is not None:
        implied = (mine["source_out"] - mine.get("source_in", 0)) / mine.get("speed", 1.0)
        if abs(d.get("duration", 0) - implied) < 1e-7 and abs(d.get("source_in", 0) - mine.get("source_in", 0)) < 1e-7:
            d["duration"] = mine.get("duration")  # the length was given by source_out: keep it that way
        else:
            d.pop("source_out", None)  # the clip was retimed elsewhere: OTIO's length wins
    t, tm = d.get("transition"), mine.get("transition")
    if t and tm and abs(t["duration"] - tm["duration"]) < 1e-7:
        a = t.get("in_offset", t["duration"] / 2)
        am = tm.get("in_offset")
        if abs(a - (tm["duration"] / 2 if am is None else am)) < 1e-7:
            d["transition"] = tm


def _shift(d: dict[str, Any], by: float) -> None:
    """The clip now starts ``by`` seconds earlier: its markers move later relative to its start."""
    for m in d.get("markers") or []:
        m["time"] = sec(max(0.0, m["time"] + by))


def _live(d: dict[str, Any] | None) -> dict[str, Any] | None:
    return d if d is not None and d.get("enabled", True) else None

