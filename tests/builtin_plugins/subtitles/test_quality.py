"""Validation with cue and source line numbers; fixes that leave no errors."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from reelkit.builtin_plugins.subtitles.formats import read
from reelkit.builtin_plugins.subtitles.quality import Limits, fix, validate
from reelkit.builtin_plugins.subtitles.track import Track

BROKEN = """1
00:00:01,000 --> 00:00:04,000
Overlapped by the next one

2
00:00:03,000 --> 00:00:05,000
Starts too early

3
00:00:06,000 --> 00:00:06,000
Zero

4
00:00:08,000 --> 00:00:07,000
Negative

5
00:00:09,000 --> 00:00:10,000


6
00:00:11,000 --> 00:00:11,500
This line is far too long to read comfortably on a television screen

7
00:00:12,000 --> 00:00:20,000
Slow
"""


def kinds(issues):
    return sorted((i.kind, i.cue, i.line) for i in issues)


def test_every_problem_is_named_with_cue_and_line():
    issues = validate(read(BROKEN, "srt"))
    # cues in time order: 1, 2, 3 (6.0-6.0), 4 (8.0-7.0), 5 (9-10, empty), 6, 7
    assert kinds(issues) == sorted([
        ("overlap", 2, 6),
        ("zero_duration", 3, 10),
        ("negative_duration", 4, 14),
        ("empty", 5, 18),
        ("line_too_long", 6, 22),
        ("reading_speed", 6, 22),
        ("duration_too_long", 7, 26),
    ])
    overlap = next(i for i in issues if i.kind == "overlap")
    assert overlap.other_cue == 1 and overlap.severity == "error" and "1000 ms" in overlap.message


def test_limits_are_configurable():
    t = read(BROKEN, "srt")
    relaxed = Limits(max_line_length=100, max_cps=1000, max_duration_ms=60_000)
    assert {i.kind for i in validate(t, relaxed)} == {"overlap", "zero_duration", "negative_duration", "empty"}


def test_styles_may_overlap_each_other(ass_sample):
    """A sign in its own style over dialogue is not an overlap error."""
    assert [i for i in validate(read(ass_sample, "ass")) if i.kind == "overlap"] == []


def test_fix_leaves_no_errors_and_keeps_the_gap():
    t = read(BROKEN, "srt")
    report = fix(t, Limits(min_gap_ms=100, min_duration_ms=800))
    assert report.removed_empty == 1 and report.fixed_durations == 2 and report.resolved_overlaps == 1
    assert [i for i in validate(t) if i.severity == "error"] == []
    cues = sorted(t.cues, key=lambda e: e.start)
    assert (cues[0].start, cues[0].end) == (1000, 2900)  # ends 100 ms before cue 2 starts
    for a, b in zip(cues, cues[1:]):
        assert b.start - a.end >= 100
    assert all(e.end - e.start >= 500 for e in cues)


def test_fix_extends_short_cues_into_free_time():
    t = read("1\n00:00:01,000 --> 00:00:01,200\nquick\n\n2\n00:00:05,000 --> 00:00:06,000\nnext\n", "srt")
    report = fix(t, Limits(min_duration_ms=1000))
    assert report.extended == 1
    assert (t.cues[0].start, t.cues[0].end) == (1000, 2000)


def _track(spans):
    import pysubs2

    t = Track(subs=pysubs2.SSAFile(), format="srt")
    for start, length in spans:
        t.add(pysubs2.SSAEvent(start=start, end=start + length, text="word"))
    return t


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60_000), st.integers(-2000, 5000)), min_size=1, max_size=40))
def test_fix_always_removes_every_error(spans):
    t = _track(spans)
    fix(t)
    errors = [i for i in validate(t) if i.severity == "error"]
    assert errors == []
    assert len(t.cues) == len(spans)  # nothing with text is lost
