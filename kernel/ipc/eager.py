"""Start a call's coroutine at once, and keep a Task only if it has to wait (Python ≥ 3.12).

Most calls (a trivial command, ``rpc.subscribe``) finish without ever suspending; for them scheduling a
Task and waiting for the loop to step it costs more than the call. Python 3.12 can run a Task's first
step eagerly (``eager_start``), with ``asyncio.current_task()`` correct throughout, which
``asyncio.timeout`` and ``TaskGroup`` inside a handler rely on. On 3.11 this is an ordinary Task:
emulating eager start there would leave ``current_task()`` pointing at the connection's reader task.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

__all__ = ["start"]

_EAGER = sys.version_info >= (3, 12)


def start(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
    """Run ``coro`` as a task; None when it already completed during an eager first step."""
    loop = asyncio.get_running_loop()
    if _EAGER:
        task = asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg]
        return None if task.done() else task
    return loop.create_task(coro)
