"""Translation catalogs: validating and merging what plugins contribute, choosing plural forms, formatting.

A catalog maps a locale to {key: entry}; an entry is a template string, or a dict of plural forms
({"one": "{count} file", "other": "{count} files"}, CLDR categories plus exact "=N" forms) chosen with
`params["count"]`. Templates name parameters in braces: "{name}"; "{{" and "}}" are literal braces.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from reelkit.sdk import InputInvalid

from . import locales

log = logging.getLogger(__name__)

Entry = str | dict[str, str]
Catalogs = dict[str, dict[str, Entry]]

PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
_EXACT = re.compile(r"^=\d+$")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}")


def load_packaged(package: str = __package__, folder: str = "catalogs") -> Catalogs:
    """Read `<locale>.json` files shipped inside a package (the kernel's own messages)."""
    result: Catalogs = {}
    for item in resources.files(package).joinpath(folder).iterdir():
        if item.name.endswith(".json"):
            result[item.name.removesuffix(".json")] = json.loads(item.read_text(encoding="utf-8"))
    return result


def _valid_entry(entry: Any) -> bool:
    if isinstance(entry, str):
        return True
    return (
        isinstance(entry, dict)
        and bool(entry)
        and all(isinstance(v, str) for v in entry.values())
        and all(k in PLURAL_CATEGORIES or _EXACT.match(k) for k in entry)
    )


def merge(contributions: Iterable[Any]) -> Catalogs:
    """Merge catalogs contributed by plugins; malformed locales or entries are logged and skipped.

    Later contributions override earlier ones key by key.
    """
    merged: Catalogs = {}
    for contribution in contributions:
        if not isinstance(contribution, Mapping):
            if contribution is not None:
                log.warning("language catalog ignored: expected a dict of locales, got %r", type(contribution))
            continue
        for raw_locale, entries in contribution.items():
            try:
                locale = locales.normalize(raw_locale)
            except InputInvalid:
                log.warning("language catalog for unknown locale %r ignored", raw_locale)
                continue
            if not isinstance(entries, Mapping):
                log.warning("language catalog for %s ignored: not a dict of keys", locale)
                continue
            target = merged.setdefault(locale, {})
            for key, entry in entries.items():
                if isinstance(key, str) and _valid_entry(entry):
                    target[key] = dict(entry) if isinstance(entry, dict) else entry
                else:
                    log.warning("language catalog %s: entry %r ignored (a string or plural forms)", locale, key)
    return merged


def choose_plural(entry: Mapping[str, str], count: Any, locale: str) -> str | None:
    """The template for `count`: an exact "=N" form first, then the CLDR category, then "other"."""
    if count is None:
        return entry.get("other")
    number = _as_number(count)
    if number == int(number) and f"={int(number)}" in entry:
        return entry[f"={int(number)}"]
    return entry.get(locales.plural_category(locale, number)) or entry.get("other")


def _as_number(count: Any) -> int | float:
    if isinstance(count, bool):
        raise InputInvalid("params.count: a number is needed to choose a plural form, not a boolean")
    if isinstance(count, int | float):
        return count
    try:
        text = str(count)
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError as e:
        raise InputInvalid(
            f"params.count: {count!r} is not a number; plural forms are chosen by a numeric count",
            details={"count": repr(count)},
        ) from e


def render(template: str, params: Mapping[str, Any], locale: str) -> str:
    """Fill "{name}" placeholders; numbers are written the locale's way; unknown names stay as they are.

    Only plain names are substituted (no attribute or index access as in str.format), so a
    template from a plugin cannot reach into the objects passed as parameters.
    """

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name not in params:
            return token
        value = params[name]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return locales.format_number(value, locale)
        return str(value)

    return _PLACEHOLDER.sub(substitute, template)
