"""The ``reelkit`` command line. Plugins add their own commands through the ``reelkit_cli`` hook.

Only click is imported at start-up (``reelkit --help`` stays fast); everything else loads inside the
command that needs it. The builtin plugins' commands are listed from ``cli.manifest.json`` (each
top-level name, its one-line help and the plugins that add to it, written by ``make manifests``), and
a plugin's ``reelkit_cli`` hook runs only when one of its commands is used. Third-party plugins (entry
points) add theirs at start-up.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["main", "cli"]


def _values_may_be_negative(cmd: click.Command) -> None:
    """A command taking arguments reads ``-1500`` as a value, not as an unknown option; its subcommands too."""
    if any(isinstance(p, click.Argument) for p in cmd.params):
        cmd.context_settings.setdefault("ignore_unknown_options", True)
    for sub in getattr(cmd, "commands", {}).values():
        _values_may_be_negative(sub)


class Group(click.Group):
    """reelkit's command groups: every command added (plugins' too) accepts negative numbers as values
    (``reelkit subtitles shift FILE -1500``)."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _values_may_be_negative(cmd)
        super().add_command(cmd, name)

    group_class = type  # @group.group() subgroups are of the same class


CLI_MANIFEST = Path(__file__).with_name("cli.manifest.json")
IPC_CLI = "reelkit.kernel.ipc.cli"  # serve and schema: a plugin-like module with a reelkit_cli hook


def _cli_modules() -> list[str]:
    from reelkit.builtin_plugins import BUILTIN_PLUGINS

    return [*BUILTIN_PLUGINS, IPC_CLI]


def _run_cli_hook(module: str, group: click.Group) -> None:
    try:
        hook = getattr(importlib.import_module(module), "reelkit_cli", None)
        if hook is not None:
            hook(cli=group)
    except Exception as e:  # a broken plugin is reported by `reelkit health`; the CLI keeps working
        click.echo(f"warning: plugin {module} could not add its CLI commands: {type(e).__name__}: {e}", err=True)


class Root(Group):
    """The top-level group: builtin plugins' commands come from the CLI manifest, loaded on use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, dict[str, Any]] = {}

    def use_manifest(self) -> bool:
        try:
            self.lazy = json.loads(CLI_MANIFEST.read_text(encoding="utf-8"))["commands"]
        except (OSError, ValueError, KeyError):
            return False
        return True

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.pop(cmd_name, None)
        if entry is not None:
            for module in entry["plugins"]:
                _run_cli_hook(module, self)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            if name in self.lazy:
                rows.append((name, click.utils.make_default_short_help(self.lazy[name]["help"], limit)))
            elif not self.commands[name].hidden:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def cli_manifest() -> dict[str, Any]:
    """Which builtin plugins add to which top-level command, with the command's one-line help."""
    root = Root("reelkit")
    for name, cmd in cli.commands.items():
        root.add_command(cmd, name)
    out: dict[str, dict[str, Any]] = {}
    for module in _cli_modules():
        before = {n: len(getattr(c, "commands", {})) for n, c in root.commands.items()}
        _run_cli_hook(module, root)
        for name, cmd in root.commands.items():
            if name not in before or len(getattr(cmd, "commands", {})) != before[name]:
                entry = out.setdefault(name, {"help": "", "plugins": []})
                entry["plugins"].append(module)
                entry["help"] = cmd.short_help or (cmd.help or "").split("\n\n")[0]
    return {"commands": dict(sorted(out.items()))}


def write_cli_manifest() -> Path:
    from .files import atomic_write

    atomic_write(CLI_MANIFEST, json.dumps(cli_manifest(), indent=1, sort_keys=True) + "\n")
    return CLI_MANIFEST


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]}, epilog="""\b
Examples:
  reelkit demo
  reelkit probe clip.mp4 --json
  reelkit render project.json -o out.mp4
  reelkit invoke media.probe '{"path": "clip.mp4"}'
  reelkit import ~/Footage --json
  reelkit subtitles shift talk.srt -1500 -o talk.fixed.srt""")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Settings file (default: reelkit.toml in the user config dir).")
@click.version_option("0.1.0", prog_name="reelkit")
def cli(config: str | None) -> None:
    """reelkit — a plugin-first microkernel for media applications."""
    if config:
        os.environ["REELKIT_CONFIG"] = config


@cli.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("reelkit-demo"),
              show_default=True, help="Where the sample media and outputs go.")
def demo(workdir: Path) -> None:
    """Run the main job on generated sample media (no arguments, no network)."""
    from rich.console import Console

    from reelkit.kernel.demo import run_demo
    from reelkit.sdk.cli import run_kernel

    console = Console()
    status = run_kernel(lambda k: run_demo(k, workdir.resolve(), console), as_json=False)
    sys.exit(status)


