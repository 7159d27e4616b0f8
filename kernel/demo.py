"""``reelkit demo``: the main job, on generated sample media, with no arguments and no network.

The kernel boots every builtin, shows what loaded, then runs each plugin's ``reelkit_demo`` step in
dependency order (media makes the samples and imports them, the compiler renders them, recognition
looks at them …). A step that fails is reported and the demo exits non-zero at the end.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .jobs import JobRef

__all__ = ["DemoContext", "run_demo"]


class DemoContext:
    """What a plugin's demo step gets: the kernel's commands, a work dir, shared artifacts, a console."""

    def __init__(self, kernel: Any, workdir: Path, console: Any) -> None:
        self.kernel = kernel
        self.workdir = workdir
        self.console = console
        self.artifacts: dict[str, Any] = {}

    async def invoke(self, command_id: str, payload: Any = None) -> Any:
        return await self.kernel.invoke(command_id, payload)

    async def wait(self, job: JobRef | str, timeout: float | None = None) -> Any:
        return await self.kernel.wait(job, timeout)

    def say(self, text: str) -> None:
        self.console.print(text)


async def run_demo(kernel: Any, workdir: Path, console: Any) -> int:
    """Run the demo on a started kernel; returns the exit status."""
    from rich.table import Table

    from .plugins import await_maybe

    workdir.mkdir(parents=True, exist_ok=True)
    console.rule("[bold]reelkit demo")
    states = kernel.plugins.states()
    table = Table("plugin", "version", "state", "commands", title="Plugins")
    for s in states:
        colour = {"active": "green", "failed": "red"}.get(s.state, "yellow")
        table.add_row(s.name, s.version, f"[{colour}]{s.state}[/]", str(len(s.commands)))
    console.print(table)
    health = await kernel.invoke("kernel.health")
    console.print(f"health: [bold]{health.state}[/] · {len(kernel.commands.list())} commands · workdir {workdir}")

    ctx = DemoContext(kernel, workdir, console)
    failures: list[str] = []
    for p in kernel.plugins.order():
        impl = [i for i in kernel.plugins._impls("reelkit_demo") if i.plugin_name == p.name]
        if not impl:
            continue
        console.rule(f"[bold cyan]{p.name}")
        t0 = time.perf_counter()
        try:
            await await_maybe(kernel.plugins.call_one(p.name, "reelkit_demo", demo=ctx))
            console.print(f"[green]✓[/] {p.name} ({time.perf_counter() - t0:.1f} s)")
        except Exception as e:  # a failing step is reported, the others still run
            failures.append(p.name)
            code = getattr(e, "code", type(e).__name__)
            console.print(f"[red]✗ {p.name}: {code}: {e}[/]")
    console.rule()
    if failures:
        console.print(f"[red]demo finished with failing steps: {', '.join(failures)}[/]")
        return 1
    console.print(f"[green]demo finished[/] — outputs in {workdir}")
    return 0
