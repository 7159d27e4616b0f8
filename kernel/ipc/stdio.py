"""The stdio transport, for apps that start reelkit as a sidecar process.

Framing is the Language Server Protocol's base protocol: each message is a header part and a content
part separated by ``\\r\\n\\r\\n``; the header ``Content-Length: <bytes>`` is required, others (such as
``Content-Type``) are ignored; the content is UTF-8 JSON (one JSON-RPC request, notification or batch)::

    Content-Length: 46\\r\\n
    \\r\\n
    {"jsonrpc":"2.0","method":"rpc.discover","id":1}

Replies and event notifications are framed the same way on stdout. The parent process owns the sidecar,
so there is no token: the session has the grants of ``[ipc] stdio_grants``. A message larger than
``max_message_bytes`` is skipped unread and answered with an Invalid Request error; a header that cannot
be read ends the session (the stream cannot be resynchronised). End of input ends the session gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from . import protocol as p
from .dispatch import Dispatcher
from .session import Limits, Session
from .wire import to_bytes

__all__ = ["frame", "read_frame", "FramingError", "serve_stream", "serve_stdio"]

log = logging.getLogger("reelkit.ipc")

_MAX_HEADER = 8192


class FramingError(Exception):
    """The byte stream does not follow the Content-Length framing."""


class Oversized(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def frame(text: str) -> bytes:
    """One framed message (never fails to encode: see :func:`kernel.ipc.wire.to_bytes`)."""
    body = to_bytes(text)
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def read_frame(reader: asyncio.StreamReader, max_bytes: int) -> bytes | None:
    """Read one message body; None at a clean end of input. Raises FramingError or Oversized."""
    length = None
    seen = 0
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial and length is None and seen == 0:
                return None
            raise FramingError("input ended inside a header") from None
        except asyncio.LimitOverrunError:
            raise FramingError("header line too long") from None
        seen += len(line)
        if seen > _MAX_HEADER:
            raise FramingError("header part too long")
        if line == b"\r\n":
            break
        name, sep, value = line.decode("ascii", "replace").partition(":")
        if not sep:
            raise FramingError(f"malformed header line {line[:60]!r}")
        if name.strip().lower() == "content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise FramingError(f"Content-Length {value.strip()[:30]!r} is not a number") from None
            if length < 0:
                raise FramingError("negative Content-Length")
    if length is None:
        raise FramingError("a message without a Content-Length header")
    if length > max_bytes:
        remaining = length
        while remaining:  # skip it in chunks: never hold a hostile message in memory
            chunk = await reader.read(min(remaining, 1 << 16))
            if not chunk:
                raise FramingError("input ended inside a message")
            remaining -= len(chunk)
        raise Oversized(length)
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise FramingError("input ended inside a message") from None


async def serve_stream(
    dispatcher: Dispatcher,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    grants: Sequence[str] = ("*",),
    limits: Limits = Limits(),
    max_message_bytes: int = 1 << 20,
    grace: float = 5.0,
) -> str:
    """Serve one client over a byte stream until it ends; return why it ended."""
    overflow = asyncio.Event()
    session = Session(dispatcher, grants, limits, peer="stdio", on_overflow=lambda n: overflow.set())

    async def write() -> None:
        queue = session.queue
        while (text := await queue.get()) is not None:
            queue.writing()
            writer.write(frame(text))
            await writer.drain()
            queue.written()

    writer_task = asyncio.create_task(write())
    overflow_task = asyncio.create_task(overflow.wait())
    reason = "end of input"
    try:
        while True:
            read = asyncio.create_task(read_frame(reader, max_message_bytes))
            await asyncio.wait({read, overflow_task}, return_when=asyncio.FIRST_COMPLETED)
            if overflow.is_set():
                read.cancel()
                reason = "too far behind: the reader of stdout stopped reading"
                break
            try:
                body = read.result()
            except Oversized as exc:
                err = p.RpcError(p.INVALID_REQUEST, f"message of {exc.size} bytes exceeds max_message_bytes "
                                 f"({max_message_bytes}); split it", kind="ipc.too_large")
                session.queue.put(p.encode(p.error_response(None, err)))
                continue
            except FramingError as exc:
                session.queue.put(p.encode(p.error_response(None, p.RpcError(p.PARSE_ERROR, f"Parse error: {exc}"))))
                reason = f"framing error: {exc}"
                break
            if body is None:
                break
            await session.receive(body)
        await session.drain(grace)
    finally:
        overflow_task.cancel()
        await session.close()
        try:
            await asyncio.wait_for(writer_task, 5)
        except (asyncio.TimeoutError, ConnectionError):
            writer_task.cancel()
    log.info("ipc stdio session ended: %s", reason)
    return reason


async def serve_stdio(dispatcher: Dispatcher, **kwargs: object) -> str:
    """Serve JSON-RPC on this process's stdin/stdout.

    The real stdout is kept for the protocol and file descriptor 1 is pointed at stderr, so a stray
    ``print`` anywhere in the process cannot corrupt the framing.
    """
    loop = asyncio.get_running_loop()
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    reader = asyncio.StreamReader(limit=_MAX_HEADER)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, out)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    try:
        return await serve_stream(dispatcher, reader, writer, **kwargs)  # type: ignore[arg-type]
    finally:
        writer.close()
