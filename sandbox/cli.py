"""``reelkit plugins …`` subcommands for WASM plugins (added to the kernel's ``plugins`` group).

install PATH [--replace] [--yes | --consent DIGEST] · installed · info ID · enable ID · disable ID · reload ID · remove ID ·
new NAME --lang c|assemblyscript · build [DIR] · pack [DIR]. (``plugins list`` belongs to the
kernel and lists every kernel plugin; WASM plugins appear there once loaded. ``installed``
lists WASM plugins including disabled and failed ones; ``list`` is added only when the kernel
has none.) Only click is imported at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def _run(fn, as_json: bool = True):
    from reelkit.sdk.cli import run_kernel

    return run_kernel(fn, as_json=as_json, builtins=["sandbox"])


def _emit(result: Any, as_json: bool, text) -> None:
    from reelkit.sdk.cli import print_json

    if as_json:
        print_json(result)
    else:
        click.echo(text(result))


def _summary_line(p: Any) -> str:
    line = f"{p.id:<24} {p.version:<10} {p.state:<9} {'enabled' if p.enabled else 'disabled':<9} {', '.join(p.commands)}"
    return line + (f"\n    error: {p.error}" if p.error else "")


def _describe(d: dict[str, Any]) -> str:
    lines = [f"{d['name']} ({d['id']}) {d['version']} — {d.get('description', '')}",
             f"  state: {d['state']}{'' if d['enabled'] else ' (disabled)'}"
             + (f"   error: {d['error']}" if d.get("error") else ""),
             f"  publisher: {d.get('publisher') or '-'}   license: {d.get('license') or '-'}   api: {d['api']}",
             f"  commands: {', '.join(d['commands']) or '-'}",
             f"  subscriptions: {', '.join(d['subscriptions']) or '-'}", "  permissions:"]
    perms = d["permissions"]
    any_perm = False
    for kind in ("commands", "events", "settings"):
        for g in perms.get(kind, []):
            lines.append(f"    {kind[:-1] if kind != 'settings' else 'setting'} {g['pattern']}: {g['reason']}")
            any_perm = True
    for g in perms.get("http", []):
        extra = ("ports " + ",".join(map(str, g["ports"])) + " ") if g.get("ports") else ""
        lines.append(f"    http {'/'.join(g['schemes'])}://{g['host']} {extra}"
                     f"{'(private addresses allowed) ' if g.get('allow_private') else ''}: {g['reason']}")
        any_perm = True
    for g in perms.get("filesystem", []):
        lines.append(f"    files {g['host']} -> {g['guest']} ({g['mode']}): {g['reason']}")
        any_perm = True
    if perms.get("storage"):
        lines.append(f"    storage {perms['storage']['quota_bytes']} bytes: {perms['storage']['reason']}")
        any_perm = True
    if not any_perm:
        lines.append("    none")
    lim = d["limits"]
    lines.append(f"  limits: memory {lim['memory_mb']} MiB, {lim['time_ms']} ms per call, "
                 f"fuel {lim['fuel'] or 'unlimited'}, output {lim['max_output_bytes']} bytes, "
                 f"{lim['max_instances']} instances")
    if d.get("stats"):
        s = d["stats"]
        lines.append(f"  stats: {s['calls']} calls ({s['on_loop']} kept on the event loop, {s['moved']} moved to "
                     f"a worker), {s['failures']} failed, {s['discarded']} instances discarded")
        budget = d.get("loop_budget_ms", 0)
        lines.append(f"  calls tried on the event loop for up to {budget} ms" if budget else
                     "  every call runs on a worker thread")
    return "\n".join(lines)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON")


def _manifest_at(path: Path):
    from .manifest import load_manifest
    from .package import SUFFIX, read_package

    if path.is_file() and path.suffix == SUFFIX:
        return read_package(path)[0]
    return load_manifest(path.parent if path.is_file() else path)


def _consent_lines(preview: Any) -> list[str]:
    diff = preview.diff
    if not (diff["unchanged"] or diff["removed"] or diff["widened"] or diff["narrowed"]):
        return []  # a first install: the permissions above are all new
    from .consent import Permission, PermissionDiff

    def perm(d: dict) -> Permission:
        return Permission(d["kind"], "", d["value"], d.get("reason", ""))

    pd = PermissionDiff([perm(p) for p in diff["added"]], [(perm(w["old"]), perm(w["new"])) for w in diff["widened"]],
                        [perm(p) for p in diff["removed"]], [], [(perm(w["old"]), perm(w["new"])) for w in diff["narrowed"]])
    lines = pd.lines()
    return ["  changes from the installed version (+ added, ^ widened, v narrowed, - removed):"] + (lines or ["    none"])


@click.command("install")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace an installed plugin with the same id (keeps its data)")
@click.option("--yes", "-y", is_flag=True, help="Consent to the permissions shown without being asked")
@click.option("--consent", "digest", default=None, metavar="DIGEST",
              help="Consent to exactly this permission set (the sha256:… digest shown); refused if it differs")
@json_option
def install_cmd(path: Path, replace: bool, yes: bool, digest: str | None, as_json: bool) -> None:
    """Install a WASM plugin from a directory, plugin.json or .rkp package.

    Its permissions, with the author's reasons, are shown first, and for an update what changed
    (added, widened, removed). Anything new needs consent: on a terminal you are asked; without
    one the install is refused unless --yes or --consent DIGEST (the digest printed) is given.
    """
    import sys

    from reelkit.sdk.cli import fail

    try:
        man = _manifest_at(path)
    except Exception as e:
        fail(e, as_json=as_json)

    async def go(k):
        from .consent import ConsentRequired

        preview = await k.invoke("sandbox.consent", {"path": str(path.resolve())})
        if not as_json:
            shown = {"id": man.id, "name": man.name, "version": man.version, "description": man.description,
                     "publisher": man.publisher, "license": man.license, "api": man.api, "enabled": True,
                     "state": "not installed yet", "commands": [man.command_id(e.function) for e in man.exports],
                     "subscriptions": [sub.topic for sub in man.subscriptions],
                     "permissions": man.permissions.model_dump(mode="json", exclude_none=True),
                     "limits": man.limits.model_dump(mode="json")}
            click.echo("\n".join([_describe(shown), *_consent_lines(preview), f"  permissions digest: {preview.digest}"]))
        consent: str | None = None
        if digest is not None:
            consent = digest
        elif yes or not preview.diff["needs_consent"]:
            consent = preview.digest
        elif sys.stdin.isatty() and not as_json:
            if not click.confirm("Grant these permissions and install?"):
                raise ConsentRequired(f"plugin '{man.id}': not installed, the permissions were declined",
                                      details={"plugin": man.id, "digest": preview.digest, "diff": preview.diff})
            consent = preview.digest
        # without a terminal and without --yes/--consent, consent stays None: sandbox.install refuses
        out = await k.invoke("sandbox.install", {"path": str(path.resolve()), "replace": replace, "consent": consent})
        return out, (await k.invoke("sandbox.info", {"id": out.id})).plugin

    out, detail = _run(go, as_json)
    _emit(detail if as_json else out, as_json, lambda o: f"installed {o.id} {o.version}: {o.state}")


@click.command("installed")
@json_option
def installed_cmd(as_json: bool) -> None:
    """WASM plugins installed (active, disabled or failed)."""
    result = _run(lambda k: k.invoke("sandbox.list", {}), as_json)
    _emit(result.plugins, as_json,
          lambda ps: "\n".join(_summary_line(p) for p in ps) or "no WASM plugins installed")


@click.command("info")
@click.argument("plugin_id")
@json_option
def info_cmd(plugin_id: str, as_json: bool) -> None:
    """A WASM plugin's permissions with their reasons, limits and state."""
    result = _run(lambda k: k.invoke("sandbox.info", {"id": plugin_id}), as_json)
    _emit(result.plugin, as_json, _describe)


