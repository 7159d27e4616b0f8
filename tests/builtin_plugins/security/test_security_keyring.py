"""The OS keychain paths, with an in-memory keyring backend standing in for a real one at keyring's own seam.

(This machine's keyring is the fail backend, so without this the keychain code paths would never run.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from reelkit.builtin_plugins.security.store import SecretStore, keyring_usable
from reelkit.builtin_plugins.security.vault import KdfParams

VALUE = "sk-keychain-SecretValue-0011223344"


def _memory_keyring_class() -> type:
    """Made on demand: keyring adopts every KeyringBackend subclass with a priority as a candidate default, so
    defining it at import would turn the keychain on for every other test in the process."""

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.data: dict[tuple[str, str], str] = {}
            self.broken = False

        def get_password(self, service: str, username: str) -> str | None:
            if self.broken:
                raise KeyringError(f"locked keychain while reading {service}/{username}")
            return self.data.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            if self.broken:
                raise KeyringError(f"locked keychain while writing {password}")
            self.data[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if (service, username) not in self.data:
                raise PasswordDeleteError("not found")
            del self.data[(service, username)]

    return MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[Any]:
    old = keyring.get_keyring()  # resolve the default before our class exists
    kr = _memory_keyring_class()()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(old)


def test_fail_backend_is_not_a_keychain() -> None:
    assert not keyring_usable()  # the backend this machine (and CI) has


def test_auto_backend_uses_the_keychain(memory_keyring: Any, tmp_path: Path) -> None:
    assert keyring_usable()
    s = SecretStore(backend="auto", vault_path=tmp_path / "v")
    assert s.backend == "keyring" and not s.status().locked
    s.set("apikey.anthropic", VALUE)
    s.set("other", "x")
    assert memory_keyring.data[("reelkit", "apikey.anthropic")] == VALUE
    again = SecretStore(backend="auto", vault_path=tmp_path / "v")
    assert again.get("apikey.anthropic") == VALUE
    assert [(i.name, i.masked) for i in again.list()] == [("apikey.anthropic", "****3344"), ("other", "********")]
    assert again.delete("other") and not again.delete("other")
    assert [i.name for i in s.list()] == ["apikey.anthropic"]
    assert not (tmp_path / "v").exists()  # no vault file in keychain mode


def test_keychain_errors_never_echo_values(memory_keyring: Any, tmp_path: Path) -> None:
    s = SecretStore(backend="keyring", vault_path=tmp_path / "v")
    memory_keyring.broken = True
    with pytest.raises(Exception) as ei:
        s.set("a", VALUE)
    assert ei.value.code == "security.keyring_failed" and VALUE not in str(ei.value.to_dict())
    assert ei.value.__cause__ is None and ei.value.__suppress_context__  # the backend's text is dropped


def test_vault_with_random_key_in_the_keychain(memory_keyring: Any, tmp_path: Path) -> None:
    """No passphrase but a keychain: a random 256-bit vault key is kept there; the file names the entry."""
    p = tmp_path / "v"
    s = SecretStore(backend="vault", vault_path=p, kdf=KdfParams(1, 1, 1024))
    s.set("a", VALUE)
    doc = json.loads(p.read_bytes())
    assert doc["kdf"] == {"alg": "keyring", "service": "reelkit-vault", "account": doc["vault_id"]}
    assert len(memory_keyring.data[("reelkit-vault", doc["vault_id"])]) == 44  # base64 of 32 bytes
    assert SecretStore(backend="vault", vault_path=p).get("a") == VALUE
    del memory_keyring.data[("reelkit-vault", doc["vault_id"])]
    with pytest.raises(Exception) as ei:
        SecretStore(backend="vault", vault_path=p).get("a")
    assert ei.value.code == "security.locked" and "keychain" in ei.value.message


def test_passphrase_wins_over_keychain_for_a_new_vault(memory_keyring: Any, tmp_path: Path) -> None:
    p = tmp_path / "v"
    SecretStore(backend="vault", vault_path=p, passphrase="pw", kdf=KdfParams(1, 1, 1024)).set("a", "1")
    assert json.loads(p.read_bytes())["kdf"]["alg"] == "argon2id"
    assert not memory_keyring.data
