"""Errors of the security plugin.

Every message names the culprit and the fix, and none carries a secret value::

    SecurityLocked (Unavailable)          security.locked           no key in memory, or a wrong passphrase
    VaultCorrupt (KernelError)            security.vault_corrupt    the vault file fails its checks
    SecretNotFound (NotFound)             security.secret_not_found
    SecretNameInvalid (InputInvalid)      security.name_invalid
    SecretValueInvalid (InputInvalid)     security.value_invalid    empty, or larger than 64 KiB
    KeyringFailed (Unavailable)           security.keyring_failed   the OS keychain refused
    ProviderUnsupported (InputInvalid)    security.provider_unsupported
    KeyMissing (NotFound)                 security.key_missing      no key given and none stored
    OAuthFailed (KernelError)             security.oauth_failed     a refusal or a token endpoint error
    OAuthNotConfigured (InputInvalid)     security.oauth_not_configured
    OAuthNotConnected (NotFound)          security.oauth_not_connected
    OAuthExpired (KernelError)            security.oauth_expired    the token expired and cannot be refreshed
    OAuthTimeout (Timeout)                security.oauth_timeout
"""

from __future__ import annotations

from reelkit.sdk import InputInvalid, KernelError, NotFound, Timeout, Unavailable

__all__ = [
    "SecurityLocked",
    "VaultCorrupt",
    "SecretNotFound",
    "SecretNameInvalid",
    "SecretValueInvalid",
    "KeyringFailed",
    "ProviderUnsupported",
    "KeyMissing",
    "OAuthFailed",
    "OAuthNotConfigured",
    "OAuthNotConnected",
    "OAuthExpired",
    "OAuthTimeout",
]


class SecurityLocked(Unavailable):
    code = "security.locked"


class VaultCorrupt(KernelError):
    code = "security.vault_corrupt"


class SecretNotFound(NotFound):
    code = "security.secret_not_found"


class SecretNameInvalid(InputInvalid):
    code = "security.name_invalid"


class SecretValueInvalid(InputInvalid):
    code = "security.value_invalid"


class KeyringFailed(Unavailable):
    code = "security.keyring_failed"


class ProviderUnsupported(InputInvalid):
    code = "security.provider_unsupported"


class KeyMissing(NotFound):
    code = "security.key_missing"


class OAuthFailed(KernelError):
    code = "security.oauth_failed"


class OAuthNotConfigured(InputInvalid):
    code = "security.oauth_not_configured"


class OAuthNotConnected(NotFound):
    code = "security.oauth_not_connected"


class OAuthExpired(KernelError):
    code = "security.oauth_expired"


class OAuthTimeout(Timeout):
    code = "security.oauth_timeout"
