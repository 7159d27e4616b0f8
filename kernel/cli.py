"""The ``reelkit`` command line. Plugins add their own commands through the ``reelkit_cli`` hook.

Only click is imported at start-up (``reelkit --help`` stays fast); everything else loads inside the
command that needs it.
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--wait", is_flag=True, help="For job commands: follow the job to its end and print its result.")
@click.option("--grant", "grants", multiple=True, help="Call with only these grants (repeatable).")
def invoke(command_id: str, payload: str | None, wait: bool, grants: tuple[str, ...]) -> None:
    """Invoke a command; the result is JSON on stdout. PAYLOAD is a JSON object (or - for stdin)."""
    from reelkit.kernel.errors import InputInvalid
    from reelkit.sdk.cli import fail, print_json, run_kernel

    raw = sys.stdin.read() if payload == "-" else payload
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError as e:
        fail(InputInvalid(f"PAYLOAD is not valid JSON: {e}"))

    async def go(k: Any) -> Any:
        result = await k.invoke(command_id, data, grants=grants or None)
        if wait and k.commands.get(command_id).job:
            result = await k.wait(result)
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
    """Let builtin and third-party plugins add their CLI commands (a broken one is skipped, with a note)."""
    from reelkit.builtin_plugins import BUILTIN_PLUGINS

    modules: list[tuple[str, Any]] = []
    for name in BUILTIN_PLUGINS:
        try:
            modules.append((name, importlib.import_module(name)))
        except Exception:
            continue  # reported by `reelkit health`; the CLI keeps working
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group="reelkit.plugins"):
            try:
                modules.append((ep.name, ep.load()))
            except Exception:
                continue
    except Exception:
        pass
    for name, mod in modules:
        hook = getattr(mod, "reelkit_cli", None)
        if hook is None:
            continue
        try:
            hook(cli=cli)
        except Exception as e:
            click.echo(f"warning: plugin {name} could not add its CLI commands: {e}", err=True)
    try:
        from reelkit.kernel.ipc import cli as ipc_cli

        cli.add_command(ipc_cli.serve_command, "serve")
        cli.add_command(ipc_cli.studio_command, "studio")
        cli.add_command(ipc_cli.schema_command, "schema")
    except Exception:
        pass


def main() -> None:
    _add_plugin_commands()
    cli(prog_name="reelkit")
