"""Validation (overlaps, bad durations, empty cues, long lines, reading speed) and automatic fixes."""

from __future__ import annotations

from dataclasses import dataclass

from .track import Track, plain_text

__all__ = ["Limits", "Issue", "validate", "fix", "FixReport"]

ERROR_KINDS = ("overlap", "negative_duration", "zero_duration")


@dataclass(frozen=True)
class Limits:
    """Thresholds; the defaults follow common broadcast and streaming guidelines."""

    max_line_length: int = 42
    max_lines: int = 2
    max_cps: float = 21.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    min_gap_ms: int = 83


@dataclass(frozen=True)
class Issue:
    kind: str
    severity: str
    cue: int
    line: int | None
    message: str
    other_cue: int | None = None


def _cues_in_order(track: Track):
    return sorted(track.cues, key=lambda e: (e.start, e.end))


def validate(track: Track, limits: Limits = Limits()) -> list[Issue]:
    """Every problem found, with the 1-based cue number (in time order) and the source line."""
    issues: list[Issue] = []
    cues = _cues_in_order(track)

    def add(kind: str, n: int, e, message: str, other: int | None = None) -> None:
        severity = "error" if kind in ERROR_KINDS else "warning"
        issues.append(Issue(kind, severity, n, track.line_of(e), message, other))

    # Overlaps are checked per style: SubStation signs and bilingual stacks overlap on purpose.
    latest: dict[str, tuple[int, int]] = {}
    for n, e in enumerate(cues, 1):
        text = plain_text(e.text).strip()
        duration = e.end - e.start
        if duration < 0:
            add("negative_duration", n, e, f"cue {n} ends {-duration} ms before it starts")
        elif duration == 0:
            add("zero_duration", n, e, f"cue {n} has zero duration")
        elif duration > limits.max_duration_ms:
            add("duration_too_long", n, e, f"cue {n} lasts {duration} ms (limit {limits.max_duration_ms})")
        if not text:
            add("empty", n, e, f"cue {n} has no text")
        else:
            lines = text.split("\n")
            for k, ln in enumerate(lines, 1):
                if len(ln) > limits.max_line_length:
                    add("line_too_long", n, e,
                        f"cue {n} line {k} has {len(ln)} characters (limit {limits.max_line_length})")
            if len(lines) > limits.max_lines:
                add("too_many_lines", n, e, f"cue {n} has {len(lines)} lines (limit {limits.max_lines})")
            if duration > 0:
                chars = len(text.replace("\n", ""))
                cps = chars * 1000 / duration
                if cps > limits.max_cps:
                    add("reading_speed", n, e,
                        f"cue {n} needs {cps:.1f} characters per second (limit {limits.max_cps:g})")
        prev = latest.get(e.style)
        if duration > 0 and prev is not None and e.start < prev[0]:
            add("overlap", n, e, f"cue {n} starts {prev[0] - e.start} ms before cue {prev[1]} ends", prev[1])
        if duration > 0 and (prev is None or e.end > prev[0]):
            latest[e.style] = (e.end, n)
    return issues


@dataclass
class FixReport:
    removed_empty: int = 0
    fixed_durations: int = 0
    resolved_overlaps: int = 0
    extended: int = 0
    gaps: int = 0


def fix(track: Track, limits: Limits = Limits(), *, remove_empty: bool = True) -> FixReport:
    """Repair timing in place: drop empty cues, give zero/negative cues a minimum duration, end each cue
    before the next one starts (keeping ``min_gap_ms``), and extend short cues into free time.

    SubStation tracks with several styles (positioned signs, bilingual stacks) overlap on purpose, so
    overlaps are resolved per style.
    """
    report = FixReport()
    comments = [e for e in track.subs.events if e.is_comment]
    cues = _cues_in_order(track)
    if remove_empty:
        kept = [e for e in cues if plain_text(e.text).strip()]
        report.removed_empty = len(cues) - len(kept)
        cues = kept
    for e in cues:
        if e.end <= e.start:
            e.end = e.start + limits.min_duration_ms
            report.fixed_durations += 1
    by_style: dict[str, list] = {}
    for e in cues:
        by_style.setdefault(e.style, []).append(e)
    for group in by_style.values():
        for cur, nxt in zip(group, group[1:]):
            limit = nxt.start - limits.min_gap_ms
            if cur.end > limit:
                if cur.end > nxt.start:
                    report.resolved_overlaps += 1
                else:
                    report.gaps += 1
                # Never shrink a cue to nothing: when two cues start together, the later one moves.
                if limit - cur.start >= min(limits.min_duration_ms, 100):
                    cur.end = limit
                else:
                    cur.end = cur.start + min(limits.min_duration_ms, max(cur.end - cur.start, 100))
                    shift_by = cur.end + limits.min_gap_ms - nxt.start
                    nxt.start += shift_by
                    nxt.end = max(nxt.end + shift_by, nxt.start + 1)
            if cur.end - cur.start < limits.min_duration_ms:
                room = nxt.start - limits.min_gap_ms
                new_end = min(cur.start + limits.min_duration_ms, room)
                if new_end > cur.end:
                    cur.end = new_end
                    report.extended += 1
        if group and group[-1].end - group[-1].start < limits.min_duration_ms:
            group[-1].end = group[-1].start + limits.min_duration_ms
            report.extended += 1
    track.subs.events[:] = comments + sorted(cues, key=lambda e: (e.start, e.end))
    return report
