"""The `[language]` settings section."""

from __future__ import annotations

from pydantic import field_validator

from reelkit.sdk import Field, SettingsSection


class LanguageSettings(SettingsSection, section="language"):
    default_locale: str = Field(
        "en", description="Locale used until language.set chooses one, and the fallback for missing keys"
    )

    @field_validator("default_locale")
    @classmethod
    def _known(cls, value: str) -> str:
        from .locales import LocaleUnknown, normalize

        try:
            return normalize(value)
        except LocaleUnknown as e:
            raise ValueError(e.message) from None
