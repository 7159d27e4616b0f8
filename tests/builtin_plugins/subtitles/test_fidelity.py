"""Issue 20's subtitle cases, written here, compared with pysubs2 where pysubs2 is right: files pysubs2
reads but a strict reader refuses (loaded with a warning per line), drawings, named colours, TTML
indentation and error lines, the TMPlayer writer, and encoding confidence."""

from __future__ import annotations

import pysubs2
import pytest

from reelkit.builtin_plugins.subtitles.decoding import decode
from reelkit.builtin_plugins.subtitles.errors import SubtitlesParseError, SubtitlesTimeOutOfRange
from reelkit.builtin_plugins.subtitles.formats import read, write
from reelkit.builtin_plugins.subtitles.source import load
from reelkit.builtin_plugins.subtitles.track import plain_text

ASS_HEAD = ("[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")


def ours(track):
    return [(e.start, e.end, plain_text(e.text)) for e in sorted(track.cues, key=lambda e: e.start)]


def theirs(text, fmt, **kw):
    subs = pysubs2.SSAFile.from_string(text, format_=fmt, **kw)
    return [(e.start, e.end, e.plaintext) for e in sorted(subs.events, key=lambda e: e.start) if not e.is_comment]


# -- files pysubs2 reads: loaded, each repaired or skipped line reported; strict refuses -------------------

def test_single_dash_arrow_loads_like_pysubs2_with_a_warning():
    text = "1\n00:00:01,000 -> 00:00:02,500\nhello\n\n2\n00:00:03,000 --> 00:00:04,000\nworld\n"
    t = read(text, "srt")
    assert ours(t) == theirs(text, "srt") == [(1000, 2500, "hello"), (3000, 4000, "world")]
    assert [(w.kind, w.line) for w in t.warnings] == [("repaired", 2)] and "'->'" in t.warnings[0].message
    with pytest.raises(SubtitlesParseError) as e:
        read(text, "srt", strict=True)
    assert e.value.details["line"] == 2


def test_negative_ass_time_is_clamped_with_a_warning():
    text = ASS_HEAD + ("Dialogue: 0,-0:00:01.00,0:00:03.00,Default,,0,0,0,,early\n"
                       "Dialogue: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,ok\n")
    assert theirs(text, "ass")[0][:2] == (-1000, 3000)  # pysubs2 keeps a time no player can show
    t = read(text, "ass")
    assert ours(t) == [(0, 3000, "early"), (4000, 5000, "ok")]
    assert [(w.kind, w.line) for w in t.warnings] == [("repaired", 6)] and "clamped" in t.warnings[0].message
    with pytest.raises(SubtitlesParseError) as e:
        read(text, "ass", strict=True)
    assert e.value.details["line"] == 6


def test_mpl2_line_without_text_is_skipped_with_a_warning():
    text = "[10][20]hi\n[30][40]\n[50][60]there\n"
    t = read(text, "mpl2")
    assert ours(t) == [e for e in theirs(text, "mpl2") if e[2]]  # pysubs2 keeps an empty cue; we drop it
    assert [(w.kind, w.line) for w in t.warnings] == [("skipped", 2)]
    assert [t.line_of(e) for e in t.cues] == [1, 3]
    with pytest.raises(SubtitlesParseError) as e:
        read(text, "mpl2", strict=True)
    assert e.value.details["line"] == 2


@pytest.mark.parametrize("header", ["{1}{1}23.976 ", "{1} {1} 23.976", "{ 1 }{ 1 }23.976", "{1}{1} 23,976"])
def test_microdvd_frame_rate_header_with_spaces(header):
    text = f"{header}\n{{25}}{{50}}hi\n{{75}}{{100}}there\n"
    t = read(text, "microdvd")
    assert ours(t) == theirs(text.replace("23,976", "23.976"), "microdvd") == [(1043, 2085, "hi"), (3128, 4171, "there")]
    assert not t.warnings


