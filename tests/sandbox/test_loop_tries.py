"""Calls tried on the event loop first: kept when they fit the budget, re-run on a worker when not.

Every effect is checked by what happens (results, events, log lines, how long the loop was
blocked), and the counters in ``sandbox.info`` say where each call ran. The ``busy`` fixture is
the kind of module that may run on the loop: no WASI, no bulk-memory instructions.

Where a test needs a short call to stay on the loop, it gives the loop a 20 ms budget: with the
default 1 ms, a test machine under load pauses the thread that long often enough to move a short
call now and then (which is correct, and harmless, but not what those tests look at).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from reelkit.kernel.errors import KernelError

from .conftest import install, wat, write_plugin


@pytest.fixture
def slow_busy(plugin_copy):
    """busy with a 10 s time limit, so a long call re-run on a loaded machine still finishes."""
    base = json.loads((plugin_copy("busy") / "plugin.json").read_text())
    return plugin_copy("busy", limits={**base["limits"], "time_ms": 10_000})


async def _stats(k, plugin: str = "busy") -> dict:
    return (await k.invoke("sandbox.info", {"id": plugin})).plugin["stats"]


ROOMY = {"sandbox": {"loop_budget_ms": 20}}
LONG = 100_000  # 100 M additions: ~10 times the fuel of a 20 ms budget


def _sum(n: int) -> int:
    return n * 1000 * (n * 1000 + 1) // 2


class _LoopGaps:
    """Ticks every millisecond on the loop; ``longest`` is the longest the loop was away."""

    def __init__(self) -> None:
        self.gaps: list[float] = []

    async def __aenter__(self) -> "_LoopGaps":
        async def tick() -> None:
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                self.gaps.append(now - last)
                last = now

        self.task = asyncio.create_task(tick())
        await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()

    @property
    def longest(self) -> float:
        return max(self.gaps)


async def test_short_calls_stay_on_the_loop_and_long_ones_move_to_a_worker(make_kernel, slow_busy):
    async with make_kernel(builtins=["sandbox"], settings=ROOMY) as k:
        await install(k, slow_busy)
        assert (await k.invoke("sandbox.info", {"id": "busy"})).plugin["loop_budget_ms"] == 20
        assert await k.invoke("busy.work", {"n": 1}) == {"sum": _sum(1)}
        s = await _stats(k)
        assert (s["on_loop"], s["moved"], s["calls"], s["failures"]) == (1, 0, 1, 0)

        # far past the loop's fuel; the answer comes from the re-run on a worker
        assert await k.invoke("busy.work", {"n": LONG}) == {"sum": _sum(LONG)}
        s = await _stats(k)
        assert (s["on_loop"], s["moved"], s["calls"], s["failures"]) == (1, 1, 2, 0)

        # the export now goes straight to the workers for 16 calls, then is tried on the loop again
        for _ in range(16):
            assert await k.invoke("busy.work", {"n": 1}) == {"sum": _sum(1)}
        assert (await _stats(k))["on_loop"] == 1
        assert await k.invoke("busy.work", {"n": 1}) == {"sum": _sum(1)}
        s = await _stats(k)
        assert (s["on_loop"], s["moved"], s["calls"]) == (2, 1, 19)


async def test_a_guest_that_never_returns_blocks_the_loop_for_its_budget_only(make_kernel, built):
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, built("busy"))
        async with _LoopGaps() as gaps:
            t0 = time.perf_counter()
            with pytest.raises(KernelError) as info:
                await k.invoke("busy.spin", {})
            took = time.perf_counter() - t0
        assert info.value.code == "sandbox.timeout"  # its own limit (400 ms), on the worker
        assert took >= 0.4
        # the loop went on ticking the whole time: never blocked for anything like the 400 ms
        assert gaps.longest < 0.1, gaps.longest
        s = await _stats(k)
        assert (s["moved"], s["failures"], s["on_loop"]) == (1, 1, 0)


async def test_a_guest_calling_host_functions_in_a_loop_still_leaves_the_loop_on_time(make_kernel, slow_busy):
    """Host functions are not fuel. Fuel on the guest's side, Extism's timer and the host-side check
    each bound such a try; the test after this one checks the host-side one alone."""
    async with make_kernel(builtins=["sandbox"], settings=ROOMY) as k:
        await install(k, slow_busy)
        assert await k.invoke("busy.ask", {"n": 3}) == {"sum": 3}  # short: kept on the loop
        async with _LoopGaps() as gaps:
            assert await k.invoke("busy.ask", {"n": 50_000}) == {"sum": 50_000}
        assert gaps.longest < 0.1, gaps.longest
        s = await _stats(k)
        assert (s["on_loop"], s["moved"], s["failures"]) == (1, 1, 0)


def test_a_try_on_the_loop_stops_in_a_host_function_once_its_budget_is_spent():
    """The host-side check alone (fuel and Extism's timer are the other two bounds)."""
    from reelkit.sandbox.host import LOOP_BLOCK_MAX, HostCall, NeedsWorker

    class Guest:
        def cancel(self):
            pass

    spent = HostCall(None, Guest(), 1.0, held=True, loop_budget_s=0.0)
    with pytest.raises(NeedsWorker):
        spent.on_loop()
    fresh = HostCall(None, Guest(), 1.0, held=True, loop_budget_s=10.0)
    fresh.on_loop(LOOP_BLOCK_MAX)  # within budget, a block up to the cap: goes on
    with pytest.raises(NeedsWorker):
        fresh.on_loop(LOOP_BLOCK_MAX + 1)  # a bigger block is copied on a worker
    HostCall(None, Guest(), 1.0, held=False).on_loop(1 << 30)  # on a worker: no limit here


async def test_effects_of_a_dropped_try_happen_once(make_kernel, slow_busy, events, caplog):
    caplog.set_level(logging.INFO, logger="reelkit.sandbox.guest")
    async with make_kernel(builtins=["sandbox"], settings=ROOMY) as k:
        await install(k, slow_busy)
        rec = events(k, "busy.*")
        # short: runs on the loop; its held event and log line are released when it is kept
        assert await k.invoke("busy.emit_work", {"topic": "busy.short", "n": 1}) == {"sum": _sum(1)}
        # long: the try on the loop emits and logs, runs out of budget and is dropped; the
        # re-run on a worker emits and logs again, and only that one reaches the bus and the log
        assert await k.invoke("busy.emit_work", {"topic": "busy.long", "n": LONG}) == {"sum": _sum(LONG)}
        await rec.wait_for("busy.long")
        await asyncio.sleep(0.05)
        assert [e.topic for e in rec.events] == ["busy.short", "busy.long"]
        assert [e.data for e in rec.events] == [{"from": "emit_work"}] * 2
        lines = [r.getMessage() for r in caplog.records if "emit_work: emitted" in r.getMessage()]
        assert len(lines) == 2
        s = await _stats(k)
        assert (s["on_loop"], s["moved"]) == (1, 1)


async def test_invoke_and_storage_writes_always_run_on_a_worker(make_kernel, built):
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, built("busy"))
        out = await k.invoke("busy.call", {"command": "kernel.health", "payload": {}})
        assert out["result"]["plugins"]["busy"] == "active"
        assert await k.invoke("busy.store", {"value": "one"}) == {"before": None}
        assert await k.invoke("busy.store", {"value": "two"}) == {"before": "one"}  # written once
        s = await _stats(k)
        # each export moved once; the second store went straight to a worker (its export skips the loop now)
        assert (s["on_loop"], s["moved"], s["failures"], s["calls"]) == (0, 2, 0, 3)


