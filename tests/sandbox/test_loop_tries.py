"""Calls tried on the event loop first: kept when they fit the budget, re-run on a worker when not.

Every effect is checked by what happens (results, events, log lines, how long the loop was
blocked), and the counters in ``sandbox.info`` say where each call ran.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest


def _without_files(plugin_copy, **changes):
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    perms = {k: v for k, v in base["permissions"].items() if k != "filesystem"}
    return plugin_copy("hostile", permissions=perms, **changes)


async def _stats(k, plugin: str = "hostile") -> dict:
    return (await k.invoke("sandbox.info", {"id": plugin})).plugin["stats"]


def _sum(n: int) -> int:
    return n * 1000 * (n * 1000 + 1) // 2


async def test_short_calls_stay_on_the_loop_and_long_ones_move_to_a_worker(make_kernel, plugin_copy):
    async with make_kernel(builtins=["sandbox"]) as k:
        await k.invoke("sandbox.install", {"path": str(_without_files(plugin_copy))})
        assert await k.invoke("hostile.work", {"n": 1}) == {"n": 1, "sum": _sum(1)}
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["calls"], s["failures"]) == (1, 0, 1, 0)

        # ~10 M additions: far past the loop's fuel; the answer comes from the re-run on a worker
        assert await k.invoke("hostile.work", {"n": 10_000}) == {"n": 10_000, "sum": _sum(10_000)}
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["calls"], s["failures"]) == (1, 1, 2, 0)

        # the export now goes straight to the workers for 16 calls, then is tried on the loop again
        for _ in range(16):
            assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == _sum(1)
        assert (await _stats(k))["inline"] == 1
        assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == _sum(1)
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["calls"]) == (2, 1, 19)


async def test_a_guest_that_never_returns_blocks_the_loop_for_its_budget_only(make_kernel, plugin_copy):
    async with make_kernel(builtins=["sandbox"]) as k:
        await k.invoke("sandbox.install", {"path": str(_without_files(plugin_copy))})
        gaps: list[float] = []

        async def ticker() -> None:
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        from kernel.errors import KernelError

        t0 = time.perf_counter()
        with pytest.raises(KernelError) as info:
            await k.invoke("hostile.spin", {})
        took = time.perf_counter() - t0
        tick.cancel()
        assert info.value.code == "sandbox.timeout"  # its own limit (400 ms), on the worker
        assert took >= 0.4
        # the loop went on ticking the whole time: never blocked for anything like the 400 ms
        assert max(gaps) < 0.1, max(gaps)
        s = await _stats(k)
        assert (s["moved"], s["failures"], s["inline"]) == (1, 1, 0)


async def test_effects_of_a_dropped_try_happen_once(make_kernel, plugin_copy, events, caplog):
    caplog.set_level(logging.INFO, logger="reelkit.sandbox.guest")
    async with make_kernel(builtins=["sandbox"]) as k:
        await k.invoke("sandbox.install", {"path": str(_without_files(plugin_copy))})
        rec = events(k, "hostile.*")
        # short: runs on the loop; its held event and log line are released when it is kept
        assert await k.invoke("hostile.emit_work", {"topic": "hostile.short", "n": 1}) == {"sum": _sum(1)}
        # long: the try on the loop emits and logs, runs out of budget and is dropped; the
        # re-run on a worker emits and logs again, and only that one reaches the bus and the log
        assert await k.invoke("hostile.emit_work", {"topic": "hostile.long", "n": 10_000}) == {"sum": _sum(10_000)}
        await rec.wait_for("hostile.long")
        await asyncio.sleep(0.05)
        assert [e.topic for e in rec.events] == ["hostile.short", "hostile.long"]
        assert [e.data for e in rec.events] == [{"from": "emit_work"}] * 2
        lines = [r.getMessage() for r in caplog.records if "emit_work: emitted" in r.getMessage()]
        assert len(lines) == 2
        s = await _stats(k)
        assert (s["inline"], s["moved"]) == (1, 1)


async def test_invoke_and_storage_writes_always_run_on_a_worker(make_kernel, plugin_copy):
    async with make_kernel(builtins=["sandbox"]) as k:
        await k.invoke("sandbox.install", {"path": str(_without_files(plugin_copy))})
        out = await k.invoke("hostile.call", {"command": "kernel.health", "payload": {}})
        assert out["result"]["plugins"]["hostile"] == "active"
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["failures"]) == (0, 1, 0)
        # storage writes: hoard fills its quota, which fails on the worker with the quota error
        from kernel.errors import KernelError

        with pytest.raises(KernelError) as info:
            await k.invoke("hostile.hoard", {})
        assert info.value.code == "sandbox.quota_exceeded"
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["failures"]) == (0, 2, 1)


async def test_a_budget_of_zero_or_a_filesystem_grant_keeps_calls_off_the_loop(make_kernel, plugin_copy, built):
    async with make_kernel(builtins=["sandbox"], settings={"sandbox": {"inline_budget_ms": 0}}) as k:
        await k.invoke("sandbox.install", {"path": str(_without_files(plugin_copy))})
        for _ in range(3):
            assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == _sum(1)
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["calls"]) == (0, 0, 3)
        await k.invoke("sandbox.remove", {"id": "hostile"})
    async with make_kernel(builtins=["sandbox"]) as k:
        await k.invoke("sandbox.install", {"path": str(built("hostile"))})  # maps a directory
        for _ in range(3):
            assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == _sum(1)
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["calls"]) == (0, 0, 3)


async def test_a_plugin_fuel_limit_below_the_budget_is_final_on_the_loop(make_kernel, plugin_copy):
    from kernel.errors import KernelError

    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    async with make_kernel(builtins=["sandbox"]) as k:
        path = _without_files(plugin_copy, limits={**base["limits"], "fuel": 200_000})
        await k.invoke("sandbox.install", {"path": str(path)})
        with pytest.raises(KernelError) as info:
            await k.invoke("hostile.work", {"n": 1000})
        assert info.value.code == "sandbox.fuel_exhausted"
        s = await _stats(k)
        assert (s["inline"], s["moved"], s["failures"]) == (0, 0, 1)  # no pointless re-run
