"""The vault file: encryption, integrity, key check, rotation, permissions, atomic writes."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from reelkit.builtin_plugins.security.store import SecretStore
from reelkit.builtin_plugins.security.vault import KdfParams, PassphraseKeys, Vault, VaultFile

FAST = KdfParams(iterations=1, lanes=1, memory_kib=1024)
SECRET = "sk-live-ThisIsTheSecretValue-42"


def make_store(path: Path, passphrase: str = "pw-one") -> SecretStore:
    return SecretStore(backend="vault", vault_path=path, passphrase=passphrase, kdf=FAST)


def edit(path: Path, fn) -> None:
    doc = json.loads(path.read_bytes())
    fn(doc)
    path.write_text(json.dumps(doc))


def flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_roundtrip_and_no_plaintext_on_disk(tmp_path: Path) -> None:
    """Values come back as stored; the file holds neither values nor the passphrase."""
    p = tmp_path / "v"
    s = make_store(p)
    s.set("apikey.openai", SECRET)
    s.set("other", "ü-unicode ✓")
    assert make_store(p).get("apikey.openai") == SECRET
    assert make_store(p).get("other") == "ü-unicode ✓"
    raw = p.read_bytes()
    assert SECRET.encode() not in raw and b"pw-one" not in raw and b"unicode" not in raw
    doc = json.loads(raw)
    assert doc["format"] == "reelkit-vault" and doc["version"] == 1 and doc["kdf"]["alg"] == "argon2id"


def test_each_write_uses_a_fresh_nonce(tmp_path: Path) -> None:
    """Setting the same value twice yields different nonces and ciphertexts (96-bit nonces)."""
    p = tmp_path / "v"
    s = make_store(p)
    s.set("a", SECRET)
    first = json.loads(p.read_bytes())["entries"]["a"]
    s.set("a", SECRET)
    second = json.loads(p.read_bytes())["entries"]["a"]
    assert first["nonce"] != second["nonce"] and first["ct"] != second["ct"]
    assert len(base64.b64decode(second["nonce"])) == 12


def test_file_mode_0600_and_no_temp_left(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "v"
    s = make_store(p)
    s.set("a", "1")
    s.set("b", "2")
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert not list(p.parent.glob("*.tmp"))


def test_wrong_passphrase_is_locked_not_corrupt(tmp_path: Path) -> None:
    p = tmp_path / "v"
    make_store(p).set("a", SECRET)
    with pytest.raises(Exception) as ei:
        make_store(p, "wrong").get("a")
    assert ei.value.code == "security.locked"
    assert "passphrase" in ei.value.message and SECRET not in ei.value.message


@pytest.mark.parametrize("damage", [
    "flip_entry", "swap_entries", "rename_entry", "delete_entry", "roll_back", "truncate", "not_json",
    "newer_version", "bad_base64", "change_kdf_cost",
])
def test_tampered_vault_is_refused_whole(tmp_path: Path, damage: str) -> None:
    """Any edit makes the vault refused with security.vault_corrupt before a value is read."""
    p = tmp_path / "v"
    s = make_store(p)
    s.set("a", SECRET)
    s.set("b", "value-b")
    old = p.read_bytes()
    s.set("c", "value-c")
    if damage == "flip_entry":
        edit(p, lambda d: d["entries"]["a"].update(ct=flip(d["entries"]["a"]["ct"])))
    elif damage == "swap_entries":
        def swap(d):
            d["entries"]["a"], d["entries"]["b"] = d["entries"]["b"], d["entries"]["a"]
        edit(p, swap)
    elif damage == "rename_entry":
        edit(p, lambda d: d["entries"].__setitem__("z", d["entries"].pop("a")))
    elif damage == "delete_entry":
        edit(p, lambda d: d["entries"].pop("c"))
    elif damage == "roll_back":  # an older, validly written file with the manifest of the newer one
        new_manifest = json.loads(p.read_bytes())["manifest"]
        p.write_bytes(old)
        edit(p, lambda d: d.update(manifest=new_manifest))
    elif damage == "truncate":
        p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])
    elif damage == "not_json":
        p.write_bytes(b"\x00\xff garbage")
    elif damage == "newer_version":
        edit(p, lambda d: d.update(version=99))
    elif damage == "bad_base64":
        edit(p, lambda d: d["entries"]["b"].update(nonce="***"))
    elif damage == "change_kdf_cost":  # the key would differ: reads as a wrong key
        edit(p, lambda d: d["kdf"].update(iterations=2))
    fresh = make_store(p)
    with pytest.raises(Exception) as ei:
        fresh.get("b")
    expected = "security.locked" if damage == "change_kdf_cost" else "security.vault_corrupt"
    assert ei.value.code == expected, ei.value
    assert SECRET not in str(ei.value.to_dict())
    # and the store that was open notices the change too, instead of serving stale values
    with pytest.raises(Exception) as ei2:
        s.get("b")
    assert ei2.value.code in ("security.vault_corrupt", "security.locked")


def test_rotation_reencrypts_under_new_passphrase(tmp_path: Path) -> None:
    p = tmp_path / "v"
    s = make_store(p, "old-pass")
    s.set("a", SECRET)
    s.set("b", "bee")
    before = json.loads(p.read_bytes())
    s.unlock("old-pass", new_passphrase="new-pass")
    after = json.loads(p.read_bytes())
    assert after["kdf"]["salt"] != before["kdf"]["salt"]
    assert after["entries"]["a"]["ct"] != before["entries"]["a"]["ct"]
    assert s.get("a") == SECRET  # the open store keeps working
    assert make_store(p, "new-pass").get("b") == "bee"
    with pytest.raises(Exception) as ei:
        make_store(p, "old-pass").get("a")
    assert ei.value.code == "security.locked"


def test_lock_forgets_the_key(tmp_path: Path) -> None:
    p = tmp_path / "v"
    s = make_store(p)
    s.set("a", SECRET)
    s.lock()
    assert s.status().locked
    with pytest.raises(Exception) as ei:
        s.get("a")
    assert ei.value.code == "security.locked"
    s.unlock()
    assert s.get("a") == SECRET


def test_no_passphrase_and_no_keychain_is_locked(tmp_path: Path) -> None:
    """With the fail keyring backend and no passphrase, nothing is created and the error says what to do."""
    s = SecretStore(backend="vault", vault_path=tmp_path / "v", passphrase=None, kdf=FAST)
    with pytest.raises(Exception) as ei:
        s.set("a", "x")
    assert ei.value.code == "security.locked" and "REELKIT_SECURITY__PASSPHRASE" in ei.value.message
    assert not (tmp_path / "v").exists()


def test_missing_secret_and_bad_names(tmp_path: Path) -> None:
    s = make_store(tmp_path / "v")
    with pytest.raises(Exception) as ei:
        s.get("nope")
    assert ei.value.code == "security.secret_not_found"
    for bad in ("", "../etc", "a b", "_hidden", "x" * 200):
        with pytest.raises(Exception) as ei:
            s.set(bad, "v")
        assert ei.value.code == "security.name_invalid"
    assert s.delete("nope") is False
    for bad_value in ("", "x" * (64 * 1024 + 1)):
        with pytest.raises(Exception) as ei:
            s.set("ok", bad_value)
        assert ei.value.code == "security.value_invalid"


def test_concurrent_store_instances_keep_both_writes(tmp_path: Path) -> None:
    """Two stores on one file (as two processes would be): each write re-reads under the lock and merges."""
    p = tmp_path / "v"
    a, b = make_store(p), make_store(p)
    a.set("from-a", "1")
    b.set("from-b", "2")
    a.set("from-a-2", "3")
    assert {i.name for i in a.list()} == {"from-a", "from-b", "from-a-2"}
    assert b.get("from-a-2") == "3"


def test_vault_format_field_checks(tmp_path: Path) -> None:
    """A file that is JSON but not a vault is refused, naming the file."""
    p = tmp_path / "v"
    p.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(Exception) as ei:
        Vault.open_or_create(VaultFile(p), PassphraseKeys("x", FAST))
    assert ei.value.code == "security.vault_corrupt" and str(p) in ei.value.message