def test_out_of_range_timestamps_are_refused_with_a_code():
    for text in ("1\n99:99:99,999 --> 100:00:00,000\nx\n", "1\n00:00:01,000 --> 00:61:00,000\nx\n",
                 "1\n" + "9" * 400 + ":00:01,000 --> 00:00:02,000\nx\n"):
        with pytest.raises(SubtitlesTimeOutOfRange) as e:
            read(text, "srt")
        assert e.value.code == "subtitles.time_out_of_range" and e.value.details["line"] == 2
    with pytest.raises(SubtitlesTimeOutOfRange):
        read("WEBVTT\n\n00:99.000 --> 01:00.000\nx\n", "vtt")
    with pytest.raises(SubtitlesTimeOutOfRange) as e:
        read(ASS_HEAD + "Dialogue: 0,0:99:00.00,1:00:00.00,Default,,0,0,0,,x\n", "ass")
    assert e.value.details["line"] == 6
    with pytest.raises(SubtitlesTimeOutOfRange):
        read("00:00:01:ok\n00:75:00:late\n", "tmp")
    with pytest.raises(SubtitlesTimeOutOfRange):
        read('<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="00:00:99.000" end="00:01:00.000">x</p>'
             "</div></body></tt>", "ttml")


# -- drawings, colours, TTML ---------------------------------------------------------------------------

DRAWING = ASS_HEAD + ("Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}\n"
                      "Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,Sign {\\p2}m 0 0 l 5 5{\\p0}text\n")


def test_drawings_are_not_written_as_text_nor_reported_as_text():
    t = read(DRAWING, "ass")
    assert [plain_text(e.text) for e in t.cues] == ["", "Sign text"]
    srt, vtt = write(t, "srt"), write(t, "vtt")
    for out in (srt, vtt):
        assert "m 0 0" not in out and "Sign text" in out
    assert srt.count("-->") == 1  # the shape-only cue has nothing to show in SubRip
    assert "m 0 0 l 100" in write(read(DRAWING, "ass"), "ass")  # SubStation keeps the drawing


def test_named_srt_colours_are_kept_without_stray_reset():
    t = read('1\n00:00:01,000 --> 00:00:02,000\n<font color="cyan">Sea</font> and <font face="Arial">sky</font>\n',
             "srt")
    assert t.cues[0].text == "{\\c&HFFFF00&}Sea{\\c} and sky"  # no {\c} for the font without a colour
    assert '<font color="#00FFFF">Sea</font> and sky' in write(t, "srt")


def test_styled_ttml_paragraphs_drop_xml_indentation():
    text = ('<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling">\n'
            '  <body>\n    <div>\n      <p begin="00:00:01.000" end="00:00:02.000" tts:fontStyle="italic">\n'
            '        Hello\n      </p>\n      <p begin="00:00:03.000" end="00:00:04.000">\n'
            '        <span tts:fontWeight="bold">Bold</span>\n        <br/>\n        second line\n      </p>\n'
            '    </div>\n  </body>\n</tt>\n')
    t = read(text, "ttml")
    assert [e.text for e in t.cues] == ["{\\i1}Hello{\\i0}", "{\\b1}Bold{\\b0}\\Nsecond line"]
    assert [t.line_of(e) for e in t.cues] == [5, 8]
    assert "<i>Hello</i>" in write(t, "srt")


@pytest.mark.parametrize("text,line", [
    ('<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml">\n<body>\n<div>\n'
     '<p begin="1s" end="2s">ok</p>\n<p begin="3s" end="4s">broken</div>\n</body></tt>', 6),
    ('<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml">\n<body>\n<div begin="soon">\n'
     '<p begin="1s" end="2s">ok</p>\n</div>\n</body></tt>', 4),
    ('<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml">\n<body><div>\n\n'
     '<p begin="1s">no end</p>\n</div></body></tt>', 5),
])
def test_ttml_errors_name_the_line(text, line):
    with pytest.raises(SubtitlesParseError) as e:
        read(text, "ttml", source="bad.ttml")
    assert e.value.details["line"] == line and f"line {line}" in e.value.message


