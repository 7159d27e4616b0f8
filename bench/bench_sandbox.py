"""Benchmarks of the WASM sandbox (issue 5), side by side in one run.

1. One call of a small export: through the kernel (``subtitle_caps.transform``, telemetry off;
   tried on the event loop first, as by default) vs the raw Extism call of the same export (the
   official ``extism.Plugin.call`` and reelkit's own binding) vs an equivalent Python builtin
   command, and the same call sent to a worker thread every time. Target: kernel ≤ raw + 15 µs.
2. Loading an installed plugin (verify hash, inspect, compile, instantiate, register as kernel
   plugin): warm compile cache (target ≤ 5 ms) and cold (reported).
3. A CPU-bound export from 2 workers vs 1. Target: ≥ 1.7× throughput on 2 cores.
4. The event loop's worst stall while a guest floods a host function (log, emit, config_get; no
   WASI, so its calls are first tried on the loop) and while a module's start function spins at
   install. Target: < 50 ms.

Run: .venv/bin/python bench/bench_sandbox.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.pop("RUST_BACKTRACE", None)
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _util import table, verdict  # noqa: E402

from reelkit.sdk import Field, Input, Output, PluginInfo, command, hookimpl  # noqa: E402

SRT = "1\n00:00:01,000 --> 00:00:02,000\nhello world\n"


class CapsInput(Input):
    srt: str = Field(description="SRT text")
    mode: str | None = Field(None, description="upper or lower")


class CapsOutput(Output):
    srt: str = Field(description="SRT text")
    lines_changed: int = Field(description="Lines changed")


@command("benchpy.transform", summary="The Python twin of subtitle_caps.transform")
async def py_transform(inp: CapsInput) -> CapsOutput:
    lines, changed = [], 0
    for line in inp.srt.split("\n"):
        if line and not all(c.isdigit() or c in ":,.- >\r" for c in line):
            new = line.lower() if inp.mode == "lower" else line.upper()
            changed += new != line
            line = new
        lines.append(line)
    return CapsOutput(srt="\n".join(lines), lines_changed=changed)


class BenchPy:
    @hookimpl
    def reelkit_plugin_info(self):
        return PluginInfo(name="benchpy")

    @hookimpl
    def reelkit_setup(self, ctx):
        ctx.add_commands(py_transform)


def per_call_us(fn, n: int, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(samples)


async def per_call_us_async(fn, n: int, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            await fn()
        samples.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(samples)


async def main() -> int:
    from reelkit import Kernel
    from reelkit.sandbox import engine
    from reelkit.sandbox.toolchain import build

    work = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        for name, src in (("subtitle_caps", REPO / "examples/wasm/subtitle_caps"),
                          ("hostile", REPO / "tests/sandbox/fixtures/hostile")):
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("*.wasm", "dist"))
            build(work / name)
        man = json.loads((work / "hostile/plugin.json").read_text())
        man["limits"].update(time_ms=60_000, max_instances=2)
        (work / "hostile/plugin.json").write_text(json.dumps(man))

        settings = {"data_dir": str(work / "data"), "cache_dir": str(work / "cache"),
                    "config_dir": str(work / "config"), "telemetry": {"exporter": "none"}}
        ok = True
        async with Kernel(settings=settings, builtins=["sandbox"], plugins=[BenchPy()], entry_points=False) as k:
            from reelkit.sandbox.consent import permissions_digest
            from reelkit.sandbox.manifest import load_manifest

            for name in ("subtitle_caps", "hostile"):
                await k.invoke("sandbox.install", {"path": str(work / name),
                                                   "consent": permissions_digest(load_manifest(work / name))})
            payload = {"srt": SRT}
            data = json.dumps(payload, separators=(",", ":")).encode()
            assert (await k.invoke("subtitle_caps.transform", payload))["srt"] == SRT.replace("hello world", "HELLO WORLD")

            # -- 1. per-call cost ----------------------------------------------------------------
            import extism

            wasm = (work / "subtitle_caps/plugin.wasm").read_bytes()

            @extism.host_fn(name="config_get", namespace="reelkit:host/v1",
                            signature=([extism.ValType.I64], [extism.ValType.I64]))
            def config_get(current, params, results):
                results[0].value = 0  # "no such key": the guest falls back to upper case

            official = extism.Plugin({"wasm": [{"data": wasm}]}, functions=[config_get])
            official.call("transform", data)
            from reelkit.sandbox.service import SandboxService

            svc = k.services.instances[SandboxService]
            svc_runtime = svc.loaded["subtitle_caps"].plugin.runtime
            slot = svc_runtime._acquire()
            from reelkit.sandbox.host import HostCall

            hc = HostCall(svc_runtime.host, slot.instance, 3600.0)  # one context for every raw call below
            raw_official = per_call_us(lambda: official.call("transform", data), 2000)
            raw_binding = per_call_us(lambda: slot.instance.call("transform", data, hc, 1 << 20), 2000)
            svc_runtime._release(slot, True)
            pool_sync = per_call_us(lambda: svc_runtime.call_sync("transform", data), 2000)
            kernel_wasm = await per_call_us_async(lambda: k.invoke("subtitle_caps.transform", payload), 1000)
            stats = svc_runtime.stats
            # nearly every call was kept on the loop (a machine under load pauses a thread past the 1 ms
            # budget now and then; such a call moves to a worker, correctly)
            assert stats.moved <= 70, vars(stats)
            kernel_py = await per_call_us_async(lambda: k.invoke("benchpy.transform", payload), 1000)
            budget, svc_runtime.budget_ms = svc_runtime.budget_ms, 0  # what [sandbox] loop_budget_ms = 0 does
            kernel_worker = await per_call_us_async(lambda: k.invoke("subtitle_caps.transform", payload), 1000)
            svc_runtime.budget_ms = budget
            hop = await per_call_us_async(lambda: asyncio.get_running_loop().run_in_executor(svc.executor, int), 1000)
            target = raw_official + 15
            ok &= kernel_wasm <= target
            table("1. one small call (µs per call, median of 7 runs)", ["path", "µs", "vs raw Extism"], [
                ["raw extism.Plugin.call (official SDK)", f"{raw_official:.1f}", "1.00×"],
                ["raw call, reelkit binding (engine.Instance)", f"{raw_binding:.1f}", f"{raw_binding / raw_official:.2f}×"],
                ["pool checkout + call + checks (same thread)", f"{pool_sync:.1f}", f"{pool_sync / raw_official:.2f}×"],
                ["kernel invoke subtitle_caps.transform", f"{kernel_wasm:.1f}", f"{kernel_wasm / raw_official:.2f}×"],
                ["  same, every call on a worker (budget 0)", f"{kernel_worker:.1f}", f"{kernel_worker / raw_official:.2f}×"],
                ["kernel invoke benchpy.transform (Python)", f"{kernel_py:.1f}", f"{kernel_py / raw_official:.2f}×"],
                ["(an empty worker-thread hop, for scale)", f"{hop:.1f}", ""],
                ["target: kernel ≤ raw + 15 µs", f"{target:.1f}", verdict(kernel_wasm <= target)],
            ])
            print(f"   kernel overhead over the raw call: {kernel_wasm - raw_official:+.1f} µs (tried on the loop, "
                  f"kept: {stats.on_loop} calls, moved: {stats.moved}), {kernel_worker - raw_official:+.1f} µs "
                  f"when every call goes to a worker thread")
            print(f"   load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

            # -- 2. load time ----------------------------------------------------------------------
            async def reload_ms() -> float:
                await svc._unload("subtitle_caps")
                t0 = time.perf_counter()
                await svc._load("subtitle_caps")
                return (time.perf_counter() - t0) * 1000

            warm = statistics.median([await reload_ms() for _ in range(9)])
            colds = []
            for _ in range(3):
                shutil.rmtree(work / "cache" / "wasm-modules", ignore_errors=True)
                colds.append(await reload_ms())
            cold = statistics.median(colds)
            ok &= warm <= 5
            table("2. loading an installed plugin (ms, median)", ["case", "ms", "target"], [
                ["warm compile cache", f"{warm:.2f}", f"≤ 5 ms {verdict(warm <= 5)}"],
                ["cold (cache dir emptied)", f"{cold:.2f}", "reported"],
                ["cold / warm", f"{cold / warm:.1f}×", ""],
            ])

            # -- 3. two workers vs one -------------------------------------------------------------
            t0 = time.perf_counter()
            await k.invoke("hostile.work", {"n": 20_000})
            n = max(20_000, int(20_000 * 0.25 / max(time.perf_counter() - t0, 1e-3)))  # ~0.25 s per call
            calls = 8

            async def throughput(parallel: int) -> float:
                t0 = time.perf_counter()
                for _ in range(calls // parallel):
                    await asyncio.gather(*(k.invoke("hostile.work", {"n": n}) for _ in range(parallel)))
                return calls / (time.perf_counter() - t0)

            hostile_rt = svc.loaded["hostile"].plugin.runtime
            work_input = json.dumps({"n": n}).encode()

            def raw_throughput(parallel: int) -> float:
                """The same export on plain threads, no kernel: what the machine allows right now."""
                import threading

                t0 = time.perf_counter()
                for _ in range(calls // parallel):
                    threads = [threading.Thread(target=hostile_rt.call_sync, args=("work", work_input))
                               for _ in range(parallel)]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                return calls / (time.perf_counter() - t0)

            await throughput(2)
            samples: dict[str, list[float]] = {"one": [], "two": [], "raw_one": [], "raw_two": []}
            for _ in range(3):  # interleaved, so a change in machine load hits every case alike
                samples["one"].append(await throughput(1))
                samples["two"].append(await throughput(2))
                samples["raw_one"].append(raw_throughput(1))
                samples["raw_two"].append(raw_throughput(2))
            one, two, raw_one, raw_two = (statistics.median(samples[key]) for key in ("one", "two", "raw_one", "raw_two"))
            ratio = two / one
            ok &= ratio >= 1.7
            table(f"3. CPU-bound export ({n * 1000:.0e} additions per call; {os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.1f})", ["workers", "kernel calls/s", "ratio",
                                                              "plain threads calls/s", "ratio"], [
                      ["1", f"{one:.2f}", "1.00×", f"{raw_one:.2f}", "1.00×"],
                      ["2", f"{two:.2f}", f"{ratio:.2f}× (target ≥ 1.7×) {verdict(ratio >= 1.7)}",
                       f"{raw_two:.2f}", f"{raw_two / raw_one:.2f}×"],
                  ])
            # -- 4. the loop's worst stall under hostile guests ------------------------------------
            sys.path.insert(0, str(REPO))
            from tests.sandbox import hostile_wat as H
            from tests.sandbox.conftest import wat, write_plugin

            async def worst_gap(coro) -> tuple[float, str]:
                gaps: list[float] = []

                async def tick() -> None:
                    last = time.perf_counter()
                    while True:
                        await asyncio.sleep(0.001)
                        now = time.perf_counter()
                        gaps.append(now - last)
                        last = now

                t = asyncio.create_task(tick())
                await asyncio.sleep(0.01)
                code = "ok"
                try:
                    await coro
                except Exception as e:
                    code = getattr(e, "code", type(e).__name__)
                t.cancel()
                return max(gaps) * 1000, code

            rows = []
            gap, _ = await worst_gap(asyncio.sleep(1.0))
            rows.append(["(no guest: the loop idle for 1 s, the machine's noise)", f"{gap:.1f}", "", "1000"])
            for name, src in (("log", H.LOG_FLOOD), ("empty log", H.EMPTY_LOG_FLOOD), ("emit", H.EMIT_FLOOD),
                              ("config_get", H.CONFIG_FLOOD)):
                pid = "flood"  # (it emits under its own namespace, 'flood.')
                d = write_plugin(work / (pid + name.replace(" ", "_")), wat(src),
                                 {"id": pid, "exports": [{"function": "run"}], "limits": {"time_ms": 1000}})
                await k.invoke("sandbox.install", {"path": str(d), "replace": True,
                                                   "consent": permissions_digest(load_manifest(d))})
                t0 = time.perf_counter()
                gap, code = await worst_gap(k.invoke(f"{pid}.run", {}))
                rows.append([f"host-call flood: {name}", f"{gap:.1f}", code, f"{(time.perf_counter() - t0) * 1000:.0f}"])
            d = write_plugin(work / "spinup", wat(H.START_LOOP), {"id": "spinup", "exports": [{"function": "run"}],
                                                                 "limits": {"time_ms": 1000}})
            t0 = time.perf_counter()
            gap, code = await worst_gap(k.invoke("sandbox.install", {"path": str(d)}))
            rows.append(["start function loop (install)", f"{gap:.1f}", code, f"{(time.perf_counter() - t0) * 1000:.0f}"])
            worst = max(float(r[1]) for r in rows[1:])
            ok &= worst < 50
            rows.append(["target: worst stall < 50 ms", f"{worst:.1f}", verdict(worst < 50), ""])
            table(f"4. event loop's worst stall under hostile guests (ms; limit 1000 ms per call; load average "
                  f"{os.getloadavg()[0]:.1f})", ["attack", "worst stall ms", "code", "call took ms"], rows)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
