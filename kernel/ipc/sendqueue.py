"""A per-client outgoing queue: never blocks the producer, coalesces progress, gives up on a stalled client.

The kernel and every other client must not wait for one slow reader. Producers call :meth:`SendQueue.put`
(synchronous, O(1)); one writer task per client drains the queue into its transport. Messages carrying a
coalesce key (job progress) replace a still-unsent message with the same key, in its place, so a slow
client sees the latest progress instead of a backlog.

A client is *too far behind* when more than ``limit`` messages wait while its writer has been stuck on
the socket for ``stall_seconds`` (the client is not reading), or when ``hard_limit`` messages wait at all
(a burst larger than a fast reader can absorb in time — ten times ``limit`` by default). Then the queue is
marked overflowed, ``on_overflow`` is called once (the transport closes the connection with a reason) and
later puts are dropped: the client is gone, and nothing is dropped silently for a client still served.
The writer reports when it waits on the socket with :meth:`writing` / :meth:`written`.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Hashable

__all__ = ["SendQueue"]


class _Entry:
    __slots__ = ("text", "key")

    def __init__(self, text: str, key: Hashable | None) -> None:
        self.text = text
        self.key = key


class SendQueue:
    """Bounded FIFO of encoded messages with latest-wins coalescing for keyed ones."""

    def __init__(
        self,
        limit: int,
        on_overflow: Callable[[int], None] | None = None,
        *,
        stall_seconds: float = 2.0,
        hard_limit: int | None = None,
    ) -> None:
        self.limit = limit
        self.hard_limit = hard_limit if hard_limit is not None else 10 * limit
        self.stall_seconds = stall_seconds
        self.on_overflow = on_overflow
        self._writing_since: float | None = None
        self.overflowed = False
        self.closed = False
        self.coalesced = 0
        self._items: collections.deque[_Entry] = collections.deque()
        self._pending: dict[Hashable, _Entry] = {}
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, text: str, key: Hashable | None = None) -> bool:
        """Queue ``text``; return False when the queue is closed or has overflowed (message dropped)."""
        if self.closed or self.overflowed:
            return False
        if key is not None:
            waiting = self._pending.get(key)
            if waiting is not None:
                waiting.text = text  # latest wins, keeping the first one's place in line
                self.coalesced += 1
                return True
        if len(self._items) >= self.limit and (len(self._items) >= self.hard_limit or self._stalled()):
            self.overflowed = True
            self._items.clear()
            self._pending.clear()
            self._ready.set()
            if self.on_overflow is not None:
                self.on_overflow(self.limit)
            return False
        entry = _Entry(text, key)
        self._items.append(entry)
        if key is not None:
            self._pending[key] = entry
        self._ready.set()
        return True

    async def get(self) -> str | None:
        """The next message, or None once the queue is closed or overflowed and empty."""
        while not self._items:
            if self.closed or self.overflowed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self.get_nowait()

    def writing(self) -> None:
        """The writer starts waiting on its transport."""
        self._writing_since = time.monotonic()

    def written(self) -> None:
        """The transport took the data."""
        self._writing_since = None

    def _stalled(self) -> bool:
        since = self._writing_since
        return since is not None and time.monotonic() - since >= self.stall_seconds

    def get_nowait(self) -> str | None:
        """The next message if one is queued, else None."""
        if not self._items:
            return None
        entry = self._items.popleft()
        if entry.key is not None and self._pending.get(entry.key) is entry:
            del self._pending[entry.key]
        return entry.text

    def close(self) -> None:
        """Accept nothing more; :meth:`get` drains what is queued, then returns None."""
        self.closed = True
        self._ready.set()
