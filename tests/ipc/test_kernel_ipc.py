"""A real Kernel behind the WebSocket server: commands, grants, discovery, job progress and cancel."""

from __future__ import annotations

import asyncio

from reelkit import Kernel
from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
from reelkit.kernel.ipc.websocket import WebSocketServer

from .helpers import call, connect, recv_json, run
from .ipc_plugin import PLUGIN

FRONT = "frontend-token-abcdefghijkl"
FULL = "full-token-abcdefghijklmnop"


def _kernel(tmp_path) -> Kernel:
    dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
    return Kernel(settings=dirs, builtins=False, plugins=[PLUGIN], entry_points=False)


async def _server(k: Kernel) -> WebSocketServer:
    tokens = TokenTable({FULL: ["*"], FRONT: ["ipcdemo", "kernel.job_*"]})
    return await WebSocketServer(KernelDispatcher(k), tokens, host="127.0.0.1", port=0).start()


def test_calls_errors_and_discovery_through_a_real_kernel(tmp_path) -> None:
    async def main() -> None:
        async with _kernel(tmp_path) as k:
            server = await _server(k)
            try:
                async with connect(server, token=FRONT) as ws:
                    assert (await call(ws, "ipcdemo.add_numbers", {"a": 2, "b": 3.5}))["result"] == {"total": 5.5}
                    assert (await call(ws, "ipcdemo.add_numbers", [40, 2]))["result"] == {"total": 42}
                    bad = await call(ws, "ipcdemo.add_numbers", {"a": "two"})
                    assert bad["error"]["code"] == -32602 and bad["error"]["data"]["code"] == "input.invalid"
                    extra = await call(ws, "ipcdemo.add_numbers", {"a": 1, "nope": 1})
                    assert extra["error"]["data"]["code"] == "input.invalid"
                    missing = await call(ws, "ipcdemo.add_numbrs", {})
                    assert missing["error"]["code"] == -32601
                    assert "ipcdemo.add_numbers" in missing["error"]["message"]  # the kernel's "did you mean"
                    denied = await call(ws, "vault.secret_get", {"name": "db"})
                    assert denied["error"]["code"] == -32001 and denied["error"]["data"]["code"] == "permission.denied"
                    doc = (await call(ws, "rpc.discover"))["result"]
                    names = {m["name"] for m in doc["methods"]}
                    assert {"ipcdemo.add_numbers", "ipcdemo.count_up", "rpc.subscribe"} <= names
                    assert "vault.secret_get" not in names
                    add = next(m for m in doc["methods"] if m["name"] == "ipcdemo.add_numbers")
                    assert [(p["name"], p["required"]) for p in add["params"]] == [("a", True), ("b", False)]
                    assert add["result"]["schema"]["properties"]["total"]["type"] == "number"
                    assert "ipcdemo.note.posted" in doc["x-events"]
                async with connect(server, token=FULL) as ws:
                    assert (await call(ws, "vault.secret_get", {"name": "db"}))["result"] == {"value": "secret-of-db"}
            finally:
                await server.close()

    run(main())


def test_events_and_job_progress_reach_the_client_and_cancel_works(tmp_path) -> None:
    async def main() -> None:
        async with _kernel(tmp_path) as k:
            server = await _server(k)
            try:
                async with connect(server, token=FRONT) as ws:
                    await call(ws, "rpc.subscribe", {"pattern": "ipcdemo.*"})
                    await call(ws, "rpc.subscribe", {"pattern": "job.*"}, rid=2)
                    await call(ws, "ipcdemo.post_note", {"text": "hi", "tags": ["a"]}, rid=3)
                    note = await recv_json(ws)
                    assert note["params"]["topic"] == "ipcdemo.note.posted"
                    assert note["params"]["event"] == {"text": "hi", "tags": ["a"]}
                    # a short job: progress events, then job.succeeded with the result
                    ref = (await call(ws, "ipcdemo.count_up", {"steps": 5, "delay": 0.001}, rid=4))["result"]
                    assert set(ref) >= {"job_id", "kind"}
                    topics = []
                    while True:
                        msg = await recv_json(ws)
                        ev = msg["params"]["event"]
                        if ev.get("job", {}).get("job_id") != ref["job_id"]:
                            continue
                        topics.append(msg["params"]["topic"])
                        if msg["params"]["topic"] == "job.succeeded":
                            assert ev["job"]["result"] == {"counted": 5}
                            break
                    assert "job.progressed" in topics
                    # a long job, cancelled by the client that started it
                    ref = (await call(ws, "ipcdemo.count_up", {"steps": 100_000, "delay": 0.01}, rid=5))["result"]
                    await asyncio.sleep(0.05)
                    ok = await call(ws, "rpc.cancel", {"job_id": ref["job_id"]}, rid=6)
                    assert ok["result"]["cancel_requested"] is True
                    info = await k.jobs.wait(ref["job_id"], timeout=5)
                    assert info.state == "cancelled"
            finally:
                await server.close()

    run(main())


def test_disconnect_mid_job_cancels_it_and_others_are_served(tmp_path) -> None:
    async def main() -> None:
        async with _kernel(tmp_path) as k:
            server = await _server(k)
            try:
                async with connect(server, token=FULL) as bystander:
                    async with connect(server, token=FRONT) as ws:
                        ref = (await call(ws, "ipcdemo.count_up", {"steps": 100_000, "delay": 0.01}))["result"]
                    info = await k.jobs.wait(ref["job_id"], timeout=5)
                    assert info.state == "cancelled"
                    assert (await call(bystander, "ipcdemo.add_numbers", [1, 1]))["result"] == {"total": 2}
                    # the bus subscriptions of the gone client are gone too
                    assert not [s for s in k.bus.subscriptions() if s.name.startswith("ipc:")]
            finally:
                await server.close()

    run(main())


def test_sigterm_shuts_down_gracefully_and_the_client_sees_its_job_cancelled(tmp_path) -> None:
    """`reelkit serve`'s shutdown path: a client with a running job gets job.cancelled, then close 1001."""
    import os
    import signal
    import socket

    from reelkit.kernel.ipc.cli import _serve_websocket
    from reelkit.kernel.ipc.settings import IpcSettings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        async with _kernel(tmp_path) as k:
            settings = IpcSettings(port=port, token=FULL)
            serving_task = asyncio.create_task(_serve_websocket(k, settings, str(tmp_path / "tok"), False))
            for _ in range(200):
                if (tmp_path / "tok").exists():
                    break
                await asyncio.sleep(0.02)
            from websockets.asyncio.client import connect as ws_connect

            async with ws_connect(f"ws://127.0.0.1:{port}/", additional_headers={"Authorization": f"Bearer {FULL}"}) as ws:
                await call(ws, "rpc.subscribe", {"pattern": "job.*"})
                ref = (await call(ws, "ipcdemo.count_up", {"steps": 100_000, "delay": 0.01}, rid=2))["result"]
                os.kill(os.getpid(), signal.SIGTERM)
                topics = []
                try:
                    while True:
                        msg = await recv_json(ws)
                        if msg["params"]["event"]["job"]["job_id"] == ref["job_id"]:
                            topics.append(msg["params"]["topic"])
                except Exception as exc:
                    assert getattr(exc, "rcvd", None) is not None and exc.rcvd.code == 1001, exc
                assert topics[-1] == "job.cancelled", topics
            await asyncio.wait_for(serving_task, 10)
            assert k.jobs.get(ref["job_id"]).state == "cancelled"

    run(main())
