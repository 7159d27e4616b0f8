"""Studio over plain HTTP and WebSocket clients (no browser): /media confinement and ranges, the Host
check, the WebSocket's auth paths (token, cookie, Origin), grants carried by the cookie, and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def _session(studio: Any, grants: list[str] | None = None) -> Iterator[httpx.Client]:
    """An HTTP client holding a studio session cookie from a fresh one-time login."""
    with httpx.Client(base_url=studio.url, follow_redirects=False, timeout=30) as client:
        r = client.get(studio.login_url(grants).removeprefix(studio.url.rstrip("/")))
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
        yield client


def test_media_bytes_with_ranges_inside_the_roots(studio: Any) -> None:
    clip = studio.media["red"]
    data = clip.read_bytes()
    with _session(studio) as c:
        whole = c.get("/media", params={"path": str(clip)})
        assert whole.status_code == 200 and whole.content == data and whole.headers["content-type"] == "video/mp4"
        part = c.get("/media", params={"path": str(clip)}, headers={"Range": "bytes=100-299"})
        assert part.status_code == 206 and part.content == data[100:300]
        assert part.headers["content-range"] == f"bytes 100-299/{len(data)}"
        tail = c.get("/media", params={"path": str(clip)}, headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == data[-50:]
        past = c.get("/media", params={"path": str(clip)}, headers={"Range": f"bytes={len(data)}-"})
        assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(data)}"


def test_media_outside_the_roots_or_without_a_session_is_refused(studio: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"  # tmp_path is outside the studio's filesystem root
    secret.write_text("private")
    link = studio.root / "link-out.txt"
    link.symlink_to(secret)
    with _session(studio) as c:
        assert c.get("/media", params={"path": str(secret)}).status_code == 403
        assert c.get("/media", params={"path": str(link)}).status_code == 403  # a symlink does not leave the root
        assert c.get("/media", params={"path": str(studio.root / "media/../../" / secret.name)}).status_code in (403, 404)
        assert c.get("/media", params={"path": str(studio.media_dir)}).status_code == 404  # not a regular file
        cross = c.get("/media", params={"path": str(studio.media["red"])}, headers={"Sec-Fetch-Site": "same-site"})
        assert cross.status_code == 401  # another local port's page: the cookie is not honoured
    with _session(studio, ["language"]) as narrow:  # grants without filesystem, media or compiler: no roots
        assert narrow.get("/media", params={"path": str(studio.media["red"])}).status_code == 403
    anonymous = httpx.get(studio.url + "media", params={"path": str(studio.media["red"])})
    assert anonymous.status_code == 401


def test_a_foreign_host_header_is_refused(studio: Any) -> None:
    r = httpx.get(studio.url, headers={"Host": "evil.example"})
    assert r.status_code == 421  # DNS rebinding: a page of evil.example resolving to 127.0.0.1


def test_the_websocket_speaks_the_same_protocol_with_a_token_or_the_cookie(studio: Any) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    ws_url = "ws" + studio.url[4:]
    with _session(studio, ["media"]) as c:
        name = f"reelkit_studio_{studio.server.port}"
        cookie = f"{name}={c.cookies[name]}"

    async def ask(ws: Any, method: str, params: Any = None) -> dict:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}))
        return json.loads(await ws.recv())

    async def status(**kw: Any) -> int:
        try:
            async with connect(ws_url, **kw):
                return 101
        except InvalidStatus as e:
            return e.response.status_code

    async def main() -> None:
        async with connect(ws_url, additional_headers={"Authorization": f"Bearer {studio.token}"}) as ws:
            assert (await ask(ws, "kernel.health"))["result"]["state"] in ("ok", "warn", "error")
            with pytest.raises(ConnectionClosed) as closed:  # frames above max_message_bytes: 1009, as before
                await ws.send("x" * (2 << 20))
                await ws.recv()
            assert closed.value.rcvd.code == 1009
        own = studio.url.rstrip("/")
        async with connect(ws_url, additional_headers={"Cookie": cookie}, origin=own) as ws:
            denied = await ask(ws, "kernel.health")  # the cookie carries the login's grants: media only
            assert denied["error"]["data"]["code"] == "permission.denied"
            assert "result" in await ask(ws, "media.formats")
        assert await status(additional_headers={"Cookie": cookie}, origin="http://127.0.0.1:1") == 403
        assert await status(additional_headers={"Cookie": cookie}) == 403  # no Origin: not studio's page
        assert await status(additional_headers={"Cookie": f"{name}=forged"}, origin=own) == 401
        assert await status(origin="http://evil.example", additional_headers={"Authorization": f"Bearer {studio.token}"}) == 403
        assert await status(additional_headers={"Authorization": "Bearer wrong-token-0123456789"}) == 401

    asyncio.run(main())


def test_reelkit_studio_prints_a_one_time_login_url(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("DATA", "CACHE", "CONFIG"):
        env[f"REELKIT_{name}_DIR"] = str(tmp_path / name.lower())

    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kernel", "studio", "--port", "0", "--no-browser", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
            assert ready["studio"] == f"http://127.0.0.1:{ready['port']}/" and ready["url"].startswith("ws://")
            async with httpx.AsyncClient(follow_redirects=False) as c:
                first = await c.get(ready["login_url"])
                assert first.status_code == 303 and f"reelkit_studio_{ready['port']}=" in first.headers["set-cookie"]
                page = await c.get(ready["studio"])  # the client kept the cookie
                assert page.status_code == 200 and "/assets/studio.js" in page.text
                assert (await c.get(ready["login_url"])).status_code == 401  # used once
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    asyncio.run(main())


def test_a_client_that_stops_reading_is_closed_and_the_others_are_served(studio: Any) -> None:
    """The send queue's backpressure holds on studio's WebSocket too: 1008 'too far behind', as in docs/ipc.md."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from reelkit.kernel.events import DynamicEvent

    ws_url = "ws" + studio.url[4:]
    auth = {"Authorization": f"Bearer {studio.token}"}

    async def main() -> None:
        async with connect(ws_url, additional_headers=auth, max_queue=4) as slow, \
                connect(ws_url, additional_headers=auth) as bystander:
            await slow.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "rpc.subscribe", "params": {"pattern": "flood.*"}}))
            assert "result" in json.loads(await slow.recv())
            for burst in range(40):  # 4 s of 2,000 events/s of 4 KB (32 MB, more than the socket buffers hold):
                for i in range(200):  # its socket stays full past stall_seconds (2 s)
                    studio.kernel.bus.publish(DynamicEvent(topic="flood.item.sent", data={"i": i, "pad": "y" * 4000}))
                await asyncio.sleep(0.1)
            await bystander.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "kernel.health"}))
            assert "result" in json.loads(await asyncio.wait_for(bystander.recv(), 20))
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(30):
                    while True:
                        await slow.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008, closed.value
            assert "too far behind" in closed.value.rcvd.reason

    asyncio.run(main())


def test_studio_on_the_ipv6_loopback(tmp_path: Path) -> None:
    """Bound to ::1: bracketed URLs, the Host check and a login work as on 127.0.0.1."""
    from reelkit import Kernel
    from reelkit.kernel.ipc.auth import TokenTable
    from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
    from reelkit.kernel.studio.server import StudioServer, kernel_roots

    async def main() -> None:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, builtins=["media"], entry_points=False) as k:
            d = KernelDispatcher(k)
            async with StudioServer(d, TokenTable({}), kernel_roots(k, d), host="::1", port=0) as server:
                assert server.http_url == f"http://[::1]:{server.port}/" and server.url.startswith("ws://[::1]:")
                async with httpx.AsyncClient(follow_redirects=False) as c:
                    assert (await c.get(server.login_url(["media"]))).status_code == 303
                    page = await c.get(server.http_url)
                    assert page.status_code == 200 and f"ws://[::1]:{server.port}" in page.headers["content-security-policy"]

    asyncio.run(main())
