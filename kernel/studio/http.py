"""HTTP pieces of studio: security headers, the Host check, request authentication and file bytes.

Every response carries a strict Content-Security-Policy (scripts, styles, images, media and connections
from this origin only; no inline script; no framing), ``Cross-Origin-Resource-Policy: same-origin`` (a
page of another origin cannot even embed a thumbnail) and ``Referrer-Policy: no-referrer`` (the login
token in the address never leaks). Requests that carry the session cookie must also come from the
page itself (``Sec-Fetch-Site`` same-origin or none): cookies ignore ports, so a page served by another
local port is same-*site* and would otherwise send it.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import stat
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["security_headers", "host_allowed", "same_origin_fetch", "open_confined", "file_response"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self'; connect-src 'self' {ws}; font-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def security_headers(host: str) -> dict[str, str]:
    """The headers every studio response carries (``host`` is the request's Host, already checked)."""
    return {
        "Content-Security-Policy": CSP.format(ws=f"ws://{host}"),
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def host_allowed(host: str | None, port: int, extra: Sequence[str] = ()) -> bool:
    """Whether a request's Host names this server by a loopback name (defeats DNS rebinding)."""
    if not host:
        return False
    host = host.lower()
    names = list(_LOOPBACK_NAMES) + [h.lower() for h in extra]
    return any(host == f"{name}:{port}" for name in names)


def same_origin_fetch(headers: Any) -> bool:
    """A cookie-authenticated request must come from studio's own page or a typed-in address."""
    site = headers.get("sec-fetch-site")
    return site in (None, "same-origin", "none")


def open_confined(path: str, roots: Sequence[Path]) -> tuple[int, Path]:
    """Open ``path`` read-only when the file really opened lies inside one of ``roots``.

    The check is made on the opened descriptor (``/proc/self/fd``), so a symlink swapped in after the
    check cannot redirect it. Raises ``PermissionError`` outside the roots, ``FileNotFoundError`` or
    ``IsADirectoryError`` for what is not a regular file.
    """
    real_roots = [Path(os.path.realpath(r)) for r in roots]

    def inside(p: Path) -> bool:
        return any(p == r or p.is_relative_to(r) for r in real_roots)

    if not os.path.isabs(path):
        raise PermissionError(f"{path!r} is not an absolute path")
    if not inside(Path(os.path.realpath(path))):  # before opening: never even open a device outside the roots
        raise PermissionError(f"{path} is outside the roots {[str(r) for r in real_roots]}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        link = f"/proc/self/fd/{fd}"
        opened = Path(os.readlink(link)) if os.path.exists(link) else Path(os.path.realpath(path))
        if not inside(opened):  # a symlink swapped in between the check and the open
            raise PermissionError(f"{path} (opened as {opened}) is outside the roots {[str(r) for r in real_roots]}")
        return fd, opened
    except BaseException:
        os.close(fd)
        raise


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """``(start, end)`` inclusive for one ``bytes=`` range; None for no header; False when unsatisfiable."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return False
    if m.group(1):
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
    else:  # a suffix: the last N bytes
        start, end = max(0, size - int(m.group(2))), size - 1
    end = min(end, size - 1)
    if start > end or start >= size:
        return False
    return start, end


async def _chunks(fd: int, start: int, end: int) -> AsyncIterator[bytes]:
    try:
        pos = start
        while pos <= end:
            data = await asyncio.to_thread(os.pread, fd, min(CHUNK, end - pos + 1), pos)
            if not data:
                break
            pos += len(data)
            yield data
    finally:
        os.close(fd)


def file_response(fd: int, opened: Path, range_header: str | None, headers: dict[str, str]) -> Any:
    """A streaming response of an opened file, honouring one ``Range`` (206 / 416)."""
    from starlette.responses import Response, StreamingResponse

    size = os.fstat(fd).st_size
    kind = mimetypes.guess_type(opened.name)[0] or "application/octet-stream"
    base = {**headers, "Accept-Ranges": "bytes", "Cache-Control": "private, max-age=60"}
    wanted = parse_range(range_header, size)
    if wanted is False:
        os.close(fd)
        return Response(status_code=416, headers={**base, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        start, end, status = 0, size - 1, 200
    else:
        (start, end), status = wanted, 206
        base["Content-Range"] = f"bytes {start}-{end}/{size}"
    base["Content-Length"] = str(max(0, end - start + 1))
    if size == 0:
        os.close(fd)
        return Response(b"", status_code=200, media_type=kind, headers=base)
    return StreamingResponse(_chunks(fd, start, end), status_code=status, media_type=kind, headers=base)
