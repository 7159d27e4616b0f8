"""Shift, retime, two-point sync, bilingual merge, split, search and replace, restyle."""

from __future__ import annotations

import pytest

from reelkit.builtin_plugins.subtitles.errors import SubtitlesInputInvalid
from reelkit.builtin_plugins.subtitles.formats import read, write
from reelkit.builtin_plugins.subtitles.timing import Anchor, merge, replace, restyle, retime, shift, split, sync
from reelkit.builtin_plugins.subtitles.track import plain_text


def times(track):
    return [(e.start, e.end) for e in sorted(track.cues, key=lambda e: e.start)]


def texts(track):
    return [plain_text(e.text) for e in sorted(track.cues, key=lambda e: e.start)]


def test_shift_later_and_earlier(srt_sample):
    t = read(srt_sample, "srt")
    assert shift(t, 1500) == 0
    assert times(t) == [(2500, 4500), (5000, 6500), (7500, 9750)]
    dropped = shift(t, -5000)
    assert dropped == 1  # the first cue would end at -500 ms
    assert times(t) == [(0, 1500), (2500, 4750)]


def test_shift_from_a_point_only(srt_sample):
    t = read(srt_sample, "srt")
    shift(t, 10_000, from_ms=3500)
    assert times(t) == [(1000, 3000), (13500, 15000), (16000, 18250)]


def test_retime_pal_to_film(srt_sample):
    t = read(srt_sample, "srt")
    retime(t, 25, 23.976)
    assert times(t)[2] == (round(6000 * 25 / 23.976), round(8250 * 25 / 23.976))


def test_sync_by_two_cues_fixes_offset_and_drift(srt_sample):
    t = read(srt_sample, "srt")
    # Cue 1 should start at 2 s and cue 3 at 12 s: scale 2, offset 0.
    scale, offset = sync(t, Anchor(target_ms=2000, cue=1), Anchor(target_ms=12000, cue=3))
    assert (scale, offset) == (2.0, 0.0)
    assert times(t) == [(2000, 6000), (7000, 10000), (12000, 16500)]


def test_sync_by_source_times(srt_sample):
    t = read(srt_sample, "srt")
    sync(t, Anchor(target_ms=1500, source_ms=1000), Anchor(target_ms=6500, source_ms=6000))
    assert times(t) == [(1500, 3500), (4000, 5500), (6500, 8750)]


@pytest.mark.parametrize("first, second", [
    (Anchor(target_ms=0, cue=1), Anchor(target_ms=1, cue=1)),
    (Anchor(target_ms=5000, cue=1), Anchor(target_ms=1000, cue=3)),
    (Anchor(target_ms=0, cue=9), Anchor(target_ms=1, cue=1)),
    (Anchor(target_ms=0), Anchor(target_ms=1, cue=1)),
])
def test_sync_rejects_bad_anchors(srt_sample, first, second):
    with pytest.raises(SubtitlesInputInvalid):
        sync(read(srt_sample, "srt"), first, second)


FRENCH = """1
00:00:01,100 --> 00:00:02,900
<i>Bonjour</i> le monde

2
00:00:03,600 --> 00:00:05,000
Deuxième ligne
"""


def test_merge_stack_keeps_both_tracks_with_the_second_on_top(srt_sample):
    out = merge(read(srt_sample, "srt"), read(FRENCH, "srt"), mode="stack")
    assert len(out.cues) == 5
    assert out.subs.styles["Secondary"].alignment == 8
    ass = read(write(out, "ass"), "ass")
    assert sorted(e.style for e in ass.cues) == ["Default"] * 3 + ["Secondary"] * 2
    srt = write(out, "srt")
    assert "{\\an8}<i>Bonjour</i> le monde" in srt


def test_merge_combine_puts_the_translation_under_each_cue(srt_sample):
    out = merge(read(srt_sample, "srt"), read(FRENCH, "srt"), mode="combine")
    assert texts(out) == ["Hello world\nBonjour le monde", "Second line\nwith two rows\nDeuxième ligne",
                          "Red text"]
    assert "<i>Bonjour le monde</i>" in write(out, "srt")


def test_split_cuts_straddling_cues_and_rebases(srt_sample):
    parts = split(read(srt_sample, "srt"), [4000, 7000])
    assert [(lo, hi) for lo, hi, _ in parts] == [(0, 4000), (4000, 7000), (7000, None)]
    assert times(parts[0][2]) == [(1000, 3000), (3500, 4000)]
    assert times(parts[1][2]) == [(0, 1000), (2000, 3000)]
    assert times(parts[2][2]) == [(0, 1250)]
    assert texts(parts[1][2])[0] == "Second line\nwith two rows"


def test_split_without_rebase_keeps_source_times(srt_sample):
    parts = split(read(srt_sample, "srt"), [4000], rebase=False)
    assert times(parts[1][2]) == [(4000, 5000), (6000, 8250)]


def test_replace_plain_text_leaves_tags_alone(ass_sample):
    t = read(ass_sample, "ass")
    n = replace(t, "i", "I")  # would break {\i1} if tags were searched
    assert n == 2  # "line", "with"; the Comment line has no "i"
    assert t.cues[1].text == "{\\i1}Second{\\i0} lIne\\NwIth two rows"


def test_replace_regex_with_groups(srt_sample):
    t = read(srt_sample, "srt")
    assert replace(t, r"(\w+) (\w+)$", r"\2 \1", regex=True) == 1
    assert texts(t)[1] == "Second line\nwith rows two"


def test_replace_bad_regex():
    with pytest.raises(SubtitlesInputInvalid, match="regular expression"):
        replace(read("1\n00:00:01,000 --> 00:00:02,000\nx\n", "srt"), "(", "", regex=True)


def test_restyle_changes_and_creates_styles(ass_sample):
    t = read(ass_sample, "ass")
    touched = restyle(t, {"Default": {"fontsize": 48, "primarycolor": "#FFFF00", "bold": True},
                          "Karaoke": {"alignment": 7}}, rename={"Sign": "Signs"})
    assert touched == ["Signs", "Default", "Karaoke"]
    back = read(write(t, "ass"), "ass")
    d = back.subs.styles["Default"]
    assert (d.fontsize, d.bold, (d.primarycolor.r, d.primarycolor.g, d.primarycolor.b)) == (48, True, (255, 255, 0))
    assert back.subs.styles["Karaoke"].alignment == 7
    assert "Sign" not in back.subs.styles and [e.style for e in back.cues][-1] == "Signs"


@pytest.mark.parametrize("styles", [{"Default": {"nope": 1}}, {"Default": {"primarycolor": "yellow"}},
                                    {"Default": {"fontsize": "big"}}])
def test_restyle_rejects_bad_fields(ass_sample, styles):
    with pytest.raises(SubtitlesInputInvalid):
        restyle(read(ass_sample, "ass"), styles)
