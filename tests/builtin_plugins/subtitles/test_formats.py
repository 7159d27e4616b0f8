"""Format detection, real-world quirks, broken lines, and round trips through every writable format."""

from __future__ import annotations

import pytest

from reelkit.builtin_plugins.subtitles.errors import (SubtitlesFormatUnknown, SubtitlesInputInvalid,
                                              SubtitlesParseError)
from reelkit.builtin_plugins.subtitles.formats import FORMATS, detect, read, write
from reelkit.builtin_plugins.subtitles.source import load
from reelkit.builtin_plugins.subtitles.track import plain_text


def cues(track):
    return [(e.start, e.end, plain_text(e.text)) for e in sorted(track.cues, key=lambda e: e.start)]


# -- detection --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, fmt", [
    ("1\n00:00:01,000 --> 00:00:02,000\nhi\n", "srt"),
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", "vtt"),
    ("[Script Info]\nScriptType: v4.00+\n\n[Events]\n", "ass"),
    ("[Script Info]\nScriptType: v4.00\n\n[V4 Styles]\n", "ssa"),
    ("{25}{50}hi\n{75}{100}there\n", "microdvd"),
    ("[10][20]hi\n[30][40]there\n", "mpl2"),
    ("00:00:01:hi\n00:00:03:there\n", "tmp"),
    ('<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml"><body/></tt>', "ttml"),
    ("<SAMI><BODY><SYNC Start=1000><P>hi</SYNC></BODY></SAMI>", "sami"),
    ('{"info": {}, "styles": {}, "events": []}', "json"),
])
def test_detect(text, fmt):
    assert detect(text) == fmt


def test_unknown_format():
    with pytest.raises(SubtitlesFormatUnknown) as e:
        detect("Dear diary,\ntoday nothing happened.\n", "notes.md")
    assert e.value.code == "subtitles.format_unknown" and "notes.md" in e.value.message


def test_extension_is_the_fallback_so_the_broken_line_is_named(tmp_path):
    p = tmp_path / "broken.srt"
    p.write_text("1\n00:00:01 -> 00:00:02\nhello\n")
    with pytest.raises(SubtitlesParseError) as e:
        load(str(p), strict=True)  # not strict, the single-dash arrow is repaired (test_lenient.py)
    assert e.value.details["line"] == 2 and "malformed timing line" in e.value.message
    assert str(p) in e.value.message


# -- SubRip quirks -------------------------------------------------------------------------------------

def test_crlf_and_bom(tmp_path):
    p = tmp_path / "win.srt"
    p.write_bytes(b"\xef\xbb\xbf1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n\r\n2\r\n"
                  b"00:00:03,000 --> 00:00:04,000\r\nWorld\r\n")
    t = load(str(p))
    assert cues(t) == [(1000, 2000, "Hello"), (3000, 4000, "World")]
    assert t.encoding == "utf-8-sig"


def test_missing_blank_lines():
    t = read("1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n"
             "00:00:05,000 --> 00:00:06,000\nno number either\n", "srt")
    assert cues(t) == [(1000, 2000, "Hello"), (3000, 4000, "World"), (5000, 6000, "no number either")]


def test_comma_dot_and_short_millisecond_separators():
    t = read("1\n00:00:01.5 --> 00:00:02,25\nA\n\n2\n0:0:3:100 --> 00:00:04.000\nB\n", "srt")
    assert cues(t) == [(1500, 2250, "A"), (3100, 4000, "B")]


def test_hours_past_99_round_trip():
    t = read("1\n123:04:05,678 --> 123:04:06,000\nlate\n", "srt")
    start = ((123 * 60 + 4) * 60 + 5) * 1000 + 678
    assert cues(t) == [(start, start + 322, "late")]
    out = write(t, "srt")
    assert "123:04:05,678 --> 123:04:06,000" in out
    assert cues(read(write(t, "vtt"), "vtt")) == cues(t)


