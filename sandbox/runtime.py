"""Running guest calls: a pool of instances per plugin, tries on the loop, calls on workers, limits.

- An instance is used by one thread for one call at a time, so it is never shared between
  threads (one instance shared by two threads returned wrong results here).
- After any failure — trap, timeout, out of memory, fuel, cancel, host error — the instance is
  closed and a fresh one is made next time (a trapped instance keeps its memory and globals).
- Cancelling the awaiting task cancels a guest running on a worker through its cancel handle.

Short calls run on the event loop. A hop to a worker thread and back costs 40–70 µs here,
several times the call itself (~10 µs), so each call is first tried on the loop in a dedicated
slot whose engine stops the guest after ``loop_budget_ms`` (1 ms by default). Three things bound
a try: fuel (a tight loop runs ~16 M instructions per ms here), which stops it at the same point
every time; Extism's timer; and the host functions, which end it once the budget is spent. The
timer alone is not enough: under load its deadline can pass before the call has armed it, and
the guest then runs on unbounded (seen here; an unbounded guest on the loop is a hung kernel).
So only modules whose every step fuel or reelkit bounds are tried on the loop (the service
decides, see ``loader.loop_safe``): no WASI, no bulk-memory instructions, only Extism's metered
kernel. The others get a budget of 0 and run every call on a worker.

A try may only have effects that can be taken back: ``log`` and ``emit`` are held until it is
kept, ``config_get`` and ``kv_get`` only read, and ``invoke``, ``http_request``, ``kv_set`` and
``kv_delete`` end it at once. A try that runs out of budget or reaches one of those is dropped
with its instance, nothing of it is kept, and the call runs again from the start on a worker
thread under the plugin's full limits; that export then goes straight to the workers for a while
(16, 32, … 4096 calls) before it is tried on the loop again.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from . import engine
from .errors import (FuelExhausted, GuestCancelled, GuestReported, GuestTimeout, GuestTrap, InputTooLarge,
                     MemoryExceeded, OutputTooLarge, RecursionLimit, StartFailed, StartTimeout)
from .host import LOOP_BLOCK_MAX, HostCall, NeedsWorker, PluginHost
from .watchdog import watch


@dataclass
class RuntimeStats:
    calls: int = 0
    failures: int = 0
    discarded: int = 0
    created: int = 0
    on_loop: int = 0  # calls that finished on the event loop
    moved: int = 0  # tries on the loop that ran out of budget or needed a worker, re-run there
    last_error: str = ""


#: fuel per millisecond of budget: a tight loop ran ~16 M instructions per ms here; most code
#: runs fewer, so the fuel usually stops a try first and the timer is the backstop
FUEL_PER_MS = 10_000_000
#: a worker slot of a plugin without ``limits.fuel`` still gets this many times the fuel of its
#: time limit: Extism's timer can lose its deadline (and a cancel) when the calling thread stalls
#: as long as the limit right after arming it, and then fuel is what ends the call
BACKSTOP_FUEL_FACTOR = 20
#: how far past its time limit a call may run before reelkit's own watchdog cancels it (Extism's
#: timer normally stops it first)
WATCHDOG_GRACE_S = 0.02
#: how many times one plugin may be on a call chain at once (a plugin invoking its own commands);
#: also never as many as its max_instances, which would wait forever for a slot its callers hold
MAX_SELF_NESTING = 4

#: the plugins on the current call chain (a guest's `invoke` runs in a copy of the caller's context)
_ACTIVE: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("reelkit_wasm_active", default=())


class _Moved(Exception):
    """The try on the loop has to be re-run on a worker (nothing of it was kept)."""


class _Running:
    """Links an awaiting task to the instance its worker thread is running."""

    __slots__ = ("instance", "cancelled", "expired", "lock")

    def __init__(self) -> None:
        self.instance: engine.Instance | None = None
        self.cancelled = False
        self.expired = False  # reelkit's watchdog stopped it: past its time limit
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

    def expire(self) -> None:
        """The watchdog's deadline: stop the guest if this call is still running."""
        with self.lock:
            if self.instance is not None:
                self.expired = True
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

    def __init__(self, host: PluginHost, compile: Callable[[int, int | None], engine.CompiledModule],
                 threads: int = 4, loop_budget_ms: int = 1, startup: tuple[str, ...] = ()):
        """``compile(timeout_ms, fuel)`` makes a compiled module whose calls stop at either limit
        (``timeout_ms`` 0: no Extism timer, fuel alone).

        Each plugin has its own worker threads (``threads``, at most its ``max_instances``), so a
        plugin that keeps all of its own busy — a loop, a recursion — cannot starve another's calls.
        ``startup`` are the start-up exports to call on every new instance (``loader.startup_calls``).
        """
        self.host, self.compile = host, compile
        self.limits = host.manifest.limits
        self.startup = startup
        self.executor = ThreadPoolExecutor(max(1, min(threads, self.limits.max_instances)),
                                           thread_name_prefix=f"reelkit-wasm-{host.id}")
        #: how long a call may run on the event loop before it moves to a worker (0: never on the
        #: loop; the service passes 0 for modules that WASI, bulk memory or unmetered imports put
        #: out of fuel's reach, see ``loader.loop_safe``)
        self.budget_ms = min(loop_budget_ms, self.limits.time_ms)
        self.budget_fuel = min(self.limits.fuel or 1 << 62, self.budget_ms * FUEL_PER_MS)
        self.max_input = self.limits.memory_mb << 20
        self.max_nesting = min(MAX_SELF_NESTING, self.limits.max_instances)
        self.worker_fuel = self.limits.fuel or self.limits.time_ms * FUEL_PER_MS * BACKSTOP_FUEL_FACTOR
        self.stats = RuntimeStats()
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._sem: asyncio.Semaphore | None = None
        self._loop_slot: _Slot | None = None  # the slot for tries on the loop (one loop, one slot)
        self.building: Future | None = None  # a loop slot being built on a worker thread
        self._skip: dict[str, list[int]] = {}  # function -> [calls left to send to workers, backoff]
        self.closed = False

    # -- pool ----------------------------------------------------------------------------------
    def _acquire(self) -> _Slot:
        with self._lock:
            slot = self._idle.pop() if self._idle else None
        if slot is None:
            slot = _Slot(self.compile(self.limits.time_ms, self.worker_fuel))
        if slot.instance is None:
            inst = slot.compiled.instantiate()
            try:
                self._start(inst)
            except BaseException:
                inst.close()
                slot.close()
                raise
            slot.instance = inst
            with self._lock:
                self.stats.created += 1
        return slot

    def _start(self, inst: engine.Instance) -> None:
        """Run the module's start-up code (deferred out of instantiation) under the time limit.

        One wall-clock deadline covers all of it: Extism's timer per call, and the watchdog.
        """
        if not self.startup:
            return
        pid, lim = self.host.id, self.limits
        running = _Running()
        running.start(inst)
        deadline = time.monotonic() + lim.time_ms / 1000
        w = watch(deadline + WATCHDOG_GRACE_S, running.expire)
        try:
            for fn in self.startup:
                hc = HostCall(self.host, inst, max(0.001, deadline - time.monotonic()))
                try:
                    inst.call(fn, b"", hc, lim.max_output_bytes)
                    hc.raise_error()
                except engine.GuestFailure as f:
                    details = {"plugin": pid, "function": fn}
                    if running.expired or f.kind in ("timeout", "fuel"):
                        raise StartTimeout(
                            f"plugin '{pid}': its start-up code ({fn.replace('__reelkit_', '')}) ran past "
                            f"its {lim.time_ms} ms time limit and was stopped; a module must not loop at "
                            f"start-up (raise limits.time_ms if it only is slow)", details=details) from None
                    raise StartFailed(f"plugin '{pid}': its start-up code ({fn.replace('__reelkit_', '')}) "
                                      f"failed: {_trap_text(f.message)}", details=details) from None
                except OverflowError:
                    pass  # start-up output is ignored
        finally:
            w.cancel()
            running.finish()

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

    def _build_loop_slot(self) -> None:
        """Make the slot for tries on the loop (on a worker: compiling can take milliseconds).

        Its engine has no Extism timer: fuel bounds its guest code, and host functions cancel a try
        past its budget. A timer would add nothing but its flaw — a deadline that fires before the
        call has armed it is lost, and the timer then drops every cancel of that call, including
        the one a host function sends to stop a guest flooding it with calls.
        """
        slot: _Slot | None = _Slot(self.compile(0, self.budget_fuel))
        slot.instance = slot.compiled.instantiate()
        with self._lock:
            self.stats.created += 1
            if not self.closed and self._loop_slot is None:
                self._loop_slot, slot = slot, None
        if slot is not None:
            slot.close()

    def _take_loop_slot(self) -> _Slot | None:
        with self._lock:
            slot, self._loop_slot = self._loop_slot, None
        if slot is None:
            self._rebuild_loop_slot()
        return slot

    def _return_loop_slot(self, slot: _Slot, healthy: bool) -> None:
        with self._lock:
            if healthy and not self.closed and self._loop_slot is None:
                self._loop_slot = slot
                return
            if not healthy:
                self.stats.discarded += 1
        slot.close()
        if not healthy:
            self._rebuild_loop_slot()

    def _rebuild_loop_slot(self) -> None:
        """Build a new slot for the loop on a worker thread (compiling may take milliseconds)."""
        with self._lock:
            if self._loop_slot is not None or self.closed or (self.building and not self.building.done()):
                return
            try:
                self.building = self.executor.submit(self._build_loop_slot)
            except RuntimeError:  # the executor is shutting down: workers only from now on
                pass

    def warm(self) -> None:
        """Create the first slot now, so the first call does not pay for it and linking errors show."""
        if self.budget_ms:
            self._build_loop_slot()
        else:
            self._release(self._acquire(), True)

    @property
    def idle(self) -> int:
        return len(self._idle)

    # -- calls ---------------------------------------------------------------------------------
    def call_sync(self, function: str, data: bytes, running: _Running | None = None,
                  post: Callable[[bytes], Any] | None = None) -> Any:
        """Run ``function`` in the calling thread (used by worker threads and benchmarks).

        ``post`` (decoding, checking the output) runs here too, so a big output is never parsed on
        the event loop. A call reelkit's watchdog stopped, even one that then returned, loses its slot.
        """
        slot = self._acquire()
        healthy = False
        w = None
        if running is not None:
            w = watch(time.monotonic() + self.limits.time_ms / 1000 + WATCHDOG_GRACE_S, running.expire)
        try:
            out = self._run(slot, function, data, running)
            healthy = running is None or not running.expired
            return out if post is None else post(out)
        finally:
            if w is not None:
                w.cancel()
            self._release(slot, healthy and (running is None or not running.expired))

    def _try_on_loop(self, slot: _Slot, function: str, data: bytes) -> bytes:
        healthy = False
        try:
            out = self._run(slot, function, data, None, on_loop=True)
            healthy = True
            self.stats.on_loop += 1
            return out
        finally:
            self._return_loop_slot(slot, healthy)

    def _run(self, slot: _Slot, function: str, data: bytes, running: _Running | None,
             on_loop: bool = False) -> bytes:
        inst = slot.instance
        hc, moved = None, False
        try:
            if running is not None and not running.start(inst):
                raise self._cancelled(function)
            hc = HostCall(self.host, inst, self.limits.time_ms / 1000, held=on_loop,
                          loop_budget_s=self.budget_ms / 1000)
            out, failure, size = None, None, 0
            try:
                # on the loop, an output too big to copy there moves the call to a worker
                out = inst.call(function, data, hc, min(self.limits.max_output_bytes, LOOP_BLOCK_MAX)
                                if on_loop else self.limits.max_output_bytes)
            except engine.GuestFailure as f:
                failure = f
            except OverflowError as e:
                size = e.args[0]
                if on_loop and size <= self.limits.max_output_bytes:
                    hc = None
                    raise _Moved from None
            # A try on the loop moves to a worker when it reached a host function with effects
            # (the guest may even have returned before the cancel reached it), or was stopped by
            # its budget: fuel or time, also inside the Extism allocator a host function calls
            # (a MemoryError there). Only the re-run's outcome counts.
            if on_loop and (isinstance(hc.error, (NeedsWorker, MemoryError)) or (
                    failure is not None and hc.error is None and (
                        (failure.kind == "fuel" and self.budget_fuel != self.limits.fuel)
                        or (failure.kind == "timeout" and self.budget_ms < self.limits.time_ms)))):
                hc = None  # drop what it held back: the re-run does it all again
                raise _Moved
            if running is not None and running.expired and failure is not None:
                failure = engine.GuestFailure("timeout", "stopped by reelkit's watchdog")
            hc.raise_error()
            if failure is not None:
                if running is not None and running.cancelled:
                    raise self._cancelled(function)
                raise self._map(function, failure)
            if out is None:
                raise OutputTooLarge(
                    f"plugin '{self.host.id}': {function} returned {size} bytes, over its "
                    f"{self.limits.max_output_bytes}-byte output cap (limits.max_output_bytes)",
                    details={"plugin": self.host.id, "function": function})
            return out
        except _Moved:
            moved = True
            self.stats.moved += 1
            raise
        except BaseException as e:
            self.stats.failures += 1
            self.stats.last_error = f"{getattr(e, 'code', type(e).__name__)}: {e}"[:500]
            raise
        finally:
            if running is not None:
                running.finish()
            if not moved:
                self.stats.calls += 1
            if hc is not None:
                hc.release_held()  # logs and events a try on the loop held back (also before a failure)

    async def call(self, function: str, data: bytes, post: Callable[[bytes], Any] | None = None) -> Any:
        """Run ``function``: on the loop if it finishes within budget, else on a worker thread.

        ``post(output)`` (decode, check) runs where the call ran. Cancelling this coroutine while a
        worker runs the guest stops the guest.
        """
        if len(data) > self.max_input:
            raise InputTooLarge(
                f"plugin '{self.host.id}': the input of {function} is {len(data)} bytes, more than its "
                f"{self.limits.memory_mb} MiB memory (limits.memory_mb) can hold; send less, or a path",
                details={"plugin": self.host.id, "function": function, "bytes": len(data)})
        chain = _ACTIVE.get()
        if chain and chain.count(self.host.id) >= self.max_nesting:
            raise RecursionLimit(
                f"plugin '{self.host.id}': {function} would be its {chain.count(self.host.id) + 1}th call "
                f"on one call chain (a plugin calling its own commands); at most {self.max_nesting} may "
                f"nest — make the recursion a loop inside the guest",
                details={"plugin": self.host.id, "function": function, "chain": list(chain)})
        if self.budget_ms:
            skip = self._skip.get(function)
            if skip is None:
                skip = self._skip[function] = [0, 0]
            if skip[0]:
                skip[0] -= 1
            else:
                slot = self._take_loop_slot()
                if slot is not None:
                    try:
                        out = self._try_on_loop(slot, function, data)
                        skip[1] = 0
                        return out if post is None else post(out)
                    except _Moved:
                        skip[1] = min(max(2 * skip[1], 16), 4096)
                        skip[0] = skip[1]
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.limits.max_instances)
        async with self._sem:
            running = _Running()
            loop = asyncio.get_running_loop()
            # the worker runs in the caller's context, so a nested `invoke` keeps its grants, its
            # depth and the chain of plugins it went through
            token = _ACTIVE.set(chain + (self.host.id,))
            try:
                ctx = contextvars.copy_context()
            finally:
                _ACTIVE.reset(token)
            fut = loop.run_in_executor(self.executor, ctx.run, self.call_sync, function, data, running, post)
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
            if self._loop_slot is not None:
                idle.append(self._loop_slot)
                self._loop_slot = None
        for slot in idle:
            slot.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

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
        if f.kind == "fuel" and lim.fuel is None:  # the backstop: it ran far past its time limit
            return GuestTimeout(f"plugin '{pid}': {function} ran past its {lim.time_ms} ms time "
                                f"limit and was stopped; raise limits.time_ms or make it faster",
                                details=details)
        if f.kind == "fuel":
            return FuelExhausted(f"plugin '{pid}': {function} used up its fuel ({lim.fuel} "
                                 f"instructions, limits.fuel)", details=details)
        if f.kind == "guest":
            return GuestReported(f"plugin '{pid}': {function} reported: {f.message[:2000]}",
                                 details=details)
        text = _trap_text(f.message)
        return GuestTrap(f"plugin '{pid}': {function} failed: {text}", details=details)
