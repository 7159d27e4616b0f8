"""The marketplace client: sources pinned by their root, TUF refresh, the catalogue, downloads.

Every byte from an index goes through :class:`tuf.ngclient.Updater`: signatures, thresholds,
versions (rollback), expiry (freeze), consistent snapshots (mix-and-match), declared lengths
(endless data) and delegations (a publisher signs only ``<publisher>/*/*``). This module adds
what TUF leaves to applications: a deadline per download (:mod:`.market_fetch`), the catalogue
read from the verified metadata, and the index's yanked and revoked lists. Synchronous: the
service runs it in a worker thread.

Layout under ``<data_dir>/market/``::

    sources.json                         [{"name", "url"}] in priority order
    sources/<name>/root.pinned.json      the root.json the source was added with (trust anchor)
    sources/<name>/metadata/             ngclient's cache: verified metadata only
    downloads/                           packages while they are checked (removed afterwards)
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from reelkit.sdk.files import atomic_write

from .market_errors import (IndexInvalid, NameTaken, PackageNotFound, PublisherRevoked, SourceExists, SourceNotFound,
                            Unreachable, Yanked, translate)
from .market_index import CUSTOM, target_path

if TYPE_CHECKING:  # tuf loads with the first fetch, not with the kernel
    from .market_fetch import DeadlineFetcher

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


@dataclass
class Source:
    name: str
    url: str
    dir: Path

    @property
    def metadata_dir(self) -> Path:
        return self.dir / "metadata"

    def pinned_root(self) -> bytes:
        return (self.dir / "root.pinned.json").read_bytes()


@dataclass
class Catalogue:
    """What one source offers, read from its verified metadata."""

    source: str
    snapshot_version: int
    entries: list[dict[str, Any]]                 # one per published version, yanked included
    yanked: dict[str, str]
    revoked: dict[str, str]
    earliest: Any                                 # the Signed that expires first (freshness)
    root_version: int = 1
    revoked_names: dict[str, str] = field(default_factory=dict)  # plugin id → its revoked publisher
    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for e in self.entries:
            self.by_name.setdefault(e["name"], []).append(e)
        for versions in self.by_name.values():
            versions.sort(key=lambda e: _version(e["version"]), reverse=True)

    def offered(self, name: str, publisher: str | None = None) -> list[dict[str, Any]]:
        """Versions of ``name`` not yanked (only ``publisher``'s, when given), newest first."""
        return [e for e in self.by_name.get(name, [])
                if not e["yanked"] and (publisher is None or e["publisher"] == publisher)]


def _entry(custom: Any) -> dict[str, Any] | None:
    """A catalogue entry from a target's custom fields, or None when they are malformed."""
    from pydantic import ValidationError

    from .manifest import Permissions

    if not isinstance(custom, dict):
        return None
    strings = ("name", "version", "publisher", "title", "summary", "description", "license", "api", "min_reelkit")
    c = {k: custom.get(k, "") for k in strings}
    if not all(isinstance(v, str) for v in c.values()) or not (c["name"] and c["version"] and c["publisher"]):
        return None
    commands = custom.get("commands", [])
    if not isinstance(commands, list) or not all(isinstance(x, str) for x in commands):
        return None
    try:
        perms = Permissions.model_validate(custom.get("permissions", {}))
    except ValidationError:
        return None
    return {**c, "commands": commands, "permissions": perms.model_dump(mode="json", exclude_none=True)}


def _version(v: str) -> Version:
    try:
        return Version(v)
    except InvalidVersion:
        return Version("0")


class MarketClient:
    """Sources, refresh and downloads for one data dir (thread-safe per source)."""

    def __init__(self, data_dir: Path, *, metadata_timeout_s: float = 30.0, download_timeout_s: float = 120.0):
        self.root = Path(data_dir) / "market"
        self.metadata_timeout_s = metadata_timeout_s
        self.download_timeout_s = download_timeout_s
        self._cats: dict[str, Catalogue] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._http = None
        self._http_lock = threading.Lock()

    def fetcher(self, deadline_s: float | None = None) -> DeadlineFetcher:
        """A fetcher on the client's shared HTTP connection pool."""
        from .market_fetch import DeadlineFetcher, new_http_client

        with self._http_lock:
            if self._http is None:
                self._http = new_http_client()
        return DeadlineFetcher(deadline_s or self.metadata_timeout_s, client=self._http)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- sources -------------------------------------------------------------------------------
    def sources(self) -> list[Source]:
        try:
            rows = json.loads((self.root / "sources.json").read_text())
        except FileNotFoundError:
            rows = []
        return [Source(r["name"], r["url"], self.root / "sources" / r["name"]) for r in rows]

    def source(self, name: str | None = None) -> Source:
        for s in self.sources():
            if name is None or s.name == name:
                return s
        how = "add one with `reelkit market source add URL --root root.json`"
        raise SourceNotFound(f"no marketplace source {name!r}; {how}" if name else
                             f"no marketplace source is configured; {how}", details={"source": name})

    def _save(self, sources: list[Source]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / "sources.json",
                     json.dumps([{"name": s.name, "url": s.url} for s in sources], indent=2).encode())

    def add_source(self, url: str, root_json: bytes, name: str | None = None) -> Source:
        """Pin ``root_json`` as the trust anchor of the index at ``url`` (verified by TUF now)."""
        from tuf.api.exceptions import RepositoryError

        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise IndexInvalid(f"source URL {url!r}: use http:// or https://", details={"url": url})
        name = name or re.sub(r"[^a-z0-9_.-]+", "-", url.split("://", 1)[1].lower()).strip("-")[:40]
        if not _NAME.match(name):
            raise IndexInvalid(f"source name {name!r}: use 1-40 lower-case letters, digits, '.', '_' or '-'")
        existing = self.sources()
        if any(s.name == name or s.url == url for s in existing):
            raise SourceExists(f"source {name!r} ({url}) is already added; remove it first",
                               details={"source": name})
        src = Source(name, url, self.root / "sources" / name)
        staging = self.root / "sources" / f".{name}.adding"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "metadata").mkdir(parents=True)
        atomic_write(staging / "root.pinned.json", root_json)
        try:
            self._updater(Source(name, url, staging), self.fetcher(1))  # verifies the root signs itself
        except (RepositoryError, ValueError, KeyError, TypeError) as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise IndexInvalid(f"the root file for {url} is not valid TUF root metadata ({e}); use the "
                               f"metadata/1.root.json the index operator published", details={"url": url}) from e
        shutil.rmtree(src.dir, ignore_errors=True)
        staging.rename(src.dir)
        self._save([*existing, src])
        return src

    def remove_source(self, name: str) -> None:
        src = self.source(name)
        self._save([s for s in self.sources() if s.name != name])
        shutil.rmtree(src.dir, ignore_errors=True)
        self._cats.pop(name, None)

    # -- TUF -----------------------------------------------------------------------------------
    def _updater(self, src: Source, fetcher: DeadlineFetcher):
        from tuf.ngclient import Updater, UpdaterConfig

        return Updater(str(src.metadata_dir), f"{src.url}/metadata/", str(self.root / "downloads"),
                       f"{src.url}/targets/", fetcher, UpdaterConfig(), bootstrap=src.pinned_root())

    def _lock(self, name: str) -> threading.Lock:
        return self._locks.setdefault(name, threading.Lock())

    def refresh(self, name: str, fetcher: DeadlineFetcher | None = None) -> tuple[Any, Catalogue, bool]:
        """Fetch and verify the source's metadata; returns (updater, catalogue, changed)."""
        src = self.source(name)
        with self._lock(name):
            up = self._updater(src, fetcher or self.fetcher())
            try:
                up.refresh()
                ts = self._read(src, "timestamp")
                cat = self._cats.get(name)
                changed = cat is None or cat.snapshot_version != ts.signed.snapshot_meta.version
                if changed:
                    for role in self._read(src, "targets").signed.delegations.roles:
                        # walking a path under the role makes ngclient fetch and verify its metadata
                        up.get_targetinfo(f"{role}/-/-")
                    cat = self._build(src)
                    self._cats[name] = cat
            except Exception as e:
                raise translate(e, name) from e
            return up, cat, changed

    @staticmethod
    def _read(src: Source, role: str):
        from tuf.api.metadata import Metadata

        return Metadata.from_file(str(src.metadata_dir / f"{role}.json"))

    def _build(self, src: Source) -> Catalogue:
        """The catalogue from the cached, verified metadata; raises if the cache is incomplete."""
        root, ts, snap, targets = (self._read(src, r) for r in ("root", "timestamp", "snapshot", "targets"))
        custom = targets.signed.unrecognized_fields.get(CUSTOM, {})
        yanked, revoked = dict(custom.get("yanked", {})), dict(custom.get("revoked", {}))
        signeds = [root.signed, ts.signed, snap.signed, targets.signed]
        entries = []
        for role_name, role in targets.signed.delegations.roles.items():
            md = self._read(src, role_name)
            if md.signed.version != snap.signed.meta[f"{role_name}.json"].version:
                raise Unreachable(f"source '{src.name}': cached metadata of '{role_name}' is not the "
                                  f"snapshot's; refresh (reelkit market refresh)", details={"source": src.name})
            signeds.append(md.signed)
            for path, tf in md.signed.targets.items():
                # a publisher's metadata may list anything: only well-formed entries under its
                # delegated names count (signed is not the same as well-meaning)
                c = _entry(tf.custom)
                if c is None or not role.is_delegated_path(path) or c["publisher"] != role_name \
                        or path != target_path(role_name, c["name"], c["version"]):
                    continue
                entries.append({**c, "path": path, "size": tf.length, "source": src.name,
                                "yanked": path in yanked})
        # names a revoked publisher offered, from its last role metadata still cached (verified while
        # it was delegated): only to say why they cannot be installed, never to install them
        revoked_names = {}
        for pub in revoked:
            try:
                for tf in self._read(src, pub).signed.targets.values():
                    c = _entry(tf.custom)
                    if c is not None:
                        revoked_names[c["name"]] = pub
            except (OSError, ValueError, KeyError):
                continue
        return Catalogue(src.name, ts.signed.snapshot_meta.version, entries, yanked, revoked,
                         min(signeds, key=lambda s: s.expires), root.signed.version, revoked_names)

    def catalogue(self, name: str) -> Catalogue | None:
        """The source's catalogue from memory or its metadata cache (no network); None if never fetched."""
        cat = self._cats.get(name)
        if cat is None:
            src = self.source(name)
            if not (src.metadata_dir / "timestamp.json").is_file():
                return None
            try:
                cat = self._cats[name] = self._build(src)
            except (OSError, KeyError, ValueError, Unreachable):
                return None
        return cat

    # -- packages ------------------------------------------------------------------------------
    def resolve(self, up: Any, cat: Catalogue, name: str, version: str | None,
                publisher: str | None = None) -> tuple[dict[str, Any], Any]:
        """The entry and TUF TargetFile for ``name`` (latest offered or ``version``), or a coded refusal.

        An installed plugin is only ever updated from the publisher it came from (``publisher``):
        a publisher signs its own role, so another one could list the same plugin id.
        """
        versions = [e for e in cat.by_name.get(name, []) if publisher is None or e["publisher"] == publisher]
        owners = sorted({e["publisher"] for e in versions})
        if len(owners) > 1:
            raise NameTaken(f"plugin id '{name}' is offered by several publishers ({', '.join(owners)}); the index "
                            f"is inconsistent — ask its operator", details={"name": name, "publishers": owners})
        if not versions:
            raise PackageNotFound(f"no plugin '{name}' in source '{cat.source}'; search with `reelkit market "
                                  f"search`", details={"name": name, "source": cat.source})
        if version is None:
            offered = cat.offered(name, publisher)
            if not offered:
                raise Yanked(f"every version of '{name}' is yanked; nothing to install", details={"name": name})
            entry = offered[0]
        else:
            entry = next((e for e in versions if e["version"] == version), None)
            if entry is None:
                raise PackageNotFound(f"'{name}' has no version {version}; offered: "
                                      f"{', '.join(e['version'] for e in cat.offered(name, publisher)) or 'none'}",
                                      details={"name": name, "version": version})
            if entry["yanked"]:
                raise Yanked(f"'{name}' {version} was yanked ({cat.yanked[entry['path']]}); install another version",
                             details={"name": name, "version": version})
        tf = up.get_targetinfo(entry["path"])
        if tf is None:  # the delegation is gone: the publisher was revoked in the meantime
            raise PublisherRevoked(f"'{name}' is no longer offered by a trusted publisher",
                                   details={"name": name})
        return entry, tf

    def download(self, up: Any, fetcher: DeadlineFetcher, source: str, tf: Any, dest: Path,
                 progress=None) -> Path:
        """Download ``tf`` into ``dest`` (a fresh file), verified against its signed length and hash.

        ``fetcher`` is the one ``up`` was made with (ngclient takes it at construction): its deadline
        becomes the download's, and it reports progress.
        """
        fetcher.deadline_s, fetcher.progress = self.download_timeout_s, progress
        try:
            return Path(up.download_target(tf, str(dest)))
        except Exception as e:
            dest.unlink(missing_ok=True)
            raise translate(e, source, f"package {tf.path}") from e
        finally:
            fetcher.close()