def test_html_tags_become_styling():
    t = read('1\n00:00:01,000 --> 00:00:02,000\n<i>it</i> <b>bo</b> <u>un</u> <font color="#00ff00">gr</font> '
             '<blink>x</blink>\n', "srt")
    raw = t.cues[0].text
    assert raw == "{\\i1}it{\\i0} {\\b1}bo{\\b0} {\\u1}un{\\u0} {\\c&H00FF00&}gr{\\c} x"
    out = write(t, "srt")
    assert '<i>it</i> <b>bo</b> <u>un</u> <font color="#00FF00">gr</font> x' in out


def test_srt_line_numbers_of_cues(srt_sample):
    t = read(srt_sample, "srt")
    assert [t.line_of(e) for e in t.cues] == [2, 6, 11]


def test_blank_line_inside_cue_text_is_kept_with_the_cue():
    t = read("1\n00:00:01,000 --> 00:00:02,000\nfirst\n\nstill first\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n",
             "srt")
    assert [c[2] for c in cues(t)] == ["first\n\nstill first", "B"]


# -- WebVTT --------------------------------------------------------------------------------------------

VTT = """WEBVTT - with styles

STYLE
::cue(.yellow) { color: yellow; }

REGION
id:top width:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90%

NOTE this is a comment
spanning two lines

intro
00:01.000 --> 00:02.500 region:top align:start
<v Ann>Hello <c.yellow>there</c> &amp; <b>you</b>

00:00:03.000 --> 00:00:04.000
Two <00:00:03.500>timed words
"""


def test_vtt_styles_regions_notes_and_settings():
    t = read(VTT, "vtt")
    assert cues(t) == [(1000, 2500, "Hello there & you"), (3000, 4000, "Two timed words")]
    assert t.cues[0].name == "Ann"
    assert [t.line_of(e) for e in t.cues] == [12, 16]
    out = write(t, "vtt")
    assert "STYLE\n::cue(.yellow) { color: yellow; }" in out
    assert "REGION\nid:top" in out
    assert "00:00:01.000 --> 00:00:02.500 region:top align:start\n<v Ann>Hello there &amp; <b>you</b>" in out
    assert "NOTE" not in out
    assert cues(read(out, "vtt")) == cues(t)


def test_vtt_styles_do_not_leak_into_srt():
    out = write(read(VTT, "vtt"), "srt")
    assert "STYLE" not in out and "region" not in out and "::cue" not in out


# -- SubStation ----------------------------------------------------------------------------------------

def test_ass_override_tags(ass_sample):
    t = read(ass_sample, "ass")
    assert len(t) == 4 and len(t.cues) == 3  # the Comment line is no cue
    assert cues(t)[0] == (1000, 3000, "Hello there")
    assert [t.line_of(e) for e in t.cues] == [13, 15, 16]
    again = read(write(t, "ass"), "ass")
    assert [e.text for e in again.cues] == [e.text for e in t.cues]  # tags kept verbatim
    assert again.subs.styles["Sign"].alignment == 8
    srt = write(t, "srt")
    assert "<b>Hello</b> there" in srt and "\\pos" not in srt and "\\fad" not in srt
    assert "<i>Second</i> line\nwith two rows" in srt


def test_ass_to_ttml_keeps_bold_and_italic(ass_sample):
    ttml = write(read(ass_sample, "ass"), "ttml")
    assert 'tts:fontWeight="bold"' in ttml and 'tts:fontStyle="italic"' in ttml


# -- broken input names its line -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, text, line", [
    ("srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:0x,000\nbad\n", 6),
    ("srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nno timing here\n", 6),
    ("srt", "garbage before any cue\n1\n00:00:01,000 --> 00:00:02,000\nok\n", 1),
    ("vtt", "1\n00:00:01.000 --> 00:00:02.000\nok\n", 1),
    ("vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 -> 00:04.000\nbad\n", 6),
    ("vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 --> 00:04.0a0\nbad\n", 6),
    ("ass", "[Script Info]\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
            "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,ok\nDialogue: 0,0:00:xx.00,0:00:02.00,Default,,0,0,0,,bad\n", 6),
    ("ass", "[Script Info]\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
            "Dialogue: 0,0:00:01.00,0:00:02.00\n", 5),
    ("microdvd", "{1}{1}25\n{25}{50}ok\n{75}(100)bad\n", 3),
    ("mpl2", "[10][20]ok\n[30]40]bad\n", 2),
    ("tmp", "00:00:01:ok\n00:00:03 bad\n", 2),
    ("ttml", '<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml"><body><div>\n<p begin="00:00:01.000" end="1s">ok\n</div></body></tt>', 4),
    ("json", '{"info": {},\n "events": [\n}', 3),
])
def test_malformed_input_reports_the_line(fmt, text, line):
    with pytest.raises(SubtitlesParseError) as e:
        read(text, fmt, source=f"bad.{fmt}", strict=True)
    assert e.value.code == "subtitles.parse_error"
    assert e.value.details["line"] == line, e.value.message
    assert f"line {line}" in e.value.message and f"bad.{fmt}" in e.value.message


