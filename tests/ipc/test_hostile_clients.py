"""Hostile clients over a real WebSocket: bad frames, exclusions in discovery and events, the Host check
(DNS rebinding), IPv6 URLs and rpc.cancel of unknown jobs. Every bad message gets a JSON-RPC error; the
connection and every other client keep working."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest

from reelkit import Kernel
from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
from reelkit.kernel.ipc.websocket import WebSocketServer

from .helpers import TOKEN, FakeDispatcher, call, connect, recv_json, run, serving

NARROW = "narrow-token-0123456789abcdef"

# (raw text frame, the JSON-RPC error code, the id it must be answered with)
BAD_FRAMES = [
    ('{"jsonrpc":"2.0","method":"demo.echo","params":{"value":1},"id":"\\ud800"}', -32600, "\ud800"),
    ('{"jsonrpc":"2.0","method":"demo.echo","params":{"value":1},"id":"x\\udcff"}', -32600, "x\udcff"),
    ('{"jsonrpc":"2.0","method":"demo.\\udcffecho","id":7}', -32600, 7),
    ('{"jsonrpc":"2.0","method":"demo.echo","id":1e400}', -32600, None),
    ('{"jsonrpc":"2.0","method":"demo.echo","params":{"value":-1e400},"id":8}', -32602, 8),
    ('{"jsonrpc":"2.0","method":"demo.echo","params":{"value":"\\udcff"},"id":9}', None, 9),  # echoed back
    ('{"jsonrpc":"2.0","method":"demo.echo","id":', -32700, None),
    ('{"jsonrpc":"2.0","method":"demo.echo","id":NaN}', -32700, None),
    ('[{"jsonrpc":"2.0","method":"x\\ud800","id":1},{"jsonrpc":"2.0","method":"demo.echo","id":2,'
     '"params":{"value":3}}]', "batch", None),
]


@pytest.mark.parametrize("text,code,rid", BAD_FRAMES, ids=[f"frame{i}" for i in range(len(BAD_FRAMES))])
def test_a_bad_frame_is_answered_and_keeps_every_client(text: str, code: Any, rid: Any) -> None:
    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake) as server, connect(server) as ws, connect(server) as other:
            await call(other, "rpc.subscribe", {"pattern": "demo.*"})
            await ws.send(text)
            reply = await recv_json(ws)
            if code == "batch":
                first, second = reply
                assert first["error"]["code"] == -32600 and second["result"] == 3
            elif code is None:
                assert reply["result"] == "\udcff" and reply["id"] == rid
            else:
                assert reply["error"]["code"] == code, reply
                assert reply["id"] == rid
                assert reply["error"]["message"]
            # the same connection answers the next call, and the other client is still served events
            assert (await call(ws, "subtract", [5, 3], rid=100))["result"] == 2
            await call(ws, "demo.publish", {"count": 1}, rid=101)
            event = await recv_json(other)
            assert event["params"]["topic"] == "demo.ticked"

    run(main())


def test_binary_frame_of_invalid_utf8_is_a_parse_error_not_a_disconnect() -> None:
    async def main() -> None:
        async with serving() as server, connect(server) as ws:
            await ws.send(b'{"jsonrpc":"2.0","method":"\xff\xfe","id":1}')
            assert (await recv_json(ws))["error"]["code"] == -32700
            assert (await call(ws, "subtract", [2, 1], rid=2))["result"] == 1

    run(main())


def test_exclusions_hold_in_discovery_events_and_calls() -> None:
    """A token with ["*", "!security"] neither lists, receives nor calls security.* (one grant matcher)."""

    async def main() -> None:
        fake = FakeDispatcher()
        tokens = {TOKEN: ["*"], NARROW: ["*", "!security"]}
        async with serving(fake, tokens=tokens) as server, connect(server) as full, \
                connect(server, token=NARROW) as narrow, connect(server) as publisher:
            doc = (await call(narrow, "rpc.discover"))["result"]
            names = {m["name"] for m in doc["methods"]}
            assert "demo.echo" in names and not any(n.startswith("security.") for n in names)
            assert "security.secret_get" in {m["name"] for m in (await call(full, "rpc.discover"))["result"]["methods"]}
            denied = await call(narrow, "security.secret_get", {"name": "x"}, rid=2)
            assert denied["error"]["data"]["code"] == "permission.denied"
            for ws in (full, narrow):
                await call(ws, "rpc.subscribe", {"pattern": "*"}, rid=3)
            # published by a third client: call() skips events while it waits for its answer
            await call(publisher, "demo.publish", {"count": 1, "topic": "security.vault.opened"}, rid=4)
            await call(publisher, "demo.publish", {"count": 1, "topic": "demo.ticked"}, rid=5)
            got_full = [(await recv_json(full))["params"]["topic"] for _ in range(2)]
            assert got_full == ["security.vault.opened", "demo.ticked"]
            # the narrow client's first event is the demo one: the security event was never delivered
            assert (await recv_json(narrow))["params"]["topic"] == "demo.ticked"

    run(main())


def test_discovery_and_events_of_a_real_kernel_honour_exclusions(tmp_path: Any) -> None:
    async def main() -> None:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, builtins=True, entry_points=False) as k:
            server = await WebSocketServer(KernelDispatcher(k), TokenTable({NARROW: ["*", "!security"]}), port=0).start()
            try:
                async with connect(server, token=NARROW) as ws:
                    doc = (await call(ws, "rpc.discover"))["result"]
                    assert "kernel.health" in {m["name"] for m in doc["methods"]}
                    assert not [m["name"] for m in doc["methods"] if m["name"].startswith("security.")]
                    assert not [t for t in doc["x-events"] if t.startswith("security.")]
                    assert "job.succeeded" in doc["x-events"]
                    missing = await call(ws, "rpc.cancel", {"job_id": "no-such-job"}, rid=2)
                    assert missing["error"]["data"]["code"] == "job.not_found", missing
            finally:
                await server.close()

    run(main(), timeout=60)


def test_rpc_cancel_unknown_job_is_job_not_found_and_another_clients_job_is_denied() -> None:
    async def main() -> None:
        async with serving() as server, connect(server) as ws, connect(server) as other:
            missing = await call(ws, "rpc.cancel", {"job_id": "job999"})
            assert missing["error"]["data"]["code"] == "job.not_found"
            assert missing["error"]["code"] == -32004
            job = (await call(ws, "work.run", {"steps": 1000}, rid=2))["result"]
            denied = await call(other, "rpc.cancel", [job["job_id"]], rid=3)
            assert denied["error"]["data"]["code"] == "permission.denied"
            assert (await call(ws, "rpc.cancel", [job["job_id"]], rid=4))["result"]["cancel_requested"]

    run(main())


async def _handshake(port: int, host_header: str | None, family: int = socket.AF_INET, addr: str = "127.0.0.1") -> str:
    """A raw WebSocket opening handshake with a chosen Host header; the HTTP status line."""
    reader, writer = await asyncio.open_connection(addr, port, family=family)
    lines = ["GET / HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
             f"Authorization: Bearer {TOKEN}"]
    if host_header is not None:
        lines.insert(1, f"Host: {host_header}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = (await asyncio.wait_for(reader.readline(), 10)).decode()
    writer.close()
    return status


def test_host_header_must_name_the_loopback_server() -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends no Origin; its Host gives it away."""

    async def main() -> None:
        async with serving() as server:
            port = server.port
            for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", f"attacker:{port}"):
                assert " 403 " in await _handshake(port, host), host
            for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}"):
                assert " 101 " in await _handshake(port, host), host
            async with connect(server) as ws:  # a normal client sends its own correct Host
                assert (await call(ws, "subtract", [3, 1]))["result"] == 2

    run(main())


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_loopback_url_is_bracketed_and_usable() -> None:
    async def main() -> None:
        from websockets.asyncio.client import connect as ws_connect

        server = WebSocketServer(FakeDispatcher(), TokenTable({TOKEN: ["*"]}), host="::1", port=0)
        await server.start()
        try:
            assert server.url == f"ws://[::1]:{server.port}/"
            async with ws_connect(server.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
                assert (await call(ws, "subtract", [10, 4]))["result"] == 6
            assert " 101 " in await _handshake(server.port, f"[::1]:{server.port}", socket.AF_INET6, "::1")
        finally:
            await server.close()

    run(main())


def test_one_encoder_writes_lone_surrogates_as_escapes_with_the_bytes_form() -> None:
    from reelkit.kernel.ipc.wire import dumps

    text = dumps({"name": "bad\udcff.mp4", "paths": ["ok", "x\udc80"], "n": 1, "id": "\ud800"})
    assert text.encode("utf-8")  # never raises
    back = json.loads(text)
    assert back["name"] == "bad\udcff.mp4" and back["name_bytes_b64"] == "YmFk/y5tcDQ="
    assert back["paths_bytes_b64"] == [None, "eIA="]
    assert back["id"] == "\ud800" and "id_bytes_b64" not in back  # no byte stands behind \ud800
    assert dumps({"a": "é"}) == '{"a":"é"}'  # the fast path is unchanged
