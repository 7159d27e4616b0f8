"""Events published by the language plugin."""

from __future__ import annotations

from reelkit.sdk import Event, Field


class LocaleChanged(Event, topic="language.locale.changed"):
    """language.set switched the app's locale."""

    locale: str = Field(description="The new locale, canonical form (pt_BR)")
    previous: str = Field(description="The locale before")
