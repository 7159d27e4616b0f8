"""``reelkit market …`` for users, through the kernel's ``sandbox.market_*`` commands.

``sources``, ``source add|remove``, ``refresh``, ``search``, ``info``, ``install``, ``update``,
``outdated``, ``rollback`` (``--json`` for scripts). The index tools for operators and publishers
are in :mod:`.market_tools`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON")


@click.group("market", help="The WASM plugin marketplace: TUF-signed indexes, search, install, update.")
def market() -> None:
    pass


# -- client --------------------------------------------------------------------------------------
def _run(fn, as_json: bool):
    from reelkit.sdk.cli import run_kernel

    return run_kernel(fn, as_json=as_json, builtins=["sandbox"])


def _emit(result: Any, as_json: bool, text) -> None:
    from reelkit.sdk.cli import print_json

    print_json(result) if as_json else click.echo(text(result))


def _perm_lines(perms: dict[str, Any]) -> list[str]:
    lines = []
    for kind in ("commands", "events", "settings"):
        lines += [f"    {kind[:-1]} {g['pattern']}: {g['reason']}" for g in perms.get(kind, [])]
    lines += [f"    http {'/'.join(g.get('schemes', ['https']))}://{g['host']}: {g['reason']}" for g in perms.get("http", [])]
    lines += [f"    files {g['host']} -> {g['guest']} ({g.get('mode', 'ro')}): {g['reason']}"
              for g in perms.get("filesystem", [])]
    if perms.get("storage"):
        lines.append(f"    storage {perms['storage']['quota_bytes']} bytes: {perms['storage']['reason']}")
    return lines or ["    none"]


@market.command("sources")
@json_option
def sources_cmd(as_json: bool) -> None:
    """Sources (indexes) in priority order, with their cache state."""
    out = _run(lambda k: k.invoke("sandbox.market_sources", {}), as_json)
    _emit(out.sources, as_json, lambda rows: "\n".join(
        f"{r['name']:<24} {r['url']:<36} {r['packages'] if r['packages'] is not None else '-':>5} packages"
        f"{'  EXPIRED' if r['expired'] else ''}" for r in rows) or "no sources; reelkit market source add URL --root FILE")


@market.group("source")
def source_group() -> None:
    """Add or remove a source."""


@source_group.command("add")
@click.argument("url")
@click.option("--root", "root", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The index's initial root.json (its trust anchor)")
@click.option("--name", default=None, help="Source name (default: from the URL)")
@json_option
def source_add_cmd(url: str, root: Path, name: str | None, as_json: bool) -> None:
    out = _run(lambda k: k.invoke("sandbox.market_source_add", {"url": url, "root": str(root.resolve()), "name": name}),
               as_json)
    _emit(out.sources, as_json, lambda rows: f"added; {len(rows)} source(s)")


@source_group.command("remove")
@click.argument("name")
@json_option
def source_remove_cmd(name: str, as_json: bool) -> None:
    out = _run(lambda k: k.invoke("sandbox.market_source_remove", {"name": name}), as_json)
    _emit(out.sources, as_json, lambda rows: f"removed; {len(rows)} source(s) left")


@market.command("refresh")
@json_option
def refresh_cmd(as_json: bool) -> None:
    """Fetch and verify every source's signed metadata now."""
    out = _run(lambda k: k.invoke("sandbox.market_refresh", {}), as_json)
    _emit(out.sources, as_json, lambda rows: "\n".join(
        f"{r['source']}: " + (f"{r['packages']} packages, snapshot {r['snapshot_version']}, {r['ms']} ms"
                              if r["ok"] else f"FAILED {r['error']['code']}: {r['error']['message']}") for r in rows))


