"""The secret store: the OS keychain when a real keyring backend is active, otherwise the encrypted vault.

Values pass through here as plain ``str`` only between the caller and the backend; nothing in this module
logs, formats into an error, or publishes a value. Changes are announced through ``on_change(name, action)``.
"""

from __future__ import annotations

import functools

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reelkit.sdk import get_logger

from .errors import KeyringFailed, SecretNameInvalid, SecretNotFound, SecretValueInvalid, SecurityLocked
from .vault import KdfParams, KeySource, PassphraseKeys, Vault, VaultFile, _b64, _unb64

__all__ = ["SecretStore", "SecretInfo", "StoreStatus", "keyring_usable", "mask", "check_name"]

log = get_logger("reelkit.security")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$")
MAX_VALUE = 64 * 1024  # secrets are keys and tokens; a bigger value is a mistake (and slows every write)
_INDEX = "__reelkit_index__"  # keyring account holding the list of names (keyring cannot list)


def check_name(name: str) -> str:
    """``name`` if it is a valid secret name, else :class:`SecretNameInvalid` saying what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise SecretNameInvalid(
            f"secret name {name!r} is invalid: use 1-128 characters from letters, digits and . _ : @ / -, "
            "starting with a letter or digit",
            details={"name": str(name)[:200]},
        )
    return name


def mask(value: str) -> str:
    """A display form that never reveals more than the last 4 characters of a long value."""
    return "****" + value[-4:] if len(value) >= 20 else "********"


def keyring_usable() -> bool:
    """True when keyring has a real backend (not the fail or null one, nor an empty chain)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        kr = keyring.get_keyring()
    except Exception:  # a broken keyring install means: no keychain
        return False
    if isinstance(kr, (fail.Keyring, null.Keyring)):
        return False
    if isinstance(kr, chainer.ChainerBackend):
        return bool(kr.backends)
    return True


@dataclass(frozen=True)
class SecretInfo:
    name: str
    masked: str
    updated: float


@dataclass(frozen=True)
class StoreStatus:
    backend: Literal["keyring", "vault"]
    locked: bool
    vault_path: str | None
    key_source: str | None


class KeyringKeys(KeySource):
    """A random 256-bit vault key kept in the OS keychain (account = vault id)."""

    def __init__(self, service: str):
        self._service = service

    def new(self, vault_id: str) -> tuple[dict[str, Any], bytes]:
        key = secrets.token_bytes(32)
        _keyring_call("set_password", self._service, vault_id, _b64(key))
        return {"alg": "keyring", "service": self._service, "account": vault_id}, key

    def key_for(self, kdf: dict[str, Any]) -> bytes:
        if kdf.get("alg") != "keyring":
            raise SecurityLocked("this vault needs its passphrase: set REELKIT_SECURITY__PASSPHRASE or call "
                                 "security.unlock {passphrase}")
        stored = _keyring_call("get_password", kdf["service"], kdf.get("account", ""))
        if not stored:
            raise SecurityLocked(f"the OS keychain holds no key for this vault (service {kdf['service']!r}); "
                                 "restore the keychain entry or the vault cannot be opened")
        return _unb64(stored, "keychain key")


class _AnyKeys(KeySource):
    """Opens whatever the header says; makes a new vault with a passphrase when one is given, else keychain."""

    def __init__(self, passphrase: str | None, params: KdfParams, keychain: KeyringKeys | None):
        self._pass = PassphraseKeys(passphrase, params) if passphrase else None
        self._keychain = keychain

    def new(self, vault_id: str) -> tuple[dict[str, Any], bytes]:
        if self._pass:
            return self._pass.new(vault_id)
        if self._keychain:
            return self._keychain.new(vault_id)
        raise _needs_passphrase()

    def key_for(self, kdf: dict[str, Any]) -> bytes:
        if kdf.get("alg") == "keyring" and self._keychain:
            return self._keychain.key_for(kdf)
        if kdf.get("alg") == "argon2id" and not self._pass:
            raise _needs_passphrase()
        return (self._pass or PassphraseKeys("", KdfParams())).key_for(kdf)


def _needs_passphrase() -> SecurityLocked:
    return SecurityLocked("the vault is locked and no passphrase is known: set REELKIT_SECURITY__PASSPHRASE, "
                          "run `reelkit security unlock`, or call security.unlock {passphrase}")


def _keyring_call(fn: str, *args: str) -> Any:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        return getattr(keyring, fn)(*args)
    except PasswordDeleteError:
        return None
    except KeyringError as e:
        # the backend's message may echo arguments; name the operation only
        raise KeyringFailed(f"the OS keychain refused {fn} ({type(e).__name__}); unlock the keychain or set "
                            "[security] backend = 'vault'", details={"operation": fn}) from None