async def test_a_budget_of_zero_keeps_every_call_off_the_loop(make_kernel, built):
    async with make_kernel(builtins=["sandbox"], settings={"sandbox": {"loop_budget_ms": 0}}) as k:
        await install(k, built("busy"))
        for _ in range(3):
            assert await k.invoke("busy.work", {"n": 1}) == {"sum": _sum(1)}
        s = await _stats(k)
        assert (s["on_loop"], s["moved"], s["calls"]) == (0, 0, 3)


async def test_a_plugin_fuel_limit_below_the_budget_is_final_on_the_loop(make_kernel, plugin_copy):
    base = json.loads((plugin_copy("busy") / "plugin.json").read_text())
    async with make_kernel(builtins=["sandbox"]) as k:
        path = plugin_copy("busy", limits={**base["limits"], "fuel": 200_000})
        await install(k, path)
        with pytest.raises(KernelError) as info:
            await k.invoke("busy.work", {"n": 1000})
        assert info.value.code == "sandbox.fuel_exhausted"
        s = await _stats(k)
        assert (s["on_loop"], s["moved"], s["failures"]) == (0, 0, 1)  # no pointless re-run


_IMPORTS = """
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store (param i64 i32)))
  (import "extism:host/env" "output_set" (func $out (param i64 i64)))"""
