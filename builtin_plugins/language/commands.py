"""Command handlers of the language plugin."""

from __future__ import annotations

from reelkit.sdk import command

from . import locales
from .api import GetInput, LanguageState, ListInput, ListResult, LocaleInfo, SetInput, TranslateInput, TranslateResult
from .service import LanguageService


def _state(lang: LanguageService) -> LanguageState:
    loc = lang.locale
    return LanguageState(
        locale=loc,
        native_name=locales.native_name(loc),
        english_name=locales.english_name(loc),
        has_catalog=lang.has_catalog(loc),
        fallback=lang.fallback_chain(loc),
    )


@command("language.get", summary="The app's current locale")
async def get(inp: GetInput, lang: LanguageService) -> LanguageState:
    return _state(lang)


@command("language.set", summary="Switch the app's locale (persisted); publishes language.locale.changed")
def set_locale(inp: SetInput, lang: LanguageService) -> LanguageState:
    lang.set_locale(inp.locale)
    return _state(lang)


@command("language.list", summary="Locales that have translations, with their native names")
async def list_locales(inp: ListInput, lang: LanguageService) -> ListResult:
    return ListResult(
        current=lang.locale,
        locales=[
            LocaleInfo(
                locale=loc,
                native_name=locales.native_name(loc),
                english_name=locales.english_name(loc),
                keys=lang.key_count(loc),
            )
            for loc in lang.available()
        ],
    )


@command("language.translate", summary="Translate a message key, with plural forms and fallbacks")
async def translate(inp: TranslateInput, lang: LanguageService) -> TranslateResult:
    t = lang.translate(inp.key, inp.params, inp.locale)
    return TranslateResult(text=t.text, locale=t.locale, found=t.found)


@command("language.reload", summary="Collect the catalogs again (after plugins were added at runtime)")
async def reload(inp: ListInput, lang: LanguageService) -> ListResult:
    lang.reload()
    return await list_locales(inp, lang)


ALL = (get, set_locale, list_locales, translate, reload)
