"""Start a coroutine at once and make it a task only if it has to wait (``eager_task_factory`` of 3.12).

Most calls (a trivial command, ``rpc.subscribe``) finish without ever suspending; for them creating,
scheduling and stepping a Task costs more than the call. :func:`start` runs the coroutine's first step
right away, in a context of its own (so context variables behave as in a Task), and returns None when it
finished; otherwise it hands the suspended coroutine to a Task, which resumes it in the same context.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["start"]


class _Resume:
    """Awaitable that drives an already-started coroutine, as ``yield from`` would have."""

    __slots__ = ("coro", "pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self.coro = coro
        self.pending = pending

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, waiting = self.coro, self.pending
        self.pending = None
        while True:
            try:
                value = yield waiting
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation and errors thrown in by the task go to the coroutine
                try:
                    waiting = coro.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting = coro.send(value)
                except StopIteration as done:
                    return done.value


async def _finish(resume: _Resume) -> Any:
    return await resume


def start(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
    """Run ``coro`` until it first waits; None if it completed, else the Task that finishes it."""
    ctx = contextvars.copy_context()
    try:
        waiting = ctx.run(coro.send, None)
    except StopIteration:
        return None
    except BaseException:
        coro.close()
        raise
    return asyncio.get_running_loop().create_task(_finish(_Resume(coro, waiting)), context=ctx)
