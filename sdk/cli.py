"""Helpers for CLI commands that plugins add to ``reelkit`` (through the ``reelkit_cli`` hook).

    @click.command()
    @click.argument("files", nargs=-1)
    def probe(files):
        result = run_kernel(lambda k: k.invoke("media.probe", {"path": files[0]}))
        print_json(result)

One style for every command: results on stdout (JSON with ``--json``), errors always on stderr (one
``{"code", "message", "details"}`` line with ``--json``, a readable line otherwise), progress bars on
stderr for long work (:func:`follow_job`), and a non-zero exit status whenever the result is a failure.

Exit status: 0 success, 1 a reelkit error or a failed result, 2 usage, 130 Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

__all__ = ["run_kernel", "print_json", "fail", "to_jsonable", "follow_job", "EXIT_ERROR", "EXIT_USAGE",
           "EXIT_INTERRUPTED"]

T = TypeVar("T")
EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def to_jsonable(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        # The CLI user invoked the command with their own grants: secrets they may read are shown.
        return value.model_dump(mode="json", context={"reveal_secrets": True})
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any, *, file: Any = None) -> None:
    """Print a model, list or dict as indented JSON on stdout."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, default=str), file=file or sys.stdout)


def fail(error: Any, *, as_json: bool = True, file: Any = None) -> NoReturn:
    """Print a KernelError (or any exception) on stderr and exit with status 1."""
    from reelkit.kernel.errors import KernelError

    data = error.to_dict() if isinstance(error, KernelError) else {
        "code": "command.failed", "message": f"{type(error).__name__}: {error}"}
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str), file=file or sys.stderr)
    else:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]error[/] [red]{data['code']}[/]: {data['message']}", markup=True,
                                   highlight=False, soft_wrap=True)
    sys.exit(EXIT_ERROR)


def run_kernel(fn: Callable[[Any], Awaitable[T]], *, as_json: bool = True, **kernel_kwargs: Any) -> T:
    """Boot a kernel (``--config`` from the CLI is honoured), run ``fn(kernel)``, shut down.

    A KernelError is printed and exits 1; Ctrl-C exits 130 after the kernel has shut down cleanly
    (its jobs cancelled, so FFmpeg children are gone and no partial outputs remain).
    """
    from reelkit import Kernel
    from reelkit.kernel.errors import KernelError

    async def main() -> T:
        kernel_kwargs.setdefault("config_file", os.environ.get("REELKIT_CONFIG") or None)
        async with Kernel(**kernel_kwargs) as k:
            return await fn(k)

    try:
        return asyncio.run(main())
    except KernelError as e:
        fail(e, as_json=as_json)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


async def follow_job(kernel: Any, ref: Any, *, label: str = "", quiet: bool = False) -> Any:
    """Follow a job to its end with a progress bar on stderr (fraction, stage, ETA); return its result.

    Ctrl-C cancels the job and waits for it to stop (FFmpeg children gone, no partial files) before
    the interrupt goes on. ``quiet`` (``--json``) hides the bar; errors still raise.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    job_id = ref.job_id
    columns = [TextColumn(f"[bold]{label or ref.kind}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[stage]}"), TextColumn("ETA"), TimeRemainingColumn()]
    console = Console(stderr=True)
    with Progress(*columns, console=console, disable=quiet or not console.is_terminal, transient=False) as bar:
        task = bar.add_task(label or ref.kind, total=1.0, stage="")

        def on_event(ev: Any) -> None:
            info = getattr(ev, "job", None)
            if info is None or info.job_id != job_id:
                return
            p = info.progress
            bar.update(task, completed=p.fraction if p.fraction is not None else bar.tasks[0].completed,
                       stage=p.stage or "")

        sub = kernel.bus.subscribe("job.*", on_event, name=f"cli:{job_id}")
        try:
            result = await kernel.wait(ref)
        except asyncio.CancelledError:
            kernel.jobs.cancel(job_id)
            await kernel.jobs.wait(job_id, timeout=10)
            raise
        finally:
            sub.dispose()
        bar.update(task, completed=1.0)
    return result
