"""The studio ASGI app: the console's pages, the login, ``/media`` bytes and the JSON-RPC WebSocket.

The WebSocket speaks exactly the protocol of :mod:`reelkit.kernel.ipc.websocket` — each connection is a
:class:`~reelkit.kernel.ipc.session.Session` drained by its own writer task — and accepts either a
token (``Authorization: Bearer`` or ``?token=``, Origin checked against ``[ipc] allowed_origins``) or
the studio session cookie, which is honoured only from studio's own origin: a page on another port of
the same host is same-site, so its browser would send the cookie, but its Origin differs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reelkit.kernel.ipc.auth import TokenTable, origin_allowed, token_from_request
from reelkit.kernel.ipc.dispatch import Dispatcher
from reelkit.kernel.ipc.session import Limits, Session

from . import DIST
from .http import file_response, host_allowed, open_confined, same_origin_fetch, security_headers
from .logins import Logins, cookie_name

__all__ = ["StudioApp"]

log = logging.getLogger("reelkit.studio")

Roots = Callable[[tuple[str, ...]], Awaitable[Sequence[Path]]]
_ASSETS = {"studio.js": "text/javascript", "studio.css": "text/css"}

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>reelkit studio</title>
<link rel="stylesheet" href="/assets/studio.css"></head><body><main class="notice"><h1>{title}</h1>
<p>{text}</p></main></body></html>"""


def _notice(status: int, title: str, text: str, headers: dict[str, str]) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, text=text), status_code=status, headers=headers)


