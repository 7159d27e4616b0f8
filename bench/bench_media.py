"""Media benchmarks (issue 3): probing, thumbnails and parallel import, side by side.

    python bench/bench_media.py [probe] [thumbnail] [import]   # 50 small generated files, temporary folder

1. probe: PyAV in process (reelkit) vs spawning ``ffmpeg -i`` per file, same 50 files. Target ≥ 10×.
   Also a metadata-cache hit (target ≤ 50 µs), direct and through ``kernel.invoke``.
2. thumbnail: reelkit (seek + decode + scale + JPEG, no cache) vs one ``ffmpeg -ss T -i F -frames:v 1``
   call per file. Target ≥ 4×.
3. import of the 50 files with max_parallel 1, 2, 4 — each in a fresh process (fresh caches, its own
   peak RSS). Reports the speed-up and peak memory; 3b repeats it with 16 1280x720 files.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import table, verdict  # noqa: E402

N_FILES = 50
SOURCES = ["testsrc2", "smptebars", "rgbtestsrc", "testsrc", "mandelbrot", "life", "cellauto", "yuvtestsrc"]


def ffmpeg_exe() -> str:
    from reelkit.builtin_plugins.media.ffmpeg import FFmpegFinder

    return FFmpegFinder().exe


def make_files(folder: Path, n: int = N_FILES, size: str = "320x240") -> list[str]:
    """``n`` distinct clips: 2 s, 25 fps, H.264 + AAC, varied sources and tones (default 320x240)."""
    exe = ffmpeg_exe()
    folder.mkdir(parents=True, exist_ok=True)

    def one(i: int) -> str:
        out = folder / f"f{i:02}.mp4"
        src = SOURCES[i % len(SOURCES)]
        cmd = [exe, "-v", "error", "-y", "-f", "lavfi", "-i", f"{src}=s={size}:r=25", "-f", "lavfi",
               "-i", f"sine=f={200 + 10 * i}:sample_rate=44100", "-t", "2", "-c:v", "libx264", "-preset",
               "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-threads", "1", str(out)]
        subprocess.run(cmd, check=True)
        return str(out)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, range(n)))


def cpu_now() -> float:
    """CPU seconds of this process (all threads) plus its finished children: robust to a busy machine."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def per_file(fn, files: list[str], rounds: int = 5) -> tuple[float, float]:
    """Median over rounds of (wall seconds / file, CPU seconds / file incl. children)."""
    out = []
    for _ in range(rounds):
        w, c = time.perf_counter(), cpu_now()
        for f in files:
            fn(f)
        out.append(((time.perf_counter() - w) / len(files), (cpu_now() - c) / len(files)))
    return statistics.median(w for w, _ in out), statistics.median(c for _, c in out)


# -- 1. probe --------------------------------------------------------------------------------------
def bench_probe(files: list[str], tmp: Path, rounds: int = 5) -> list[list[object]]:
    """Rounds interleave the methods, so a load spike on this shared machine hits them alike."""
    from reelkit.builtin_plugins.media.probe import probe_file
    from reelkit.builtin_plugins.media.service import MediaService
    from reelkit import Kernel

    exe = ffmpeg_exe()
    for f in files[:5]:
        probe_file(f)  # warm the imports and the page cache
    n = len(files)

    async def run() -> dict[str, tuple[float, float]]:
        settings = {"cache_dir": str(tmp / "kcache"), "data_dir": str(tmp / "kdata"), "config_dir": str(tmp / "kcfg")}
        res: dict[str, list[tuple[float, float]]] = {k: [] for k in ("spawn", "inproc", "cold", "conc", "hit", "direct")}
        async with Kernel(settings=settings, builtins=["media"], entry_points=False) as k:
            svc = k.services.instances[MediaService]
            sem = asyncio.Semaphore(4)

            async def one(f: str) -> None:
                async with sem:
                    await k.invoke("media.probe", {"path": f})

            async def measure(key: str, body) -> None:
                w, c = time.perf_counter(), cpu_now()
                await body()
                res[key].append(((time.perf_counter() - w) / n, (cpu_now() - c) / n))

            async def spawn() -> None:
                for f in files:
                    subprocess.run([exe, "-hide_banner", "-i", f], capture_output=True)

            async def inproc() -> None:
                for f in files:
                    probe_file(f)

            async def sequential() -> None:
                for f in files:
                    await k.invoke("media.probe", {"path": f})

            async def concurrent() -> None:
                await asyncio.gather(*(one(f) for f in files))

            async def direct() -> None:
                for f in files:
                    svc.cached(f)

            for _ in range(rounds):
                await measure("spawn", spawn)
                await measure("inproc", inproc)
                svc.cache.clear()
                await measure("cold", sequential)
                svc.cache.clear()
                await measure("conc", concurrent)
                for _ in range(10):
                    await measure("hit", sequential)
                    await measure("direct", direct)
        return {key: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for key, v in res.items()}

    m = asyncio.run(run())
    spawn_w, spawn_c = m["spawn"]
    us = lambda s: f"{s * 1e6:,.1f} µs"  # noqa: E731

    def row(label: str, key: str, target: str, ok) -> list[object]:
        w, c = m[key]
        return [label, us(w), f"{spawn_w / w:,.1f}×", us(c), f"{spawn_c / c:,.1f}×", target, verdict(ok(w, c))]

    return [
        ["spawn `ffmpeg -i` per file", us(spawn_w), "1.0×", us(spawn_c), "1.0×", "", ""],
        row("PyAV in process (probe_file)", "inproc", "≥ 10×", lambda w, c: spawn_w / w >= 10),
        row("media.probe via kernel, cold, one at a time", "cold", "≥ 10×", lambda w, c: spawn_w / w >= 10),
        row("media.probe via kernel, cold, 4 in flight", "conc", "≥ 10×", lambda w, c: spawn_w / w >= 10),
        row("media.probe via kernel, cache hit", "hit", "≤ 50 µs", lambda w, c: w <= 50e-6),
        row("metadata cache hit (service, stat included)", "direct", "≤ 50 µs", lambda w, c: w <= 50e-6),
    ]