_EMPTY_OBJECT = """
  (memory (export "memory") 1)
  (func $answer (local $b i64)
    (local.set $b (call $alloc (i64.const 2)))
    (call $store (local.get $b) (i32.const 123)) (call $store (i64.add (local.get $b) (i64.const 1)) (i32.const 125))
    (call $out (local.get $b) (i64.const 2)))"""
_FILL_WAT = f"""(module {_IMPORTS} {_EMPTY_OBJECT}
  (func (export "run") (result i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 16)) (call $answer) (i32.const 0)))"""
_EXTISM_LOG_WAT = f"""(module {_IMPORTS}
  (import "extism:host/env" "log_info" (func $log (param i64))) {_EMPTY_OBJECT}
  (func (export "run") (result i32) (call $answer) (i32.const 0)))"""


@pytest.mark.parametrize("case", ["wasi", "bulk memory", "unmetered extism import"])
async def test_modules_whose_time_fuel_cannot_bound_never_run_on_the_loop(make_kernel, built, tmp_path, case):
    """WASI calls, memory.fill/copy and Extism's own log/config/var/http functions do work that fuel
    does not count, so a try of theirs on the loop could not be bounded: they run on workers."""
    if case == "wasi":
        path, plugin, command = built("hostile"), "hostile", "hostile.work"  # imports path_open & co
        payload = {"n": 1}
    else:
        src = _FILL_WAT if case == "bulk memory" else _EXTISM_LOG_WAT
        path = write_plugin(tmp_path / "p", wat(src), {"id": "odd", "exports": [{"function": "run"}]})
        plugin, command, payload = "odd", "odd.run", {}
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, path)
        for _ in range(3):
            await k.invoke(command, payload)
        s = await _stats(k, plugin)
        assert (s["on_loop"], s["moved"], s["calls"], s["failures"]) == (0, 0, 3, 0)
        assert (await k.invoke("sandbox.info", {"id": plugin})).plugin["loop_budget_ms"] == 0


def test_the_loop_safety_rule_reads_the_module():
    from reelkit.sandbox.loader import loop_safe
    from reelkit.sandbox.wasminfo import inspect_module

    assert inspect_module(wat(_FILL_WAT)).bulk_memory
    assert not loop_safe(inspect_module(wat(_FILL_WAT)))
    assert not loop_safe(inspect_module(wat(_EXTISM_LOG_WAT)))
    plain = """(module (import "extism:host/env" "alloc" (func (param i64) (result i64)))
      (memory (export "memory") 1) (func (export "run") (result i32) (i32.const 0)))"""
    assert loop_safe(inspect_module(wat(plain)))


async def test_many_concurrent_calls_on_the_loop_and_on_workers_all_get_their_own_answer(make_kernel, slow_busy):
    """Short calls kept on the loop interleave with long ones moved to workers, on one plugin."""
    async with make_kernel(builtins=["sandbox"], settings=ROOMY) as k:
        await install(k, slow_busy)
        # the first is short, so it finds the loop's slot ready (a long one then moves, and while the
        # slot is rebuilt on a worker the calls after it go to workers too)
        ns = [LONG if i % 25 == 24 else i % 7 + 1 for i in range(100)]
        outs = await asyncio.gather(*(k.invoke("busy.work", {"n": n}) for n in ns))
        assert outs == [{"sum": _sum(n)} for n in ns]
        s = await _stats(k)
        assert s["on_loop"] >= 1 and s["moved"] >= 1 and s["failures"] == 0
        assert s["calls"] == 100  # every call ran to its answer once (moved tries are not counted)


async def test_input_json_cannot_carry_is_refused_with_its_code(make_kernel, built):
    """JSON Schema accepts any integer; a guest gets plain JSON, so a 70-bit one is refused up front."""
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, built("busy"))
        with pytest.raises(KernelError) as info:
            await k.invoke("busy.work", {"n": 2**70})
        assert info.value.code == "input.invalid" and "64-bit" in info.value.message
        assert (await _stats(k))["calls"] == 0  # the guest was never called
