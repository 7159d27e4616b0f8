"""Studio: the web console served by ``reelkit serve`` beside the JSON-RPC WebSocket.

One small ASGI app (Starlette, run by uvicorn) answers on one loopback port:

- ``GET /`` and ``/assets/…``: the built console (``dist/``, committed; no CDN, strict CSP);
- ``GET /login?token=…``: trades a one-time login token for an HttpOnly, SameSite=Strict session cookie;
- ``WS /``: the same JSON-RPC protocol as :class:`reelkit.kernel.ipc.websocket.WebSocketServer` (one
  :class:`reelkit.kernel.ipc.session.Session` per connection), authenticated by a token or the cookie;
- ``GET /media?path=…``: bytes of a file inside the caller's roots, with range requests for ``<video>``.

Starlette and uvicorn are imported only when a server starts (:mod:`.server`).
"""

from __future__ import annotations

from pathlib import Path

from .logins import Logins

__all__ = ["Logins", "DIST"]

#: The built assets shipped in the wheel.
DIST = Path(__file__).resolve().parent / "dist"
