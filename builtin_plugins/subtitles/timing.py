"""Operations on tracks: shift, retime, two-point sync, bilingual merge, split, search and replace,
restyling. Each mutates or builds a :class:`Track` and returns a small summary; none touches files.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from .errors import SubtitlesInputInvalid
from .track import Track, plain_text

__all__ = ["shift", "retime", "sync", "merge", "split", "replace", "restyle", "Anchor"]


def _drop_before_zero(track: Track) -> int:
    """Clamp starts at 0; drop cues that now end at or before 0. Returns how many were dropped."""
    kept, dropped = [], 0
    for e in track.subs.events:
        if e.end <= 0 and e.start < 0:
            dropped += 1
            continue
        e.start = max(0, e.start)
        e.end = max(0, e.end)
        kept.append(e)
    track.subs.events[:] = kept
    return dropped


def shift(track: Track, offset_ms: int, *, from_ms: int | None = None) -> int:
    """Move cues by ``offset_ms`` (negative = earlier); with ``from_ms`` only cues starting at or after it.

    Returns the number of cues dropped because they would end before 0.
    """
    for e in track.subs.events:
        if from_ms is None or e.start >= from_ms:
            e.start += offset_ms
            e.end += offset_ms
    return _drop_before_zero(track)


def retime(track: Track, from_fps: float, to_fps: float) -> None:
    """Retime for a frame-rate change: a track timed for a ``from_fps`` video played at ``to_fps``.

    The classic case is PAL speed-up: film (23.976) shown at 25 fps runs 4 % faster, so subtitles timed
    to the PAL video are stretched by 25 / 23.976 to fit the film.
    """
    if from_fps <= 0 or to_fps <= 0:
        raise SubtitlesInputInvalid("frame rates must be positive", details={"from_fps": from_fps, "to_fps": to_fps})
    ratio = from_fps / to_fps
    for e in track.subs.events:
        e.start = round(e.start * ratio)
        e.end = round(e.end * ratio)


@dataclass(frozen=True)
class Anchor:
    """A point to pin: a cue (1-based) or a source time, and the time it should have."""

    target_ms: int
    cue: int | None = None
    source_ms: int | None = None

    def source(self, track: Track) -> int:
        if (self.cue is None) == (self.source_ms is None):
            raise SubtitlesInputInvalid("an anchor names exactly one of `cue` and `source_ms`",
                                        details={"cue": self.cue, "source_ms": self.source_ms})
        if self.cue is not None:
            cues = track.cues
            if not 1 <= self.cue <= len(cues):
                raise SubtitlesInputInvalid(f"anchor cue {self.cue} does not exist; the track has {len(cues)} cues",
                                            details={"cue": self.cue, "cues": len(cues)})
            return sorted(cues, key=lambda e: e.start)[self.cue - 1].start
        return int(self.source_ms)  # type: ignore[arg-type]


def sync(track: Track, first: Anchor, second: Anchor) -> tuple[float, float]:
    """Linear resync by two anchor points; returns ``(scale, offset_ms)`` of ``t' = t*scale + offset``.

    Fixes both an offset and a drift (a frame-rate mismatch) at once, as subtitle editors do with a
    line near the start and one near the end.
    """
    a1, a2 = first.source(track), second.source(track)
    if a1 == a2:
        raise SubtitlesInputInvalid("the two anchors point at the same source time; pick two cues far apart",
                                    details={"source_ms": a1})
    scale = (second.target_ms - first.target_ms) / (a2 - a1)
    if scale <= 0:
        raise SubtitlesInputInvalid("the anchors would reverse time (targets out of order)",
                                    details={"scale": scale})
    offset = first.target_ms - a1 * scale
    for e in track.subs.events:
        e.start = round(e.start * scale + offset)
        e.end = round(e.end * scale + offset)
    _drop_before_zero(track)
    return scale, offset


def merge(first: Track, second: Track, *, mode: str = "stack") -> Track:
    """Merge two tracks into one bilingual track.

    ``stack``: every cue of both tracks kept; the second track's cues use a ``Secondary`` style placed
    at the top (SubStation targets show both at once; SubRip/WebVTT get ``{\\an8}``).
    ``combine``: one cue per cue of the first track, the overlapping text of the second track added as
    an italic second line (for players that show one cue at a time).
    """
    from pysubs2 import Alignment, SSAEvent, SSAStyle

    out = Track(subs=copy.deepcopy(first.subs), format=first.format, encoding=first.encoding,
                source=first.source)
    if mode == "stack":
        base = out.subs.styles.get("Default", SSAStyle())
        secondary = base.copy()
        secondary.alignment = Alignment.TOP_CENTER
        secondary.fontsize = base.fontsize * 0.85
        out.subs.styles["Secondary"] = secondary
        for e in second.cues:
            text = e.text if "\\an" in e.text else "{\\an8}" + e.text
            out.subs.events.append(SSAEvent(start=e.start, end=e.end, text=text, style="Secondary", name=e.name))
        out.sort()
        return out
    if mode != "combine":
        raise SubtitlesInputInvalid(f"unknown merge mode {mode!r}; use 'stack' or 'combine'", details={"mode": mode})
    others = sorted(second.cues, key=lambda e: e.start)
    j0 = 0
    for e in sorted(out.cues, key=lambda e: e.start):
        while j0 < len(others) and others[j0].end <= e.start:
            j0 += 1
        texts = []
        j = j0
        while j < len(others) and others[j].start < e.end:
            o = others[j]
            overlap = min(e.end, o.end) - max(e.start, o.start)
            if overlap * 2 >= min(e.duration, o.duration):  # each second-track line joins its best match
                texts.append(plain_text(o.text).replace("\n", "\\N"))
            j += 1
        if texts:
            e.text = e.text + "\\N{\\i1}" + "\\N".join(texts) + "{\\i0}"
    return out


def split(track: Track, at_ms: list[int], *, rebase: bool = True) -> list[tuple[int, int | None, Track]]:
    """Split at the given times into ``len(at_ms)+1`` parts ``(start, end, track)``.

    A cue that straddles a split point appears in both parts, cut at the point. With ``rebase`` each
    part's times start from 0 (for cutting a video into pieces).
    """
    points = sorted(set(int(t) for t in at_ms))
    if not points or points[0] <= 0:
        raise SubtitlesInputInvalid("split points must be positive times in ms", details={"at_ms": at_ms})
    bounds = [0, *points, None]
    parts = []
    for lo, hi in zip(bounds, bounds[1:]):
        part = Track(subs=copy.copy(track.subs), format=track.format, encoding=track.encoding, source=track.source)
        part.subs.events = []
        part.vtt_blocks = list(track.vtt_blocks)
        for e in track.subs.events:
            if e.end <= lo or (hi is not None and e.start >= hi):
                continue
            piece = e.copy()
            piece.start = max(e.start, lo)
            piece.end = e.end if hi is None else min(e.end, hi)
            if rebase:
                piece.start -= lo
                piece.end -= lo
            part.add(piece, track.line_of(e), track.settings_of(e))
        parts.append((lo, hi, part))
    return parts


def replace(track: Track, find: str, replacement: str, *, regex: bool = False, ignore_case: bool = False) -> int:
    """Search and replace in cue text (override tags untouched); returns the number of replacements."""
    flags = re.IGNORECASE if ignore_case else 0
    try:
        pattern = re.compile(find if regex else re.escape(find), flags)
    except re.error as e:
        raise SubtitlesInputInvalid(f"bad regular expression {find!r}: {e}", details={"find": find}) from e
    if not regex:
        replacement = replacement.replace("\\", "\\\\")
    total = 0
    for e in track.subs.events:
        # Only the text between override blocks is searched, so "i1" never hits "{\i1}".
        pieces = re.split(r"(\{[^}]*\})", e.text)
        for k in range(0, len(pieces), 2):
            pieces[k], n = pattern.subn(replacement, pieces[k])
            total += n
        e.text = "".join(pieces)
    return total


_STYLE_FIELDS = {"fontname": str, "fontsize": float, "bold": bool, "italic": bool, "underline": bool,
                 "strikeout": bool, "alignment": int, "marginl": int, "marginr": int, "marginv": int,
                 "outline": float, "shadow": float, "primarycolor": "color", "outlinecolor": "color",
                 "backcolor": "color", "secondarycolor": "color", "scalex": float, "scaley": float,
                 "spacing": float, "borderstyle": int}


def restyle(track: Track, styles: dict[str, dict[str, object]], *, rename: dict[str, str] | None = None) -> list[str]:
    """Change SubStation styles: ``{"Default": {"fontsize": 48, "primarycolor": "#FFFF00"}}``.

    A style that does not exist is created from Default. ``rename`` renames styles and the events that use
    them. Returns the names of the styles touched.
    """
    from pysubs2 import Alignment, Color, SSAStyle

    touched = []
    for old, new in (rename or {}).items():
        if old not in track.subs.styles:
            raise SubtitlesInputInvalid(f"no style {old!r} to rename; styles: {', '.join(track.subs.styles)}",
                                        details={"style": old})
        track.subs.rename_style(old, new)
        touched.append(new)
    for name, changes in styles.items():
        style = track.subs.styles.get(name) or track.subs.styles.get("Default", SSAStyle()).copy()
        for key, value in changes.items():
            kind = _STYLE_FIELDS.get(key)
            if kind is None:
                raise SubtitlesInputInvalid(f"unknown style field {key!r}; use one of {', '.join(_STYLE_FIELDS)}",
                                            details={"field": key})
            try:
                if kind == "color":
                    value = _color(str(value), Color)
                elif key == "alignment":
                    value = Alignment(int(value))  # type: ignore[arg-type]
                else:
                    value = kind(value)  # type: ignore[operator]
            except (TypeError, ValueError) as e:
                raise SubtitlesInputInvalid(f"style {name}: bad value {value!r} for {key}: {e}",
                                            details={"style": name, "field": key}) from e
            setattr(style, key, value)
        track.subs.styles[name] = style
        touched.append(name)
    return touched


def _color(value: str, Color):
    m = re.fullmatch(r"#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?", value.strip())
    if not m:
        raise ValueError("colours are '#RRGGBB' or '#RRGGBBAA' (AA = transparency, 00 opaque)")
    rgb = m.group(1)
    return Color(int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16), int(m.group(2) or "00", 16))
