"""Text encodings: BOMs, UTF-16, legacy code pages, binary garbage."""

from __future__ import annotations

import codecs
import os

import pytest

from reelkit.builtin_plugins.subtitles.decoding import decode
from reelkit.builtin_plugins.subtitles.errors import SubtitlesEncodingUnknown, SubtitlesUnreadable

SRT = ("1\n00:00:01,000 --> 00:00:02,000\n{one}\n\n"
       "2\n00:00:03,000 --> 00:00:04,000\n{two}\n")
RUSSIAN = SRT.format(one="Привет, как дела? Это тест субтитров.", two="Всё хорошо, спасибо!")
FRENCH = SRT.format(one="Ça va très bien, merci à toi.", two="Déjà vu, l'été dernier à Noël.")


def test_utf8_with_bom_is_stripped():
    text, enc = decode(codecs.BOM_UTF8 + RUSSIAN.encode("utf-8"))
    assert text == RUSSIAN and enc == "utf-8-sig"


def test_plain_utf8():
    assert decode(FRENCH.encode("utf-8")) == (FRENCH, "utf-8")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(codec):
    """Windows tools write UTF-16 with a BOM ("utf-16"); some write it bare."""
    text, enc = decode(RUSSIAN.encode(codec))
    assert text == RUSSIAN
    assert enc.startswith("utf-16")


@pytest.mark.parametrize("codec, sample", [("cp1251", RUSSIAN), ("latin-1", FRENCH), ("cp1252", FRENCH),
                                           ("koi8-r", RUSSIAN)])
def test_legacy_code_pages_are_detected(codec, sample):
    text, enc = decode(sample.encode(codec))
    assert text == sample, f"decoded as {enc}"


def test_explicit_encoding_wins():
    data = RUSSIAN.encode("cp1251")
    assert decode(data, "cp1251").text == RUSSIAN


def test_wrong_explicit_encoding_names_the_line():
    data = RUSSIAN.encode("cp1251")
    with pytest.raises(SubtitlesEncodingUnknown) as e:
        decode(data, "utf-8", source="ru.srt")
    assert e.value.code == "subtitles.encoding_unknown"
    assert e.value.details["line"] == 3 and "ru.srt" in e.value.message


def test_unknown_codec_name():
    with pytest.raises(SubtitlesEncodingUnknown, match="unknown encoding 'klingon-8'"):
        decode(b"1\n", "klingon-8")


def test_undetectable_bytes_are_reported():
    """High bytes that form no text in any code page (and no control bytes, so not 'binary')."""
    with pytest.raises(SubtitlesEncodingUnknown) as e:
        decode(bytes(range(0x80, 0x100)) * 8, source="odd.srt")
    assert "odd.srt" in e.value.message and "encoding" in e.value.message


@pytest.mark.parametrize("data", [
    os.urandom(4096),
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(500),
    b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + os.urandom(300),
    bytes(range(32)) * 20,
])
def test_binary_garbage_is_unreadable(data):
    with pytest.raises(SubtitlesUnreadable) as e:
        decode(data, source="clip.bin")
    assert e.value.code == "subtitles.unreadable" and "clip.bin" in e.value.message
