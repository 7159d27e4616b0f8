"""The vault file on disk: schema checks on read; temp file + fsync + rename on write; a cross-process lock."""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from reelkit.sdk.files import atomic_write

from .errors import VaultCorrupt

__all__ = ["FORMAT", "VERSION", "VaultFile"]

FORMAT = "reelkit-vault"
VERSION = 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError) as e:
        raise VaultCorrupt(f"vault field {where} is not base64", details={"field": where}) from e


class VaultFile:
    """The file on disk: schema checks on read; temp file + fsync + rename on write; a cross-process lock."""

    def __init__(self, path: Path, lock_timeout: float = 30.0):
        self.path = Path(path)
        self._lock_timeout = lock_timeout
        self._lock: Any = None

    @property
    def lock(self) -> Any:
        """The cross-process lock (filelock loads on first use, not at boot)."""
        if self._lock is None:
            import filelock

            self._lock = filelock.FileLock(str(self.path) + ".lock", timeout=self._lock_timeout, mode=0o600)
        return self._lock

    def signature(self) -> tuple[int, int, int] | None:
        """(inode, size, mtime) of the file, or None when there is none: tells when to re-read."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def read(self) -> dict[str, Any] | None:
        """The parsed document, schema-checked, or None when the file does not exist."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise self._corrupt("is not valid JSON") from e
        self._check_schema(doc)
        return doc

    def write(self, doc: dict[str, Any]) -> None:
        """Replace the file atomically: a reader sees the old vault or the new one, never a mix."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = json.dumps(doc, sort_keys=True, indent=1).encode("ascii")
        # temp `.<name>.XXXX.tmp` (what remove_stale_temps sweeps), created 0600 and kept 0600; fsyncs
        atomic_write(self.path, data, mode=0o600)

    def remove_stale_temps(self) -> None:
        """Delete temp files a killed writer left behind (call with the lock held)."""
        for p in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            try:
                p.unlink()
            except OSError:
                pass

    def _corrupt(self, reason: str) -> VaultCorrupt:
        return VaultCorrupt(
            f"vault {self.path} {reason}; restore it from a backup, or move it away to start an empty vault "
            "(its secrets are then lost)",
            details={"path": str(self.path), "reason": reason},
        )

    def _check_schema(self, doc: Any) -> None:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise self._corrupt("is not a reelkit vault")
        version = doc.get("version")
        if not isinstance(version, int) or version < 1:
            raise self._corrupt("has no valid format version")
        if version > VERSION:
            raise self._corrupt(f"has format version {version}, newer than this reelkit reads ({VERSION})")
        ok = (
            isinstance(doc.get("vault_id"), str)
            and isinstance(doc.get("kdf"), dict)
            and _is_record(doc.get("key_check"), "ct")
            and _is_record(doc.get("manifest"), "tag")
            and isinstance(doc.get("entries"), dict)
            and all(isinstance(k, str) and _is_record(v, "ct") for k, v in doc["entries"].items())
        )
        kdf = doc.get("kdf") or {}
        if ok and kdf.get("alg") == "argon2id":
            ok = all(isinstance(kdf.get(k), int) and kdf[k] > 0 for k in ("iterations", "lanes", "memory_kib"))
            ok = ok and isinstance(kdf.get("salt"), str)
        elif ok:
            ok = kdf.get("alg") == "keyring" and isinstance(kdf.get("service"), str)
        if not ok:
            raise self._corrupt("has missing or malformed fields")


def _is_record(value: Any, field: str) -> bool:
    return isinstance(value, dict) and isinstance(value.get("nonce"), str) and isinstance(value.get(field), str)
