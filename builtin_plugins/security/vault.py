"""The encrypted vault: one AES-256-GCM record per secret (the file itself, its lock and atomic writes: vault_file).

Format, version 1 (JSON)::

    {"format": "reelkit-vault", "version": 1, "vault_id": "<32 hex>",
     "kdf": {"alg": "argon2id", "salt": b64, "iterations": 3, "lanes": 4, "memory_kib": 65536}
          | {"alg": "keyring", "service": "reelkit-vault", "account": "<vault_id>"},
     "key_check": {"nonce": b64, "ct": b64},
     "entries": {"<name>": {"nonce": b64, "ct": b64, "updated": 1732400000.0}},
     "manifest": {"nonce": b64, "tag": b64}}

Every record is AES-256-GCM with a fresh 96-bit nonce; its associated data binds it to the format version,
the vault id and its role (the entry's name for an entry), so records cannot be swapped, renamed or moved
between vaults. ``key_check`` tells a wrong key (:class:`SecurityLocked`) from a damaged file. ``manifest``
is a GMAC over everything else, so a deleted, rolled-back or edited record makes the whole file refused
(:class:`VaultCorrupt`) before any value is read. A damaged ``key_check`` is indistinguishable from a wrong
key and is reported as one.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SecretNotFound, SecurityLocked
from .vault_file import FORMAT, VERSION, VaultFile, _b64, _unb64

__all__ = ["FORMAT", "VERSION", "KdfParams", "KeySource", "VaultFile", "Vault", "derive_key"]

_KEY_CHECK = b"reelkit-vault key check"
_NONCE = 12


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: RFC 9106's second recommended option by default (t=3, p=4, m=64 MiB)."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 64 * 1024


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """A 256-bit key from ``passphrase`` with Argon2id."""
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = Argon2id(
        salt=salt, length=32, iterations=params.iterations, lanes=params.lanes, memory_cost=params.memory_kib
    )
    return kdf.derive(passphrase.encode("utf-8"))


class KeySource:
    """Where a vault key comes from: ``new()`` makes a key and its ``kdf`` header, ``key_for`` finds it again."""

    def new(self, vault_id: str) -> tuple[dict[str, Any], bytes]:
        raise NotImplementedError

    def key_for(self, kdf: dict[str, Any]) -> bytes:
        raise NotImplementedError


class PassphraseKeys(KeySource):
    """Keys derived from a passphrase with Argon2id; the salt and cost live in the header."""

    def __init__(self, passphrase: str, params: KdfParams = KdfParams()):
        self._passphrase = passphrase
        self._params = params

    def new(self, vault_id: str) -> tuple[dict[str, Any], bytes]:
        salt = secrets.token_bytes(16)
        p = self._params
        header = {"alg": "argon2id", "salt": _b64(salt), "iterations": p.iterations, "lanes": p.lanes,
                  "memory_kib": p.memory_kib}
        return header, derive_key(self._passphrase, salt, p)

    def key_for(self, kdf: dict[str, Any]) -> bytes:
        if kdf.get("alg") != "argon2id":
            raise SecurityLocked(f"the vault key is kept in the OS keychain ({kdf.get('alg')!r}), not a passphrase; "
                                 "unlock without a passphrase on a machine whose keychain holds it")
        params = KdfParams(kdf["iterations"], kdf["lanes"], kdf["memory_kib"])
        return derive_key(self._passphrase, _unb64(kdf["salt"], "kdf.salt"), params)


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "manifest"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class Vault:
    """An unlocked vault: the key in memory, the verified document cached and re-read when the file changes.

    Thread-safe. Every change takes the file lock, re-reads and re-verifies the file, applies only its own
    change and writes the result, so concurrent writers in other processes never lose each other's entries.
    """

    def __init__(self, file: VaultFile, key: bytes, doc: dict[str, Any]):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.file = file
        self._aead = AESGCM(key)
        self._doc = doc
        self._sig = file.signature()
        self._mutex = threading.RLock()

    # -- opening -------------------------------------------------------------------------------------
    @classmethod
    def open_or_create(cls, file: VaultFile, keys: KeySource) -> Vault:
        """Open the vault at ``file`` with ``keys``, creating an empty one when there is none."""
        doc = file.read()
        if doc is None:
            with file.lock:
                doc = file.read()
                if doc is None:
                    vault_id = secrets.token_hex(16)
                    kdf, key = keys.new(vault_id)
                    doc = {"format": FORMAT, "version": VERSION, "vault_id": vault_id, "kdf": kdf, "entries": {}}
                    vault = cls(file, key, doc)
                    doc["key_check"] = vault._seal(_KEY_CHECK, "key-check")
                    vault._write(doc)
                    return vault
        key = keys.key_for(doc["kdf"])
        vault = cls(file, key, doc)
        vault._verify(doc)
        return vault

    # -- reading -------------------------------------------------------------------------------------
    def get(self, name: str) -> str:
        """The value of ``name``; :class:`SecretNotFound` when absent."""
        with self._mutex:
            doc = self._current()
            rec = doc["entries"].get(name)
            if rec is None:
                raise SecretNotFound(f"no secret named {name!r}; set it with security.secret_set",
                                     details={"name": name})
            return self._open(rec, f"entry/{name}", name).decode("utf-8")

    def entries(self) -> dict[str, float]:
        """Names and last-update times (epoch seconds)."""
        with self._mutex:
            return {n: float(r.get("updated", 0.0)) for n, r in self._current()["entries"].items()}

    # -- writing -------------------------------------------------------------------------------------
    def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name`` (a fresh nonce every time)."""
        def change(doc: dict[str, Any]) -> None:
            rec = self._seal(value.encode("utf-8"), f"entry/{name}", doc["vault_id"])
            rec["updated"] = round(time.time(), 3)
            doc["entries"][name] = rec

        self._mutate(change)

    def delete(self, name: str) -> bool:
        """Remove ``name``; False when it was not there."""
        found = []

        def change(doc: dict[str, Any]) -> None:
            found.append(doc["entries"].pop(name, None) is not None)

        self._mutate(change)
        return found[0]

    def rekey(self, keys: KeySource) -> None:
        """Re-encrypt every entry under a new key from ``keys`` (passphrase rotation), in one atomic write."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        with self._mutex, self.file.lock:
            doc = self._reload_locked()
            plain = {n: (self._open(r, f"entry/{n}", n), r.get("updated", 0.0)) for n, r in doc["entries"].items()}
            kdf, key = keys.new(doc["vault_id"])
            old = self._aead
            self._aead = AESGCM(key)
            try:
                new = {k: v for k, v in doc.items() if k not in ("kdf", "key_check", "entries", "manifest")}
                new["kdf"] = kdf
                new["key_check"] = self._seal(_KEY_CHECK, "key-check", doc["vault_id"])
                new["entries"] = {}
                for n, (value, updated) in plain.items():
                    new["entries"][n] = self._seal(value, f"entry/{n}", doc["vault_id"]) | {"updated": updated}
                self._write(new)
            except BaseException:
                self._aead = old
                raise

    def close(self) -> None:
        """Forget the key (best effort: Python cannot wipe the bytes it copied)."""
        with self._mutex:
            self._aead = None  # type: ignore[assignment]
            self._doc = {}

    # -- internals -----------------------------------------------------------------------------------
    def _mutate(self, change: Callable[[dict[str, Any]], None]) -> None:
        with self._mutex, self.file.lock:
            doc = self._reload_locked()  # a fresh copy from disk: a failed write leaves the cache as it was
            change(doc)
            self._write(doc)

    def _reload_locked(self) -> dict[str, Any]:
        self.file.remove_stale_temps()
        doc = self.file.read()
        if doc is None:
            raise self.file._corrupt("has disappeared since it was unlocked")
        if doc is not self._doc:
            self._verify(doc)
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        doc["manifest"] = self._gmac(doc)
        self.file.write(doc)
        self._doc = doc
        self._sig = self.file.signature()

    def _current(self) -> dict[str, Any]:
        if self._aead is None:
            raise SecurityLocked("the vault is locked; unlock it with security.unlock")
        sig = self.file.signature()
        if sig != self._sig:
            doc = self.file.read()
            if doc is None:
                raise self.file._corrupt("has disappeared since it was unlocked")
            self._verify(doc)
            self._doc, self._sig = doc, sig
        return self._doc

    def _verify(self, doc: dict[str, Any]) -> None:
        from cryptography.exceptions import InvalidTag

        try:
            check = self._open(doc["key_check"], "key-check", None, doc["vault_id"])
        except InvalidTag:
            check = None
        if check != _KEY_CHECK:
            raise SecurityLocked(
                "the key does not open this vault (wrong passphrase, or the vault was re-keyed by another "
                "process); unlock again with the right passphrase",
                details={"path": str(self.file.path)},
            )
        m = doc["manifest"]
        nonce, tag = _unb64(m["nonce"], "manifest.nonce"), _unb64(m["tag"], "manifest.tag")
        try:
            self._aead.decrypt(nonce, tag, self._aad("manifest", doc["vault_id"]) + _canonical(doc))
        except (InvalidTag, ValueError) as e:
            raise self.file._corrupt("fails its integrity check (edited, truncated or rolled back)") from e

    def _aad(self, role: str, vault_id: str | None = None) -> bytes:
        vid = vault_id if vault_id is not None else self._doc["vault_id"]
        return f"{FORMAT}/{VERSION}/{vid}/{role}\x00".encode()

    def _seal(self, plaintext: bytes, role: str, vault_id: str | None = None) -> dict[str, Any]:
        nonce = secrets.token_bytes(_NONCE)
        return {"nonce": _b64(nonce), "ct": _b64(self._aead.encrypt(nonce, plaintext, self._aad(role, vault_id)))}

    def _gmac(self, doc: dict[str, Any]) -> dict[str, str]:
        nonce = secrets.token_bytes(_NONCE)
        tag = self._aead.encrypt(nonce, b"", self._aad("manifest", doc["vault_id"]) + _canonical(doc))
        return {"nonce": _b64(nonce), "tag": _b64(tag)}

    def _open(self, rec: dict[str, Any], role: str, name: str | None, vault_id: str | None = None) -> bytes:
        from cryptography.exceptions import InvalidTag

        nonce = _unb64(rec["nonce"], f"{role}.nonce")
        ct = _unb64(rec["ct"], f"{role}.ct")
        if len(nonce) != _NONCE:
            raise self.file._corrupt(f"has a malformed nonce in {role}")
        if name is None:
            return self._aead.decrypt(nonce, ct, self._aad(role, vault_id))  # InvalidTag handled by caller
        try:
            return self._aead.decrypt(nonce, ct, self._aad(role, vault_id))
        except InvalidTag as e:
            raise self.file._corrupt(f"has a damaged record for secret {name!r}") from e
