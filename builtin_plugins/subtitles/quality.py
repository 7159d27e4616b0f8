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


def count_errors(track: Track, limits: Limits = Limits()) -> int:
    """How many errors (overlaps, bad durations) :func:`validate` would report, without listing every issue."""
    return sum(1 for i in validate(track, limits, errors_only=True))


def validate(track: Track, limits: Limits = Limits(), *, errors_only: bool = False) -> list[Issue]:
    """Every problem found, with the 1-based cue number (in time order) and the source line.

    ``errors_only`` skips the style advice (line length, reading speed …): timing errors alone.
    """
    issues: list[Issue] = []
    order = track.cue_indices()
    start, end, texts, styles, lines = track.start, track.end, track.text, track.style, track.line
    one_style = styles.value if styles.uniform else None
    max_len, max_lines, max_cps, max_dur = limits.max_line_length, limits.max_lines, limits.max_cps, limits.max_duration_ms

    def add(kind: str, n: int, i: int, message: str, other: int | None = None) -> None:
        severity = "error" if kind in ERROR_KINDS else "warning"
        issues.append(Issue(kind, severity, n, lines[i] or None, message, other))

    # Overlaps are checked per style: SubStation signs and bilingual stacks overlap on purpose.
    latest: dict[str, tuple[int, int]] = {}
    for n, i in enumerate(order, 1):
        s, e = start[i], end[i]
        style = one_style if one_style is not None else styles[i]
        duration = e - s
        if duration < 0:
            add("negative_duration", n, i, f"cue {n} ends {-duration} ms before it starts")
        elif duration == 0:
            add("zero_duration", n, i, f"cue {n} has zero duration")
        elif duration > max_dur and not errors_only:
            add("duration_too_long", n, i, f"cue {n} lasts {duration} ms (limit {max_dur})")
        if errors_only:
            text = "-"
        else:
            raw = texts[i]
            text = (plain_text(raw) if ("{" in raw or "\\" in raw) else raw).strip()
        if errors_only:
            pass
        elif not text:
            add("empty", n, i, f"cue {n} has no text")
        else:
            if "\n" in text:
                parts = text.split("\n")
                for k, ln in enumerate(parts, 1):
                    if len(ln) > max_len:
                        add("line_too_long", n, i, f"cue {n} line {k} has {len(ln)} characters (limit {max_len})")
                if len(parts) > max_lines:
                    add("too_many_lines", n, i, f"cue {n} has {len(parts)} lines (limit {max_lines})")
                chars = len(text) - len(parts) + 1
            else:
                if len(text) > max_len:
                    add("line_too_long", n, i, f"cue {n} line 1 has {len(text)} characters (limit {max_len})")
                chars = len(text)
            if duration > 0:
                cps = chars * 1000 / duration
                if cps > max_cps:
                    add("reading_speed", n, i, f"cue {n} needs {cps:.1f} characters per second (limit {max_cps:g})")
        prev = latest.get(style)
        if duration > 0 and prev is not None and s < prev[0]:
            add("overlap", n, i, f"cue {n} starts {prev[0] - s} ms before cue {prev[1]} ends", prev[1])
        if duration > 0 and (prev is None or e > prev[0]):
            latest[style] = (e, n)
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
    comments = [i for i in range(len(track)) if track.is_comment(i)]
    order = list(track.cue_indices())
    texts = track.text
    if remove_empty:
        kept = [i for i in order if (plain_text(texts[i]) if "{" in texts[i] or "\\" in texts[i] else texts[i]).strip()]
        report.removed_empty = len(order) - len(kept)
        order = kept
    start, end = track.start, track.end
    min_dur, gap = limits.min_duration_ms, limits.min_gap_ms
    for i in order:
        if end[i] <= start[i]:
            end[i] = start[i] + min_dur
            report.fixed_durations += 1
    by_style: dict[str, list[int]] = {}
    if track.style.uniform:
        by_style[track.style.value] = order
    else:
        for i in order:
            by_style.setdefault(track.style[i], []).append(i)
    for group in by_style.values():
        for cur, nxt in zip(group, group[1:]):
            limit = start[nxt] - gap
            if end[cur] > limit:
                if end[cur] > start[nxt]:
                    report.resolved_overlaps += 1
                else:
                    report.gaps += 1
                # Never shrink a cue to nothing: when two cues start together, the later one moves.
                if limit - start[cur] >= min(min_dur, 100):
                    end[cur] = limit
                else:
                    end[cur] = start[cur] + min(min_dur, max(end[cur] - start[cur], 100))
                    shift_by = end[cur] + gap - start[nxt]
                    start[nxt] += shift_by
                    end[nxt] = max(end[nxt] + shift_by, start[nxt] + 1)
            if end[cur] - start[cur] < min_dur:
                room = start[nxt] - gap
                new_end = min(start[cur] + min_dur, room)
                if new_end > end[cur]:
                    end[cur] = new_end
                    report.extended += 1
        if group and end[group[-1]] - start[group[-1]] < min_dur:
            end[group[-1]] = start[group[-1]] + min_dur
            report.extended += 1
    if any(start[a] > start[b] for a, b in zip(order, order[1:])):  # only when a cue was moved
        order.sort(key=start.__getitem__)
    track.take(comments + order if comments else order)
    return report