@market.command("search")
@click.argument("query", nargs=-1)
@click.option("--limit", default=20, show_default=True)
@json_option
def search_cmd(query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Search every source's catalogue (works offline until the metadata expires)."""
    out = _run(lambda k: k.invoke("sandbox.market_search", {"query": " ".join(query), "limit": limit}), as_json)
    _emit(out.results, as_json, lambda rows: "\n".join(
        f"{r['name']:<24} {r['version']:<10} {r['publisher']:<14} {r['summary'][:60]}"
        + (f"  (installed {r['installed']})" if r["installed"] else "") for r in rows) or "no match")


@market.command("info")
@click.argument("name")
@json_option
def info_cmd(name: str, as_json: bool) -> None:
    """A plugin's versions, publisher and permissions with their reasons."""
    out = _run(lambda k: k.invoke("sandbox.market_info", {"name": name}), as_json)
    _emit(out.package, as_json, lambda p: "\n".join(
        [f"{p['title']} ({p['name']}) {p['version']} by {p['publisher']} — {p['summary']}",
         f"  versions: {', '.join(p['versions'])}" + (f"   yanked: {', '.join(p['yanked'])}" if p["yanked"] else ""),
         f"  size {p['size']} bytes, licence {p.get('license') or '-'}, commands {', '.join(p.get('commands') or [])}",
         "  permissions:", *_perm_lines(p["permissions"])]))


async def _job_with_consent(k: Any, command: str, payload: dict[str, Any], yes: bool, as_json: bool) -> Any:
    """Follow an install/update job (progress on stderr, Ctrl-C cancels it); on
    ``sandbox.consent_required`` show the permissions and their diff, ask, and run it again with consent."""
    from reelkit.sdk import KernelError
    from reelkit.sdk.cli import follow_job

    while True:
        ref = await k.invoke(command, payload)
        try:
            return await follow_job(k, ref, label=payload.get("name") or "update", quiet=as_json)
        except KernelError as e:
            if e.code != "sandbox.consent_required" or "consent" in payload:
                raise
            err = e
        d = err.details
        click.echo(f"{d['plugin']} {d['version']} asks for:", err=True)
        for line in ([f"  + {p['kind']} {p['value']}: {p['reason']}" for p in d["diff"]["added"]]
                     + [f"  ^ {w['old']['kind']} {w['old']['value']} => {w['new']['value']}: {w['new']['reason']}"
                        for w in d["diff"]["widened"]]
                     + [f"    {p['kind']} {p['value']} (already granted)" for p in d["diff"]["unchanged"]]):
            click.echo(line, err=True)
        if not yes and not (sys.stdin.isatty() and click.confirm("Grant these permissions?", err=True)):
            raise err
        payload = {**payload, "consent": d["digest"]}


@market.command("install")
@click.argument("name")
@click.option("--version", default=None, help="A version (default: the latest offered)")
@click.option("--yes", is_flag=True, help="Grant the permissions shown without asking")
@json_option
def install_cmd(name: str, version: str | None, yes: bool, as_json: bool) -> None:
    """Download (verified by TUF), show permissions, ask, install and load NAME."""
    out = _run(lambda k: _job_with_consent(k, "sandbox.market_install", {"name": name, "version": version},
                                           yes, as_json), as_json)
    _emit(out, as_json, lambda o: f"installed {o.name} {o.version} from {o.source}")


@market.command("update")
@click.argument("name", required=False)
@click.option("--yes", is_flag=True, help="Grant new permissions without asking")
@json_option
def update_cmd(name: str | None, yes: bool, as_json: bool) -> None:
    """Update NAME (or every outdated plugin); new permissions are shown as a diff and asked for."""
    out = _run(lambda k: _job_with_consent(k, "sandbox.market_update", {"name": name}, yes, as_json), as_json)
    _emit(out.updated, as_json, lambda rows: "\n".join(
        f"{u.name}: {u.previous} -> {u.version}" if u.changed else f"{u.name}: {u.version} is the latest"
        for u in rows) or "everything is up to date")


@market.command("outdated")
@json_option
def outdated_cmd(as_json: bool) -> None:
    """Plugins from the marketplace with a newer version, a yanked version or a revoked publisher."""
    out = _run(lambda k: k.invoke("sandbox.market_outdated", {}), as_json)
    _emit(out.plugins, as_json, lambda rows: "\n".join(
        f"{r['name']:<24} {r['installed']:<10} -> {r['latest'] or '-':<10}"
        + ("  PUBLISHER REVOKED" if r["revoked"] else "") + ("  YANKED" if r["yanked"] else "")
        for r in rows if r["outdated"] or r["revoked"] or r["yanked"]) or "everything is up to date")


@market.command("rollback")
@click.argument("name")
@json_option
def rollback_cmd(name: str, as_json: bool) -> None:
    """Restore the previous version of NAME, with its data."""
    out = _run(lambda k: k.invoke("sandbox.market_rollback", {"name": name}), as_json)
    _emit(out, as_json, lambda o: f"{o.name}: {o.previous} -> {o.version} (rollback again to swap back)")


def register(cli: click.Group) -> None:
    """Add ``reelkit market`` (client and index tools) to the CLI."""
    from .market_tools import add_tools

    if "market" not in cli.commands:
        add_tools(market)
        cli.add_command(market)