def test_ttml_entity_expansion_is_refused():
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE tt [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n'
            '<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="1s" end="2s">&b;</p></div></body></tt>')
    with pytest.raises(SubtitlesParseError, match="entity") as e:
        read(bomb, "ttml")
    assert e.value.details["line"] == 2


def test_microdvd_needs_a_frame_rate():
    with pytest.raises(SubtitlesInputInvalid, match="fps"):
        read("{25}{50}hello\n", "microdvd")
    assert cues(read("{25}{50}hello\n", "microdvd", fps=25)) == [(1000, 2000, "hello")]
    assert cues(read("{1}{1}25\n{25}{50}hello\n", "microdvd")) == [(1000, 2000, "hello")]


# -- round trips ------------------------------------------------------------------------------------------

_PRECISION = {"ass": 10, "ssa": 10, "mpl2": 100, "microdvd": 40, "tmp": 1000}


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS.values() if f.writable])
def test_round_trip_every_writable_format(fmt, srt_sample):
    t = read(srt_sample, "srt")
    text = write(t, fmt, fps=25)
    assert detect(text) == fmt
    back = read(text, fmt, fps=25)
    tol = _PRECISION.get(fmt, 0)
    got, want = cues(back), cues(t)
    assert len(got) == len(want)
    for (gs, ge, gt), (ws, we, wt) in zip(got, want):
        assert abs(gs - ws) <= tol
        if fmt != "tmp":  # TMPlayer has no end times; they are derived from the next start
            assert abs(ge - we) <= tol
        assert gt.replace("\n", " ") == wt.replace("\n", " ") or gt == wt


def test_sami_is_read_only():
    t = read("<SAMI><BODY><SYNC Start=1000><P>hi<SYNC Start=2000><P>&nbsp;</BODY></SAMI>", "sami")
    assert cues(t)[0][:1] == (1000,) and "hi" in cues(t)[0][2]
    with pytest.raises(SubtitlesFormatUnknown, match="cannot write"):
        write(t, "sami")


@pytest.mark.parametrize("fmt, text", [
    ("microdvd", "{1}{1}25\r\n{25}{50}hello\r\n{75}{100}world\r\n"),
    ("mpl2", "[10][20]hello\r\n[30][40]world\r\n"),
    ("ass", "[Script Info]\r\nScriptType: v4.00+\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, "
            "MarginL, MarginR, MarginV, Effect, Text\r\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,hello\r\n"
            "Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,world\r\n"),
    ("vtt", "WEBVTT\r\n00:01.000 --> 00:02.000\r\nhello\r\n\r\n00:03.000 --> 00:04.000\r\nworld\r\n"),
])
def test_crlf_everywhere_and_vtt_without_blank_after_header(fmt, text):
    got = [c[2] for c in cues(read(text, fmt))]
    assert got == ["hello", "world"]


def test_a_line_pysubs2_would_skip_is_an_error_when_strict_and_a_warning_otherwise():
    with pytest.raises(SubtitlesParseError) as e:
        read("{1}{1}25\n{25}{50}hello\n{75}{100}\n", "microdvd", strict=True)
    assert e.value.details["line"] == 3
    t = read("{1}{1}25\n{25}{50}hello\n{75}{100}\n", "microdvd")
    assert cues(t) == [(1000, 2000, "hello")]
    assert [(w.kind, w.line) for w in t.warnings] == [("skipped", 3)] and "without text" in t.warnings[0].message