class StudioApp:
    """Builds the Starlette app; keeps the live WebSocket sessions for a graceful shutdown."""

    def __init__(self, dispatcher: Dispatcher, tokens: TokenTable, logins: Logins, roots: Roots, *,
                 port: int, allowed_origins: Sequence[str] = (), allowed_hosts: Sequence[str] = (),
                 limits: Limits = Limits(), dist: Path = DIST) -> None:
        self.dispatcher = dispatcher
        self.tokens = tokens
        self.logins = logins
        self.roots = roots
        self.port = port
        self.cookie = cookie_name(port)
        self.allowed_origins = tuple(allowed_origins)
        self.allowed_hosts = tuple(allowed_hosts)  # more names for the Host check ([ipc] allowed_hosts)
        self.limits = limits
        self.dist = dist
        self.sessions: dict[WebSocket, Session] = {}
        self._closing_tasks: set[asyncio.Task[None]] = set()
        self.closing = False
        self.app = Starlette(routes=[
            Route("/", self.index),
            Route("/login", self.login),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/assets/{name}", self.asset),
            Route("/media", self.media),
            WebSocketRoute("/", self.websocket),
        ])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, self.port, self.allowed_hosts):
                # DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends Host: evil.example
                if scope["type"] == "http":
                    await PlainTextResponse(f"Host {host!r} is not this server's\n", 421)(scope, receive, send)
                else:
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)

    # -- http --------------------------------------------------------------------------------------------

    def _grants(self, request: Request) -> tuple[str, ...] | None:
        if not same_origin_fetch(request.headers):
            return None
        return self.logins.grants_for(request.cookies.get(self.cookie))

    async def index(self, request: Request) -> Response:
        headers = security_headers(request.headers["host"])
        if self._grants(request) is None:
            return _notice(401, "Not logged in", "Open the one-time login link printed by <code>reelkit studio</code> "
                           "(or <code>reelkit serve --open</code>).", headers)
        return FileResponse(self.dist / "index.html", media_type="text/html", headers=headers)

    async def login(self, request: Request) -> Response:
        headers = security_headers(request.headers["host"])
        session = self.logins.redeem(request.query_params.get("token"))
        if session is None:
            log.warning("studio: refused a login with a wrong, used or expired token")
            return _notice(401, "Login refused", "This login link is wrong, expired or already used: run "
                           "<code>reelkit studio</code> again for a new one.", headers)
        response = RedirectResponse("/", status_code=303, headers=headers)  # the token leaves the address bar
        response.set_cookie(self.cookie, session, max_age=int(self.logins.session_ttl), path="/", httponly=True,
                            samesite="strict")
        return response

    async def logout(self, request: Request) -> Response:
        if not same_origin_fetch(request.headers):
            return PlainTextResponse("cross-site logout refused\n", 403)
        self.logins.end(request.cookies.get(self.cookie))
        response = Response(status_code=204, headers=security_headers(request.headers["host"]))
        response.delete_cookie(self.cookie, path="/", httponly=True, samesite="strict")
        return response

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        kind = _ASSETS.get(name)
        if kind is None:
            return PlainTextResponse("no such asset\n", 404)
        headers = {**security_headers(request.headers["host"]), "Cache-Control": "no-cache"}
        return FileResponse(self.dist / name, media_type=kind, headers=headers)

    async def media(self, request: Request) -> Response:
        headers = security_headers(request.headers["host"])
        grants = self._grants(request)
        if grants is None:
            return PlainTextResponse("log in first (studio session cookie missing or cross-site)\n", 401, headers=headers)
        path = request.query_params.get("path") or ""
        roots = await self.roots(grants)
        try:
            fd, opened = open_confined(path, roots)
        except PermissionError:
            return PlainTextResponse(f"{path} is outside the roots this session may read\n", 403, headers=headers)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, OSError):
            return PlainTextResponse(f"{path} is not a readable file\n", 404, headers=headers)
        return file_response(fd, opened, request.headers.get("range"), headers)

    # -- websocket ---------------------------------------------------------------------------------------

    def _authorize(self, ws: WebSocket) -> tuple[str, ...] | tuple[int, str]:
        origin = ws.headers.get("origin")
        token = token_from_request(ws.url.path + ("?" + ws.url.query if ws.url.query else ""), ws.headers)
        if token is not None:
            if not origin_allowed(origin, self.allowed_origins):
                return 403, f"Origin {origin!r} is not allowed; add it to [ipc] allowed_origins\n"
            grants = self.tokens.grants_for(token)
            return grants if grants is not None else (401, "Wrong token\n")
        grants = self.logins.grants_for(ws.cookies.get(self.cookie))
        if grants is None:
            return 401, "Missing or wrong token: send 'Authorization: Bearer <token>', ?token= or log in to studio\n"
        if origin != f"http://{ws.headers.get('host')}":
            return 403, f"the studio session is valid only from studio's own page, not from {origin!r}\n"
        return grants

    async def websocket(self, ws: WebSocket) -> None:
        verdict = self._authorize(ws)
        if self.closing:
            verdict = (503, "Server shutting down\n")
        if verdict and isinstance(verdict[0], int):
            status, text = verdict  # type: ignore[misc]
            await ws.send_denial_response(PlainTextResponse(text, status))
            return
        await ws.accept()
        peer = f"{ws.client.host}:{ws.client.port}" if ws.client else "?"
        session = Session(self.dispatcher, verdict, self.limits, peer=peer,  # type: ignore[arg-type]
                          on_overflow=lambda n: self._too_slow(ws, n))
        self.sessions[ws] = session
        writer = asyncio.create_task(self._write(ws, session))
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                await session.receive(data if data is not None else message.get("bytes") or b"")
        except WebSocketDisconnect:
            pass
        finally:
            self.sessions.pop(ws, None)
            await session.close()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    @staticmethod
    async def _write(ws: WebSocket, session: Session) -> None:
        queue = session.queue
        try:
            while (text := await queue.get()) is not None:
                queue.writing()
                await ws.send_text(text)
                queue.written()
        except Exception:  # the peer went away: the reader ends the session
            pass

    def _too_slow(self, ws: WebSocket, limit: int) -> None:
        reason = f"too far behind: over {limit} messages unsent and not reading; read faster or subscribe to less"
        log.warning("studio: closing a client: %s", reason)
        # The close frame waits behind what the socket already holds; no deadline here, since ASGI gives
        # no way to abort a transport: a client that never reads again is dropped by uvicorn's
        # keep-alive ping timeout (ws_ping_interval + ws_ping_timeout, see server.py).
        task = asyncio.get_running_loop().create_task(self._close(ws, 1008, reason, timeout=None))
        self._closing_tasks.add(task)
        task.add_done_callback(self._closing_tasks.discard)

    @staticmethod
    async def _close(ws: WebSocket, code: int, reason: str, timeout: float | None = 2.0) -> None:
        try:
            await asyncio.wait_for(ws.close(code, reason), timeout)
        except Exception:
            pass

    async def shutdown(self, grace: float) -> None:
        """Refuse new clients, let calls finish for ``grace`` s, cancel the rest, close every client."""
        self.closing = True
        sessions = list(self.sessions.items())
        await asyncio.gather(*(s.drain(grace) for _, s in sessions))
        await asyncio.gather(*(s.close() for _, s in sessions))
        await asyncio.sleep(0.05)  # the writers flush the last answers
        await asyncio.gather(*(self._close(ws, 1001, "server shutting down") for ws, _ in sessions))