# -- 2. thumbnail ----------------------------------------------------------------------------------
def bench_thumbnail(files: list[str], tmp: Path) -> list[list[object]]:
    from reelkit.builtin_plugins.media.pictures import thumbnail

    exe = ffmpeg_exe()
    out = tmp / "cli.jpg"
    cli_args = ["-frames:v", "1", "-vf", "scale=160:-2", "-q:v", "4", "-update", "1", str(out)]
    cli_w, cli_c, ours_w, ours_c = [], [], [], []
    for _ in range(3):  # interleaved, so load spikes hit both
        w, c = per_file(lambda f: subprocess.run([exe, "-v", "error", "-y", "-ss", "1.0", "-i", f, *cli_args],
                                                 check=True), files, rounds=1)
        cli_w.append(w), cli_c.append(c)
        w, c = per_file(lambda f: thumbnail(f, 1.0, 160, "jpeg"), files, rounds=1)
        ours_w.append(w), ours_c.append(c)
    cw, cc, ow, oc = (statistics.median(x) for x in (cli_w, cli_c, ours_w, ours_c))
    ms = lambda s: f"{s * 1e3:.2f} ms"  # noqa: E731
    return [
        ["ffmpeg CLI per file (-ss 1 -i … -frames:v 1)", ms(cw), "1.0×", ms(cc), "1.0×", "", ""],
        ["reelkit thumbnail (PyAV seek+decode, Pillow JPEG)", ms(ow), f"{cw / ow:.1f}×", ms(oc), f"{cc / oc:.1f}×",
         "≥ 4×", verdict(cw / ow >= 4)],
    ]


# -- 3. import -------------------------------------------------------------------------------------
IMPORT_CHILD = r"""
import asyncio, json, resource, sys, time
from reelkit import Kernel
folder, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
async def main():
    s = {"cache_dir": tmp + "/cache", "data_dir": tmp + "/data", "config_dir": tmp + "/cfg"}
    async with Kernel(settings=s, builtins=["media"], entry_points=False) as k:
        await k.invoke("media.formats")
        t, c = time.perf_counter(), time.process_time()
        res = await k.wait(await k.invoke("media.import", {"paths": [folder], "max_parallel": n}))
        return time.perf_counter() - t, time.process_time() - c, len(res.files), len(res.failed)
wall, cpu, ok, bad = asyncio.run(main())
print(json.dumps({"wall": wall, "cpu": cpu, "ok": ok, "failed": bad,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_import(folder: Path, tmp: Path, n_files: int = N_FILES) -> list[list[object]]:
    results = {}
    for n in (1, 2, 4):
        runs = []
        for r in range(3):
            d = tempfile.mkdtemp(dir=tmp)
            p = subprocess.run([sys.executable, "-c", IMPORT_CHILD, str(folder), d, str(n)], capture_output=True,
                               text=True, check=True, cwd=Path(__file__).resolve().parents[1])
            runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
        wall = statistics.median(x["wall"] for x in runs)
        cpu = statistics.median(x["cpu"] for x in runs)
        results[n] = (wall, cpu, max(x["peak_mb"] for x in runs), runs[0]["ok"], runs[0]["failed"])
    base = results[1][0]
    return [[f"max_parallel {n}", f"{w:.3f} s", f"{w / n_files * 1e3:.1f} ms", f"{base / w:.2f}×",
             f"{c / n_files * 1e3:.1f} ms", f"{mb:.0f} MB", f"{ok} ok / {bad} failed"]
            for n, (w, c, mb, ok, bad) in results.items()]


def main() -> None:
    wanted = set(sys.argv[1:]) or {"probe", "thumbnail", "import"}
    with tempfile.TemporaryDirectory(prefix="reelkit-bench-media-") as d:
        tmp = Path(d)
        folder = tmp / "files"
        folder.mkdir()
        t = time.perf_counter()
        files = make_files(folder)
        print(f"generated {len(files)} files (320x240, 2 s, H.264/AAC) in {time.perf_counter() - t:.1f} s; "
              f"{os.cpu_count()} CPUs")
        if "probe" in wanted:
            table("1. probe, per file (median of 5 interleaved rounds over the same 50 files; CPU = this process"
                  " and its children)",
                  ["method", "wall", "wall speed-up", "CPU", "CPU speed-up", "target", ""], bench_probe(files, tmp))
        if "thumbnail" in wanted:
            table("2. thumbnail at t=1 s, 160 px wide JPEG, per file (no cache; median of 3 interleaved rounds)",
                  ["method", "wall", "wall speed-up", "CPU", "CPU speed-up", "target", ""],
                  bench_thumbnail(files, tmp))
        if "import" in wanted:
            table("3. media.import of the 50 files (probe + 320 px thumbnail each), fresh process and caches, "
                  "median of 3", ["setting", "wall", "per file", "speed-up vs 1", "CPU per file", "peak RSS", "result"],
                  bench_import(folder, tmp))
            big = make_files(tmp / "files720", 16, "1280x720")
            table(f"3b. the same with {len(big)} 1280x720 files (decoding dominates, so threads overlap more)",
                  ["setting", "wall", "per file", "speed-up vs 1", "CPU per file", "peak RSS", "result"],
                  bench_import(tmp / "files720", tmp, len(big)))


if __name__ == "__main__":
    main()