def test_styling_survives_srt_to_ass_and_back(srt_sample):
    ass = write(read(srt_sample, "srt"), "ass")
    assert "{\\i1}Hello{\\i0} {\\b1}world{\\b0}" in ass and "{\\c&H0000FF&}Red{\\c} text" in ass
    srt = write(read(ass, "ass"), "srt")
    assert "<i>Hello</i> <b>world</b>" in srt and '<font color="#FF0000">Red</font> text' in srt


def test_vtt_to_ass_keeps_speaker_and_styling():
    ass = read(write(read(VTT, "vtt"), "ass"), "ass")
    assert ass.cues[0].name == "Ann" and "{\\b1}you{\\b0}" in ass.cues[0].text


DFXP = """<?xml version="1.0" encoding="utf-8"?>
<tt xmlns="http://www.w3.org/2006/10/ttaf1" xmlns:tts="http://www.w3.org/2006/10/ttaf1#styling"
    xmlns:ttp="http://www.w3.org/2006/10/ttaf1#parameter" ttp:tickRate="10000000" ttp:frameRate="25">
  <head><styling>
    <style xml:id="it" tts:fontStyle="italic"/>
    <style xml:id="yellow" tts:color="#FFFF00"/>
  </styling></head>
  <body><div begin="1s">
    <p begin="10000000t" end="20000000t" style="it">Ticks, <span tts:fontWeight="bold">bold</span></p>
    <p begin="00:00:03:05" dur="1s">Frames<br/>and a break</p>
    <p begin="5s" end="6.5s"><span style="yellow">Yellow</span> word</p>
  </div></body>
</tt>"""


def test_ttml_ticks_frames_dur_old_namespace_and_styles():
    assert detect(DFXP) == "ttml"
    t = read(DFXP, "ttml")
    # the div begins at 1 s, so every time is offset by 1000 ms
    assert cues(t) == [(2000, 3000, "Ticks, bold"), (4200, 5200, "Frames\nand a break"),
                       (6000, 7500, "Yellow word")]
    assert [e.text for e in t.cues] == ["{\\i1}Ticks, {\\i0}{\\i1\\b1}bold{\\i0\\b0}", "Frames\\Nand a break",
                                        "{\\c&H00FFFF&}Yellow{\\c} word"]
    assert [t.line_of(e) for e in t.cues] == [9, 10, 11]
    srt = write(t, "srt")
    assert "<i>Ticks, </i><b><i>bold</i></b>" in srt and '<font color="#FFFF00">Yellow</font>' in srt


@pytest.mark.parametrize("p, message", [('<p begin="1s">no end</p>', "end or dur"),
                                        ('<p begin="1s" end="2x">bad</p>', "time expression")])
def test_ttml_bad_times_name_the_line(p, message):
    doc = f'<tt xmlns="http://www.w3.org/ns/ttml">\n<body>\n<div>\n<p begin="0s" end="1s">ok</p>\n{p}\n</div></body></tt>'
    with pytest.raises(SubtitlesParseError, match=message) as e:
        read(doc, "ttml")
    assert e.value.details["line"] == 5


def test_positions_cross_between_vtt_settings_and_an_tags():
    t = read("WEBVTT\n\n00:01.000 --> 00:02.000 line:0 align:start\ntop left\n\n"
             "00:03.000 --> 00:04.000 line:-1\nbottom\n", "vtt")
    assert [e.text for e in t.cues] == ["{\\an7}top left", "bottom"]
    srt = write(t, "srt")
    assert "{\\an7}top left" in srt
    vtt = write(read(srt, "srt"), "vtt")  # no settings remembered: derived from {\an7}
    assert "00:00:01.000 --> 00:00:02.000 line:0 align:start\ntop left" in vtt
    assert "00:00:03.000 --> 00:00:04.000\nbottom" in vtt


def test_literal_braces_in_subrip_survive_subrip_and_webvtt():
    t = read("1\n00:00:01,000 --> 00:00:02,000\n{Music} plays {\\an8}<i>loud</i>\n", "srt")
    assert "{\\an8}{Music} plays <i>loud</i>" in write(t, "srt")
    assert "{Music} plays <i>loud</i>" in write(t, "vtt")
