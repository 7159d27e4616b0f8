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
    """``(text, encoding)``; ``encoding`` is the Python codec name that decoded the bytes.

    ``confidence`` (0-1) says how sure the guess is (1: a BOM, the caller's encoding, or strict UTF-8);
    ``warnings`` lists ``(kind, message, line)`` when it is unsure or the file mixes encodings.
    """

    confidence: float
    warnings: list[tuple[str, str, int | None]]

    def __new__(cls, text: str, encoding: str, confidence: float = 1.0,
                warnings: list[tuple[str, str, int | None]] | None = None):
        self = super().__new__(cls, (text, encoding))
        self.confidence = confidence
        self.warnings = warnings or []
        return self

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
        return Decoded(*_decode_as(data, utf16, source), confidence=0.95)
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
    guess = _detect(data)
    if guess is None:
        raise SubtitlesEncodingUnknown(
            f"{source}: the text encoding could not be detected. Pass `encoding` (e.g. \"cp1251\").",
            details={"source": source},
        )
    name, confidence, others = guess
    text = _decode_as(data, name, source).text
    warnings: list[tuple[str, str, int | None]] = []
    mixed = _mixed_lines(data, name, others)
    if mixed:
        confidence = min(confidence, 0.3)
        where = ", ".join(f"{n} ({enc})" for n, enc in mixed[:5])
        warnings.append(("encoding_mixed", f"the file mixes text encodings: decoded as {name}, but lines {where} "
                         f"read as other encodings; convert the file to one encoding (UTF-8)", mixed[0][0]))
    if confidence < 0.7:
        alt = f"; it could also be {', '.join(others[:4])}" if others else ""
        warnings.append(("encoding_uncertain", f"encoding guessed as {name} with low confidence ({confidence:.2f})"
                         f"{alt}. If the text looks wrong, pass `encoding`", None))
    return Decoded(text, name, round(confidence, 2), warnings)


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
    """UTF-16 without a BOM: its ASCII characters (digits, arrows, line breaks) put a NUL in every other
    byte, on one side only. Cyrillic or CJK text has fewer NULs (0x04xx, 0x4Exx …), so the rule is a NUL
    share on one side and nearly none on the other, confirmed by a clean decode."""
    sample = data[:8192]
    if len(sample) < 4:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    for zeros, others, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) > 0.15 * half and others.count(0) < 0.02 * half:
            try:
                text = data[: len(data) // 2 * 2].decode(name)
            except UnicodeDecodeError:
                continue
            probe = text[:4096]
            controls = sum(1 for c in probe if c < " " and c not in "\t\n\r\x0c")
            if "\x00" not in probe and controls <= 0.01 * len(probe):
                return name
    return None


def _looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    if not sample:
        return False
    if 0 in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls > 0.02 * len(sample)


def _detect(data: bytes) -> tuple[str, float, list[str]] | None:
    """``(encoding, confidence, other plausible encodings)`` from charset-normalizer, or None."""
    from charset_normalizer import from_bytes

    results = list(from_bytes(data))
    if not results:
        return None
    best_chaos = min(r.chaos for r in results)

    def rank(name: str) -> int:
        return _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)

    candidates: list[tuple[float, float, str]] = []
    for r in results:
        if r.chaos > best_chaos + 0.12:
            continue
        names = [c for c in r.could_be_from_charset if _PLAUSIBLE.match(c)]
        if names:
            candidates.append((r.coherence, r.chaos, min(names, key=rank)))
    if not candidates:
        return results[0].encoding, max(0.0, 0.5 - best_chaos), []
    top = max(c for c, _, _ in candidates)
    name = min((n for c, _, n in candidates if c >= top - 0.01), key=rank)
    chosen_chaos = next(ch for _, ch, n in candidates if n == name)
    # Rivals: other plausible readings about as clean as the chosen one. A few non-ASCII bytes (three
    # Big5 characters) fit many code pages, so the sample size weighs in too.
    rivals = [n for _, ch, n in candidates if n != name and ch <= chosen_chaos + 0.02]
    confidence = max(0.0, 1.0 - 2 * chosen_chaos)
    if rivals:
        confidence *= 0.5
    high = sum(1 for b in data[:65536] if b >= 0x80)
    if high < 24:
        confidence *= high / 24
    return name, confidence, rivals


def _mixed_lines(data: bytes, name: str, others: list[str]) -> list[tuple[int, str]]:
    """Lines (1-based) that are garbage as ``name`` but clean in another code page: a file pasted together
    from several encodings. Looks at up to 400 lines holding non-ASCII bytes, spread over the file."""
    from charset_normalizer.md import mess_ratio

    rows = [(n, ln) for n, ln in enumerate(data.split(b"\n"), 1) if any(b >= 0x80 for b in ln)]
    if len(rows) > 400:
        step = len(rows) / 400
        rows = [rows[int(k * step)] for k in range(400)]
    pool = list(dict.fromkeys([*others, *_PREFERRED[:11]]))
    out = []
    for n, ln in rows:
        as_chosen = mess_ratio(ln.decode(name, "replace"), 1.0)
        if as_chosen < 0.2:
            continue
        for enc in pool:
            if enc != name:
                try:
                    if mess_ratio(ln.decode(enc), 1.0) <= as_chosen - 0.2:  # clearly cleaner elsewhere
                        out.append((n, enc))
                        break
                except UnicodeDecodeError:
                    continue
    return out