class SecretStore:
    """Named secrets. Thread-safe; the vault backend also process-safe (file lock)."""

    def __init__(
        self,
        *,
        backend: Literal["auto", "keyring", "vault"] = "auto",
        vault_path: Path,
        passphrase: str | None = None,
        kdf: KdfParams = KdfParams(),
        vault_key: Literal["auto", "passphrase", "keyring"] = "auto",
        keyring_service: str = "reelkit",
        on_change: Callable[[str, str], None] | None = None,
    ):
        # Which keyring backend is real is found out on first use, not at boot: importing keyring and
        # probing its backends costs ~80 ms, and most kernel boots never touch a secret.
        self._backend_choice = backend
        self._vault_key = vault_key
        self._file = VaultFile(vault_path)
        self._passphrase = passphrase
        self._kdf = kdf
        self._service = keyring_service
        self._index_file = VaultFile(vault_path.with_name(vault_path.name + ".keyring"))  # its lock, on use
        self._vault: Vault | None = None
        self._locked_by_user = False
        self._mutex = threading.RLock()
        self._on_change = on_change or (lambda name, action: None)

    @functools.cached_property
    def _real_keyring(self) -> bool:
        return keyring_usable()

    @functools.cached_property
    def backend(self) -> Literal["keyring", "vault"]:
        choice = self._backend_choice
        return "keyring" if choice == "keyring" or (choice == "auto" and self._real_keyring) else "vault"

    @functools.cached_property
    def _keychain(self) -> KeyringKeys | None:
        ok = self._real_keyring and self._vault_key != "passphrase"
        return KeyringKeys(f"{self._service}-vault") if ok else None

    # -- lock state ----------------------------------------------------------------------------------
    @property
    def backend_decided(self) -> bool:
        """Whether ``auto`` has been resolved (that asks keyring for its backends: slow, maybe D-Bus)."""
        return self._backend_choice != "auto" or "backend" in self.__dict__

    def status(self) -> StoreStatus:
        """Backend, whether the vault key is out of memory, the vault path and its key source."""
        if self.backend == "keyring":
            return StoreStatus("keyring", False, None, None)
        doc_kdf = None
        try:
            doc = self._file.read()
            doc_kdf = doc["kdf"]["alg"] if doc else None
        except Exception:
            doc_kdf = "unreadable"
        return StoreStatus("vault", self._vault is None, str(self._file.path), doc_kdf)

    def unlock(self, passphrase: str | None = None, new_passphrase: str | None = None) -> None:
        """Load the vault key (creating the vault when there is none); with ``new_passphrase``, rotate."""
        if self.backend == "keyring":
            return
        with self._mutex:
            keys = _AnyKeys(passphrase or self._passphrase, self._kdf, self._keychain)
            t0 = time.perf_counter()
            vault = Vault.open_or_create(self._file, keys)
            log.info("vault unlocked", path=str(self._file.path), ms=(time.perf_counter() - t0) * 1e3)
            if self._vault is not None:
                self._vault.close()
            self._vault, self._locked_by_user = vault, False
            if new_passphrase:
                vault.rekey(PassphraseKeys(new_passphrase, self._kdf))
                log.info("vault passphrase rotated", path=str(self._file.path))

    def lock(self) -> None:
        """Forget the vault key; reads and writes fail with ``security.locked`` until the next unlock."""
        with self._mutex:
            if self._vault is not None:
                self._vault.close()
            self._vault, self._locked_by_user = None, True

    def _open_vault(self) -> Vault:
        with self._mutex:
            if self._vault is None:
                if self._locked_by_user:
                    raise SecurityLocked("the vault was locked with security.lock; unlock it with security.unlock")
                self.unlock()
            assert self._vault is not None
            return self._vault

    def _no_vault_yet(self) -> bool:
        """True when reading needs no key because there is no vault at all (reads never create one)."""
        return self._vault is None and not self._locked_by_user and self._file.signature() is None

    # -- secrets -------------------------------------------------------------------------------------
    def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name`` and announce the change (name only)."""
        check_name(name)
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
            raise SecretValueInvalid(f"secret {name!r} needs a non-empty value of at most {MAX_VALUE} characters",
                                     details={"name": name})
        if self.backend == "vault":
            self._open_vault().set(name, value)
        else:
            with self._index_file.lock:
                _keyring_call("set_password", self._service, name, value)
                index = self._index()
                index[name] = round(time.time(), 3)
                _keyring_call("set_password", self._service, _INDEX, json.dumps(index))
        log.info("secret set", secret_name=name)
        self._on_change(name, "set")

    def get(self, name: str) -> str:
        """The value of ``name``; ``security.secret_not_found`` when absent."""
        check_name(name)
        if self.backend == "vault":
            if self._no_vault_yet():
                raise SecretNotFound(f"no secret named {name!r} (the vault is empty); set it with security.secret_set",
                                     details={"name": name})
            return self._open_vault().get(name)
        value = _keyring_call("get_password", self._service, name)
        if value is None:
            raise SecretNotFound(f"no secret named {name!r}; set it with security.secret_set", details={"name": name})
        return value

    def get_or_none(self, name: str) -> str | None:
        """The value of ``name``, or None when there is no such secret."""
        try:
            return self.get(name)
        except SecretNotFound:
            return None

    def delete(self, name: str) -> bool:
        """Remove ``name``; False when there was no such secret."""
        check_name(name)
        if self.backend == "vault":
            found = False if self._no_vault_yet() else self._open_vault().delete(name)
        else:
            with self._index_file.lock:
                found = _keyring_call("get_password", self._service, name) is not None
                _keyring_call("delete_password", self._service, name)
                index = self._index()
                found = index.pop(name, None) is not None or found
                _keyring_call("set_password", self._service, _INDEX, json.dumps(index))
        if found:
            log.info("secret deleted", secret_name=name)
            self._on_change(name, "deleted")
        return found

    def list(self) -> list[SecretInfo]:
        """Names, masked values and update times, sorted by name."""
        if self.backend == "vault":
            if self._no_vault_yet():
                return []
            vault = self._open_vault()
            return [SecretInfo(n, mask(vault.get(n)), t) for n, t in sorted(vault.entries().items())]
        out = []
        for n, t in sorted(self._index().items()):
            value = _keyring_call("get_password", self._service, n)
            if value is not None:
                out.append(SecretInfo(n, mask(value), t))
        return out

    def close(self) -> None:
        """Forget the key at shutdown (a later use may unlock again)."""
        self.lock()
        self._locked_by_user = False

    def _index(self) -> dict[str, float]:
        raw = _keyring_call("get_password", self._service, _INDEX)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return {k: float(v) for k, v in data.items()} if isinstance(data, dict) else {}