def _simple(name: str, command: str, doc: str):
    @click.command(name)
    @click.argument("plugin_id")
    @json_option
    def cmd(plugin_id: str, as_json: bool) -> None:
        result = _run(lambda k: k.invoke(command, {"id": plugin_id}), as_json)
        _emit(result, as_json, lambda r: f"{r.id}: {r.state}" + (f" ({r.error})" if r.error else ""))

    cmd.help = doc
    return cmd


@click.command("new")
@click.argument("name")
@click.option("--lang", type=click.Choice(["c", "assemblyscript"]), default="c", show_default=True)
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              help="Where to create the plugin directory")
def new_cmd(name: str, lang: str, parent: Path) -> None:
    """Scaffold a WASM plugin that builds and passes its own test."""
    from reelkit.sdk.cli import fail

    from .scaffold import new_plugin

    try:
        dest = new_plugin(name, lang, parent)
    except Exception as e:
        fail(e)
    click.echo(f"created {dest}\nnext: cd {dest} && reelkit plugins build && python -m pytest test_plugin.py")


@click.command("build")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."))
def build_cmd(path: Path) -> None:
    """Compile the plugin in PATH (C with zig, AssemblyScript with asc); update its sha256."""
    from reelkit.sdk.cli import fail

    from .toolchain import build

    try:
        out = build(path)
    except Exception as e:
        fail(e)
    click.echo(f"built {out} ({out.stat().st_size} bytes)")


@click.command("pack")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Archive path or directory")
def pack_cmd(path: Path, output: Path | None) -> None:
    """Pack manifest, module and README into one .rkp archive."""
    from reelkit.sdk.cli import fail

    from .package import pack

    try:
        out = pack(path, output)
    except Exception as e:
        fail(e)
    click.echo(f"packed {out} ({out.stat().st_size} bytes)")


COMMANDS = [install_cmd, installed_cmd, info_cmd,
            _simple("enable", "sandbox.enable", "Enable a WASM plugin (loads it)."),
            _simple("disable", "sandbox.disable", "Disable a WASM plugin (unloads it)."),
            _simple("reload", "sandbox.reload", "Reload a WASM plugin from its installed files."),
            _simple("remove", "sandbox.remove", "Remove a WASM plugin, its data and cached modules."),
            _simple("enable-subscriptions", "sandbox.enable_subscriptions",
                    "Re-enable a WASM plugin's subscriptions disabled after failing in a row."),
            new_cmd, build_cmd, pack_cmd]


def register(cli: click.Group) -> None:
    """Add the WASM subcommands to ``reelkit plugins`` (creating the group if the kernel has none)."""
    group = cli.commands.get("plugins")
    if not isinstance(group, click.Group):
        group = click.Group("plugins", help="Python and WASM plugins.")
        cli.add_command(group)
    for cmd in COMMANDS:
        if cmd.name not in group.commands:
            group.add_command(cmd)
    if "list" not in group.commands:
        group.add_command(installed_cmd, "list")
