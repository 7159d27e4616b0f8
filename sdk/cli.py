"""Helpers for CLI commands that plugins add to ``reelkit`` (through the ``reelkit_cli`` hook).

    @click.command()
    @click.argument("files", nargs=-1)
    def probe(files):
        result = run_kernel(lambda k: k.invoke("media.probe", {"path": files[0]}))
        print_json(result)

Exit status: 0 success, 1 a reelkit error (printed as ``{"code", "message"}``), 2 usage, 130 Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

__all__ = ["run_kernel", "print_json", "fail", "to_jsonable", "EXIT_ERROR", "EXIT_USAGE", "EXIT_INTERRUPTED"]

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
    """Print a KernelError (or any exception) and exit with status 1."""
    from reelkit.kernel.errors import KernelError

    data = error.to_dict() if isinstance(error, KernelError) else {
        "code": "command.failed", "message": f"{type(error).__name__}: {error}"}
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str), file=file or sys.stdout)
    else:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]error[/] [red]{data['code']}[/]: {data['message']}", markup=True,
                                   highlight=False)
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
        fail(e, as_json=as_json, file=None if as_json else sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