@cli.command("commands")
@click.option("--json", "as_json", is_flag=True, help="Every command with its input and output JSON Schemas.")
@click.option("--markdown", is_flag=True, help="The command reference as Markdown (docs/commands.md).")
def commands_(as_json: bool, markdown: bool) -> None:
    """List every command."""
    from reelkit.sdk.cli import print_json, run_kernel

    async def go(k: Any) -> Any:
        return [s.describe() for s in k.commands.list()]

    specs = run_kernel(go, as_json=as_json)
    if as_json:
        print_json(specs)
    elif markdown:
        from reelkit.kernel.docs import commands_markdown

        click.echo(commands_markdown(specs), nl=False)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("command", "capability", "summary")
        for s in specs:
            table.add_row(s["id"] + (" [dim](job)[/]" if s["job"] else ""), s["capability"], s["summary"])
        Console().print(table)


@cli.command()
@click.argument("command_id")
@click.argument("payload", required=False)
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="For job commands: follow the job to its end (progress on stderr) and print its result. "
                   "With --no-wait the job id is printed and the job stops when this process exits.")
@click.option("--grant", "grants", multiple=True, help="Call with only these grants (repeatable).")
def invoke(command_id: str, payload: str | None, wait: bool, grants: tuple[str, ...]) -> None:
    """Invoke a command; the result is JSON on stdout, an error JSON on stderr (exit 1).

    PAYLOAD is a JSON object (or - for stdin).

    \b
    Examples:
      reelkit invoke kernel.jobs '{}'
      reelkit invoke media.probe '{"path": "clip.mp4"}'
      reelkit invoke compiler.render '{"project": "p.json", "output": "out.mp4"}'
      echo '{"path": "clip.mp4"}' | reelkit invoke media.probe -
    """
    from reelkit.kernel.errors import InputInvalid
    from reelkit.sdk.cli import fail, follow_job, print_json, run_kernel

    raw = sys.stdin.read() if payload == "-" else payload
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError as e:
        fail(InputInvalid(f"PAYLOAD is not valid JSON: {e}"))

    async def go(k: Any) -> Any:
        result = await k.invoke(command_id, data, grants=grants or None)
        if k.commands.get(command_id).job:
            if wait:
                return await follow_job(k, result, label=command_id)
            click.echo(f"note: job {result.job_id} runs in this process and stops when it exits; "
                       "use --wait (the default) to follow it, or `reelkit serve` to keep a kernel running",
                       err=True)
        return result

    print_json(run_kernel(go))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def health(as_json: bool) -> None:
    """The kernel's health: every check and every plugin's state. Exits 1 when a check errors."""
    from reelkit.sdk.cli import print_json, run_kernel

    report = run_kernel(lambda k: k.invoke("kernel.health"), as_json=as_json)
    if as_json:
        print_json(report)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("check", "state", "detail", title=f"health: {report.state}")
        for name, c in report.checks.items():
            table.add_row(name, c.state, c.detail)
        for name, state in report.plugins.items():
            table.add_row(f"plugin {name}", state, "")
        Console().print(table)
    sys.exit(1 if report.state == "error" else 0)


@cli.group()
def plugins() -> None:
    """Python and WASM plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_list(as_json: bool) -> None:
    """Every plugin the kernel loaded, with its source and state."""
    from reelkit.sdk.cli import print_json, run_kernel

    result = run_kernel(lambda k: k.invoke("kernel.plugins"), as_json=as_json)
    if as_json:
        print_json(result.plugins)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("plugin", "version", "source", "state", "commands", "error")
    for p in result.plugins:
        table.add_row(p.name, p.version, p.source, p.state, str(len(p.commands)), (p.error or {}).get("message", ""))
    Console().print(table)




def _add_plugin_commands() -> None:
    """Builtin commands from the manifest (or, without one, from every builtin's hook now); third-party
    plugins (entry points) add theirs now."""
    if not cli.use_manifest():  # type: ignore[attr-defined]
        for module in _cli_modules():
            _run_cli_hook(module, cli)
    try:
        from importlib.metadata import entry_points

        eps = list(entry_points(group="reelkit.plugins"))
    except Exception:
        eps = []
    for ep in eps:
        try:
            mod = ep.load()
        except Exception:
            continue  # reported by `reelkit health`
        hook = getattr(mod, "reelkit_cli", None)
        if hook is None:
            continue
        try:
            hook(cli=cli)
        except Exception as e:
            click.echo(f"warning: plugin {ep.name} could not add its CLI commands: {e}", err=True)


def main() -> None:
    _add_plugin_commands()
    cli(prog_name="reelkit")
