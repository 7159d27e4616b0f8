"""Key rotation of a marketplace index: root, the top-level roles, and publishers.

Old clients follow: a new root is signed by a threshold of the previous root's keys (and of its
own), so a client that was offline walks ``N.root.json`` up to it; every other role's new key is
named by a new root (top-level roles) or a new ``targets.json`` (publishers). Retired keys are moved
out of the signing store to ``<keys>/retired/``, not destroyed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import market_keys as keys
from .market_errors import IndexInvalid
from .market_index import TOP, Index


def rotate(index: Index, role: str, publisher_key_dir: Path | None = None) -> None:
    """New key(s) for ``role`` (root, targets, snapshot, timestamp or a publisher); old ones retired.

    Root: the new root is signed by a threshold of the old keys and of the new ones, so clients
    that were offline walk the chain (N.root.json) to it.
    """
    root = index.load("root")
    if role in TOP:
        old_root_signers = index.root_signers(root)
        retired = index.keys_dir / "retired" / f"root-v{root.signed.version}"
        if role == "root":
            names = [p.stem for p in sorted(index.keys_dir.glob("root-*.pem"))]
            new = [keys.generate(index.keys_dir, f"{n}.next", index.passphrase) for n in names]
            for keyid in list(root.signed.roles["root"].keyids):
                root.signed.revoke_key(keyid, "root")
            for s in new:
                root.signed.add_key(s.public_key, "root")
            index.bump(root, "root")
            index.sign(root, old_root_signers + new)
            index.write("root", root)
            retired.mkdir(parents=True, exist_ok=True)
            for n in names:  # keep the old keys out of the signing store, but do not destroy them
                for suffix in (".pem", ".pub.json"):
                    shutil.move(str(index.keys_dir / f"{n}{suffix}"), retired / f"{n}{suffix}")
                    shutil.move(str(index.keys_dir / f"{n}.next{suffix}"), index.keys_dir / f"{n}{suffix}")
            return
        retired.mkdir(parents=True, exist_ok=True)
        for suffix in (".pem", ".pub.json"):
            shutil.move(str(index.keys_dir / f"{role}{suffix}"), retired / f"{role}{suffix}")
        signer = keys.generate(index.keys_dir, role, index.passphrase)
        for keyid in list(root.signed.roles[role].keyids):
            root.signed.revoke_key(keyid, role)
        root.signed.add_key(signer.public_key, role)
        index.bump(root, "root")
        index.sign(root, old_root_signers)
        index.write("root", root)
        if role == "targets":
            index.save_targets(index.load("targets"))
        index.renew()
        return
    targets = index.load("targets")
    if role not in targets.signed.delegations.roles:
        raise IndexInvalid(f"'{role}' is neither a top-level role nor a publisher of {index.dir}",
                           details={"role": role})
    key_dir = Path(publisher_key_dir) if publisher_key_dir else index.keys_dir
    name = f"publisher-{role}"
    retired = key_dir / "retired"
    retired.mkdir(parents=True, exist_ok=True)
    for suffix in (".pem", ".pub.json"):
        if (key_dir / f"{name}{suffix}").exists():
            shutil.move(str(key_dir / f"{name}{suffix}"),
                        retired / f"{name}-v{targets.signed.version}{suffix}")
    signer = keys.generate(key_dir, name, index.passphrase)
    for keyid in list(targets.signed.delegations.roles[role].keyids):
        targets.signed.revoke_key(keyid, role)
    targets.signed.add_key(signer.public_key, role)
    index.save_targets(targets)
    md = index.load(role)
    index.bump(md, "publisher")
    index.sign(md, [signer])
    index.write(role, md)
    index.renew()
