"""Helpers for the IPC tests: run a coroutine, start a real server on loopback, talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.session import Limits
from reelkit.kernel.ipc.websocket import WebSocketServer

from .fakes import TOKEN, FakeDispatcher


def run(coro: Any, timeout: float = 30) -> Any:
    """Run one async test body with a hard time limit."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def serving(dispatcher: Any = None, *, tokens: dict[str, list[str]] | None = None, **kw: Any
                  ) -> AsyncIterator[WebSocketServer]:
    """A WebSocket server on 127.0.0.1 and a free port, closed afterwards."""
    table = TokenTable(tokens if tokens is not None else {TOKEN: ["*"]})
    kw.setdefault("allowed_origins", ["http://localhost:*", "tauri://localhost"])
    server = WebSocketServer(dispatcher or FakeDispatcher(), table, host="127.0.0.1", port=0, **kw)
    await server.start()
    try:
        yield server
    finally:
        await server.close(grace=0.5)


def connect(server: WebSocketServer, token: str | None = TOKEN, **kw: Any) -> Any:
    """A ``websockets`` client connection (an async context manager) carrying ``token``."""
    from websockets.asyncio.client import connect as ws_connect

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    return ws_connect(server.url, additional_headers=headers, compression=None, **kw)


async def call(ws: Any, method: str, params: Any = None, rid: Any = 1) -> dict[str, Any]:
    """Send one request and return its response, skipping event notifications."""
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": rid}
    if params is not None:
        msg["params"] = params
    await ws.send(json.dumps(msg))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if isinstance(reply, list) or reply.get("id") == rid:
            return reply


async def recv_json(ws: Any, timeout: float = 10) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


__all__ = ["run", "serving", "connect", "call", "recv_json", "TOKEN", "FakeDispatcher", "Limits"]
