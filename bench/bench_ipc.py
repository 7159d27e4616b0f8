"""IPC benchmarks (issue 9): JSON-RPC over WebSocket against a bare echo server with the same library.

    python bench/bench_ipc.py [--seconds 3]

Each server runs in its own process (the clients here would otherwise share its event loop):
- ``echo``: a bare ``websockets`` server sending every message back (the library's limit);
- ``rpc``: ``reelkit``'s WebSocketServer in front of a real Kernel calling the trivial ``bench.noop``.
Measured side by side: round-trip latency of one call at a time (p50/p99), calls/s and latency under
load (4 clients × 16 calls in flight), and events/s delivered to 1 and to 20 subscribed clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._util import table, verdict  # noqa: E402

TOKEN = "bench-token-0123456789abcdefghij"
TARGET_RATIO = 0.7

# -- the server side (run as `bench_ipc.py --serve KIND`) --------------------------------------------


from reelkit.kernel.events import Bus  # noqa: E402
from reelkit.sdk import Event, Field, Input, Output, PluginInfo, command, hookimpl  # noqa: E402


class NoopIn(Input):
    n: int = Field(0, description="Echoed back")


class NoopOut(Output):
    n: int = Field(description="The input")


class BurstIn(Input):
    count: int = Field(description="Events to publish")


class Tick(Event, topic="bench.tick.sent"):
    i: int


@command("bench.noop", summary="A trivial command")
async def noop(inp: NoopIn) -> NoopOut:
    return NoopOut(n=inp.n)


@command("bench.burst", summary="Publish events as fast as possible")
async def burst(inp: BurstIn, bus: Bus) -> NoopOut:
    for i in range(inp.count):
        bus.publish(Tick(i=i))
        if i % 500 == 499:
            await asyncio.sleep(0)  # let the subscribers' tasks run, as a real producer would
    return NoopOut(n=inp.count)


class BenchPlugin:
    @hookimpl
    def reelkit_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="bench", version="0")

    @hookimpl
    def reelkit_setup(self, ctx) -> None:  # noqa: ANN001
        ctx.add_events(Tick)
        ctx.add_commands(noop, burst)


async def _serve(kind: str) -> None:
    if kind == "echo":
        from websockets.asyncio.server import serve

        async def echo(ws) -> None:  # noqa: ANN001
            async for msg in ws:
                await ws.send(msg)

        server = await serve(echo, "127.0.0.1", 0, compression=None, max_size=1 << 20)
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await asyncio.Event().wait()
    from reelkit import Kernel
    from reelkit.kernel.ipc.auth import TokenTable
    from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
    from reelkit.kernel.ipc.websocket import WebSocketServer

    tmp = tempfile.mkdtemp(prefix="bench-ipc-")
    dirs = {k: f"{tmp}/{k}" for k in ("data_dir", "cache_dir", "config_dir")}
    async with Kernel(settings=dirs, builtins=False, plugins=[BenchPlugin()], entry_points=False) as k:
        server = await WebSocketServer(KernelDispatcher(k), TokenTable({TOKEN: ["*"]}), port=0).start()  # default limits
        print(server.port, flush=True)
        await asyncio.Event().wait()


# -- the client side ---------------------------------------------------------------------------------


class Server:
    def __init__(self, kind: str) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", kind], stdout=subprocess.PIPE,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.url = f"ws://127.0.0.1:{int(self.proc.stdout.readline())}/"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _connect(url: str):  # noqa: ANN202
    from websockets.asyncio.client import connect

    return connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}, compression=None,
                   max_size=None, max_queue=None)


def _request(i: int) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": "bench.noop", "params": {"n": i}, "id": i})


async def _sequential(url: str, n: int, kind: str) -> list[float]:
    async with _connect(url) as ws:
        lat = []
        for i in range(n):
            t0 = time.perf_counter()
            await ws.send(_request(i))
            reply = await ws.recv()
            lat.append(time.perf_counter() - t0)
        assert json.loads(reply) == {"jsonrpc": "2.0", "result": {"n": n - 1}, "id": n - 1} or kind == "echo", reply
        return lat


async def _loaded(url: str, seconds: float, clients: int = 4, window: int = 16) -> tuple[float, list[float]]:
    lat: list[float] = []
    done = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        async with _connect(url) as ws:
            sent: dict[int, float] = {}
            i = 0

            async def writer() -> None:
                nonlocal i
                while time.perf_counter() < stop:
                    while len(sent) >= window:
                        await asyncio.sleep(0)
                    sent[i] = time.perf_counter()
                    await ws.send(_request(i))
                    i += 1

            w = asyncio.create_task(writer())
            while not (w.done() and not sent):
                try:
                    msg = await asyncio.wait_for(ws.recv(), 5)
                except TimeoutError:
                    break
                reply = json.loads(msg)
                rid = reply["id"]
                if "error" in reply:
                    raise RuntimeError(f"the benchmark call failed: {reply}")
                lat.append(time.perf_counter() - sent.pop(rid))
                done += 1
            await w

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done / (time.perf_counter() - t0), lat


async def _events(url: str, clients: int, count: int) -> float:
    conns = [await _connect(url).__aenter__() for _ in range(clients)]
    try:
        for ws in conns:
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "rpc.subscribe", "params": {"pattern": "bench.*"}, "id": 0}))
            await ws.recv()

        async def drain(ws) -> None:  # noqa: ANN001
            got = 0
            while got < count:
                if '"rpc.event"' in await ws.recv():
                    got += 1

        t0 = time.perf_counter()
        readers = [asyncio.create_task(drain(ws)) for ws in conns]
        await conns[0].send(json.dumps({"jsonrpc": "2.0", "method": "bench.burst", "params": {"count": count}, "id": 1}))
        await asyncio.wait_for(asyncio.gather(*readers), 300)
        return clients * count / (time.perf_counter() - t0)
    finally:
        for ws in conns:
            await ws.close()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1e6


def _cpu(server: Server) -> float:
    import psutil

    t = psutil.Process(server.proc.pid).cpu_times()
    return t.user + t.system


def _window(server: Server, seconds: float) -> tuple[float, list[float], float]:
    """calls/s, latencies and the server's CPU µs per call over one loaded window."""
    c0 = _cpu(server)
    rate, lat = asyncio.run(_loaded(server.url, seconds))
    cpu = _cpu(server) - c0
    return rate, lat, cpu / max(1, len(lat)) * 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve")
    ap.add_argument("--seconds", type=float, default=1.5, help="length of one loaded window")
    ap.add_argument("--rounds", type=int, default=5, help="alternating echo/rpc windows (medians reported)")
    args = ap.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return 0
    echo, rpc = Server("echo"), Server("rpc")
    try:
        eseq = asyncio.run(_sequential(echo.url, 2000, "echo"))
        rseq = asyncio.run(_sequential(rpc.url, 2000, "rpc"))
        runs: dict[str, list[tuple[float, list[float], float]]] = {"echo": [], "rpc": []}
        for _ in range(args.rounds):  # alternate, so both see the same (shared, noisy) machine
            runs["echo"].append(_window(echo, args.seconds))
            runs["rpc"].append(_window(rpc, args.seconds))
        ev1 = asyncio.run(_events(rpc.url, 1, 20_000))
        ev20 = asyncio.run(_events(rpc.url, 20, 5_000))
    finally:
        echo.close()
        rpc.close()
    med = statistics.median
    erate, rrate = med(r[0] for r in runs["echo"]), med(r[0] for r in runs["rpc"])
    ratios = [r[0] / e[0] for e, r in zip(runs["echo"], runs["rpc"])]
    elat = [x for r in runs["echo"] for x in r[1]]
    rlat = [x for r in runs["rpc"] for x in r[1]]
    ecpu, rcpu = med(r[2] for r in runs["echo"]), med(r[2] for r in runs["rpc"])
    ratio = med(ratios)
    rows = [
        ["sequential p50 µs (1 call at a time)", f"{_pct(eseq, .5):.0f}", f"{_pct(rseq, .5):.0f}",
         f"{_pct(eseq, .5) / _pct(rseq, .5):.2f}×", ""],
        ["sequential p99 µs", f"{_pct(eseq, .99):.0f}", f"{_pct(rseq, .99):.0f}", "", "reported"],
        ["calls/s under load (4 clients × 16 in flight)", f"{erate:,.0f}", f"{rrate:,.0f}",
         f"{ratio:.2f}×", f"≥ {TARGET_RATIO}× {verdict(ratio >= TARGET_RATIO)}"],
        ["p50 µs under load", f"{_pct(elat, .5):.0f}", f"{_pct(rlat, .5):.0f}", "", ""],
        ["p99 µs under load", f"{_pct(elat, .99):.0f}", f"{_pct(rlat, .99):.0f}", "", "reported"],
        ["server CPU µs per call", f"{ecpu:.0f}", f"{rcpu:.0f}", f"{ecpu / rcpu:.2f}×", "(capacity ratio)"],
    ]
    table(f"IPC: bench.noop through reelkit (real Kernel) vs a bare websockets echo server "
          f"(median of {args.rounds} alternating rounds; per-round ratios {', '.join(f'{r:.2f}' for r in ratios)})",
          ["measure", "echo", "reelkit rpc", "ratio", "target"], rows)
    table("IPC: events delivered (kernel bus → rpc.event notifications)",
          ["clients", "events/s delivered (all clients)", "per client"],
          [["1", f"{ev1:,.0f}", f"{ev1:,.0f}"], ["20", f"{ev20:,.0f}", f"{ev20 / 20:,.0f}"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
