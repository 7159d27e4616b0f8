"""The WebSocket transport: one kernel, many clients, on loopback.

The opening handshake is refused (HTTP 403) for a ``Host`` that is not a loopback name (DNS rebinding) or an
Origin outside the allow-list, and (HTTP 401) without a known token, before any JSON-RPC is read. Each accepted connection gets a :class:`Session` and a writer
task draining its send queue, so a client that stops reading only ever blocks its own writer; when its
queue overflows the connection is closed with code 1008 and a reason saying so. Frames above
``max_message_bytes`` close the connection with 1009 (the ``websockets`` library enforces it while
reading, so a huge frame is never buffered whole).

``websockets`` is imported when a server starts, so ``import kernel.ipc`` stays light.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from .auth import TokenTable, host_allowed, origin_allowed, token_from_request
from .dispatch import Dispatcher
from .session import Limits, Session
from .wire import to_bytes

__all__ = ["WebSocketServer", "CLOSE_TOO_SLOW", "CLOSE_GOING_AWAY", "format_url"]

log = logging.getLogger("reelkit.ipc")

CLOSE_TOO_SLOW = 1008  # policy violation: the client fell too far behind
CLOSE_GOING_AWAY = 1001


def format_url(scheme: str, host: str, port: int, path: str = "/") -> str:
    """``ws://127.0.0.1:8765/``; an IPv6 address is bracketed (``ws://[::1]:8765/``, RFC 3986)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}{path}"


class WebSocketServer:
    """A JSON-RPC 2.0 server over WebSocket (``ws://host:port/``)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        tokens: TokenTable,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_origins: Sequence[str] = (),
        allowed_hosts: Sequence[str] = (),
        limits: Limits = Limits(),
        max_message_bytes: int = 1 << 20,
        close_timeout: float = 2.0,
    ) -> None:
        self.dispatcher = dispatcher
        self.tokens = tokens
        self.host = host
        self.port = port
        self.allowed_origins = tuple(allowed_origins)
        self.allowed_hosts = tuple(allowed_hosts)
        self.limits = limits
        self.max_message_bytes = max_message_bytes
        self.close_timeout = close_timeout
        self.sessions: dict[Any, Session] = {}
        self._grants: dict[Any, tuple[str, ...]] = {}
        self._writers: dict[Any, asyncio.Task[None]] = {}
        self._dropping: set[asyncio.Task[None]] = set()
        self._server: Any = None
        self._closing = False

    @property
    def url(self) -> str:
        """``ws://host:port/`` of the listening socket (IPv6 bracketed: ``ws://[::1]:port/``)."""
        return format_url("ws", self.host, self.port)

    async def start(self) -> WebSocketServer:
        """Start listening; ``port=0`` picks a free port (read it back from :attr:`port`)."""
        from websockets.asyncio.server import serve

        from reelkit.kernel.errors import Unavailable

        try:
            self._server = await self._listen(serve)
        except OSError as e:
            raise Unavailable(
                f"cannot listen on {self.host}:{self.port}: {e.strerror or e}; pick another --port (0 = any free one)",
                details={"host": self.host, "port": self.port},
            ) from e
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("ipc websocket listening on %s", self.url)
        return self

    async def _listen(self, serve: Any) -> Any:
        return await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._check,
            max_size=self.max_message_bytes,
            compression=None,  # loopback: deflate costs CPU and opens decompression-bomb questions
            close_timeout=self.close_timeout,
            server_header=None,
        )

    def _check(self, conn: Any, request: Any) -> Any:
        host = request.headers.get("Host")
        if not host_allowed(host, (self.host, *self.allowed_hosts)):
            log.warning("ipc: refused Host %r", host)
            return conn.respond(403, f"Host {host!r} is not this loopback server; connect to "
                                     f"{self.url} (or add the name to [ipc] allowed_hosts)\n")
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, self.allowed_origins):
            log.warning("ipc: refused origin %r", origin)
            return conn.respond(403, f"Origin {origin!r} is not allowed; add it to [ipc] allowed_origins\n")
        grants = self.tokens.grants_for(token_from_request(request.path, request.headers))
        if grants is None:
            return conn.respond(401, "Missing or wrong token: send 'Authorization: Bearer <token>' or ?token=\n")
        if self._closing:
            return conn.respond(503, "Server shutting down\n")
        self._grants[conn] = grants
        return None

    async def _handle(self, conn: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        grants = self._grants.pop(conn, ())
        peer = "%s:%s" % tuple(conn.remote_address[:2])
        session = Session(
            self.dispatcher, grants, self.limits, peer=peer, on_overflow=lambda n: self._too_slow(conn, n)
        )
        self.sessions[conn] = session
        writer = self._writers[conn] = asyncio.create_task(self._write(conn, session))
        try:
            async for message in conn:
                await session.receive(message)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.pop(conn, None)
            self._writers.pop(conn, None)
            await session.close()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def _write(self, conn: Any, session: Session) -> None:
        from websockets.exceptions import ConnectionClosed

        queue = session.queue
        try:
            while (text := await queue.get()) is not None:
                queue.writing()
                if not len(queue):
                    await conn.send(to_bytes(text), text=True)
                else:
                    await self._write_burst(conn, queue, text)
                queue.written()
        except ConnectionClosed:
            pass

    @staticmethod
    async def _write_burst(conn: Any, queue: Any, first: str) -> None:
        # Several messages are waiting (a client with many calls in flight, an event burst): frame them
        # all and hand the socket one write instead of one system call per message.
        protocol = conn.protocol
        async with conn.send_context():
            protocol.send_text(to_bytes(first))
            for _ in range(255):
                text = queue.get_nowait()
                if text is None:
                    break
                protocol.send_text(to_bytes(text))
            chunks = protocol.data_to_send()
            conn.transport.write(b"".join(chunks))
            if not all(chunks) and conn.transport.can_write_eof():  # b"" = end of stream, as websockets does
                conn.transport.write_eof()

    def _too_slow(self, conn: Any, limit: int) -> None:
        reason = f"too far behind: over {limit} messages unsent and not reading; read faster or subscribe to less"
        log.warning("ipc: closing %s: %s", conn.remote_address, reason)
        task = asyncio.get_running_loop().create_task(self._close_conn(conn, CLOSE_TOO_SLOW, reason))
        self._dropping.add(task)
        task.add_done_callback(self._dropping.discard)

    async def _close_conn(self, conn: Any, code: int, reason: str) -> None:
        # The close frame waits behind the unsent backlog; a client that never reads never sees it, and
        # websockets would wait for buffer space without a deadline: abort the TCP connection after close_timeout.
        try:
            await asyncio.wait_for(conn.close(code, reason), self.close_timeout)
        except Exception:
            pass
        finally:
            if conn.state.name != "CLOSED":
                conn.transport.abort()

    async def close(self, grace: float = 5.0) -> None:
        """Graceful shutdown: refuse new clients, let calls finish for ``grace`` s, cancel the rest, close."""
        if self._server is None:
            return
        self._closing = True
        self._server.close(close_connections=False)
        sessions = list(self.sessions.values())
        await asyncio.gather(*(s.drain(grace) for s in sessions))
        await asyncio.gather(*(s.close() for s in sessions))
        writers = list(self._writers.values())
        if writers:  # the last responses (including "cancelled: shutting down" errors) go out first
            await asyncio.wait(writers, timeout=1.0)
        closing = [self._close_conn(c, CLOSE_GOING_AWAY, "server shutting down") for c in list(self.sessions)]
        await asyncio.gather(*closing, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> WebSocketServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
