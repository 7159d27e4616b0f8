"""The marketplace as a kernel service: search, install, update and roll back WASM plugins.

Installing goes through :class:`SandboxService` (the same checks as a local install) after
TUF has verified the package and a person has consented to its permissions
(:func:`consent.check_consent`, the one place consent is decided). The version replaced by an
update is kept, with its data, under ``<data_dir>/market/previous/<id>/``; ``rollback`` swaps it
back, and an update whose module fails to load or link is rolled back at once.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from packaging.version import Version

from reelkit.sdk import Bus, KernelError, Paths
from reelkit.sdk.files import atomic_write

from .consent import check_consent, permissions
from .market_client import Catalogue, MarketClient, _version
from .market_events import (MarketInstalled, MarketRefreshFailed, MarketRolledBack, MarketSettings,
                            MarketUpdated)
from .market_errors import (Expired, Incompatible, PackageMismatch, PackageNotFound,
                            PublisherRevoked, Unreachable, UpdateRolledBack)
from .market_keep import KeptVersions
from .service import SandboxService


def _reelkit_version() -> Version:
    from reelkit.kernel import __version__

    return Version(__version__)


class MarketService:
    """Sources, catalogue and installs; sync TUF work runs in worker threads."""

    def __init__(self, paths: Paths, sandbox: SandboxService, bus: Bus, settings: MarketSettings):
        self.client = MarketClient(Path(paths.data_dir), metadata_timeout_s=settings.metadata_timeout_s,
                                   download_timeout_s=settings.download_timeout_s)
        self.sandbox, self.bus, self.settings = sandbox, bus, settings
        self.root = self.client.root
        self.kept = KeptVersions(self.root / "previous", sandbox)
        self._lock = asyncio.Lock()

    # -- records of what came from the marketplace ---------------------------------------------
    def records(self) -> dict[str, dict[str, Any]]:
        """Plugins installed from the marketplace; those removed since are forgotten (and their kept copy)."""
        try:
            records = json.loads((self.root / "installed.json").read_text())
        except FileNotFoundError:
            return {}
        gone = [n for n in records if not (self.sandbox.root / n / "plugin.json").is_file()]
        for n in gone:
            del records[n]
            self.kept.forget(n)
        if gone:
            self._save_records(records)
        return records

    def _save_records(self, records: dict[str, dict[str, Any]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / "installed.json", json.dumps(records, indent=2, sort_keys=True).encode())

    # -- sources and catalogue -----------------------------------------------------------------
    async def refresh(self, name: str | None = None) -> list[dict[str, Any]]:
        """Refresh one source or all; a failure is an event and, for a named source, the error."""
        out = []
        for src in ([self.client.source(name)] if name else self.client.sources()):
            t0 = time.perf_counter()
            try:
                _, cat, changed = await asyncio.to_thread(self.client.refresh, src.name)
            except Exception as e:
                code = getattr(e, "code", "market.unreachable")
                self.bus.publish(MarketRefreshFailed(source=src.name, code=code, message=str(e)))
                if name:
                    raise
                out.append({"source": src.name, "ok": False, "error": {"code": code, "message": str(e)}})
                continue
            out.append({"source": src.name, "ok": True, "changed": changed, "packages": len(cat.by_name),
                        "snapshot_version": cat.snapshot_version, "expires": cat.earliest.expires.isoformat(),
                        "ms": round((time.perf_counter() - t0) * 1000, 2)})
        return out

    async def catalogues(self) -> list[Catalogue]:
        """Every source's catalogue, fetched when missing; expired ones are refreshed or refused."""
        cats = []
        for src in self.client.sources():
            cat = self.client.catalogue(src.name)
            if cat is None or cat.earliest.is_expired():
                try:
                    _, cat, _ = await asyncio.to_thread(self.client.refresh, src.name)
                except Exception as e:
                    self.bus.publish(MarketRefreshFailed(source=src.name, code=getattr(e, "code", "?"),
                                                         message=str(e)))
                    if cat is not None and not isinstance(e, Expired):
                        raise Expired(f"source '{src.name}': the cached index expired at "
                                      f"{cat.earliest.expires.isoformat()} and refreshing failed "
                                      f"({getattr(e, 'code', '')}: {e}); reconnect and `reelkit market refresh`",
                                      details={"source": src.name}) from e
                    raise
            cats.append(cat)
        if not cats:
            self.client.source()  # raises market.source_not_found with the fix
        return cats

    def search_in(self, cats: list[Catalogue], query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Latest offered version of each plugin matching every word of ``query``, best first."""
        words = query.lower().split()
        hits = []
        seen: set[str] = set()
        for cat in cats:
            for name in cat.by_name:
                if name in seen:
                    continue
                offered = cat.offered(name)
                if not offered:
                    continue
                e = offered[0]
                fields = (name, e.get("title", "").lower(), e.get("summary", "").lower(),
                          e.get("publisher", ""), " ".join(e.get("commands", [])), e.get("description", "").lower())
                score = 0
                for w in words:
                    s = (8 if w == name else 5 if w in name else 4 if w in fields[1] else 3 if w in fields[2]
                         else 2 if w in fields[3] or w in fields[4] else 1 if w in fields[5] else 0)
                    if not s:
                        break
                    score += s
                else:
                    seen.add(name)
                    hits.append((-score, name, e))
        hits.sort(key=lambda h: (h[0], h[1]))
        installed = self.records()
        return [self._public(e, installed) for _, _, e in hits[:limit]]

    def _public(self, e: dict[str, Any], installed: dict[str, Any]) -> dict[str, Any]:
        rec = installed.get(e["name"])
        return {k: e.get(k) for k in ("name", "version", "title", "summary", "publisher", "source", "size",
                                      "permissions", "commands", "license", "min_reelkit")} | {
            "installed": rec["version"] if rec else None}

    async def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        return self.search_in(await self.catalogues(), query, limit)

    async def info(self, name: str) -> dict[str, Any]:
        for cat in await self.catalogues():
            versions = cat.by_name.get(name)
            if versions:
                offered = cat.offered(name) or versions
                out = self._public(offered[0], self.records())
                out["description"] = offered[0].get("description", "")
                out["versions"] = [e["version"] for e in cat.offered(name)]
                out["yanked"] = [e["version"] for e in versions if e["yanked"]]
                return out
        raise PackageNotFound(f"no plugin '{name}' in any source; search with `reelkit market search`",
                              details={"name": name})

    # -- install and update --------------------------------------------------------------------
    def _prepare(self, name: str, version: str | None, progress, installed: str | None,
                 only_newer: bool) -> tuple[Any, dict[str, Any], Path | None]:
        """Refresh, resolve and download (verified) in a worker thread; returns (source, entry, package).

        The package is None when ``installed`` is already that version (or newer, with ``only_newer``).
        """
        last: Exception | None = None
        for src in self.client.sources():
            fetcher = self.client.fetcher()
            try:
                up, cat, _ = self.client.refresh(src.name, fetcher)
                publisher = self.records().get(name, {}).get("publisher")
                if not any(publisher in (None, e["publisher"]) for e in cat.by_name.get(name, [])):
                    who = cat.revoked_names.get(name)
                    if who is not None and publisher in (None, who):  # say so rather than "not found"
                        raise PublisherRevoked(f"'{name}' was published by '{who}', revoked by the index "
                                               f"({cat.revoked[who]}); it cannot be installed or updated"
                                               + (f" — remove it (reelkit plugins remove {name})" if publisher else ""),
                                               details={"name": name, "publisher": who})
                    continue
                entry, tf = self.client.resolve(up, cat, name, version, publisher)
                if installed and (entry["version"] == installed
                                  or (only_newer and _version(entry["version"]) <= _version(installed))):
                    return src, entry, None
                if entry.get("min_reelkit") and _reelkit_version() < _version(entry["min_reelkit"]):
                    raise Incompatible(f"'{name}' {entry['version']} needs reelkit >= {entry['min_reelkit']}, "
                                       f"this is {_reelkit_version()}; upgrade reelkit or pick an older version",
                                       details={"name": name, "min_reelkit": entry["min_reelkit"]})
                work = Path(tempfile.mkdtemp(dir=self._downloads(), prefix=f"{name}-"))
                try:
                    pkg = self.client.download(up, fetcher, src.name, tf, work / f"{name}-{entry['version']}.rkp",
                                               lambda url, done: progress(done, tf.length))
                except BaseException:
                    shutil.rmtree(work, ignore_errors=True)
                    raise
                return src, entry, pkg
            except Unreachable as e:
                last = e
            finally:
                fetcher.close()
        rec = self.records().get(name)
        if rec:
            cat = self.client.catalogue(rec["source"]) if any(s.name == rec["source"] for s in self.client.sources()) else None
            if cat is not None and rec["publisher"] in cat.revoked:
                raise PublisherRevoked(f"'{name}' comes from publisher '{rec['publisher']}', revoked by the index "
                                       f"({cat.revoked[rec['publisher']]}); it cannot be installed or updated — "
                                       f"remove it (reelkit plugins remove {name})",
                                       details={"name": name, "publisher": rec["publisher"]})
        if last is not None:
            raise last
        raise PackageNotFound(f"no plugin '{name}' in any source; search with `reelkit market search`",
                              details={"name": name})

    def _downloads(self) -> Path:
        d = self.root / "downloads"
        d.mkdir(parents=True, exist_ok=True)
        return d

    async def install(self, name: str, version: str | None = None, consent: Any = None, job: Any = None,
                      *, only_newer: bool = False) -> dict[str, Any]:
        """Install or update ``name``; refused with a coded error before anything is replaced."""
        from .package import read_package

        def progress(done: int, total: int) -> None:
            if job is not None:
                job.progress(done / total if total else None, stage="download", message=f"{done}/{total} bytes")

        async with self._lock:
            current = self._installed_manifest(name)
            src, entry, pkg = await asyncio.to_thread(self._prepare, name, version, progress,
                                                      current.version if current else None, only_newer)
            if pkg is None:
                return {"name": name, "version": current.version, "changed": False, "source": src.name}
            try:
                man, _ = await asyncio.to_thread(read_package, pkg)
                if (man.id, man.version, man.publisher) != (entry["name"], entry["version"], entry["publisher"]) \
                        or man.permissions.model_dump(mode="json", exclude_none=True) != entry.get("permissions"):
                    raise PackageMismatch(f"package {entry['path']} is signed but its manifest ({man.id} {man.version}, "
                                          f"publisher '{man.publisher}') differs from its catalogue entry; refused — "
                                          f"report it to publisher '{entry['publisher']}'", details={"name": name})
                old = self._installed_manifest(name)
                if job is not None:
                    job.progress(1.0, stage="install", message=f"{name} {man.version}")
                diff = check_consent(old, man, consent)  # refused here, before anything is replaced
                kept = await self.kept.stage(name) if old is not None else None
                try:
                    await self._replace(name, pkg, old, man.version, kept, consent)
                except BaseException:
                    if kept is not None:
                        self.kept.discard(kept)
                    raise
                if kept is not None:
                    self.kept.commit(name, kept)
            finally:
                shutil.rmtree(pkg.parent, ignore_errors=True)
            records = self.records()
            records[name] = {"source": src.name, "publisher": entry["publisher"], "version": man.version,
                             "path": entry["path"], "previous": old.version if old else None,
                             "installed_at": time.time()}
            await asyncio.to_thread(self._save_records, records)  # fsync: off the event loop
        if old is None:
            self.bus.publish(MarketInstalled(plugin=name, version=man.version, source=src.name))
        else:
            self.bus.publish(MarketUpdated(plugin=name, version=man.version, previous=old.version, source=src.name))
        return {"name": name, "version": man.version, "previous": old.version if old else None, "changed": True,
                "source": src.name, "permissions": [p.as_dict() for p in permissions(man)], "diff": diff.as_dict()}

    def _installed_manifest(self, plugin_id: str):
        from .manifest import load_manifest

        try:
            return load_manifest(self.sandbox.root / plugin_id)
        except Exception:
            return None

    async def _replace(self, name: str, pkg: Path, old: Any, new_version: str, kept: Path | None,
                       consent: Any) -> None:
        """Install the verified package; on failure leave the previous version (or nothing) active."""
        try:
            await self.sandbox.install(pkg, replace=True, consent=consent)
        except Exception as e:
            if isinstance(e, KernelError) and e.code == "sandbox.consent_required":
                raise
            now = self._installed_manifest(name)
            if kept is not None:
                if now is None or now.version != old.version or name not in self.sandbox.loaded:
                    await self.kept.restore(name, kept)  # the sandbox could not put it back: the copy does
                self.bus.publish(MarketRolledBack(plugin=name, version=old.version, from_version=new_version,
                                                  automatic=True, reason=f"{getattr(e, 'code', '')}: {e}"))
                raise UpdateRolledBack(f"the update of '{name}' failed ({getattr(e, 'code', type(e).__name__)}: {e}); "
                                       f"rolled back by itself: {old.version} is active again with its data",
                                       details={"plugin": name, "active": old.version,
                                                "cause": getattr(e, "code", type(e).__name__)}) from e
            if kept is None and now is not None:
                await self.sandbox.remove(name)  # a first install that cannot load leaves nothing behind
            raise

    async def rollback(self, name: str) -> dict[str, Any]:
        """Swap the installed version with the kept previous one (each keeps its own data)."""
        current = self._installed_manifest(name)
        async with self._lock:
            await self.kept.swap(name)
            restored = self._installed_manifest(name)
            records = self.records()
            if name in records:
                records[name].update(version=restored.version, previous=current.version)
                await asyncio.to_thread(self._save_records, records)
        self.bus.publish(MarketRolledBack(plugin=name, version=restored.version, from_version=current.version,
                                          automatic=False))
        return {"name": name, "version": restored.version, "previous": current.version}

    async def outdated(self) -> list[dict[str, Any]]:
        """Plugins installed from the marketplace: newer versions, yanked versions, revoked publishers."""
        records = self.records()
        await self.refresh()     # look for new versions now; a failed source is an event …
        await self.catalogues()  # … and its cache serves until it expires
        by_source = {s.name: self.client.catalogue(s.name) for s in self.client.sources()}
        out = []
        for name, rec in sorted(records.items()):
            if self._installed_manifest(name) is None:
                continue
            cat = by_source.get(rec["source"])
            offered = cat.offered(name, rec["publisher"]) if cat else []
            latest = offered[0]["version"] if offered else None
            out.append({"name": name, "installed": rec["version"], "latest": latest, "source": rec["source"],
                        "publisher": rec["publisher"],
                        "outdated": bool(latest and _version(latest) > _version(rec["version"])),
                        "yanked": bool(cat and rec.get("path") in cat.yanked),
                        "revoked": bool(cat and rec["publisher"] in cat.revoked),
                        "previous": rec.get("previous")})
        return out


    async def update(self, name: str | None = None, consent: Any = None, job: Any = None) -> list[dict[str, Any]]:
        """Update ``name`` (or every outdated plugin) to its latest offered version.

        ``consent`` is for one plugin's permissions, or ``{name: consent}`` when updating all.
        """
        if name is not None:
            if name not in self.records() and self._installed_manifest(name) is None:
                raise PackageNotFound(f"'{name}' is not installed; install it with `reelkit market install {name}`",
                                      details={"name": name})
            names = [name]
        else:
            names = [r["name"] for r in await self.outdated() if r["outdated"] and not r["revoked"]]
        out = []
        for n in names:
            c = consent.get(n) if isinstance(consent, dict) else consent
            out.append(await self.install(n, None, c, job, only_newer=True))
        return out


def market_factory():
    async def create(paths: Paths, sandbox: SandboxService, bus: Bus, settings: MarketSettings):
        svc = MarketService(paths, sandbox, bus, settings)
        try:
            yield svc
        finally:
            svc.client.close()

    return create
