"""The ``[security]`` settings section.

The passphrase comes from ``REELKIT_SECURITY__PASSPHRASE`` (or ``[security] passphrase``, which is not
recommended: it puts the passphrase beside the vault). Each OAuth provider has its own subsection, e.g.
``REELKIT_SECURITY__YOUTUBE__CLIENT_ID``; endpoints default to the real providers' and are overridable so
tests can point them at a local server.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from reelkit.sdk import SettingsSection

__all__ = ["SecuritySettings", "OAuthProviderSettings", "YouTubeOAuth", "TikTokOAuth", "InstagramOAuth"]


class OAuthProviderSettings(BaseModel):
    """One OAuth provider's client registration and endpoints."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    client_id: str | None = Field(None, description="The app's client id (TikTok calls it client key)")
    client_secret: SecretStr | None = Field(None, description="The app's client secret; none for a public client")
    authorize_url: str | None = Field(None, description="Authorisation endpoint")
    token_url: str | None = Field(None, description="Token endpoint (code exchange and refresh)")
    revoke_url: str | None = Field(None, description="Revocation endpoint; none when the provider has none")
    refresh_url: str | None = Field(None, description="Refresh endpoint when it is not the token endpoint")
    exchange_url: str | None = Field(
        None, description="Instagram: where the short-lived token is exchanged for a long-lived one (ig_exchange_token)")
    scopes: list[str] = Field(default_factory=list, description="Scopes requested")
    scope_separator: str = Field(" ", description="How the provider joins scopes in the authorisation URL")
    client_id_param: Literal["client_id", "client_key"] = Field("client_id", description="Name of the client id parameter")
    extra_authorize_params: dict[str, str] = Field(default_factory=dict, description="Extra authorisation URL parameters")
    token_auth_method: Literal["client_secret_post", "client_secret_basic", "none"] = Field(
        "client_secret_post", description="How the client authenticates at the token endpoint")
    refresh_style: Literal["oauth2", "instagram"] = Field(
        "oauth2", description="'oauth2': refresh_token grant; 'instagram': ig_refresh_token on the long-lived token")


class YouTubeOAuth(OAuthProviderSettings):
    authorize_url: str | None = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str | None = "https://oauth2.googleapis.com/token"
    revoke_url: str | None = "https://oauth2.googleapis.com/revoke"
    scopes: list[str] = ["https://www.googleapis.com/auth/youtube.upload",
                         "https://www.googleapis.com/auth/youtube.readonly"]
    # offline + consent: Google only returns a refresh token when asked this way
    extra_authorize_params: dict[str, str] = {"access_type": "offline", "prompt": "consent"}


class TikTokOAuth(OAuthProviderSettings):
    authorize_url: str | None = "https://www.tiktok.com/v2/auth/authorize/"
    token_url: str | None = "https://open.tiktokapis.com/v2/oauth/token/"
    revoke_url: str | None = "https://open.tiktokapis.com/v2/oauth/revoke/"
    scopes: list[str] = ["user.info.basic", "video.upload"]
    scope_separator: str = ","
    client_id_param: Literal["client_id", "client_key"] = "client_key"


class InstagramOAuth(OAuthProviderSettings):
    authorize_url: str | None = "https://www.instagram.com/oauth/authorize"
    token_url: str | None = "https://api.instagram.com/oauth/access_token"
    refresh_url: str | None = "https://graph.instagram.com/refresh_access_token"
    exchange_url: str | None = "https://graph.instagram.com/access_token"
    scopes: list[str] = ["instagram_business_basic", "instagram_business_content_publish"]
    scope_separator: str = ","
    refresh_style: Literal["oauth2", "instagram"] = "instagram"


class SecuritySettings(SettingsSection, section="security"):
    backend: Literal["auto", "keyring", "vault"] = Field(
        "auto", description="'auto': the OS keychain when a real keyring backend is active, else the vault")
    passphrase: SecretStr | None = Field(None, description="Vault passphrase (use REELKIT_SECURITY__PASSPHRASE)")
    vault_key: Literal["auto", "passphrase", "keyring"] = Field(
        "auto", description="Key of a new vault: a passphrase, or a random key kept in the OS keychain")
    vault_file: str = Field("security.vault", description="Vault file, relative to the data dir")
    keyring_service: str = Field("reelkit", description="Service name of reelkit's keychain entries")
    kdf_iterations: int = Field(3, ge=1, le=100, description="Argon2id passes for a new or rotated vault")
    kdf_lanes: int = Field(4, ge=1, le=64, description="Argon2id parallelism for a new or rotated vault")
    kdf_memory_kib: int = Field(65536, ge=64, le=4 * 1024 * 1024, description="Argon2id memory (KiB)")
    http_timeout_s: float = Field(10.0, gt=0, le=300, description="Timeout of provider requests")
    openai_base_url: str = Field("https://api.openai.com", description="OpenAI API base URL")
    anthropic_base_url: str = Field("https://api.anthropic.com", description="Anthropic API base URL")
    google_base_url: str = Field("https://generativelanguage.googleapis.com", description="Gemini API base URL")
    youtube_base_url: str = Field("https://www.googleapis.com", description="YouTube Data API base URL")
    custom_base_url: str | None = Field(None, description="An OpenAI-compatible API base URL (with its /v1)")
    oauth_flow_timeout_s: float = Field(300.0, gt=0, description="How long a started OAuth flow waits for the browser")
    oauth_refresh_margin_s: float = Field(300.0, ge=0, description="Refresh tokens this long before they expire")
    oauth_redirect_port: int = Field(0, ge=0, le=65535, description="Loopback redirect port; 0 picks a free one")
    youtube: YouTubeOAuth = Field(default_factory=YouTubeOAuth, description="YouTube (Google) OAuth client")
    tiktok: TikTokOAuth = Field(default_factory=TikTokOAuth, description="TikTok OAuth client")
    instagram: InstagramOAuth = Field(default_factory=InstagramOAuth, description="Instagram (Meta) OAuth client")

    @model_validator(mode="after")
    def _kdf_memory(self) -> "SecuritySettings":
        if self.kdf_memory_kib < 8 * self.kdf_lanes:
            raise ValueError(f"kdf_memory_kib must be at least 8 × kdf_lanes ({8 * self.kdf_lanes})")
        return self

    def base_url(self, provider: str) -> str | None:
        return getattr(self, f"{provider}_base_url", None)

    def oauth_providers(self) -> dict[str, OAuthProviderSettings]:
        return {"youtube": self.youtube, "tiktok": self.tiktok, "instagram": self.instagram}