def test_tmplayer_writer_never_writes_a_cue_its_reader_refuses():
    t = read("1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:03,000 --> 00:00:04,000\n\n\n"
             "3\n00:00:05,000 --> 00:00:06,000\n<i></i>\n", "srt")
    out = write(t, "tmp")
    assert out.strip().splitlines() == ["00:00:01:hello"]
    assert ours(read(out, "tmp", strict=True))[0][2] == "hello"  # its own reader accepts every line
    for fmt in ("mpl2", "microdvd"):
        back = read(write(t, fmt, fps=25), fmt, fps=25, strict=True)
        assert [c[2] for c in ours(back)] == ["hello"]


# -- encodings -----------------------------------------------------------------------------------------

SRT = "1\n00:00:01,000 --> 00:00:02,000\n{}\n"


def test_three_big5_characters_are_a_low_confidence_guess_with_a_warning():
    d = decode(SRT.format("你好嗎").encode("big5"))
    assert d.confidence < 0.7
    assert any(kind == "encoding_uncertain" and "pass `encoding`" in msg for kind, msg, _ in d.warnings)


def test_a_file_mixing_encodings_is_flagged_with_its_lines():
    data = (SRT.format("Привет, как дела").encode("cp1251")
            + "\n2\n00:00:03,000 --> 00:00:04,000\nŻółć gęślą jaźń\n".encode("cp1250")
            + "\n3\n00:00:05,000 --> 00:00:06,000\nΚαλημέρα σας φίλοι\n".encode("cp1253"))
    d = decode(data)
    mixed = [w for w in d.warnings if w[0] == "encoding_mixed"]
    assert mixed and d.confidence <= 0.3
    assert "line" in mixed[0][1] and mixed[0][2] is not None


def test_a_clear_single_encoding_is_confident():
    long = " ".join(["Привет, как дела? Всё хорошо, спасибо, до встречи завтра."] * 3)
    d = decode(SRT.format(long).encode("cp1251"))
    assert d.encoding == "cp1251" and d.confidence >= 0.7 and not d.warnings
    assert decode(SRT.format("plain").encode()).confidence == 1.0


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_holding_cyrillic_is_detected(tmp_path, codec):
    p = tmp_path / "ru.srt"
    p.write_bytes((SRT.format("Привет, мир") + "\n2\n00:00:03,000 --> 00:00:04,000\nДо свидания\n").encode(codec))
    t = load(str(p))
    assert t.encoding == codec and [c[2] for c in ours(t)] == ["Привет, мир", "До свидания"]


def test_warnings_and_confidence_reach_the_command_result(tmp_path):
    import asyncio

    from reelkit import Kernel

    async def main():
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, builtins=["subtitles"], entry_points=False) as k:
            text = "1\n00:00:01,000 -> 00:00:02,000\nhello\n"
            out = await k.invoke("subtitles.convert", {"content": text, "to": "vtt"})
            assert [(w.kind, w.line) for w in out.read_warnings] == [("repaired", 2)]
            assert out.encoding_confidence == 1.0 and "00:00:01.000 --> 00:00:02.000" in out.content
            p = tmp_path / "zh.srt"
            p.write_bytes(SRT.format("你好嗎").encode("big5"))
            parsed = await k.invoke("subtitles.parse", {"path": str(p)})
            assert parsed.encoding_confidence < 0.7 and parsed.read_warnings[0].kind == "encoding_uncertain"
            from reelkit.kernel.errors import KernelError

            try:
                await k.invoke("subtitles.parse", {"content": text, "strict": True})
            except KernelError as e:
                assert e.code == "subtitles.parse_error"
            else:
                raise AssertionError("strict must refuse the single-dash arrow")

    asyncio.run(main())
