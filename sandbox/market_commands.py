"""Marketplace commands of the sandbox plugin (``sandbox.market_*``).

Capabilities: reading the catalogue needs ``sandbox.market``; installing, updating and rolling back
need ``sandbox.market_install``; adding or removing sources needs ``sandbox.market_admin``. (The
sandbox's own ``sandbox`` capability grants none of them.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelkit.sdk import Field, Input, InputDocument, JobContext, Output, command, read_bounded

ROOT_MAX_BYTES = 1 << 20  # a TUF root.json is a few KiB

from .market_errors import IndexInvalid
from .market_service import MarketService

Consent = str | list[dict[str, Any]] | None
_CONSENT = ("The permissions a person agreed to: the exact list shown (entries with kind and value) or "
            "its digest 'sha256:…'; needed when the version asks for more than was granted before")


class Empty(Input):
    pass


class SourceAddInput(Input):
    url: str = Field(description="Base URL of the index (it serves metadata/ and targets/)")
    root: InputDocument = Field(description="Path of the index's initial root.json: the trust anchor pinned for it")
    name: str | None = Field(None, description="Name of the source (default: from the URL)")


class SourceNameInput(Input):
    name: str = Field(description="Name of a source")


class RefreshInput(Input):
    source: str | None = Field(None, description="Only this source (default: all)")


class SearchInput(Input):
    query: str = Field("", description="Words matched against name, title, summary, publisher, commands, description")
    limit: int = Field(20, ge=1, le=1000, description="Most results")


class NameInput(Input):
    name: str = Field(description="Plugin id in the marketplace")


class InstallInput(Input):
    name: str = Field(description="Plugin id in the marketplace")
    version: str | None = Field(None, description="A version (default: the latest one offered)")
    consent: Consent = Field(None, description=_CONSENT)


class UpdateInput(Input):
    name: str | None = Field(None, description="Plugin to update (default: every outdated one)")
    consent: Consent | dict[str, Consent] = Field(None, description=_CONSENT + "; {name: consent} for several")


class SourceList(Output):
    sources: list[dict[str, Any]] = Field(description="Sources in priority order: name, url, root version, cache state")


class RefreshResult(Output):
    sources: list[dict[str, Any]] = Field(description="Per source: ok, changed, packages, snapshot version, expiry, ms")


class SearchResult(Output):
    results: list[dict[str, Any]] = Field(description="Latest offered version of each match, best first")


class PackageInfo(Output):
    package: dict[str, Any] = Field(description="Catalogue entry: versions, permissions with reasons, size, publisher")


class InstallResult(Output):
    name: str = Field(description="Plugin id")
    version: str = Field(description="Version now active")
    previous: str | None = Field(None, description="Version replaced (kept for rollback)")
    changed: bool = Field(True, description="False when nothing newer was offered")
    source: str = Field(description="Source it came from")
    permissions: list[dict[str, Any]] = Field(default_factory=list, description="Its permissions with reasons")
    diff: dict[str, Any] = Field(default_factory=dict, description="Permission changes from the previous version")


class UpdateResult(Output):
    updated: list[InstallResult] = Field(description="One entry per plugin looked at")


class OutdatedResult(Output):
    plugins: list[dict[str, Any]] = Field(description="Installed from the marketplace: installed, latest, outdated, yanked, revoked")


class RollbackResult(Output):
    name: str = Field(description="Plugin id")
    version: str = Field(description="Version active again")
    previous: str = Field(description="Version rolled back from (kept, so rollback again swaps back)")


@command("sandbox.market_sources", summary="Marketplace sources (indexes) and their cache state",
         capability="sandbox.market")
async def sources(inp: Empty, market: MarketService) -> SourceList:
    rows = []
    for s in market.client.sources():
        cat = market.client.catalogue(s.name)
        rows.append({"name": s.name, "url": s.url, "packages": len(cat.by_name) if cat else None,
                     "snapshot_version": cat.snapshot_version if cat else None,
                     "root_version": cat.root_version if cat else None,
                     "expires": cat.earliest.expires.isoformat() if cat else None,
                     "expired": cat.earliest.is_expired() if cat else None,
                     "revoked_publishers": sorted(cat.revoked) if cat else []})
    return SourceList(sources=rows)


@command("sandbox.market_source_add", summary="Add a marketplace source pinned by its initial root.json",
         capability="sandbox.market_admin")
async def source_add(inp: SourceAddInput, market: MarketService) -> SourceList:
    data = read_bounded(inp.root, ROOT_MAX_BYTES)  # the handle validated for this call; coded path errors
    market.client.add_source(inp.url, data, inp.name)
    return await sources(Empty(), market)


@command("sandbox.market_source_remove", summary="Remove a marketplace source and its cached metadata",
         capability="sandbox.market_admin")
async def source_remove(inp: SourceNameInput, market: MarketService) -> SourceList:
    market.client.remove_source(inp.name)
    return await sources(Empty(), market)


@command("sandbox.market_refresh", summary="Fetch and verify the sources' signed metadata (TUF)",
         capability="sandbox.market")
async def refresh(inp: RefreshInput, market: MarketService) -> RefreshResult:
    return RefreshResult(sources=await market.refresh(inp.source))


@command("sandbox.market_search", summary="Search the marketplace catalogue (from verified metadata)",
         capability="sandbox.market")
async def search(inp: SearchInput, market: MarketService) -> SearchResult:
    return SearchResult(results=await market.search(inp.query, inp.limit))


@command("sandbox.market_info", summary="A marketplace plugin: versions, permissions with reasons, publisher",
         capability="sandbox.market")
async def info(inp: NameInput, market: MarketService) -> PackageInfo:
    return PackageInfo(package=await market.info(inp.name))


@command("sandbox.market_install", summary="Download (verified), consent, install and load a marketplace plugin",
         capability="sandbox.market_install", job=True)
async def install(inp: InstallInput, market: MarketService, job: JobContext) -> InstallResult:
    return InstallResult(**await market.install(inp.name, inp.version, inp.consent, job))


@command("sandbox.market_outdated", summary="Installed marketplace plugins with newer, yanked or revoked versions",
         capability="sandbox.market")
async def outdated(inp: Empty, market: MarketService) -> OutdatedResult:
    return OutdatedResult(plugins=await market.outdated())


@command("sandbox.market_update", summary="Update one or every outdated marketplace plugin (consent for new permissions)",
         capability="sandbox.market_install", job=True)
async def update(inp: UpdateInput, market: MarketService, job: JobContext) -> UpdateResult:
    return UpdateResult(updated=[InstallResult(**r) for r in await market.update(inp.name, inp.consent, job)])


@command("sandbox.market_rollback", summary="Restore the previous version of a marketplace plugin, with its data",
         capability="sandbox.market_install")
async def rollback(inp: NameInput, market: MarketService) -> RollbackResult:
    return RollbackResult(**await market.rollback(inp.name))


ALL = (sources, source_add, source_remove, refresh, search, info, install, outdated, update, rollback)
