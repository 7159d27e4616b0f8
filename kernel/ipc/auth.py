"""Tokens, their grants, the Origin allow-list and the token file.

A WebSocket client presents a token — ``Authorization: Bearer <token>`` or, for browsers that cannot set
headers, ``?token=<token>`` in the URL — and gets that token's grants. Tokens are compared in constant
time. The token file is written under a temporary name with mode 0600, fsynced and renamed into place,
so no other user can read it and no reader ever sees half a token.
"""

from __future__ import annotations

import fnmatch
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from reelkit.kernel.files import atomic_write

__all__ = ["TokenTable", "new_token", "write_token_file", "origin_allowed", "token_from_request"]


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


def write_token_file(path: str | os.PathLike[str], token: str) -> Path:
    """Write ``token`` to ``path`` readable by the current user only (atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, token + "\n", mode=0o600)
