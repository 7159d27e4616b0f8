"""Service factories: the :class:`SecretStore` and the :class:`OAuthManager`, wired to settings and the bus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from reelkit.sdk import Bus, HealthResult, Paths

from .events import OAuthConnected, SecretChanged
from .oauth import OAuthManager
from .settings import SecuritySettings
from .store import SecretStore
from .vault import KdfParams

__all__ = ["create_store", "create_oauth", "store_health"]


def vault_path(settings: SecuritySettings, paths: Paths) -> Path:
    p = Path(settings.vault_file).expanduser()
    return p if p.is_absolute() else paths.data_dir / p


def create_store(settings: SecuritySettings, paths: Paths, bus: Bus) -> Iterator[SecretStore]:
    """The secret store; its key is forgotten at shutdown."""
    store = SecretStore(
        backend=settings.backend,
        vault_path=vault_path(settings, paths),
        passphrase=settings.passphrase.get_secret_value() if settings.passphrase else None,
        kdf=KdfParams(settings.kdf_iterations, settings.kdf_lanes, settings.kdf_memory_kib),
        vault_key=settings.vault_key,
        keyring_service=settings.keyring_service,
        on_change=lambda name, action: bus.publish(SecretChanged(name=name, action=action)),
    )
    try:
        yield store
    finally:
        store.close()


def create_oauth(settings: SecuritySettings, store: SecretStore, bus: Bus) -> Iterator[OAuthManager]:
    """The OAuth manager; its loopback servers stop at shutdown."""
    manager = OAuthManager(
        settings.oauth_providers(), store,
        http_timeout=settings.http_timeout_s,
        flow_timeout=settings.oauth_flow_timeout_s,
        refresh_margin=settings.oauth_refresh_margin_s,
        redirect_port=settings.oauth_redirect_port,
        on_connected=lambda p, scopes, exp: bus.publish(OAuthConnected(provider=p, scopes=scopes, expires_at=exp)),
    )
    try:
        yield manager
    finally:
        manager.close()


def store_health(store: SecretStore) -> HealthResult:
    """Which backend holds the secrets, and whether the vault file passes its schema checks.

    With ``backend = "auto"`` not yet resolved, health says so rather than asking keyring for its
    backends (an import and a D-Bus probe) just to answer.
    """
    if not store.backend_decided:
        return HealthResult(state="ok", detail="backend auto: the OS keychain when a real keyring backend is "
                            "active, else the vault; decided at the first secret access")
    st = store.status()
    if st.backend == "keyring":
        return HealthResult(state="ok", detail="secrets in the OS keychain")
    if st.key_source == "unreadable":
        return HealthResult(state="error", detail=f"vault {st.vault_path} is damaged; see security.unlock's error")
    where = f"vault {st.vault_path}"
    return HealthResult(state="ok", detail=f"{where} ({'locked' if st.locked else 'unlocked'})")
