"""Running guest calls: a pool of instances per plugin, calls off the event loop, limits.

- An instance is checked out by exactly one worker thread for one call, so it is never shared
  between threads (one instance shared by two threads returned wrong results here).
- After any failure — trap, timeout, out of memory, fuel, cancel, host error — the instance is
  closed and a fresh one is made next time (a trapped instance keeps its memory and globals).
- Cancelling the awaiting task cancels the running guest through its cancel handle.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable

from . import engine
from .errors import (FuelExhausted, GuestCancelled, GuestReported, GuestTimeout, GuestTrap, MemoryExceeded,
                     OutputTooLarge)
from .host import HostCall, PluginHost


@dataclass
class RuntimeStats:
    calls: int = 0
    failures: int = 0
    discarded: int = 0
    created: int = 0
    last_error: str = ""


class _Running:
    """Links an awaiting task to the instance its worker thread is running."""

    __slots__ = ("instance", "cancelled", "lock")

    def __init__(self) -> None:
        self.instance: engine.Instance | None = None
        self.cancelled = False
        self.lock = threading.Lock()

    def start(self, inst: engine.Instance) -> bool:
        with self.lock:
            self.instance = inst
            return not self.cancelled

    def finish(self) -> None:
        """The call is over: a late cancel must not reach the instance (reused or freed next)."""
        with self.lock:
            self.instance = None

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.instance is not None:
                self.instance.cancel()


def _trap_text(message: str) -> str:
    m = re.search(r"wasm trap: ([^\n]+)", message)
    if m:
        return m.group(1).strip()
    if "call stack exhausted" in message:
        return "call stack exhausted (recursion too deep)"
    # Extism reports a stack overflow as a bare backtrace of one function repeating
    frames = re.findall(r"^\s*\d+:\s+(?:0x[0-9a-f]+ - )?(.+)$", message, flags=re.M)
    if len(frames) >= 10:
        top = max(set(frames), key=frames.count)
        if frames.count(top) >= 0.8 * len(frames):
            return f"call stack exhausted (recursion too deep in {top})"
    return message.strip().splitlines()[0][:300] if message.strip() else "unknown error"


class _Slot:
    """One engine with at most one live instance.

    Extism interrupts a call by bumping the *engine's* epoch, so a timeout or cancel on one
    instance also stops every other instance of the same compiled plugin that is running at that
    moment (measured: a cancel on A stopped a concurrent call on B). Each slot therefore owns
    its own compiled module; the on-disk compile cache makes one cost ~1.5 ms.
    """

    __slots__ = ("compiled", "instance")

    def __init__(self, compiled: engine.CompiledModule):
        self.compiled = compiled
        self.instance: engine.Instance | None = None

    def close(self) -> None:
        if self.instance is not None:
            self.instance.close()
            self.instance = None
        self.compiled.close()


class PluginRuntime:
    """Calls into one plugin through a pool of slots (engine + instance), one call per slot."""

    def __init__(self, host: PluginHost, compile: Callable[[], engine.CompiledModule], executor: Executor,
                 inline_max_ms: int = 0):
        self.host, self.compile, self.executor = host, compile, executor
        self.limits = host.manifest.limits
        perms = host.manifest.permissions
        # Inline calls block the loop for at most the plugin's time limit; a host function that
        # waits on the loop (invoke) or the network (http) would deadlock or stall it: excluded.
        self.inline = bool(inline_max_ms) and self.limits.time_ms <= inline_max_ms \
            and not perms.commands and not perms.http
        self.stats = RuntimeStats()
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._sem: asyncio.Semaphore | None = None
        self.closed = False

    # -- pool ----------------------------------------------------------------------------------
    def _acquire(self) -> _Slot:
        with self._lock:
            slot = self._idle.pop() if self._idle else None
        if slot is None:
            slot = _Slot(self.compile())
        if slot.instance is None:
            slot.instance = slot.compiled.instantiate()
            with self._lock:
                self.stats.created += 1
        return slot

    def _release(self, slot: _Slot, healthy: bool) -> None:
        if not healthy:
            # A trapped, timed-out or cancelled instance keeps its memory and globals, and a cancel
            # requested while the guest was already leaving stays pending in its engine and interrupts
            # the next instance made from it ("unable to clear error message"): drop the whole slot.
            with self._lock:
                self.stats.discarded += 1
            slot.close()
            return
        with self._lock:
            if not self.closed and len(self._idle) < self.limits.max_instances:
                self._idle.append(slot)
                return
        slot.close()

    def warm(self) -> None:
        """Create one slot now so the first call does not pay for it (and linking errors show)."""
        self._release(self._acquire(), True)

    @property
    def idle(self) -> int:
        return len(self._idle)

    # -- calls ---------------------------------------------------------------------------------
    def call_sync(self, function: str, data: bytes, running: _Running | None = None) -> bytes:
        """Run ``function`` in the calling thread (used by worker threads and benchmarks)."""
        slot = self._acquire()
        inst = slot.instance
        healthy = False
        try:
            if running is not None and not running.start(inst):
                raise self._cancelled(function)
            hc = HostCall(self.host, inst, self.limits.time_ms / 1000)
            try:
                out = inst.call(function, data, hc, self.limits.max_output_bytes)
            except engine.GuestFailure as f:
                hc.raise_error()
                if running is not None and running.cancelled:
                    raise self._cancelled(function) from None
                raise self._map(function, f) from None
            except OverflowError as e:
                raise OutputTooLarge(
                    f"plugin '{self.host.id}': {function} returned {e.args[0]} bytes, over its "
                    f"{self.limits.max_output_bytes}-byte output cap (limits.max_output_bytes)",
                    details={"plugin": self.host.id, "function": function}) from None
            hc.raise_error()
            healthy = True
            return out
        except BaseException as e:
            self.stats.failures += 1
            self.stats.last_error = f"{getattr(e, 'code', type(e).__name__)}: {e}"[:500]
            raise
        finally:
            if running is not None:
                running.finish()
            self.stats.calls += 1
            self._release(slot, healthy)

    async def call(self, function: str, data: bytes) -> bytes:
        """Run ``function`` on a worker thread; cancelling this coroutine stops the guest."""
        if self.inline:
            return self.call_sync(function, data)
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.limits.max_instances)
        async with self._sem:
            running = _Running()
            loop = asyncio.get_running_loop()
            # the worker runs in the caller's context, so a nested `invoke` keeps its grants
            ctx = contextvars.copy_context()
            fut = loop.run_in_executor(self.executor, ctx.run, self.call_sync, function, data, running)
            try:
                return await fut
            except asyncio.CancelledError:
                running.cancel()
                raise

    def close(self) -> None:
        """Free every idle slot; calls still running finish and free theirs."""
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for slot in idle:
            slot.close()

    # -- errors --------------------------------------------------------------------------------
    def _cancelled(self, function: str) -> GuestCancelled:
        return GuestCancelled(f"plugin '{self.host.id}': call to {function} was cancelled",
                              details={"plugin": self.host.id, "function": function})

    def _map(self, function: str, f: engine.GuestFailure) -> Exception:
        pid, lim = self.host.id, self.limits
        details = {"plugin": pid, "function": function}
        if f.kind == "timeout":
            return GuestTimeout(f"plugin '{pid}': {function} ran past its {lim.time_ms} ms time "
                                f"limit and was stopped; raise limits.time_ms or make it faster",
                                details=details)
        if f.kind == "oom":
            return MemoryExceeded(f"plugin '{pid}': {function} tried to grow memory past its "
                                  f"{lim.memory_mb} MiB limit (limits.memory_mb)", details=details)
        if f.kind == "fuel":
            return FuelExhausted(f"plugin '{pid}': {function} used up its fuel ({lim.fuel} "
                                 f"instructions, limits.fuel)", details=details)
        if f.kind == "guest":
            return GuestReported(f"plugin '{pid}': {function} reported: {f.message[:2000]}",
                                 details=details)
        text = _trap_text(f.message)
        return GuestTrap(f"plugin '{pid}': {function} failed: {text}", details=details)
