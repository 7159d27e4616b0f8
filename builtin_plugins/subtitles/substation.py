"""SubStation (ASS/SSA) event lines written straight from the track's columns.

The header (script info, styles, fonts) comes from pysubs2, written once with no events; each cue is one
``Dialogue:`` line formatted exactly as pysubs2 formats it (Aegisub's centisecond rounding), without
building a pysubs2 event per cue.
"""

from __future__ import annotations

from .track import Track

__all__ = ["write_substation"]

_MAX_MS = 10 * 3_600_000 - 10  # 9:59:59.99, the most a SubStation clock shows (pysubs2 clamps likewise)
_CHUNK = 4096


def _stamp(ms: int) -> str:
    if ms < 0:
        ms = 0
    elif ms > _MAX_MS:
        ms = _MAX_MS
    ms = (ms + 5) - (ms + 5) % 10
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    return f"{h:01d}:{m:02d}:{s:02d}.{rest // 10:02d}"


def _line(track: Track, i: int, ssa: bool) -> str:
    x = track.extra[i]
    layer, ml, mr, mv, effect, kind, marked = x if x is not None else (0, 0, 0, 0, "", "Dialogue", False)
    first = f"Marked={int(marked):d}" if ssa else str(layer)
    return (f"{kind}: {first},{_stamp(track.start[i])},{_stamp(track.end[i])},{track.style[i]},{track.name[i]},"
            f"{ml},{mr},{mv},{effect},{track.text[i]}\n")


def write_substation(track: Track, fmt: str, *, consume: bool = False) -> str:
    """The track as an ASS (``fmt="ass"``) or SSA file, cues in file order (comments included)."""
    subs = track.subs
    saved, subs.events = subs.events, []
    try:
        head = subs.to_string(fmt)
    finally:
        subs.events = saved
    ssa = fmt == "ssa"
    chunks = [head]
    n = len(track)
    for c in range(0, n, _CHUNK):
        part = range(c, min(n, c + _CHUNK))
        chunks.append("".join([_line(track, i, ssa) for i in part]))
        if consume:
            for i in part:
                track.text[i] = ""
    return "".join(chunks)
