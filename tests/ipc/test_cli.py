"""`reelkit serve` as a real process: the ready line, the token file, a client, a graceful SIGTERM; and
`reelkit serve --stdio` as a sidecar child process with a real kernel."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from pathlib import Path

from reelkit.kernel.ipc.stdio import frame, read_frame

from .helpers import call, run

REELKIT = [sys.executable, "-m", "reelkit.kernel"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    for name in ("DATA", "CACHE", "CONFIG"):
        env[f"REELKIT_{name}_DIR"] = str(tmp_path / name.lower())
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def test_serve_writes_a_private_token_and_shuts_down_on_sigterm(tmp_path: Path) -> None:
    async def main() -> None:
        from websockets.asyncio.client import connect

        token_file = tmp_path / "secret" / "token"
        proc = await asyncio.create_subprocess_exec(
            *REELKIT, "serve", "--port", "0", "--token-file", str(token_file), env=_env(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            ready = json.loads(line)
            assert ready["url"].startswith("ws://127.0.0.1:") and ready["token_file"] == str(token_file)
            assert "token" not in ready  # printed only with --print-token
            assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
            token = token_file.read_text().strip()
            assert len(token) >= 32
            async with connect(ready["url"], additional_headers={"Authorization": f"Bearer {token}"}) as ws:
                reply = await call(ws, "kernel.health")
                assert "result" in reply, reply
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
            assert not token_file.exists()  # a per-run token is removed at shutdown
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    run(main(), timeout=120)


def test_serve_refuses_a_non_loopback_host(tmp_path: Path) -> None:
    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            *REELKIT, "serve", "--host", "0.0.0.0", "--port", "0", env=_env(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 1
        report = json.loads(next(ln for ln in err.decode().splitlines() if ln.startswith('{"code"')))
        assert out == b"" and report["code"] == "settings.invalid" and "allow_remote" in report["message"]

    run(main(), timeout=120)


def test_stdio_sidecar_with_a_real_kernel(tmp_path: Path) -> None:
    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            *REELKIT, "serve", "--stdio", env=_env(tmp_path), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

        async def ask(msg: dict) -> dict:
            proc.stdin.write(frame(json.dumps(msg)))
            await proc.stdin.drain()
            return json.loads(await asyncio.wait_for(read_frame(proc.stdout, 1 << 24), 60))

        try:
            doc = await ask({"jsonrpc": "2.0", "method": "rpc.discover", "id": 1})
            names = {m["name"] for m in doc["result"]["methods"]}
            assert "kernel.health" in names
            missing = await ask({"jsonrpc": "2.0", "method": "kernel.no_such", "id": 2})
            assert missing["error"]["code"] == -32601 and missing["id"] == 2
            proc.stdin.close()
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    run(main(), timeout=120)


def test_stdio_sidecar_exits_non_zero_on_broken_framing(tmp_path: Path) -> None:
    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            *REELKIT, "serve", "--stdio", env=_env(tmp_path), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        proc.stdin.write(b"GET / HTTP/1.1\r\n\r\n")
        await proc.stdin.drain()
        err = json.loads(await asyncio.wait_for(read_frame(proc.stdout, 1 << 20), 60))
        assert err["error"]["code"] == -32700 and err["id"] is None
        assert await asyncio.wait_for(proc.wait(), 30) == 1
        assert b"ipc.stdio_failed" in await proc.stderr.read()

    run(main(), timeout=120)


def test_serve_reads_the_ipc_settings_section(tmp_path: Path) -> None:
    """[ipc] from the environment: a fixed token with narrow grants, an extra token with all of them."""
    fixed, admin = "fixed-token-0123456789abcdef", "admin-token-0123456789abcdef"

    async def main() -> None:
        from websockets.asyncio.client import connect

        env = _env(tmp_path, REELKIT_IPC__PORT="0", REELKIT_IPC__TOKEN=fixed, REELKIT_IPC__GRANTS='["media"]',
                   REELKIT_IPC__TOKENS=json.dumps({admin: ["*"]}))
        proc = await asyncio.create_subprocess_exec(*REELKIT, "serve", env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        try:
            ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
            assert ready["grants"] == ["media"]
            for token, expect in ((fixed, "permission.denied"), (admin, None)):
                async with connect(ready["url"], additional_headers={"Authorization": f"Bearer {token}"}) as ws:
                    reply = await call(ws, "kernel.health")
                    assert (reply.get("error") or {}).get("data", {}).get("code") == expect, reply
            proc.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
            assert Path(ready["token_file"]).read_text().strip() == fixed  # a configured token file stays
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    run(main(), timeout=120)


def test_serve_on_ipv6_loopback_prints_a_bracketed_url(tmp_path: Path) -> None:
    import socket

    import pytest

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback (::1)")

    async def main() -> None:
        from websockets.asyncio.client import connect

        proc = await asyncio.create_subprocess_exec(
            *REELKIT, "serve", "--host", "::1", "--port", "0", "--print-token", env=_env(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
            assert ready["url"] == f"ws://[::1]:{ready['port']}/"
            async with connect(ready["url"], additional_headers={"Authorization": f"Bearer {ready['token']}"}) as ws:
                assert "result" in await call(ws, "kernel.health")
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    run(main(), timeout=120)
