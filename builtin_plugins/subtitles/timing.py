"""Operations on tracks: shift, retime, two-point sync, bilingual merge, split, search and replace,
restyling. Each mutates or builds a :class:`Track` and returns a small summary; none touches files.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass

from .errors import MAX_HOURS, SubtitlesInputInvalid
from .track import Track, plain_text

__all__ = ["shift", "retime", "sync", "merge", "split", "replace", "restyle", "Anchor"]


def _drop_before_zero(track: Track) -> int:
    """Clamp starts at 0; drop cues that now end at or before 0. Returns how many were dropped."""
    start, end = track.start, track.end
    if not start or (min(start) >= 0 and min(end) >= 0):
        return 0
    keep = [i for i in range(len(start)) if not (end[i] <= 0 and start[i] < 0)]
    dropped = len(start) - len(keep)
    if dropped:
        track.take(keep)
        start, end = track.start, track.end
    track.start = array("q", (s if s > 0 else 0 for s in start))
    track.end = array("q", (e if e > 0 else 0 for e in end))
    return dropped


def _check_range(track: Track, what: str) -> None:
    """Times an operation produced must stay on a clock a subtitle file can show."""
    if track.start and max(max(track.start), max(track.end)) > MAX_HOURS * 3_600_000:
        raise SubtitlesInputInvalid(f"{what} would move cues past {MAX_HOURS} hours; check the numbers",
                                    details={"max_hours": MAX_HOURS})


def shift(track: Track, offset_ms: int, *, from_ms: int | None = None) -> int:
    """Move cues by ``offset_ms`` (negative = earlier); with ``from_ms`` only cues starting at or after it.

    Returns the number of cues dropped because they would end before 0.
    """
    if abs(offset_ms) > MAX_HOURS * 3_600_000:
        raise SubtitlesInputInvalid(f"offset_ms {offset_ms} is beyond {MAX_HOURS} hours",
                                    details={"offset_ms": offset_ms})
    if from_ms is None:
        track.start = array("q", (s + offset_ms for s in track.start))
        track.end = array("q", (e + offset_ms for e in track.end))
    else:
        start, end = track.start, track.end
        for i in range(len(start)):
            if start[i] >= from_ms:
                start[i] += offset_ms
                end[i] += offset_ms
    _check_range(track, f"shifting by {offset_ms} ms")
    return _drop_before_zero(track)


def _scale(track: Track, scale: float, offset: float, what: str) -> None:
    if not (0 < scale < 1e6) or abs(offset) > 1e15:
        raise SubtitlesInputInvalid(f"{what}: scale {scale:g} is out of range", details={"scale": scale})
    track.start = array("q", (round(s * scale + offset) for s in track.start))
    track.end = array("q", (round(e * scale + offset) for e in track.end))
    _check_range(track, what)


def retime(track: Track, from_fps: float, to_fps: float) -> None:
    """Retime for a frame-rate change: a track timed for a ``from_fps`` video played at ``to_fps``.

    The classic case is PAL speed-up: film (23.976) shown at 25 fps runs 4 % faster, so subtitles timed
    to the PAL video are stretched by 25 / 23.976 to fit the film.
    """
    if from_fps <= 0 or to_fps <= 0:
        raise SubtitlesInputInvalid("frame rates must be positive", details={"from_fps": from_fps, "to_fps": to_fps})
    _scale(track, from_fps / to_fps, 0.0, f"retiming {from_fps:g} → {to_fps:g} fps")


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
            order = track.cue_indices()
            if not 1 <= self.cue <= len(order):
                raise SubtitlesInputInvalid(f"anchor cue {self.cue} does not exist; the track has {len(order)} cues",
                                            details={"cue": self.cue, "cues": len(order)})
            return track.start[order[self.cue - 1]]
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
    _scale(track, scale, offset, "syncing")
    _drop_before_zero(track)
    return scale, offset


def merge(first: Track, second: Track, *, mode: str = "stack") -> Track:
    """Merge two tracks into one bilingual track (``first`` becomes it: merged in place).

    ``stack``: every cue of both tracks kept; the second track's cues use a ``Secondary`` style placed
    at the top (SubStation targets show both at once; SubRip/WebVTT get ``{\\an8}``).
    ``combine``: one cue per cue of the first track, the overlapping text of the second track added as
    an italic second line (for players that show one cue at a time).
    """
    from pysubs2 import Alignment, SSAStyle

    if mode not in ("stack", "combine"):
        raise SubtitlesInputInvalid(f"unknown merge mode {mode!r}; use 'stack' or 'combine'", details={"mode": mode})
    out = first  # merged in place: the first track is not used on its own afterwards (memory)
    if mode == "stack":
        base = out.subs.styles.get("Default", SSAStyle())
        secondary = base.copy()
        secondary.alignment = Alignment.TOP_CENTER
        secondary.fontsize = base.fontsize * 0.85
        out.subs.styles["Secondary"] = secondary
        for i in second.cue_indices():
            text = second.text[i]
            out.add_cue(second.start[i], second.end[i], text if "\\an" in text else "{\\an8}" + text,
                        "Secondary", second.name[i])
        out.sort()
        return out
    others = second.cue_indices()
    o_start, o_end, o_text = second.start, second.end, second.text
    j0 = 0
    for i in out.cue_indices():
        s, e = out.start[i], out.end[i]
        while j0 < len(others) and o_end[others[j0]] <= s:
            j0 += 1
        texts = []
        j = j0
        while j < len(others) and o_start[others[j]] < e:
            o = others[j]
            overlap = min(e, o_end[o]) - max(s, o_start[o])
            if overlap * 2 >= min(e - s, o_end[o] - o_start[o]):  # each second-track line joins its best match
                texts.append(plain_text(o_text[o]).replace("\n", "\\N"))
            j += 1
        if texts:
            out.text[i] = out.text[i] + "\\N{\\i1}" + "\\N".join(texts) + "{\\i0}"
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
    start, end = track.start, track.end
    for lo, hi in zip(bounds, bounds[1:]):
        part = track.empty_like()
        for i in range(len(track)):
            if end[i] <= lo or (hi is not None and start[i] >= hi):
                continue
            s = max(start[i], lo)
            e = end[i] if hi is None else min(end[i], hi)
            if rebase:
                s, e = s - lo, e - lo
            part.append_from(track, i, s, e)
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
    texts = track.text
    for i, text in enumerate(texts):
        if "{" not in text:
            texts[i], n = pattern.subn(replacement, text)
            total += n
            continue
        # Only the text between override blocks is searched, so "i1" never hits "{\i1}".
        pieces = re.split(r"(\{[^}]*\})", text)
        for k in range(0, len(pieces), 2):
            pieces[k], n = pattern.subn(replacement, pieces[k])
            total += n
        texts[i] = "".join(pieces)
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
        if new in track.subs.styles:
            raise SubtitlesInputInvalid(f"cannot rename {old!r} to {new!r}: that style exists",
                                        details={"style": new})
        track.subs.styles[new] = track.subs.styles.pop(old)
        for i, st in enumerate(track.style):
            if st == old:
                track.style[i] = new
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
