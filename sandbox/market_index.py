"""A marketplace index: a static TUF repository of ``.rkp`` packages, and the tools that sign it.

Layout of an index directory (serve it with any static HTTP server)::

    index.json                         the index's own settings (expiry periods; public)
    metadata/N.root.json, root.json    root (threshold of root keys; long expiry)
    metadata/timestamp.json            short expiry: a frozen mirror is noticed within it
    metadata/N.snapshot.json           versions of every targets role (short expiry)
    metadata/N.targets.json            one delegation per publisher: names ``<publisher>/*/*``;
                                       custom "x-reelkit": {"yanked": {path: why}, "revoked": {name: why}}
    metadata/N.<publisher>.json        that publisher's packages, signed with its key
    targets/<publisher>/<id>/<sha256>.<id>-<version>.rkp

Consistent snapshots are on, so a client reads one coherent version of every file even while a
publish is being uploaded. Every signature is made by securesystemslib signers through
:mod:`tuf.api.metadata`; the operator's keys live in a key store outside the index
(:mod:`.market_keys`), each publisher's key wherever the publisher keeps it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from reelkit.sdk.files import atomic_write

from . import market_keys as keys
from .market_errors import IndexInvalid, KeyInvalid, NameTaken, PackageMismatch, PackageNotFound

TOP = ("root", "targets", "snapshot", "timestamp")
CUSTOM = "x-reelkit"
PUBLISHER_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
DEFAULT_EXPIRY = {"root": 365 * 86400, "targets": 90 * 86400, "publisher": 90 * 86400,
                  "snapshot": 7 * 86400, "timestamp": 86400}


def target_path(publisher: str, plugin_id: str, version: str) -> str:
    return f"{publisher}/{plugin_id}/{plugin_id}-{version}.rkp"


def default_keys_dir(index_dir: Path) -> Path:
    """Beside the index, never inside it: ``<index>.keys``."""
    d = Path(index_dir).resolve()
    return d.with_name(d.name + ".keys")


class Index:
    """An index on disk and the operator's key store; every change re-signs snapshot and timestamp."""

    def __init__(self, root: Path, keys_dir: Path | None = None, passphrase: str = ""):
        self.dir = Path(root).resolve()
        self.meta_dir = self.dir / "metadata"
        self.targets_dir = self.dir / "targets"
        self.keys_dir = Path(keys_dir).resolve() if keys_dir else default_keys_dir(self.dir)
        self.passphrase = passphrase
        if (self.dir / "index.json").is_file():
            self.config = json.loads((self.dir / "index.json").read_text())
        else:
            self.config = {"expiry": dict(DEFAULT_EXPIRY)}

    # -- files ---------------------------------------------------------------------------------
    def load(self, role: str):
        from tuf.api.metadata import Metadata

        path = self.meta_dir / f"{role}.json"
        if not path.is_file():
            raise IndexInvalid(f"{self.dir}: no {role} metadata; create the index with `reelkit market "
                               f"init {self.dir}`" if role in TOP else f"{self.dir}: no publisher '{role}'",
                               details={"index": str(self.dir), "role": role})
        return Metadata.from_file(str(path))

    def write(self, role: str, md) -> None:
        """Write signed metadata: ``N.<role>.json`` then ``<role>.json`` (timestamp: unversioned only)."""
        data = md.to_bytes()
        if role == "timestamp":
            atomic_write(self.meta_dir / "timestamp.json", data, mode=0o644)
            return
        # the versioned file first: a client reading the new snapshot finds every file it names
        atomic_write(self.meta_dir / f"{md.signed.version}.{role}.json", data, mode=0o644)
        atomic_write(self.meta_dir / f"{role}.json", data, mode=0o644)

    def _expires(self, kind: str) -> datetime:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        return now + timedelta(seconds=float(self.config["expiry"][kind]))

    def bump(self, md, kind: str) -> None:
        """Next version, expiring after the index's period for ``kind``."""
        md.signed.version += 1
        md.signed.expires = self._expires(kind)

    def signer(self, name: str):
        """The operator's signer ``name`` (targets, snapshot, timestamp) from the key store."""
        return keys.load_signer(keys.key_path(self.keys_dir, name), self.passphrase)

    def root_signers(self, root) -> list:
        """The root keys in the key store that ``root`` names (at least its threshold)."""
        out = []
        for path in sorted(self.keys_dir.glob("root-*.pem")):
            signer = keys.load_signer(path, self.passphrase)
            if signer.public_key.keyid in root.signed.roles["root"].keyids:
                out.append(signer)
        if len(out) < root.signed.roles["root"].threshold:
            raise KeyInvalid(f"{self.keys_dir}: {len(out)} of the root keys found, the threshold is "
                             f"{root.signed.roles['root'].threshold}; point --keys at the operator's key store",
                             details={"keys": str(self.keys_dir)})
        return out

    @staticmethod
    def sign(md, signers: list) -> None:
        """Replace ``md``'s signatures with one by each signer."""
        md.signatures.clear()
        for s in signers:
            md.sign(s, append=True)

    # -- creation ------------------------------------------------------------------------------
    @classmethod
    def init(cls, root: Path, keys_dir: Path | None = None, passphrase: str = "", *, root_keys: int = 3,
             threshold: int = 2, expiry: dict[str, float] | None = None) -> "Index":
        """A new, empty index: keys for every top-level role, root signed by ``threshold`` of ``root_keys``."""
        from tuf.api.metadata import Delegations, Metadata, MetaFile, Root, Snapshot, Targets, Timestamp

        if not 1 <= threshold <= root_keys:
            raise IndexInvalid(f"root threshold {threshold} must be between 1 and the {root_keys} root keys")
        idx = cls(root, keys_dir, passphrase)
        if idx.meta_dir.exists():
            raise IndexInvalid(f"{idx.dir}: already an index; use another directory",
                               details={"index": str(idx.dir)})
        idx.config = {"expiry": {**DEFAULT_EXPIRY, **(expiry or {})}}
        idx.meta_dir.mkdir(parents=True)
        idx.targets_dir.mkdir()
        atomic_write(idx.dir / "index.json", json.dumps(idx.config, indent=2).encode(), mode=0o644)
        root_signers = [keys.generate(idx.keys_dir, f"root-{i + 1}", passphrase) for i in range(root_keys)]
        role_signers = {r: keys.generate(idx.keys_dir, r, passphrase) for r in ("targets", "snapshot", "timestamp")}
        rootmd = Metadata(Root(expires=idx._expires("root"), consistent_snapshot=True))
        for s in root_signers:
            rootmd.signed.add_key(s.public_key, "root")
        rootmd.signed.roles["root"].threshold = threshold
        for role, s in role_signers.items():
            rootmd.signed.add_key(s.public_key, role)
        idx.sign(rootmd, root_signers[:threshold])
        idx.write("root", rootmd)
        targets = Metadata(Targets(expires=idx._expires("targets")))
        targets.signed.delegations = Delegations(keys={}, roles={})
        targets.signed.unrecognized_fields[CUSTOM] = {"yanked": {}, "revoked": {}}
        idx.sign(targets, [role_signers["targets"]])
        idx.write("targets", targets)
        snap = Metadata(Snapshot(expires=idx._expires("snapshot"), meta={"targets.json": MetaFile(1)}))
        idx.sign(snap, [role_signers["snapshot"]])
        idx.write("snapshot", snap)
        ts = Metadata(Timestamp(expires=idx._expires("timestamp"), snapshot_meta=MetaFile(1)))
        idx.sign(ts, [role_signers["timestamp"]])
        idx.write("timestamp", ts)
        return idx

    def renew(self) -> None:
        """Re-sign snapshot and timestamp (an operator's cron job: their expiries are short)."""
        targets = self.load("targets")
        snap = self.load("snapshot")
        from tuf.api.metadata import MetaFile

        # entries are never dropped (TUF clients refuse a snapshot that loses one): a revoked
        # publisher's role stays listed at its last version, delegated by nobody
        snap.signed.meta["targets.json"] = MetaFile(targets.signed.version)
        for name in targets.signed.delegations.roles:
            snap.signed.meta[f"{name}.json"] = MetaFile(self.load(name).signed.version)
        self.bump(snap, "snapshot")
        self.sign(snap, [self.signer("snapshot")])
        self.write("snapshot", snap)
        ts = self.load("timestamp")
        ts.signed.snapshot_meta = MetaFile(snap.signed.version)
        self.bump(ts, "timestamp")
        self.sign(ts, [self.signer("timestamp")])
        self.write("timestamp", ts)

    def save_targets(self, targets) -> None:
        """Bump, sign (targets key) and write the top-level targets role."""
        self.bump(targets, "targets")
        self.sign(targets, [self.signer("targets")])
        self.write("targets", targets)

    # -- publishers ----------------------------------------------------------------------------
    def publishers(self) -> dict[str, Any]:
        return dict(self.load("targets").signed.delegations.roles)

    def add_publisher(self, name: str, key_dir: Path | None = None) -> Path:
        """Delegate ``<name>/*/*`` to a new publisher key (written to ``key_dir``); returns the key path."""
        from tuf.api.metadata import DelegatedRole, Metadata, Targets

        if not PUBLISHER_RE.match(name) or name in TOP:
            raise IndexInvalid(f"publisher name '{name}': use 2-40 lower-case letters, digits or '-', "
                               f"starting with a letter (and not a top-level role)", details={"publisher": name})
        targets = self.load("targets")
        custom = targets.signed.unrecognized_fields.setdefault(CUSTOM, {"yanked": {}, "revoked": {}})
        if name in targets.signed.delegations.roles or name in custom.get("revoked", {}):
            raise NameTaken(f"publisher '{name}' exists or was revoked; choose another name",
                            details={"publisher": name})
        key_dir = Path(key_dir) if key_dir else self.keys_dir
        signer = keys.generate(key_dir, f"publisher-{name}", self.passphrase)
        role = DelegatedRole(name, [], 1, True, paths=[f"{name}/*/*"])
        targets.signed.delegations.roles[name] = role
        targets.signed.add_key(signer.public_key, name)
        md = Metadata(Targets(expires=self._expires("publisher")))
        self.sign(md, [signer])
        self.write(name, md)
        self.save_targets(targets)
        self.renew()
        return keys.key_path(key_dir, f"publisher-{name}")

    def _publisher_of(self, signer) -> str:
        targets = self.load("targets")
        for name, role in targets.signed.delegations.roles.items():
            if signer.public_key.keyid in role.keyids:
                return name
        raise KeyInvalid(f"key {signer.public_key.keyid[:16]}… is no publisher's key in {self.dir} (revoked or "
                         f"rotated?); ask the operator for `add-publisher`", details={"keyid": signer.public_key.keyid})

    def revoke_publisher(self, name: str, reason: str = "revoked by the operator") -> None:
        """Remove the delegation (its key signs nothing any more) and list the publisher as revoked."""
        targets = self.load("targets")
        role = targets.signed.delegations.roles.get(name)
        if role is None:
            raise PackageNotFound(f"no publisher '{name}' in {self.dir}", details={"publisher": name})
        for keyid in list(role.keyids):
            targets.signed.revoke_key(keyid, name)
        del targets.signed.delegations.roles[name]
        targets.signed.unrecognized_fields.setdefault(CUSTOM, {}).setdefault("revoked", {})[name] = reason
        self.save_targets(targets)
        self.renew()

    # -- packages ------------------------------------------------------------------------------
    def publish(self, packages: list[Path], publisher_key: Path, *, min_reelkit: str | None = None) -> list[str]:
        """Check each package as install would, add it to the signer's role; returns target paths."""
        from tuf.api.metadata import TargetFile

        from .loader import check_module
        from .package import README, read_package

        if min_reelkit:
            from packaging.version import InvalidVersion, Version

            try:
                Version(min_reelkit)
            except InvalidVersion:
                raise IndexInvalid(f"--min-reelkit {min_reelkit!r} is not a version; write e.g. 0.2.0",
                                   details={"min_reelkit": min_reelkit}) from None
        signer = keys.load_signer(publisher_key, self.passphrase)
        publisher = self._publisher_of(signer)
        md = self.load(publisher)
        owners = self._owners()
        added = []
        for pkg in packages:
            pkg = Path(pkg)
            man, files = read_package(pkg)
            check_module(man, files[man.module.file], str(pkg))
            if man.publisher != publisher:
                raise PackageMismatch(f"{pkg}: the manifest's publisher is '{man.publisher}', the key is "
                                      f"'{publisher}'s; set \"publisher\": \"{publisher}\" in plugin.json and repack",
                                      details={"package": str(pkg), "publisher": publisher})
            if owners.get(man.id, publisher) != publisher:
                raise NameTaken(f"plugin id '{man.id}' belongs to publisher '{owners[man.id]}'; choose another id",
                                details={"plugin": man.id, "owner": owners[man.id]})
            path = target_path(publisher, man.id, man.version)
            if path in md.signed.targets:
                raise NameTaken(f"{man.id} {man.version} is already published; versions are immutable — "
                                f"bump the version", details={"plugin": man.id, "version": man.version})
            data = pkg.read_bytes()
            tf = TargetFile.from_data(path, data, ["sha256"])
            readme = files[README].decode("utf-8", "replace")
            tf.unrecognized_fields["custom"] = {
                "name": man.id, "title": man.name, "version": man.version, "publisher": publisher,
                "summary": (man.description or readme.strip().splitlines()[0].lstrip("# ")).strip()[:200],
                "description": readme[:4000], "license": man.license, "api": man.api,
                "permissions": man.permissions.model_dump(mode="json", exclude_none=True),
                "commands": [man.command_id(e.function) for e in man.exports],
                "min_reelkit": min_reelkit or "", "size": len(data)}
            dest = self.targets_dir / publisher / man.id / f"{tf.hashes['sha256']}.{man.id}-{man.version}.rkp"
            dest.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(dest, data, mode=0o644)
            md.signed.targets[path] = tf
            owners[man.id] = publisher
            added.append(path)
        self.bump(md, "publisher")
        self.sign(md, [signer])
        self.write(publisher, md)
        self.renew()
        return added

    def _owners(self) -> dict[str, str]:
        out = {}
        for name in self.load("targets").signed.delegations.roles:
            for tf in self.load(name).signed.targets.values():
                out[tf.custom.get("name", "")] = name
        return out

    def yank(self, plugin_id: str, version: str, reason: str = "yanked") -> str:
        """Mark one version as not offered (signed by the targets key); returns its target path."""
        owner = self._owners().get(plugin_id)
        path = target_path(owner or "?", plugin_id, version)
        if owner is None or path not in self.load(owner).signed.targets:
            raise PackageNotFound(f"{plugin_id} {version} is not in {self.dir}",
                                  details={"plugin": plugin_id, "version": version})
        targets = self.load("targets")
        targets.signed.unrecognized_fields.setdefault(CUSTOM, {}).setdefault("yanked", {})[path] = reason
        self.save_targets(targets)
        self.renew()
        return path

    def rotate(self, role: str, publisher_key_dir: Path | None = None) -> None:
        """New key(s) for ``role``; see :func:`.market_rotate.rotate`."""
        from .market_rotate import rotate

        rotate(self, role, publisher_key_dir)
