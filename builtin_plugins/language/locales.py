"""Locale names, validation and fallback chains, from Babel's CLDR data."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from reelkit.sdk import InputInvalid

# Identifiers already in Babel's canonical shape (en, pt_BR, zh_Hant_TW, es_419). For these, the
# existence of Babel's data file is the whole check, so booting does not import Babel (10-25 ms).
_CANONICAL = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?(_(?:[A-Z]{2}|\d{3}))?$")


class LocaleUnknown(InputInvalid):
    """A locale identifier Babel does not know."""

    code = "language.locale_unknown"


@lru_cache(maxsize=512)
def _parse(text: str):
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as e:
        raise LocaleUnknown(
            f"{text!r}: not a known locale; use an identifier like 'en', 'de', 'pt_BR' or 'zh_Hant_TW' "
            "(language.list shows the translated ones)",
            details={"locale": text},
        ) from e


@lru_cache(maxsize=1)
def _locale_data_dir() -> Path | None:
    spec = find_spec("babel")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "locale-data"


def normalize(text: str) -> str:
    """Canonical form of a locale identifier: 'pt-br' → 'pt_BR'; `LocaleUnknown` if Babel does not know it."""
    if not isinstance(text, str) or not text.strip():
        raise LocaleUnknown(f"{text!r}: empty locale; use an identifier like 'en' or 'pt_BR'")
    return _normalize(text.strip())


@lru_cache(maxsize=512)
def _normalize(text: str) -> str:
    data = _locale_data_dir()
    if _CANONICAL.match(text) and data is not None and (data / f"{text}.dat").is_file():
        return text
    return str(_parse(text))


def parents(locale: str) -> list[str]:
    """The locale and its ancestors by truncation: 'zh_Hant_TW' → ['zh_Hant_TW', 'zh_Hant', 'zh']."""
    parts = locale.split("_")
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


def fallback_chain(locale: str, default: str, last: str = "en") -> list[str]:
    """Where a translation is looked for, in order: pt_BR → pt → the default's chain → `last`."""
    return list(fallback_tuple(locale, default, last))


@lru_cache(maxsize=256)
def fallback_tuple(locale: str, default: str, last: str = "en") -> tuple[str, ...]:
    """`fallback_chain` as a cached tuple, for the hot path of translation."""
    chain: list[str] = []
    for candidate in [*parents(locale), *parents(default), last]:
        if candidate not in chain:
            chain.append(candidate)
    return tuple(chain)


def native_name(locale: str) -> str:
    """The locale's name in its own language ('Deutsch', '日本語', 'português (Brasil)')."""
    loc = _parse(locale)
    return loc.get_display_name(loc) or locale


def english_name(locale: str) -> str:
    return _parse(locale).get_display_name("en") or locale


def plural_category(locale: str, count: float | int) -> str:
    """CLDR plural category of `count` in `locale`: zero, one, two, few, many or other."""
    return _parse(locale).plural_form(count)


def format_number(value: int | float, locale: str) -> str:
    """A number written the locale's way (1,234.5 in en, 1.234,5 in de)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_parse(locale))
