"""Benchmark issue 17: a 60 s 720p project rendered in one process vs on a local Dask cluster of 2 workers.

The project: six 10 s 1280x720 30 fps clips (hard cuts and 1 s transitions alternating), a title,
clip audio and a music bed; libx264 veryfast CRF 23 + AAC. Reported: wall time of each (the cluster
already started: its start-up is reported apart), the ratio (goal ≤ 1.15), and the per-segment fixed
cost: the same 12 s project split into 2 and into 12 segments, (wall12 − wall2) / 10.
Usage: .venv/bin/python bench/bench_cluster.py [--repeat N]
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(tempfile.gettempdir()) / "reelkit-bench-cluster"


def media(exe: str) -> dict[str, str]:
    MEDIA.mkdir(exist_ok=True)
    out = {}
    for name, src in (("a", "testsrc2"), ("b", "testsrc")):
        path = MEDIA / f"{name}.mp4"
        if not path.exists():
            subprocess.run([exe, "-v", "error", "-y", "-f", "lavfi", "-i", f"{src}=s=1280x720:r=30:d=22", "-f", "lavfi",
                            "-i", "sine=f=440:d=22", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                            "-c:a", "aac", "-shortest", str(path)], check=True)
        out[name] = str(path)
    music = MEDIA / "music.m4a"
    if not music.exists():
        subprocess.run([exe, "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=220:d=61", "-c:a", "aac", str(music)],
                       check=True)
    out["music"] = str(music)
    return out


def project(m: dict[str, str], seconds: int = 60) -> dict:
    clips, t = [], 0.0
    for i in range(seconds // 10):
        c = {"type": "media", "source": m["ab"[i % 2]], "start": t, "source_in": i % 3, "duration": 10}
        if i % 2 == 0 and i:
            c["start"] = t - 1
            c["transition"] = {"type": "dissolve", "duration": 1}
            c["duration"] = 11
        clips.append(c)
        t = c["start"] + c["duration"]
    return {"settings": {"width": 1280, "height": 720, "fps": 30},
            "output": {"preset": "veryfast", "crf": 23},
            "tracks": [{"id": "v", "kind": "video", "clips": clips},
                       {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "Scale-out benchmark",
                                                              "start": 0, "duration": 5, "size": 48}]},
                       {"id": "m", "kind": "audio", "volume": 0.3, "clips": [
                           {"type": "media", "source": m["music"], "start": 0, "duration": t}]}]}


async def render(k, doc: dict, out: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    ref = await k.invoke("compiler.render", {"project": doc, "output": out})
    info = await k.jobs.wait(ref.job_id, timeout=1800)
    wall = time.perf_counter() - t0
    assert info.state.value == "succeeded", info.error
    return wall, json.loads(Path(out + ".render.json").read_text())


async def main(repeat: int) -> None:
    import imageio_ffmpeg

    from reelkit import Kernel

    m = media(imageio_ffmpeg.get_ffmpeg_exe())
    doc = project(m)
    work = Path(tempfile.mkdtemp(prefix="reelkit-bench-cluster-"))
    base = {"data_dir": str(work / "d"), "cache_dir": str(work / "c"), "config_dir": str(work / "cfg")}
    singles, clustered, stats = [], [], {}
    async with Kernel(settings=base, entry_points=False) as k:
        for i in range(repeat):
            singles.append((await render(k, doc, str(work / f"single{i}.mp4")))[0])
    local = {"address": "local", "workers": 2, "threads_per_worker": 1}
    async with Kernel(settings={**base, "cluster": local}, entry_points=False) as k:
        t0 = time.perf_counter()
        await k.invoke("cluster.status", {})
        startup = time.perf_counter() - t0
        for i in range(repeat):
            wall, sidecar = await render(k, doc, str(work / f"cluster{i}.mp4"))
            clustered.append(wall)
            stats = sidecar["cluster"]
    short = project(m, 12)
    fixed, worker_s = [], []
    for n in (2, 12):
        cfg = {**local, "segment_seconds": 12 / n, "min_segment_seconds": 0.5}
        async with Kernel(settings={**base, "cluster": cfg}, entry_points=False) as k:
            await k.invoke("cluster.status", {})
            runs = [await render(k, short, str(work / f"short{n}_{i}.mp4")) for i in range(repeat)]
            fixed.append(statistics.median(r[0] for r in runs))
            worker_s.append(statistics.median(sum(r[1]["cluster"]["segment_walls"]) for r in runs))
    s, c = statistics.median(singles), statistics.median(clustered)
    per_segment = (fixed[1] - fixed[0]) / 10
    per_segment_work = (worker_s[1] - worker_s[0]) / 10
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} (1 min) at the end")
    print(f"60 s 720p, one process          : {s:7.2f} s  (runs {', '.join(f'{x:.2f}' for x in singles)})")
    print(f"60 s 720p, local cluster 2 x 1  : {c:7.2f} s  (runs {', '.join(f'{x:.2f}' for x in clustered)})")
    print(f"ratio cluster / one process     : {c / s:7.3f}  (goal <= 1.15: {'PASS' if c / s <= 1.15 else 'MISS'})")
    print(f"segments {stats.get('segments')} at frames {stats.get('windows')}; segment walls {stats.get('segment_walls')}"
          f"; audio mix {stats.get('audio_wall')} s")
    print(f"  storage check {stats.get('check_wall')} s, segments {stats.get('segments_wall')} s, "
          f"join {stats.get('join_wall')} s")
    print(f"local cluster start-up (once)   : {startup:7.2f} s")
    print(f"12 s project, 2 vs 12 segments  : {fixed[0]:.2f} s vs {fixed[1]:.2f} s -> fixed cost {per_segment:.3f} s "
          "per segment (wall, 2 workers)")
    print(f"  segment task time, summed    : {worker_s[0]:.2f} s vs {worker_s[1]:.2f} s -> {per_segment_work:.3f} "
          "worker-seconds per segment")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    asyncio.run(main(ap.parse_args().repeat))
