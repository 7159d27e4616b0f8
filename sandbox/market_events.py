"""Events and settings of the marketplace client."""

from __future__ import annotations

from reelkit.sdk import Event, Field, SettingsSection


class MarketSettings(SettingsSection, section="market"):
    """Settings of the marketplace client."""

    metadata_timeout_s: float = Field(30.0, gt=0, le=600, description="Deadline of one metadata download")
    download_timeout_s: float = Field(120.0, gt=0, le=3600, description="Deadline of one package download")


class MarketInstalled(Event, topic="sandbox.market.installed"):
    plugin: str = Field(description="Plugin id")
    version: str = Field(description="Version installed")
    source: str = Field(description="Source it came from")


class MarketUpdated(Event, topic="sandbox.market.updated"):
    plugin: str = Field(description="Plugin id")
    version: str = Field(description="New version")
    previous: str = Field(description="Version replaced (kept for rollback)")
    source: str = Field(description="Source it came from")


class MarketRolledBack(Event, topic="sandbox.market.rolled_back"):
    plugin: str = Field(description="Plugin id")
    version: str = Field(description="Version active again")
    from_version: str = Field(description="Version rolled back from")
    automatic: bool = Field(description="True when a failed update was undone by itself")
    reason: str = Field("", description="Why, for an automatic rollback")


class MarketRefreshFailed(Event, topic="sandbox.market.refresh_failed"):
    source: str = Field(description="Source name")
    code: str = Field(description="Error code")
    message: str = Field(description="What went wrong")
