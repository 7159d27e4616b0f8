"""The app's language: the chosen locale (persisted), the merged catalogs, translation."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelkit.sdk import HealthResult, InputInvalid
from reelkit.sdk.files import atomic_write

from . import catalogs as cat
from . import locales

log = logging.getLogger(__name__)

STATE_FILE = "language.json"


@dataclass(frozen=True)
class Translation:
    text: str
    locale: str | None  # the catalog the text came from; None when the key itself was returned
    found: bool


class LanguageService:
    """Holds the current locale and the catalogs collected from plugins.

    `collect` returns the catalog contributions (one per plugin implementing
    `reelkit_language_catalogs`); it is called by `reload`.
    """

    def __init__(
        self,
        *,
        config_dir: Path,
        default_locale: str = "en",
        collect: Callable[[], Iterable[Any]] = lambda: [],
        on_change: Callable[[str, str], object] | None = None,
    ) -> None:
        self._state_path = Path(config_dir) / STATE_FILE
        self.default_locale = locales.normalize(default_locale)
        self._collect = collect
        self._on_change = on_change
        self._lock = threading.Lock()
        self._catalogs: cat.Catalogs = {}
        self._locale = self._load_persisted()

    # -- catalogs ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Collect the catalogs again (after plugins were added or removed)."""
        merged = cat.merge(self._collect())
        with self._lock:
            self._catalogs = merged

    def available(self) -> list[str]:
        """Locales that have a catalog, sorted."""
        with self._lock:
            return sorted(loc for loc, entries in self._catalogs.items() if entries)

    def has_catalog(self, locale: str) -> bool:
        """True when the locale or one of its parents (pt for pt_BR) has a catalog."""
        with self._lock:
            return any(self._catalogs.get(p) for p in locales.parents(locale))

    def key_count(self, locale: str) -> int:
        with self._lock:
            return len(self._catalogs.get(locale, {}))

    # -- current locale ----------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        return self._locale

    def fallback_chain(self, locale: str | None = None) -> list[str]:
        return locales.fallback_chain(locale or self._locale, self.default_locale)

    def set_locale(self, locale: str) -> str:
        """Validate, persist (atomically) and switch to `locale`; returns its canonical form."""
        new = locales.normalize(locale)
        with self._lock:
            previous = self._locale
            if new != previous or not self._state_path.exists():
                self._persist(new)
            self._locale = new
        if new != previous and self._on_change is not None:
            self._on_change(previous, new)
        return new

    def _load_persisted(self) -> str:
        try:
            data = json.loads(self._state_path.read_text(encoding="utf-8"))
            return locales.normalize(data["locale"])
        except FileNotFoundError:
            return self.default_locale
        except (ValueError, KeyError, TypeError, InputInvalid, OSError) as e:
            log.warning("%s: unreadable (%s); using the default locale %s", self._state_path, e, self.default_locale)
            return self.default_locale

    def _persist(self, locale: str) -> None:
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self._state_path, json.dumps({"locale": locale}))

    # -- translation -------------------------------------------------------------------------------

    def translate(self, key: str, params: Mapping[str, Any] | None = None, locale: str | None = None) -> Translation:
        """Translate `key` along the fallback chain; the key itself when no catalog has it."""
        params = dict(params or {})
        wanted = locales.normalize(locale) if locale else self._locale
        with self._lock:
            catalogs = self._catalogs
        for candidate in locales.fallback_tuple(wanted, self.default_locale):
            entry = catalogs.get(candidate, {}).get(key)
            if entry is None:
                continue
            template = cat.choose_plural(entry, params.get("count"), candidate) if isinstance(entry, dict) else entry
            if template is None:
                continue
            return Translation(text=cat.render(template, params, candidate), locale=candidate, found=True)
        return Translation(text=cat.render(key, params, wanted), locale=None, found=False)


def catalogs_health(lang: LanguageService) -> HealthResult:
    """ok when the current locale has translations; warn when it falls back to the default."""
    available = lang.available()
    if not available:
        return HealthResult(state="warn", detail="no translation catalogs loaded; every key is shown as is")
    if not lang.has_catalog(lang.locale):
        return HealthResult(
            state="warn",
            detail=f"no translations for {lang.locale}; showing {lang.default_locale} (have: {', '.join(available)})",
        )
    return HealthResult(state="ok", detail=f"locale {lang.locale}; catalogs for {', '.join(available)}")
