"""Command handlers of the security plugin.

Every command needs capability ``security`` except ``security.secret_get``, which needs
``security.secret_read``: reading a value back is a separate grant that WASM plugins and IPC clients do not
get by default. Secret values arrive and leave as ``SecretStr``, so any dump of an input or output (logs,
spans, errors) shows ``**********``; see :class:`SecretValue` for revealing one on purpose.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import SecretStr, SerializationInfo, field_serializer

from reelkit.sdk import Empty, Field, Input, Output, command

from .errors import KeyMissing
from .keys import key_secret_name, validate_key
from .oauth import FlowStatus, OAuthManager
from .settings import SecuritySettings
from .store import SecretStore, StoreStatus

Provider = Literal["openai", "anthropic", "google", "youtube", "tiktok", "instagram", "custom"]
OAuthProvider = Literal["youtube", "tiktok", "instagram"]


# -- models --------------------------------------------------------------------------------------------
class SecretName(Input):
    name: str = Field(description="Secret name: letters, digits and . _ : @ / - (e.g. apikey.openai)")


class SecretSetInput(Input):
    name: str = Field(description="Secret name: letters, digits and . _ : @ / - (e.g. apikey.openai)")
    value: SecretStr = Field(description="The value; never logged or echoed")


class SecretRef(Output):
    name: str = Field(description="Secret name")
    backend: Literal["keyring", "vault"] = Field(description="Where it is kept")


class SecretValue(Output):
    """A secret read back. ``value`` dumps as ``**********`` unless the serialisation context says
    ``{"reveal_secrets": True}`` (``model_dump(mode="json", context=...)``); in Python use
    ``result.value.get_secret_value()``."""

    name: str = Field(description="Secret name")
    value: SecretStr = Field(description="The value (masked unless revealed on purpose)")

    @field_serializer("value", when_used="always")
    def _reveal(self, value: SecretStr, info: SerializationInfo) -> Any:
        if info.context and info.context.get("reveal_secrets"):
            return value.get_secret_value()
        return str(value) if info.mode == "json" else value


class SecretDeleted(Output):
    name: str = Field(description="Secret name")
    deleted: bool = Field(description="False when there was no such secret")


class SecretEntry(Output):
    name: str = Field(description="Secret name")
    masked: str = Field(description="Masked value: at most the last 4 characters of a long value")
    updated: float = Field(description="Last change, epoch seconds")


class SecretListing(Output):
    backend: Literal["keyring", "vault"] = Field(description="Where secrets are kept")
    secrets: list[SecretEntry] = Field(description="Every secret, by name")


class KeyValidateInput(Input):
    provider: Provider = Field(description="openai, anthropic, google, youtube or custom")
    key: SecretStr | None = Field(None, description="Key to check; default: the stored apikey.<provider>")


class KeyValidation(Output):
    provider: str = Field(description="Provider asked")
    status: Literal["valid", "invalid", "rate_limited", "unreachable", "error"] = Field(description="Verdict")
    http_status: int | None = Field(description="The provider's HTTP status, if it answered")
    message: str = Field(description="The provider's own message (the key scrubbed from it)")
    retry_after: float | None = Field(None, description="Seconds to wait, when rate-limited and told")


class ProviderInput(Input):
    provider: OAuthProvider = Field(description="youtube, tiktok or instagram")


class OAuthStatusInput(Input):
    provider: OAuthProvider | None = Field(None, description="One provider; default: all")
    wait_s: float = Field(0.0, ge=0, le=600, description="Wait up to this long for a pending flow to end")


class RefreshInput(Input):
    provider: OAuthProvider = Field(description="youtube, tiktok or instagram")
    force: bool = Field(False, description="Refresh even when the token is not near expiry")


class OAuthState(Output):
    provider: str = Field(description="Provider")
    state: Literal["not_connected", "pending", "connected", "expired", "failed", "locked"] = Field(
        description="Where it stands ('locked': the vault holding the tokens is locked)")
    scopes: list[str] = Field(default_factory=list, description="Scopes granted")
    expires_at: float | None = Field(None, description="Access token expiry, epoch seconds")
    has_refresh_token: bool = Field(False, description="Whether it can be refreshed without the user")
    error_code: str | None = Field(None, description="Code of the last failure")
    error: str | None = Field(None, description="Last failure, with what to do")
    authorization_url: str | None = Field(None, description="While pending: the URL to open in a browser")


class OAuthStates(Output):
    providers: list[OAuthState] = Field(description="One entry per provider asked")


class Revoked(Output):
    provider: str = Field(description="Provider")
    revoked_remote: bool = Field(description="The provider confirmed the revocation")
    forgotten: bool = Field(description="The tokens were removed from the secret store")


class UnlockInput(Input):
    passphrase: SecretStr | None = Field(None, description="Vault passphrase; default: REELKIT_SECURITY__PASSPHRASE")
    new_passphrase: SecretStr | None = Field(None, description="Rotate: re-encrypt the vault under this passphrase")


class LockState(Output):
    backend: Literal["keyring", "vault"] = Field(description="Where secrets are kept")
    locked: bool = Field(description="Whether the vault key is out of memory")
    vault_path: str | None = Field(description="The vault file (vault backend)")
    key_source: str | None = Field(description="argon2id (passphrase) or keyring, once the vault exists")
    unlock_ms: float | None = Field(None, description="Time the unlock took (key derivation)")


def _state(s: FlowStatus) -> OAuthState:
    return OAuthState(**s.__dict__)


def _lock_state(s: StoreStatus, ms: float | None = None) -> LockState:
    return LockState(backend=s.backend, locked=s.locked, vault_path=s.vault_path, key_source=s.key_source,
                     unlock_ms=ms)


def _plain(v: SecretStr | None) -> str | None:
    return v.get_secret_value() if v is not None else None


# -- secrets -------------------------------------------------------------------------------------------
@command("security.secret_set", capability="security")
def secret_set(inp: SecretSetInput, store: SecretStore) -> SecretRef:
    """Store a secret (encrypted vault or OS keychain); announces security.secret.changed with its name."""
    store.set(inp.name, inp.value.get_secret_value())
    return SecretRef(name=inp.name, backend=store.backend)


@command("security.secret_get", capability="security.secret_read")
def secret_get(inp: SecretName, store: SecretStore) -> SecretValue:
    """Read a secret back (needs capability security.secret_read)."""
    return SecretValue(name=inp.name, value=SecretStr(store.get(inp.name)))


@command("security.secret_delete", capability="security")
def secret_delete(inp: SecretName, store: SecretStore) -> SecretDeleted:
    """Delete a secret."""
    return SecretDeleted(name=inp.name, deleted=store.delete(inp.name))


@command("security.secret_list", capability="security")
def secret_list(inp: Empty, store: SecretStore) -> SecretListing:
    """Names and masked values of every secret."""
    return SecretListing(backend=store.backend,
                         secrets=[SecretEntry(name=s.name, masked=s.masked, updated=s.updated) for s in store.list()])


# -- API keys --------------------------------------------------------------------------------------------
@command("security.key_validate", capability="security")
def key_validate(inp: KeyValidateInput, store: SecretStore, settings: SecuritySettings) -> KeyValidation:
    """Check an API key with the provider's cheapest authenticated request."""
    key = _plain(inp.key)
    if key is None:
        key = store.get_or_none(key_secret_name(inp.provider))
        if key is None:
            raise KeyMissing(f"no key given and none stored for {inp.provider}; pass key, or store it with "
                             f"security.secret_set {{name: {key_secret_name(inp.provider)!r}}}",
                             details={"provider": inp.provider})
    v = validate_key(inp.provider, key, settings.base_url(inp.provider), settings.http_timeout_s)
    return KeyValidation(provider=v.provider, status=v.status, http_status=v.http_status, message=v.message,
                         retry_after=v.retry_after)


