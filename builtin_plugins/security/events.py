"""Events of the security plugin: they carry names, never values."""

from __future__ import annotations

from typing import Literal

from reelkit.sdk import Event, Field

__all__ = ["SecretChanged", "OAuthConnected"]


class SecretChanged(Event, topic="security.secret.changed"):
    name: str = Field(description="The secret's name")
    action: Literal["set", "deleted"] = Field(description="What happened to it")


class OAuthConnected(Event, topic="security.oauth.connected"):
    provider: str = Field(description="youtube, tiktok or instagram")
    scopes: list[str] = Field(default_factory=list, description="Scopes granted")
    expires_at: float | None = Field(None, description="Access token expiry, epoch seconds")
