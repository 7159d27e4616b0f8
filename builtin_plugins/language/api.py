"""Public models of the language plugin."""

from __future__ import annotations

from typing import Any

from reelkit.sdk import Field, Input, Output


class LocaleInfo(Output):
    locale: str = Field(description="Canonical locale identifier (pt_BR)")
    native_name: str = Field(description="Name in the locale's own language (português (Brasil))")
    english_name: str = Field(description="Name in English (Portuguese (Brazil))")
    keys: int = Field(description="Translated keys in this locale's own catalog")


class LanguageState(Output):
    locale: str = Field(description="The current locale")
    native_name: str = Field(description="Its name in its own language")
    english_name: str = Field(description="Its name in English")
    has_catalog: bool = Field(description="True when it (or a parent, pt for pt_BR) has translations")
    fallback: list[str] = Field(description="Where translations are looked for, in order")


class GetInput(Input):
    pass


class SetInput(Input):
    locale: str = Field(description="Locale identifier: en, de, pt_BR, pt-BR, zh_Hant_TW …")


class ListInput(Input):
    pass


class ListResult(Output):
    current: str = Field(description="The current locale")
    locales: list[LocaleInfo] = Field(description="Locales that have translations, sorted")


class TranslateInput(Input):
    key: str = Field(description="Message key, such as kernel.plugins.loaded")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Values for {placeholders}; `count` also chooses the plural form"
    )
    locale: str | None = Field(None, description="Translate into this locale instead of the current one")


class TranslateResult(Output):
    text: str = Field(description="The translation, or the key itself when no catalog has it")
    locale: str | None = Field(description="The catalog the text came from; null when the key was returned")
    found: bool = Field(description="False when no catalog in the fallback chain has the key")
