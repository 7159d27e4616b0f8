"""What runs inside a Dask worker: a reelkit kernel of its own, cancel and the storage check.

Imported only in cluster code paths (it imports ``distributed``). A worker process boots one
:class:`~reelkit.Kernel` (builtins and entry points, the cluster turned off so it never recurses) in a
thread with its own event loop, so tasks reach every plugin's services — and keep them warm between
tasks (a recognition model session, probe caches).

Tasks that start subprocesses register them under their job id with :func:`tracked`;
``client.run(cancel_job, job_id)`` reaches every worker at once and stops them (the dask future's own
cancel does not interrupt a running task).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["ReelkitWorkerPlugin", "runtime", "tracked", "cancel_job", "is_cancelled", "check_paths", "report"]

_lock = threading.Lock()
_runtime: WorkerRuntime | None = None
_running: dict[str, set[Any]] = {}
_cancelled: set[str] = set()


class WorkerRuntime:
    """One reelkit kernel per worker process, on its own event-loop thread."""

    def __init__(self, overrides: dict[str, Any]):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="reelkit-worker-loop", daemon=True).start()
        settings = {**overrides, "cluster": {**overrides.get("cluster", {}), "address": ""}}
        self.kernel = asyncio.run_coroutine_threadsafe(self._boot(settings), self.loop).result(timeout=300)

    async def _boot(self, settings: dict[str, Any]) -> Any:
        from reelkit import Kernel

        k = Kernel(settings=settings)
        await k.start()
        return k

    def close(self) -> None:
        """Stop the worker's kernel and its loop."""
        try:
            asyncio.run_coroutine_threadsafe(self.kernel.stop(), self.loop).result(timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)

    def service(self, svc_type: Any) -> Any:
        """A kernel-lifetime service of the worker's kernel."""
        return self.kernel.services.instances[svc_type]

    def call(self, coro: Any, timeout: float | None = None) -> Any:
        """Run a coroutine on the worker kernel's loop and wait for it (from a task thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def runtime(overrides: dict[str, Any] | None = None) -> WorkerRuntime:
    """The worker's runtime, booted on first use."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = WorkerRuntime(overrides or {})
        return _runtime


class ReelkitWorkerPlugin(WorkerPlugin):
    """Boots the reelkit kernel when a worker starts (registered by :class:`~reelkit.kernel.cluster.Cluster`)."""

    name = "reelkit"

    def __init__(self, overrides: dict[str, Any] | None = None):
        self.overrides = overrides or {}

    def setup(self, worker: Any) -> None:
        # boot beside the worker's event loop: the worker keeps answering the scheduler meanwhile
        threading.Thread(target=runtime, args=(self.overrides,), name="reelkit-boot", daemon=True).start()

    def teardown(self, worker: Any) -> None:
        global _runtime
        with _lock:
            rt, _runtime = _runtime, None
        if rt is not None:
            rt.close()


@contextlib.contextmanager
def tracked(job_id: str, handle: Any) -> Iterator[None]:
    """Register ``handle`` (anything with ``cancel()``) as running for ``job_id``."""
    from .errors import JobCancelled

    with _lock:
        if job_id in _cancelled:
            raise JobCancelled(f"job {job_id} was cancelled")
        _running.setdefault(job_id, set()).add(handle)
    try:
        yield
    finally:
        with _lock:
            _running.get(job_id, set()).discard(handle)
            if not _running.get(job_id):
                _running.pop(job_id, None)


def is_cancelled(job_id: str) -> bool:
    return job_id in _cancelled


def cancel_job(job_id: str) -> int:
    """Stop every registered process of ``job_id`` on this worker; later tasks of it refuse to start."""
    with _lock:
        _cancelled.add(job_id)
        handles = list(_running.get(job_id, ()))
    for h in handles:
        h.cancel()
    return len(handles)


def check_paths(read: list[str], write_dir: str, token: str) -> list[str]:
    """Problems this worker has with the caller's paths: sources it cannot read, and the output folder
    (where the caller left ``token``) it cannot see or write."""
    problems = [f"cannot read {p}" for p in read if not os.access(p, os.R_OK)]
    marker = os.path.join(write_dir, token)
    if not os.path.isfile(marker):
        problems.append(f"does not see {write_dir} as the caller does (its marker file is missing)")
    elif not os.access(write_dir, os.W_OK):
        problems.append(f"cannot write to {write_dir}")
    return problems


def report(topic: str, msg: Any) -> None:
    """Send ``msg`` to the client's subscription ``topic`` (progress)."""
    from distributed import get_worker

    try:
        get_worker().log_event(topic, msg)
    except ValueError:
        pass  # not on a worker (a test calling the task function directly)
