"""Subtitle languages: containers store ISO 639-2 codes, so two-letter ISO 639-1 codes are mapped.

MP4's mov_text stores a packed three-letter code (a two-letter one becomes ``und``), Matroska and
WebM store the string as given (players expect ISO 639-2).
"""

from __future__ import annotations

#: ISO 639-1 -> ISO 639-2/B for the languages subtitles are most often in
ISO639_1 = {
    "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "cze", "da": "dan", "de": "ger", "el": "gre",
    "en": "eng", "es": "spa", "et": "est", "fa": "per", "fi": "fin", "fr": "fre", "he": "heb", "hi": "hin",
    "hr": "hrv", "hu": "hun", "id": "ind", "is": "ice", "it": "ita", "ja": "jpn", "ko": "kor", "lt": "lit",
    "lv": "lav", "ms": "may", "nb": "nob", "nl": "dut", "no": "nor", "pl": "pol", "pt": "por", "ro": "rum",
    "ru": "rus", "sk": "slo", "sl": "slv", "sr": "srp", "sv": "swe", "sw": "swa", "ta": "tam", "te": "tel",
    "th": "tha", "tl": "tgl", "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "chi", "cy": "wel",
    "ga": "gle", "eu": "baq", "gl": "glg", "af": "afr", "sq": "alb", "hy": "arm", "ka": "geo", "mk": "mac",
}


def iso639_2(code: str) -> str | None:
    """The three-letter code for ``code`` (two or three letters), or None when a two-letter code is unknown."""
    code = code.lower()
    return code if len(code) == 3 else ISO639_1.get(code)
