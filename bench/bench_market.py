"""Benchmarks of the marketplace (issue 15): a TUF index of 1,000 packages from 50 publishers on loopback.

1. Cold refresh (a new client: root, timestamp, snapshot, targets and 50 publisher roles, verified).
2. Warm refresh (nothing changed: the timestamp only). Goal ≤ 50 ms.
3. Search of the catalogue through the kernel (``sandbox.market_search``). Goal ≤ 5 ms.
4. Install of a 1 MiB package (``sandbox.market_install``: refresh, verified download, checks, load)
   beside the raw HTTP download of the same file. Goal ≤ download + 200 ms.

Run: .venv/bin/python bench/bench_market.py
"""

from __future__ import annotations

import asyncio
import json
import os
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

PUBLISHERS, PER_PUBLISHER = 50, 20
WAT = """(module (memory (export "memory") PAGES) (func (export "hello") (result i32) (i32.const 0)) DATA)"""
WORDS = "audio video subtitle colour grade caption timeline lint probe proxy thumbnail export".split()


def _module(data: bytes = b"") -> bytes:
    import wasmtime

    seg = '(data (i32.const 0) "' + "".join(f"\\{b:02x}" for b in data) + '")' if data else ""
    return bytes(wasmtime.wat2wasm(WAT.replace("PAGES", str(len(data) // 65536 + 1)).replace("DATA", seg)))


def _package(where: Path, plugin_id: str, publisher: str, wasm: bytes, words: str) -> Path:
    from reelkit.sandbox.manifest import sha256_hex
    from reelkit.sandbox.package import pack

    d = where / plugin_id
    d.mkdir(parents=True)
    (d / "plugin.wasm").write_bytes(wasm)
    (d / "plugin.json").write_text(json.dumps({
        "id": plugin_id, "name": plugin_id.replace("_", " ").title(), "version": "1.0.0", "api": ">=1.0,<2",
        "publisher": publisher, "description": f"Does {words} things",
        "module": {"file": "plugin.wasm", "sha256": sha256_hex(wasm)},
        "exports": [{"function": "hello", "summary": "Say hello"}]}))
    (d / "README.md").write_text(f"# {plugin_id}\n\nA {words} plugin.\n")
    return pack(d, where / f"{plugin_id}.rkp")


def build_index(tmp: Path):
    from reelkit.sandbox.market_index import Index

    t0 = time.perf_counter()
    idx = Index.init(tmp / "index", tmp / "keys", "bench")
    wasm = _module()
    n = 0
    for p in range(PUBLISHERS):
        pub = f"pub{p:02d}"
        key = idx.add_publisher(pub)
        pkgs = []
        for i in range(PER_PUBLISHER):
            words = " ".join(WORDS[(n + j) % len(WORDS)] for j in range(3))
            pkgs.append(_package(tmp / "src", f"{pub}_plugin{i:02d}", pub, wasm, words))
            n += 1
        if p == 0:
            big = _package(tmp / "src", "big_plugin", pub, _module(os.urandom(1 << 20)), "big")
            pkgs.append(big)
        idx.publish(pkgs, key)
    return idx, n + 1, time.perf_counter() - t0


async def main() -> None:
    import httpx

    from reelkit import Kernel
    from reelkit.sandbox.market_serve import StaticServer

    tmp = Path(tempfile.mkdtemp(prefix="bench-market-"))
    idx, count, build_s = build_index(tmp)
    big = idx.load("pub00").signed.targets["pub00/big_plugin/big_plugin-1.0.0.rkp"]
    big_url = f"/targets/pub00/big_plugin/{big.hashes['sha256']}.big_plugin-1.0.0.rkp"
    settings = {"data_dir": str(tmp / "data"), "cache_dir": str(tmp / "cache"), "config_dir": str(tmp / "config"),
                "telemetry": {"exporter": "none"}}
    with StaticServer(idx.dir) as srv:
        async with Kernel(settings=settings, builtins=["sandbox"], entry_points=False) as k:
            await k.invoke("sandbox.market_source_add", {"url": srv.url, "root": str(idx.meta_dir / "1.root.json"),
                                                         "name": "bench"})
            t0 = time.perf_counter()
            cold = (await k.invoke("sandbox.market_refresh", {})).sources[0]
            cold_ms = (time.perf_counter() - t0) * 1000
            assert cold["ok"] and cold["packages"] == count, cold
            warm = []
            for _ in range(20):
                t0 = time.perf_counter()
                r = (await k.invoke("sandbox.market_refresh", {})).sources[0]
                warm.append((time.perf_counter() - t0) * 1000)
                assert r["ok"] and not r["changed"]
            searches = []
            for i in range(300):
                q = f"{WORDS[i % len(WORDS)]} plugin{i % 20:02d}"
                t0 = time.perf_counter()
                hits = (await k.invoke("sandbox.market_search", {"query": q})).results
                searches.append((time.perf_counter() - t0) * 1000)
            assert hits
            installs, downloads, locals_ = [], [], []
            local_pkg = tmp / "big_plugin.rkp"
            with httpx.Client() as http:
                for _ in range(5):
                    t0 = time.perf_counter()
                    body = http.get(srv.url + big_url).content
                    downloads.append((time.perf_counter() - t0) * 1000)
                    assert len(body) == big.length
                    local_pkg.write_bytes(body)
                    # the same package installed from a local file (sandbox.install): what is not the marketplace's
                    t0 = time.perf_counter()
                    await k.invoke("sandbox.install", {"path": str(local_pkg)})
                    locals_.append((time.perf_counter() - t0) * 1000)
                    await k.invoke("sandbox.remove", {"id": "big_plugin"})
                    t0 = time.perf_counter()
                    out = await k.wait(await k.invoke("sandbox.market_install", {"name": "big_plugin"}))
                    installs.append((time.perf_counter() - t0) * 1000)
                    assert out.version == "1.0.0"
                    await k.invoke("sandbox.remove", {"id": "big_plugin"})
    w, s = statistics.median(warm), statistics.median(searches)
    i, d, loc = statistics.median(installs), statistics.median(downloads), statistics.median(locals_)
    print(f"index: {count} packages from {PUBLISHERS} publishers, built and signed in {build_s:.1f} s; "
          f"package {big.length / 2**20:.2f} MiB; load {os.getloadavg()[0]:.2f}")
    table("marketplace (median)", ["measure", "figure", "beside", "ratio", "goal", "verdict"], [
        ["cold refresh (1,000 packages)", f"{cold_ms:.0f} ms", f"warm {w:.1f} ms", f"{cold_ms / w:.1f}x", "report", ""],
        ["warm refresh (timestamp only)", f"{w:.1f} ms", "goal 50 ms", f"{w / 50:.2f}", "<= 50 ms", verdict(w <= 50)],
        ["search (kernel command)", f"{s:.2f} ms", "goal 5 ms", f"{s / 5:.2f}", "<= 5 ms", verdict(s <= 5)],
        ["install 1 MiB package", f"{i:.0f} ms", f"raw download {d:.1f} ms", f"{i / d:.1f}x (+{i - d:.0f} ms)",
         "<= download + 200 ms", verdict(i <= d + 200)],
        ["  of which sandbox.install from a file", f"{loc:.0f} ms", f"marketplace part {i - loc:.0f} ms",
         f"{(i - loc) / d:.1f}x download", "report", ""],
    ])


if __name__ == "__main__":
    asyncio.run(main())
