"""The in-memory subtitle track: a pysubs2 ``SSAFile`` plus what the source file told us.

Event text is kept in pysubs2's convention: SubStation override tags (``{\\i1}``) and ``\\N`` line
breaks, whatever the source format was, so every operation and writer sees one representation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pysubs2 is imported lazily by the readers
    from pysubs2 import SSAEvent, SSAFile

__all__ = ["Track", "plain_text"]

_TAGS = re.compile(r"\{[^}]*\}")


def plain_text(ass_text: str) -> str:
    """Visible text of an event: override blocks removed, ``\\N``/``\\n`` as newlines, ``\\h`` as space."""
    text = _TAGS.sub("", ass_text)
    return text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")


@dataclass
class Track:
    """A parsed subtitle track.

    ``source_lines`` maps ``id(event)`` to ``(event, line)``: the 1-based line of the source where the
    cue starts, so validation can point at the file. (pysubs2 events are unhashable; keeping the event
    in the entry makes a recycled id harmless.) Events created later simply have no line.
    ``vtt_blocks`` keeps WebVTT STYLE and REGION blocks and ``vtt_settings`` per-cue settings
    (``align:start line:0``), written back when the target is WebVTT too.
    """

    subs: SSAFile
    format: str
    encoding: str = "utf-8"
    source: str = "<content>"
    source_lines: dict[int, tuple[SSAEvent, int]] = field(default_factory=dict)
    vtt_blocks: list[str] = field(default_factory=list)
    vtt_settings: dict[int, tuple[SSAEvent, str]] = field(default_factory=dict)

    @property
    def cues(self) -> list[SSAEvent]:
        """Events that are shown (SubStation ``Comment:`` lines are not cues)."""
        return [e for e in self.subs.events if not e.is_comment]

    def line_of(self, event: SSAEvent) -> int | None:
        entry = self.source_lines.get(id(event))
        return entry[1] if entry is not None and entry[0] is event else None

    def settings_of(self, event: SSAEvent) -> str | None:
        """WebVTT cue settings read with this event, if any."""
        entry = self.vtt_settings.get(id(event))
        return entry[1] if entry is not None and entry[0] is event else None

    def set_line(self, event: SSAEvent, line: int) -> None:
        self.source_lines[id(event)] = (event, line)

    def add(self, event: SSAEvent, line: int | None = None, vtt_settings: str | None = None) -> None:
        """Append an event, remembering where it came from."""
        self.subs.events.append(event)
        if line is not None:
            self.source_lines[id(event)] = (event, line)
        if vtt_settings:
            self.vtt_settings[id(event)] = (event, vtt_settings)

    def sort(self) -> None:
        """Order events by start time (stable, so equal starts keep file order)."""
        self.subs.events.sort(key=lambda e: (e.start, e.end))
