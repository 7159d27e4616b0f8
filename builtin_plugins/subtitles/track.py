"""The in-memory subtitle track: cues in columns, plus the SubStation header and what the source told us.

Event text is kept in pysubs2's convention: SubStation override tags (``{\\i1}``) and ``\\N`` line
breaks, whatever the source format was, so every operation and writer sees one representation.

Why columns and not a list of pysubs2 ``SSAEvent`` objects: a million cues as objects cost ~450 bytes
each (an object with a dict, three int objects, a line-number entry) against ~90 bytes of file, so a
10^6-cue file used 2.4 GB. Here a cue is its text (a str), two int64 times and a line number in arrays,
and shared references for style and speaker: about 150 bytes, so every operation stays within three
times the file's size. ``subs`` (a pysubs2 ``SSAFile``) keeps the script info and styles; its
``events`` stay empty. Operations work on the columns; :meth:`event` and :attr:`cues` build
``SSAEvent`` objects for the few places (small tracks, tests) that want them.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pysubs2 is imported lazily by the readers
    from pysubs2 import SSAEvent, SSAFile

__all__ = ["Track", "Warning_", "plain_text", "is_drawing_only"]

_TAGS = re.compile(r"\{[^}]*\}")
# A SubStation drawing: from {\p1} (any scale > 0) to {\p0} the "text" is vector commands (m 0 0 l 10 0 …)
_DRAWING = re.compile(r"\{[^}]*\\p([1-9]\d*)[^}]*\}(.*?)(?=\{[^}]*\\p0[^}]*\}|$)", re.S)
_EXTRA_FIELDS = ("layer", "marginl", "marginr", "marginv", "effect", "type", "marked")
_PLAIN = (0, 0, 0, 0, "", "Dialogue", False)


def strip_drawings(ass_text: str) -> str:
    """``ass_text`` with drawing commands removed (the override blocks stay)."""
    if "\\p" not in ass_text:
        return ass_text
    return _DRAWING.sub(lambda m: m.group(0)[: m.start(2) - m.start(0)], ass_text)


def plain_text(ass_text: str) -> str:
    """Visible text of an event: override blocks and drawings removed, ``\\N``/``\\n`` as newlines,
    ``\\h`` as a no-break space."""
    if "{" in ass_text:
        ass_text = _TAGS.sub("", strip_drawings(ass_text))
    if "\\" not in ass_text:
        return ass_text
    return ass_text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")


def is_drawing_only(ass_text: str) -> bool:
    """True when the event draws a shape and shows no text (nothing to write into SubRip or WebVTT)."""
    return "\\p" in ass_text and not plain_text(ass_text).strip()


class Fill:
    """A column holding one value in every row (``"Default"`` styles, no speakers, no SubStation extras)
    until another value is appended; then it holds a list. Saves 8 bytes a cue per such column."""

    __slots__ = ("value", "n", "items")

    def __init__(self, value: Any = None, n: int = 0) -> None:
        self.value, self.n, self.items = value, n, None

    def __len__(self) -> int:
        return self.n if self.items is None else len(self.items)

    def __getitem__(self, i: Any) -> Any:
        if self.items is not None:
            return self.items[i]
        if isinstance(i, slice):
            return [self.value] * len(range(*i.indices(self.n)))
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.value

    def __setitem__(self, i: int, value: Any) -> None:
        if self.items is None:
            if value is self.value or value == self.value:
                return
            self.items = [self.value] * self.n
        self.items[i] = value

    def __iter__(self) -> Any:
        return iter(self.items) if self.items is not None else iter([self.value] * self.n)

    def append(self, value: Any) -> None:
        if self.items is None:
            if value is self.value or value == self.value:
                self.n += 1
                return
            self.items = [self.value] * self.n
        self.items.append(value)

    @property
    def uniform(self) -> bool:
        """Every row holds :attr:`value`."""
        return self.items is None

    def take(self, idx: Sequence[int]) -> Fill:
        out = Fill(self.value, len(idx))
        if self.items is not None:
            items = self.items
            out.items = [items[i] for i in idx]
        return out


@dataclass(frozen=True)
class Warning_:
    """Something a reader repaired or skipped, or a guess it is unsure of: where and what was done."""

    kind: str
    message: str
    line: int | None = None


@dataclass
class Track:
    """A parsed subtitle track, cue ``i`` being ``start[i]``, ``end[i]``, ``text[i]`` … (see the module doc).

    ``line[i]`` is the 1-based source line where the cue starts (0: unknown). ``extra[i]`` is None or the
    SubStation fields ``(layer, marginl, marginr, marginv, effect, type, marked)``; ``type`` "Comment"
    marks a line that is not shown. ``vtt[i]`` holds WebVTT cue settings (``align:start line:0``) and
    ``vtt_blocks`` STYLE and REGION blocks, written back when the target is WebVTT too. ``warnings``
    lists what was repaired or guessed while reading; ``confidence`` is how sure the encoding is (0-1).
    """

    subs: SSAFile
    format: str
    encoding: str = "utf-8"
    source: str = "<content>"
    start: array = field(default_factory=lambda: array("q"))
    end: array = field(default_factory=lambda: array("q"))
    text: list[str] = field(default_factory=list)
    style: Fill = field(default_factory=lambda: Fill("Default"))
    name: Fill = field(default_factory=lambda: Fill(""))
    line: array = field(default_factory=lambda: array("i"))
    extra: Fill = field(default_factory=Fill)
    vtt: Fill = field(default_factory=Fill)
    vtt_blocks: list[str] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    confidence: float = 1.0

    def __len__(self) -> int:
        return len(self.text)

    # -- building -------------------------------------------------------------------------------------

    def add_cue(self, start: int, end: int, text: str, style: str = "Default", name: str = "", line: int = 0,
                extra: tuple | None = None, vtt: str | None = None) -> None:
        """Append one cue (the fast path readers use)."""
        self.start.append(start)
        self.end.append(end)
        self.text.append(text)
        self.style.append(style)
        self.name.append(name)
        self.line.append(line or 0)
        self.extra.append(extra)
        self.vtt.append(vtt or None)

    def add(self, event: SSAEvent, line: int | None = None, vtt_settings: str | None = None) -> None:
        """Append a pysubs2 event, remembering where it came from."""
        extra = (event.layer, event.marginl, event.marginr, event.marginv, event.effect, event.type, event.marked)
        self.add_cue(event.start, event.end, event.text, event.style, event.name, line or 0,
                     None if extra == _PLAIN else extra, vtt_settings)

    def absorb(self, subs: SSAFile, lines: Sequence[int] | None = None) -> None:
        """Move the events of a pysubs2 file into the columns (its header and styles become ``subs``)."""
        events, subs.events = subs.events, []
        self.subs = subs
        for k, e in enumerate(events):
            self.add(e, lines[k] if lines is not None and k < len(lines) else None)
            events[k] = None  # type: ignore[call-overload]  # free as we go: peak memory stays one copy
        events.clear()

    def warn(self, kind: str, message: str, line: int | None = None) -> None:
        self.warnings.append(Warning_(kind, message, line))

    # -- reading --------------------------------------------------------------------------------------

    def is_comment(self, i: int) -> bool:
        x = self.extra[i]
        return x is not None and x[5] == "Comment"

    def cue_indices(self) -> Sequence[int]:
        """Indices of the shown cues (not SubStation comments), in time order (stable).

        A ``range`` (no memory) in the common case of a track without comments already in order.
        """
        extra = self.extra
        n = len(self.text)
        idx: Sequence[int]
        if not extra.uniform and any(x is not None and x[5] == "Comment" for x in extra):
            idx = [i for i in range(n) if extra[i] is None or extra[i][5] != "Comment"]  # type: ignore[index]
        else:
            idx = range(n)
        start, end = self.start, self.end
        if any(start[a] > start[b] or (start[a] == start[b] and end[a] > end[b]) for a, b in zip(idx, idx[1:])):
            idx = sorted(idx, key=lambda i: (start[i], end[i]))
        return idx

    @property
    def cue_count(self) -> int:
        extra = self.extra
        if extra.uniform:
            return len(self.text)
        return sum(1 for x in extra if x is None or x[5] != "Comment")

    def event(self, i: int) -> SSAEvent:
        """Cue ``i`` as a new pysubs2 event (for writers that need one)."""
        from pysubs2 import SSAEvent

        x = self.extra[i]
        if x is None:
            return SSAEvent(self.start[i], self.end[i], self.text[i], False, 0, self.style[i], self.name[i])
        return SSAEvent(start=self.start[i], end=self.end[i], text=self.text[i], style=self.style[i],
                        name=self.name[i], **dict(zip(_EXTRA_FIELDS, x)))

    @property
    def cues(self) -> list[SSAEvent]:
        """The shown cues as pysubs2 events, in file order (copies: for small tracks and tests)."""
        out = []
        for i in range(len(self.text)):
            if not self.is_comment(i):
                e = self.event(i)
                e._reelkit_line = self.line[i] or None  # type: ignore[attr-defined]
                e._reelkit_vtt = self.vtt[i]  # type: ignore[attr-defined]
                out.append(e)
        return out

    def line_of(self, event_or_index: Any) -> int | None:
        """The source line of cue ``i`` (or of an event from :attr:`cues`), when known."""
        if isinstance(event_or_index, int):
            return self.line[event_or_index] or None
        return getattr(event_or_index, "_reelkit_line", None)

    def settings_of(self, i: int) -> str | None:
        """WebVTT cue settings read with cue ``i``, if any."""
        return self.vtt[i]

    # -- reshaping ------------------------------------------------------------------------------------

    def take(self, indices: Iterable[int]) -> None:
        """Keep only the cues at ``indices``, in that order (filters and reorders every column at once)."""
        idx = indices if isinstance(indices, (list, range)) else list(indices)
        if isinstance(idx, range) and idx == range(len(self.text)):
            return
        start, end, line = self.start, self.end, self.line
        self.start = array("q", (start[i] for i in idx))
        self.end = array("q", (end[i] for i in idx))
        self.line = array("i", (line[i] for i in idx))
        texts = self.text
        self.text = [texts[i] for i in idx]
        for col in ("style", "name", "extra", "vtt"):
            setattr(self, col, getattr(self, col).take(idx))

    def sort(self) -> None:
        """Order cues by start time (stable, so equal starts keep file order)."""
        start, end = self.start, self.end
        n = len(start)
        if any(start[i] > start[i + 1] or (start[i] == start[i + 1] and end[i] > end[i + 1]) for i in range(n - 1)):
            self.take(sorted(range(n), key=lambda i: (start[i], end[i])))

    def empty_like(self) -> Track:
        """A track with this one's header, styles and WebVTT blocks and no cues."""
        import copy

        subs = copy.copy(self.subs)
        subs.events = []
        subs.styles = {k: v.copy() for k, v in self.subs.styles.items()}
        subs.info = dict(self.subs.info)
        return Track(subs=subs, format=self.format, encoding=self.encoding, source=self.source,
                     vtt_blocks=list(self.vtt_blocks), confidence=self.confidence)

    def append_from(self, other: Track, i: int, start: int | None = None, end: int | None = None) -> None:
        """Append cue ``i`` of ``other`` (optionally with new times)."""
        self.add_cue(other.start[i] if start is None else start, other.end[i] if end is None else end,
                     other.text[i], other.style[i], other.name[i], other.line[i], other.extra[i], other.vtt[i])
