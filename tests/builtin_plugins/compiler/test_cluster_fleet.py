"""A real fleet: ``dask scheduler`` and ``reelkit cluster worker`` processes; a worker killed mid-render,
a render cancelled on every worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from .cluster_media import counter_values, make_media

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ffmpegs(pids: list[int], writing: str = "") -> list[int]:
    """FFmpeg processes under ``pids`` (whose command line mentions ``writing``)."""
    out = []
    for pid in pids:
        try:
            for c in psutil.Process(pid).children(recursive=True):
                if "ffmpeg" in c.name() and writing in " ".join(c.cmdline()):
                    out.append(c.pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _all_ffmpegs_under(folder: str) -> list[int]:
    """FFmpeg processes anywhere on the machine writing into ``folder`` (orphans included)."""
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        if "ffmpeg" in (p.info["name"] or "") and any(folder in a for a in p.info["cmdline"] or []):
            found.append(p.pid)
    return found


@pytest.fixture
def fleet(tmp_path):
    """A scheduler and a way to start workers; everything is stopped afterwards."""
    port = _free_port()
    env = {**os.environ, "REELKIT_DATA_DIR": str(tmp_path / "wdata"), "REELKIT_CACHE_DIR": str(tmp_path / "wcache"),
           "REELKIT_CONFIG_DIR": str(tmp_path / "wconfig")}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"

    def worker(name: str) -> subprocess.Popen:
        p = subprocess.Popen([str(BIN / "reelkit"), "cluster", "worker", address, "--name", name], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        return p

    yield address, worker
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


async def _wait_workers(k, names: set[str], timeout: float = 90) -> None:
    """Until the scheduler lists exactly the workers ``names``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            s = await k.invoke("cluster.status", {})
            if {w.name for w in s.workers} == names:
                return
        except Exception:  # noqa: BLE001 - the scheduler may not listen yet
            pass
        await asyncio.sleep(0.3)
    raise AssertionError(f"workers {sorted(names)} did not join within {timeout}s")


def _slow_project(media: dict[str, str], seconds: float = 16) -> dict:
    return {"settings": {"width": 320, "height": 180, "fps": 30},
            "output": {"preset": "veryslow", "crf": 20, "audio_codec": "aac"},
            "tracks": [{"id": "v", "kind": "video", "clips": [
                {"type": "media", "source": media["counter"], "start": 0, "duration": seconds}]},
                {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "fleet", "start": 0,
                                                       "duration": seconds}]}]}


async def test_a_killed_worker_reruns_its_segment_and_cancel_stops_every_ffmpeg(make_kernel, fleet, tmp_path):
    """Kill a worker while it encodes: the render still succeeds with every frame. Then cancel a render
    running on two workers: every FFmpeg on every worker is gone within 2 s and nothing is left on disk."""
    import imageio_ffmpeg

    address, worker = fleet
    media = make_media(imageio_ffmpeg.get_ffmpeg_exe(), str(tmp_path))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    w1, w2 = worker("w1"), worker("w2")
    settings = {"cluster": {"address": address, "segment_seconds": 4, "min_segment_seconds": 1}}
    async with make_kernel(builtins=["media", "compiler", "cluster"], settings=settings) as k:
        await _wait_workers(k, {"w1", "w2"})
        out = str(out_dir / "killed.mp4")
        ref = await k.invoke("compiler.render", {"project": _slow_project(media), "output": out})
        t0 = time.monotonic()
        orphans = []
        while not orphans and time.monotonic() - t0 < 60:
            await asyncio.sleep(0.05)
            orphans = _ffmpegs([w1.pid])
        assert orphans, "worker w1 never started FFmpeg"
        w1.send_signal(signal.SIGKILL)
        info = await k.jobs.wait(ref.job_id, timeout=240)
        assert info.state.value == "succeeded", info.error
        assert counter_values(out, full=True) == list(range(16 * 30))
        used = json.loads(open(out + ".render.json").read())["cluster"]
        assert used["segments"] == 4 and len(used["on"]) == 1  # every segment ended on the survivor
        t1 = time.monotonic()
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in orphans) \
                and time.monotonic() - t1 < 2:
            await asyncio.sleep(0.05)
        assert not [p for p in orphans if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]

        w3 = worker("w3")
        await _wait_workers(k, {"w2", "w3"})
        ref = await k.invoke("compiler.render", {"project": _slow_project(media, 19),
                                                 "output": str(out_dir / "cancelled.mp4")})
        t0 = time.monotonic()
        both = False
        while not both and time.monotonic() - t0 < 60:
            await asyncio.sleep(0.05)
            both = bool(_ffmpegs([w2.pid], ".seg0") and _ffmpegs([w3.pid], ".seg0"))  # segments, not the audio mix
        assert both, "both workers should be encoding a segment"
        t1 = time.monotonic()
        k.jobs.cancel(ref.job_id)
        while (_ffmpegs([w2.pid, w3.pid]) or _all_ffmpegs_under(str(out_dir))) and time.monotonic() - t1 < 5:
            await asyncio.sleep(0.02)
        gone_after = time.monotonic() - t1
        info = await k.jobs.wait(ref.job_id, timeout=30)
    assert info.state.value == "cancelled"
    assert gone_after < 2.0
    left = {str(p.relative_to(out_dir)) for p in out_dir.rglob("*")}
    assert left == {"killed.mp4", "killed.mp4.render.json"}, left  # no parts, no partial file
