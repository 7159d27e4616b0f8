"""One-time login tokens and the browser sessions they open.

``reelkit studio`` prints ``http://127.0.0.1:PORT/login?token=…`` (as Jupyter does). The token works
once, within ``ttl`` seconds; redeeming it opens a session whose id goes into an HttpOnly,
SameSite=Strict cookie and carries the grants the login token was issued with. Tokens and session ids
are stored as SHA-256 digests, so a dictionary lookup reveals nothing about a guess through timing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Logins", "cookie_name"]


def cookie_name(port: int) -> str:
    """The session cookie's name: per port, since cookies ignore ports and two studios may run side by side."""
    return f"reelkit_studio_{port}"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


@dataclass(slots=True)
class _Entry:
    grants: tuple[str, ...]
    expires: float


class Logins:
    """Issues one-time login tokens and maps session cookies to grants."""

    def __init__(self, *, ttl: float = 600.0, session_ttl: float = 12 * 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.session_ttl = session_ttl
        self._clock = clock
        self._pending: dict[bytes, _Entry] = {}
        self._sessions: dict[bytes, _Entry] = {}

    def issue(self, grants: Sequence[str]) -> str:
        """A new one-time login token for a session with ``grants``."""
        now = self._clock()
        for key in [k for k, e in self._pending.items() if e.expires < now]:
            del self._pending[key]  # unused links do not pile up
        token = secrets.token_urlsafe(32)
        self._pending[_digest(token)] = _Entry(tuple(grants), self._clock() + self.ttl)
        return token

    def redeem(self, token: str | None) -> str | None:
        """Trade a login token for a new session id; None when it is unknown, used or expired."""
        if not token:
            return None
        entry = self._pending.pop(_digest(token), None)  # popped: a second use finds nothing
        if entry is None or entry.expires < self._clock():
            return None
        session = secrets.token_urlsafe(32)
        self._sessions[_digest(session)] = _Entry(entry.grants, self._clock() + self.session_ttl)
        return session

    def grants_for(self, session: str | None) -> tuple[str, ...] | None:
        """The grants of a live session id (from the cookie), or None."""
        if not session:
            return None
        key = _digest(session)
        entry = self._sessions.get(key)
        if entry is None:
            return None
        if entry.expires < self._clock():
            del self._sessions[key]
            return None
        return entry.grants

    def end(self, session: str | None) -> None:
        """Log a session out."""
        if session:
            self._sessions.pop(_digest(session), None)
