"""File names that are not UTF-8 (``bad\\xff-name.mp4``) through import, listing and events, with real
clients of a real kernel: over a WebSocket with two clients at once, and over stdio with a real sidecar.

Before kernel.ipc.wire, such a name dropped every subscribed client without a close frame, cancelled
their jobs, made kernel.job_status and filesystem.list fail, and killed the stdio writer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reelkit import Kernel
from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
from reelkit.kernel.ipc.stdio import frame, read_frame
from reelkit.kernel.ipc.websocket import WebSocketServer

from .helpers import call, connect, recv_json, run

BAD = b"bad\xff-name.mp4"
ALL_TOKEN = "all-token-0123456789abcdef"
MEDIA_TOKEN = "media-token-0123456789abcdef"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes; Windows' are UTF-16")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A folder holding a real clip and the same clip under a name that is not UTF-8."""
    import imageio_ffmpeg

    media = tmp_path / "media"
    media.mkdir()
    ok = media / "ok.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=96x64:rate=10:duration=0.5", "-pix_fmt", "yuv420p", str(ok)], check=True)
    try:
        os.link(ok, os.fsencode(media) + b"/" + BAD)
    except OSError as e:  # a file system that refuses such names cannot hold the case at all
        pytest.skip(f"this file system refuses non-UTF-8 names: {e}")
    return media


def _bytes_of(obj: dict[str, Any], key: str) -> bytes:
    """The exact bytes of a name on the wire: its ``_bytes_b64`` sibling, checked against the text form."""
    if key + "_bytes_b64" not in obj:
        return obj[key].encode("utf-8")  # plain text: strict UTF-8 must work
    raw = base64.b64decode(obj[key + "_bytes_b64"])
    assert os.fsencode(obj[key]) == raw  # the escaped text is lossless too
    return raw


async def _until(ws: Any, pred: Any, timeout: float = 30) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            msg = await recv_json(ws, timeout)
            seen.append(msg)
            if pred(msg):
                return seen


def _topic(msg: dict[str, Any]) -> str:
    return msg.get("params", {}).get("topic", "") if msg.get("method") == "rpc.event" else ""


def test_two_websocket_clients_keep_their_connection_and_jobs(tmp_path: Path, folder: Path) -> None:
    async def main() -> None:
        settings = {**{k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")},
                    "filesystem": {"roots": [str(tmp_path)]}}
        async with Kernel(settings=settings, builtins=["media", "filesystem"], entry_points=False) as k:
            tokens = TokenTable({ALL_TOKEN: ["*"], MEDIA_TOKEN: ["media", "filesystem", "kernel"]})
            server = await WebSocketServer(KernelDispatcher(k), tokens, port=0).start()
            try:
                async with connect(server, token=ALL_TOKEN) as a, connect(server, token=MEDIA_TOKEN) as b:
                    await call(a, "rpc.subscribe", {"pattern": "*"})
                    await call(b, "rpc.subscribe", {"pattern": "media.*"}, rid="sb")
                    await call(b, "rpc.subscribe", {"pattern": "job.*"}, rid="sj")
                    job = (await call(a, "media.import", {"paths": [str(folder)]}, rid=2))["result"]
                    seen_a = await _until(a, lambda m: _topic(m) in ("job.succeeded", "job.failed", "job.cancelled"))
                    assert _topic(seen_a[-1]) == "job.succeeded", seen_a[-1]  # not cancelled: A was never dropped
                    seen_b = await _until(b, lambda m: _topic(m) == "job.succeeded")
                    for seen in (seen_a, seen_b):
                        found = [_bytes_of(m["params"]["event"], "path") for m in seen
                                 if _topic(m) == "media.file.discovered"]
                        assert os.fsencode(folder) + b"/" + BAD in found, found
                    # both clients still answer, and the job's status serializes with the name in it
                    for ws, rid in ((a, 3), (b, 4)):
                        status = await call(ws, "kernel.job_status", {"job_id": job["job_id"]}, rid=rid)
                        assert status["result"]["state"] == "succeeded", status
                        text = json.dumps(status["result"])
                        assert "bad\\udcff-name.mp4" in text
                    listing = (await call(b, "filesystem.list", {"path": str(folder)}, rid=5))["result"]
                    names = {_bytes_of(e, "name") for e in listing["entries"]}
                    assert names == {b"ok.mp4", BAD}
                    # the listed text names the file exactly: passed back, it reaches the same file
                    bad = next(e for e in listing["entries"] if "name_bytes_b64" in e)
                    assert os.path.exists(os.fsencode(bad["path"]))
                    assert (await call(a, "kernel.health", rid=6))["result"]["state"] in ("ok", "degraded")
            finally:
                await server.close()

    run(main(), timeout=120)


def test_stdio_writer_survives_non_utf8_names(tmp_path: Path, folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "REELKIT_FILESYSTEM__ROOTS": json.dumps([str(tmp_path)])}
    for name in ("DATA", "CACHE", "CONFIG"):
        env[f"REELKIT_{name}_DIR"] = str(tmp_path / name.lower())

    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kernel", "serve", "--stdio", env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

        async def send(msg: dict[str, Any]) -> None:
            proc.stdin.write(frame(json.dumps(msg)))
            await proc.stdin.drain()

        async def recv() -> Any:
            body = await asyncio.wait_for(read_frame(proc.stdout, 1 << 24), 60)
            assert body is not None, "the sidecar closed stdout"
            return json.loads(body)

        try:
            await send({"jsonrpc": "2.0", "method": "rpc.subscribe", "params": ["*"], "id": 1})
            assert "result" in await recv()
            await send({"jsonrpc": "2.0", "method": "media.import", "params": {"paths": [str(folder)]}, "id": 2})
            discovered: list[bytes] = []
            while True:
                msg = await recv()
                if _topic(msg) == "media.file.discovered":
                    discovered.append(_bytes_of(msg["params"]["event"], "path"))
                if _topic(msg) in ("job.succeeded", "job.failed", "job.cancelled"):
                    assert _topic(msg) == "job.succeeded", msg
                    break
            assert os.fsencode(folder) + b"/" + BAD in discovered
            await send({"jsonrpc": "2.0", "method": "filesystem.list", "params": {"path": str(folder)}, "id": 3})
            while "id" not in (reply := await recv()):
                pass
            assert any(base64.b64decode(e.get("name_bytes_b64", "")) == BAD for e in reply["result"]["entries"])
            await send({"jsonrpc": "2.0", "method": "kernel.health", "id": 4})
            while (reply := await recv()).get("id") != 4:
                pass
            assert "result" in reply  # the writer task is alive: the server still answers
            proc.stdin.close()
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    run(main(), timeout=180)
