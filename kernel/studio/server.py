"""Run :class:`~.app.StudioApp` under uvicorn on a loopback socket, beside a running kernel.

The socket is bound here (so ``port=0`` is known at once and a busy port is ``unavailable``), uvicorn's
own signal handling is turned off (``reelkit serve`` owns SIGINT/SIGTERM), and a graceful close first
lets the JSON-RPC sessions finish, then stops uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.dispatch import Dispatcher
from reelkit.kernel.ipc.session import Limits

from .logins import Logins

__all__ = ["StudioServer", "kernel_roots"]

log = logging.getLogger("reelkit.studio")


def kernel_roots(kernel: Any, dispatcher: Dispatcher) -> Any:
    """The folders a studio session may read bytes from, for its grants.

    The filesystem plugin's roots when the grants allow ``filesystem.roots`` (asked through the
    dispatcher, so the kernel's permission check decides), and the kernel's cache folder — where
    thumbnails, waveforms and preview frames are written — when they allow ``media`` or ``compiler``.
    """
    from reelkit.kernel.grants import Grants

    async def roots(grants: tuple[str, ...]) -> list[Path]:
        found: list[Path] = []
        try:
            result = await dispatcher.call("filesystem.roots", {}, grants)
            doc = json.loads(str(result)) if not isinstance(result, dict) else result
            found += [Path(r["path"]) for r in doc.get("roots", [])]
        except Exception:  # not granted, or no filesystem plugin: no roots from it
            pass
        if Grants.of(grants).allows("media") or Grants.of(grants).allows("compiler"):
            found.append(Path(kernel.paths.cache_dir))
        return found

    return roots


class StudioServer:
    """Studio and the JSON-RPC WebSocket on one port (``http://host:port/``, ``ws://host:port/``)."""

    def __init__(self, dispatcher: Dispatcher, tokens: TokenTable, roots: Any, *, host: str = "127.0.0.1",
                 port: int = 0, allowed_origins: Sequence[str] = (), allowed_hosts: Sequence[str] = (),
                 limits: Limits = Limits(), max_message_bytes: int = 1 << 20, logins: Logins | None = None) -> None:
        self.dispatcher = dispatcher
        self.tokens = tokens
        self.roots = roots
        self.host = host
        self.port = port
        self.allowed_origins = tuple(allowed_origins)
        self.allowed_hosts = tuple(allowed_hosts)
        self.limits = limits
        self.max_message_bytes = max_message_bytes
        self.logins = logins or Logins()
        self.studio: Any = None
        self._uvicorn: Any = None
        self._task: asyncio.Task[None] | None = None

    @property
    def _netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """``ws://host:port/`` (the JSON-RPC endpoint, as for the plain WebSocket server)."""
        return f"ws://{self._netloc}/"

    @property
    def http_url(self) -> str:
        """``http://host:port/``: the console."""
        return f"http://{self._netloc}/"

    def login_url(self, grants: Sequence[str]) -> str:
        """A fresh one-time login URL for a session with ``grants``."""
        return f"{self.http_url}login?token={self.logins.issue(grants)}"

    async def start(self) -> StudioServer:
        import uvicorn

        from reelkit.kernel.errors import Unavailable

        from .app import StudioApp

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            raise Unavailable(
                f"cannot listen on {self.host}:{self.port}: {e.strerror or e}; pick another --port (0 = any free one)",
                details={"host": self.host, "port": self.port},
            ) from e
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self.studio = StudioApp(self.dispatcher, self.tokens, self.logins, self.roots, port=self.port,
                                allowed_origins=self.allowed_origins, allowed_hosts=self.allowed_hosts,
                                limits=self.limits)
        config = uvicorn.Config(self.studio, lifespan="off", log_level="warning", access_log=False,
                                ws="websockets-sansio", ws_max_size=self.max_message_bytes,
                                ws_per_message_deflate=False, server_header=False, date_header=False,
                                ws_ping_interval=10, ws_ping_timeout=10,  # drops a client that stopped reading
                                timeout_graceful_shutdown=3)
        server = _Server(config)
        self._uvicorn = server
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                self._task.result()
                raise Unavailable("studio server did not start", details={"port": self.port})
            await asyncio.sleep(0.01)
        log.info("studio listening on %s", self.http_url)
        return self

    async def close(self, grace: float = 5.0) -> None:
        """Graceful shutdown: sessions first (their calls and jobs), then the HTTP server."""
        if self._uvicorn is None:
            return
        await self.studio.shutdown(grace)
        self._uvicorn.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)
        self._uvicorn = None

    async def __aenter__(self) -> StudioServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its signal handlers: ``reelkit serve`` installs its own."""

        @contextlib.contextmanager
        def capture_signals(self) -> Any:
            yield

    return Server


def _Server(config: Any) -> Any:  # noqa: N802 - a factory standing in for the class
    return _server_class()(config)
