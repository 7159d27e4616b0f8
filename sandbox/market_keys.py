"""Signing keys of a marketplace index, kept outside it and encrypted at rest.

A key store is a directory (``0700``) holding one pair per key name::

    <name>.pem        the Ed25519 private key, PKCS#8 PEM encrypted with the passphrase
    <name>.pub.json   the public key as TUF writes it ({"keyid", "keytype", "scheme", "keyval"})

Signing goes through securesystemslib's :class:`CryptoSigner`; nothing here signs by hand. The
passphrase comes from the caller (the CLI reads ``REELKIT_MARKET_PASSPHRASE`` or prompts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from reelkit.sdk.files import atomic_write

from .market_errors import KeyInvalid


def _encryption(passphrase: str):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption

    return BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()


def generate(store: Path, name: str, passphrase: str):
    """A new Ed25519 key ``name`` in ``store``; returns its :class:`CryptoSigner`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat
    from securesystemslib.signer import CryptoSigner

    store = Path(store)
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (store / f"{name}.pem").exists():
        raise KeyInvalid(f"{store / (name + '.pem')}: a key of that name exists; choose another name or "
                         f"remove it first", details={"key": str(store / f"{name}.pem")})
    private = Ed25519PrivateKey.generate()
    signer = CryptoSigner(private)
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, _encryption(passphrase))
    atomic_write(store / f"{name}.pem", pem, mode=0o600)
    public = {"keyid": signer.public_key.keyid, **signer.public_key.to_dict()}
    atomic_write(store / f"{name}.pub.json", json.dumps(public, indent=2).encode(), mode=0o644)
    return signer


def key_path(store: Path, name: str) -> Path:
    return Path(store) / f"{name}.pem"


def load_signer(path: Path, passphrase: str):
    """The :class:`CryptoSigner` of the encrypted private key at ``path`` (``<name>.pem``)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from securesystemslib.signer import CryptoSigner

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyInvalid(f"{path}: cannot read the key ({e.strerror}); pass the .pem written by "
                         f"`reelkit market init` or `add-publisher`", details={"key": str(path)}) from e
    try:
        private = load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as e:
        raise KeyInvalid(f"{path}: cannot decrypt the key ({e}); check REELKIT_MARKET_PASSPHRASE",
                         details={"key": str(path)}) from e
    return CryptoSigner(private)


def public_key(path: Path):
    """The public :class:`SSlibKey` stored beside a key (``<name>.pub.json``) or in a ``.pub.json`` file."""
    from securesystemslib.signer import SSlibKey

    path = Path(path)
    if path.suffix == ".pem":
        path = path.with_suffix(".pub.json")
    try:
        data = json.loads(path.read_text())
        keyid = data.pop("keyid")
        return SSlibKey.from_dict(keyid, data)
    except (OSError, ValueError, KeyError) as e:
        raise KeyInvalid(f"{path}: not a public key file ({e}); use the .pub.json beside the key",
                         details={"key": str(path)}) from e


def remove(store: Path, name: str) -> None:
    """Delete a retired key pair (after a rotation)."""
    for suffix in (".pem", ".pub.json"):
        try:
            os.unlink(Path(store) / f"{name}{suffix}")
        except FileNotFoundError:
            pass
