"""Public API of the security plugin: what another plugin may import when it declares ``requires=["security"]``.

Other plugins get secrets through the injectable :class:`SecretStore` service (``store.get(name)``) and
OAuth access tokens through :class:`OAuthManager` (``oauth.access_token("youtube")`` refreshes first when the
token is near expiry). API keys are stored under :func:`key_secret_name` (``apikey.<provider>``), OAuth tokens
under :func:`token_secret_name` (``oauth.<provider>``).
"""

from __future__ import annotations

from .keys import KEY_PROVIDERS, PROVIDERS, key_secret_name
from .oauth import OAUTH_PROVIDERS, FlowStatus, OAuthManager, token_secret_name
from .store import SecretInfo, SecretStore, StoreStatus, mask

__all__ = [
    "SecretStore", "SecretInfo", "StoreStatus", "OAuthManager", "FlowStatus", "PROVIDERS", "KEY_PROVIDERS",
    "OAUTH_PROVIDERS", "key_secret_name", "token_secret_name", "mask",
]