# -- OAuth ---------------------------------------------------------------------------------------------
@command("security.oauth_start", capability="security")
def oauth_start(inp: ProviderInput, oauth: OAuthManager) -> OAuthState:
    """Start connecting a publishing account: open authorization_url in a browser; the loopback server
    finishes the flow (see security.oauth_status)."""
    return _state(oauth.start(inp.provider))


@command("security.oauth_status", capability="security")
def oauth_status(inp: OAuthStatusInput, oauth: OAuthManager) -> OAuthStates:
    """Connection state of one or every OAuth provider (never the tokens)."""
    names = [inp.provider] if inp.provider else ["youtube", "tiktok", "instagram"]
    if inp.wait_s and inp.provider:
        oauth.wait(inp.provider, inp.wait_s)
    return OAuthStates(providers=[_state(oauth.status(p)) for p in names])


@command("security.oauth_refresh", capability="security")
def oauth_refresh(inp: RefreshInput, oauth: OAuthManager) -> OAuthState:
    """Refresh a provider's access token when near expiry (or always, with force)."""
    oauth.refresh(inp.provider, force=inp.force)
    return _state(oauth.status(inp.provider))


@command("security.oauth_revoke", capability="security")
def oauth_revoke(inp: ProviderInput, oauth: OAuthManager) -> Revoked:
    """Revoke a provider's tokens at the provider and forget them."""
    told = oauth.revoke(inp.provider)
    return Revoked(provider=inp.provider, revoked_remote=told, forgotten=True)


# -- lock ------------------------------------------------------------------------------------------------
@command("security.lock", capability="security")
def lock(inp: Empty, store: SecretStore) -> LockState:
    """Forget the vault key until the next security.unlock."""
    store.lock()
    return _lock_state(store.status())


@command("security.unlock", capability="security")
def unlock(inp: UnlockInput, store: SecretStore) -> LockState:
    """Unlock the vault (creating it when there is none); with new_passphrase, rotate the passphrase."""
    t0 = time.perf_counter()
    store.unlock(_plain(inp.passphrase), _plain(inp.new_passphrase))
    return _lock_state(store.status(), (time.perf_counter() - t0) * 1e3)
