"""Bytes to text: BOMs and UTF-16 first, then strict UTF-8, then charset-normalizer.

Subtitle files arrive in whatever the author's machine used: UTF-8 with or without a BOM, UTF-16 from
Windows tools, and legacy code pages (cp1251 for Cyrillic, latin-1/cp1252 for Western languages).
Short files give charset detectors little to go on, so among candidates of similar quality the code
pages subtitle files actually use win over exotic ones (mac_roman, cp775).
"""

from __future__ import annotations

import codecs
import re

from .errors import SubtitlesEncodingUnknown, SubtitlesUnreadable

__all__ = ["decode", "Decoded"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Code pages worth considering for subtitles, and the order to prefer them in when a detector ties.
_PLAUSIBLE = re.compile(
    r"^(utf_8|cp125[0-8]|iso8859_\d+|koi8_[ru]|gb18030|gb2312|gbk|big5|big5hkscs|shift_jis|cp932|"
    r"euc_jp|euc_kr|cp949)$"
)
_PREFERRED = ["utf_8", "cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1257", "koi8_r",
              "iso8859_2", "cp1255", "cp1256", "gb18030", "big5", "shift_jis", "euc_kr", "euc_jp"]
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b")


class Decoded(tuple):
    """``(text, encoding)``; ``encoding`` is the Python codec name that decoded the bytes."""

    __slots__ = ()

    def __new__(cls, text: str, encoding: str):
        return super().__new__(cls, (text, encoding))

    @property
    def text(self) -> str:
        return self[0]

    @property
    def encoding(self) -> str:
        return self[1]


def decode(data: bytes, encoding: str | None = None, *, source: str = "<content>") -> Decoded:
    """Decode subtitle bytes, detecting the encoding unless one is given.

    Raises ``SubtitlesUnreadable`` for binary data and ``SubtitlesEncodingUnknown`` when no encoding
    fits (or the given one does not decode the bytes).
    """
    if encoding:
        return _decode_as(data, encoding, source)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, name, source)
    utf16 = _sniff_utf16(data)
    if utf16:
        return _decode_as(data, utf16, source)
    if _looks_binary(data):
        raise SubtitlesUnreadable(
            f"{source}: binary data, not subtitle text (control bytes found). "
            "Pass a text subtitle file; to pull subtitles out of a video use subtitles.extract.",
            details={"source": source},
        )
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    name = _detect(data)
    if name is None:
        raise SubtitlesEncodingUnknown(
            f"{source}: the text encoding could not be detected. Pass `encoding` (e.g. \"cp1251\").",
            details={"source": source},
        )
    return _decode_as(data, name, source)


def _decode_as(data: bytes, name: str, source: str) -> Decoded:
    try:
        codecs.lookup(name)
    except LookupError as e:
        raise SubtitlesEncodingUnknown(
            f"{source}: unknown encoding {name!r}. Use a Python codec name such as \"utf-8\" or \"cp1251\".",
            details={"source": source, "encoding": name},
        ) from e
    try:
        text = data.decode(name)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SubtitlesEncodingUnknown(
            f"{source}: not valid {name} at byte {e.start} (line {line}). "
            "Leave `encoding` unset to detect it, or name the right one.",
            details={"source": source, "encoding": name, "byte": e.start, "line": line},
        ) from e
    if "\x00" in text:
        raise SubtitlesUnreadable(
            f"{source}: NUL characters after decoding as {name}; this is binary data, not subtitle text.",
            details={"source": source, "encoding": name},
        )
    return Decoded(text.lstrip("\ufeff"), name)


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.6 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    if not sample:
        return False
    if 0 in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls > 0.02 * len(sample)


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data))
    if not results:
        return None
    best_chaos = min(r.chaos for r in results)

    def rank(name: str) -> int:
        return _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)

    candidates: list[tuple[float, str]] = []
    for r in results:
        if r.chaos > best_chaos + 0.12:
            continue
        names = [c for c in r.could_be_from_charset if _PLAUSIBLE.match(c)]
        if names:
            candidates.append((r.coherence, min(names, key=rank)))
    if not candidates:
        return results[0].encoding
    top = max(c for c, _ in candidates)
    return min((n for c, n in candidates if c >= top - 0.01), key=rank)
