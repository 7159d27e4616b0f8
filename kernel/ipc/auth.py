"""Tokens, their grants, the Origin allow-list, the Host check and the token file.

A WebSocket client presents a token — ``Authorization: Bearer <token>`` or, for browsers that cannot set
headers, ``?token=<token>`` in the URL — and gets that token's grants. Tokens are compared in constant
time. The token file is written under a temporary name with mode 0600, fsynced and renamed into place,
so no other user can read it and no reader ever sees half a token.

:func:`host_allowed` defends against DNS rebinding: a web page on ``evil.example`` whose name is made to
resolve to 127.0.0.1 reaches the loopback server from the browser, and a non-browser-like request (or a
browser that omits ``Origin`` on a same-origin request) passes the Origin check; its ``Host`` header still
says ``evil.example``. Every HTTP entry point (the WebSocket handshake, Studio's pages) calls it.
"""

from __future__ import annotations

import fnmatch
import hmac
import ipaddress
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from reelkit.kernel.files import atomic_write

__all__ = ["TokenTable", "new_token", "write_token_file", "origin_allowed", "token_from_request", "host_allowed",
           "LOOPBACK_NAMES"]

#: Host names that always mean this machine (RFC 6761 reserves ``localhost`` and its subdomains)
LOOPBACK_NAMES = ("localhost", "tauri.localhost")


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class TokenTable:
    """Maps tokens to grants; lookups compare every token in constant time."""

    def __init__(self, entries: Mapping[str, Sequence[str]] = {}) -> None:
        self._entries = [(t.encode(), tuple(g)) for t, g in entries.items() if t]

    def add(self, token: str, grants: Iterable[str]) -> None:
        self._entries.append((token.encode(), tuple(grants)))

    def grants_for(self, token: str | None) -> tuple[str, ...] | None:
        """The grants of ``token``, or None when it is unknown or missing."""
        if not token:
            return None
        given = token.encode()
        found = None
        for known, grants in self._entries:  # no early exit: timing says nothing about which token matched
            if hmac.compare_digest(known, given):
                found = grants
        return found


def token_from_request(path: str, headers: Mapping[str, str]) -> str | None:
    """The token a handshake carries: the Authorization header first, then the ``token`` query parameter."""
    auth = headers.get("Authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    values = parse_qs(urlsplit(path).query).get("token")
    return values[0] if values else None


def origin_allowed(origin: str | None, allowed: Sequence[str]) -> bool:
    """Whether a handshake's ``Origin`` is acceptable.

    Clients that are not browsers send no Origin and are allowed (they still need the token); a browser
    page is allowed only when its origin matches a glob of ``allowed`` (``http://localhost:*``).
    """
    if origin is None:
        return True
    return any(fnmatch.fnmatchcase(origin.lower(), pattern.lower()) for pattern in allowed)


def _split_host(value: str) -> str | None:
    """The host part of a ``Host`` header value (``[::1]:8765`` → ``::1``); None when malformed."""
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1:]
        if rest and not (rest[0] == ":" and rest[1:].isdigit()):
            return None
        return host
    host, _, port = value.partition(":")
    if port and not port.isdigit() or ":" in port:
        return None
    return host


def host_allowed(host: str | None, extra: Sequence[str] = ()) -> bool:
    """Whether a request's ``Host`` header names this loopback server (the DNS-rebinding check).

    Allowed: ``localhost`` (and ``tauri.localhost``), any loopback IP literal (``127.0.0.1``, ``[::1]``),
    with or without a port, and the names in ``extra`` (a server bound elsewhere with ``allow_remote``
    passes its own address and ``[ipc] allowed_hosts``). A missing or malformed header is refused.
    """
    if not host:
        return False
    name = _split_host(host)
    if not name:
        return False
    name = name.lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    if any(name == e.lower().strip("[]") for e in extra):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def write_token_file(path: str | os.PathLike[str], token: str) -> Path:
    """Write ``token`` to ``path`` readable by the current user only (atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, token + "\n", mode=0o600)
