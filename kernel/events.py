"""The event bus: typed events, topic globs, one queue and task per subscriber.

A publisher never waits for a subscriber. Each subscription owns a queue (a deque) drained by its own
task, so a slow or failing subscriber never blocks the publisher or the others. When a queue passes its
soft limit, progress-like events (:class:`ProgressEvent`) coalesce — the latest wins, in the place of
the first — while every other event is still delivered, in order, and the overflow is logged and counted.
:meth:`Bus.publish` is safe from any thread.
"""

from __future__ import annotations

import asyncio
import collections
import fnmatch
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from .logs import get_logger

__all__ = ["Event", "ProgressEvent", "DynamicEvent", "Bus", "Subscription", "EventStream"]

log = get_logger("reelkit.bus")

Handler = Callable[[Any], Awaitable[None] | None]


class Event(BaseModel):
    """Base of every event. Subclasses name their topic: ``class X(Event, topic="media.file.discovered")``."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    topic: ClassVar[str] = ""
    coalesce: ClassVar[bool] = False

    def __init_subclass__(cls, topic: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if topic is not None:
            cls.topic = topic

    def coalesce_key(self) -> Hashable:
        return self.topic


class ProgressEvent(Event):
    """An event whose latest value is all that matters: it may coalesce in a full queue.

    Coalesces per topic and ``job_id`` (when the event has one).
    """

    coalesce: ClassVar[bool] = True

    def coalesce_key(self) -> Hashable:
        return (self.topic, getattr(self, "job_id", None))


class DynamicEvent(BaseModel):
    """An event whose topic is chosen at run time (WASM plugins, IPC): a topic and JSON data."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    topic: str
    data: dict[str, Any] = {}
    coalesce: ClassVar[bool] = False

    def coalesce_key(self) -> Hashable:
        return self.topic


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


class _Slot:
    """Placeholder for a coalesced event in a queue: the consumer reads the latest value."""

    __slots__ = ("key",)

    def __init__(self, key: Hashable) -> None:
        self.key = key


class Subscription:
    """One subscriber: its queue, its task and its counters. Call :meth:`dispose` (or use ``with``)."""

    def __init__(self, bus: Bus, pattern: str | type, handler: Handler, maxsize: int, name: str | None) -> None:
        self.bus = bus
        self.pattern = pattern if isinstance(pattern, str) else pattern.topic
        self.event_type = None if isinstance(pattern, str) else pattern
        self.handler = handler
        self.maxsize = maxsize
        self.name = name or getattr(handler, "__qualname__", repr(handler))
        self.delivered = 0
        self.failures = 0
        self.coalesced = 0
        self.overflowed = 0
        self._queue: collections.deque[Any] = collections.deque()
        self._latest: dict[Hashable, Any] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._warned = False
        self._busy = False
        self._sleeping = False

    # -- called by the bus, on the loop thread ------------------------------------------------
    def _push(self, event: Any) -> None:
        """Slow path of :meth:`Bus._publish_here`: the queue is at its soft limit."""
        if event.coalesce:
            key = event.coalesce_key()
            if key not in self._latest:
                self._queue.append(_Slot(key))
            else:
                self.coalesced += 1
            self._latest[key] = event
        else:
            self._queue.append(event)
            self.overflowed += 1
            if not self._warned:
                self._warned = True
                log.warning("subscriber falling behind", subscriber=self.name, queued=len(self._queue))
        self._wake()

    def _wake(self) -> None:
        if self._sleeping:
            self._sleeping = False
            self._wakeup.set()

    async def _run(self) -> None:
        queue, handler, latest, popleft = self._queue, self.handler, self._latest, self._queue.popleft
        while not self._closed:
            if not queue:
                self._busy = False
                self._warned = False
                self._wakeup.clear()
                self._sleeping = True
                await self._wakeup.wait()
                continue
            self._busy = True
            n = 0
            while queue:
                event = popleft()
                if type(event) is _Slot:
                    event = latest.pop(event.key)
                try:
                    result = handler(event)
                    if result is not None and hasattr(result, "__await__"):
                        await result
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.failures += 1
                    self.bus.failures += 1
                    log.exception("subscriber failed", subscriber=self.name, topic=event.topic)
                n += 1
            self.delivered += n

    def pending(self) -> int:
        return len(self._queue)

    async def drain(self) -> None:
        """Wait until everything queued so far has been handled."""
        while (self._queue or self._busy) and not self._closed:
            await asyncio.sleep(0)

    def dispose(self) -> None:
        """Stop delivery; events still queued are discarded. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.bus._remove(self)
        if self._task is not None:
            self._task.cancel()

    __call__ = dispose

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


class EventStream:
    """``async with bus.stream("job.*") as events: async for ev in events`` — a subscription as an iterator."""

    def __init__(self, bus: Bus, pattern: str | type, maxsize: int) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._sub = bus.subscribe(pattern, self._queue.put_nowait, maxsize=maxsize, name=f"stream:{pattern}")

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._sub.dispose()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        return await self._queue.get()

    async def next(self, timeout: float | None = None) -> Any:
        return await asyncio.wait_for(self._queue.get(), timeout)

    def close(self) -> None:
        self._sub.dispose()


class Bus:
    """Publish events to subscribers matching their topic (glob) or their type."""

    def __init__(self, *, default_maxsize: int = 1000) -> None:
        self.default_maxsize = default_maxsize
        self.failures = 0
        self._subs: list[tuple[re.Pattern[str], type | None, Subscription]] = []
        self._route_cache: dict[tuple[type, str], list[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the kernel's loop (done at boot); subscriptions made earlier start now."""
        self._loop = loop
        self._loop_thread = threading.get_ident()
        for _, _, sub in self._subs:
            if sub._task is None:
                sub._task = loop.create_task(sub._run(), name=f"bus:{sub.name}")

    def subscribe(
        self, pattern: str | type, handler: Handler, *, maxsize: int | None = None, name: str | None = None
    ) -> Subscription:
        """Deliver events whose topic matches ``pattern`` (a glob) or whose type is ``pattern``."""
        sub = Subscription(self, pattern, handler, maxsize or self.default_maxsize, name)
        self._subs.append((_compile(sub.pattern), sub.event_type, sub))
        self._route_cache.clear()
        if self._loop is not None:
            sub._task = self._loop.create_task(sub._run(), name=f"bus:{sub.name}")
        return sub

    def stream(self, pattern: str | type, *, maxsize: int | None = None) -> EventStream:
        return EventStream(self, pattern, maxsize or self.default_maxsize)

    def _remove(self, sub: Subscription) -> None:
        self._subs = [entry for entry in self._subs if entry[2] is not sub]
        self._route_cache.clear()

    def _route(self, event: Any) -> list[Subscription]:
        key = (type(event), event.topic)
        subs = self._route_cache.get(key)
        if subs is None:
            etype = type(event)
            subs = [
                sub
                for regex, wanted, sub in self._subs
                if (issubclass(etype, wanted) if wanted is not None else regex.match(event.topic))
            ]
            self._route_cache[key] = subs
        return subs

    def publish(self, event: Any) -> None:
        """Queue ``event`` for every matching subscriber. Never blocks; safe from any thread."""
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._publish_here, event)
        else:
            self._publish_here(event)

    def _publish_here(self, event: Any) -> None:
        subs = self._route_cache.get((type(event), event.topic)) or self._route(event)
        for sub in subs:
            queue = sub._queue
            if len(queue) < sub.maxsize:
                queue.append(event)
                if sub._sleeping:
                    sub._sleeping = False
                    sub._wakeup.set()
            else:
                sub._push(event)

    def subscriptions(self) -> list[Subscription]:
        return [entry[2] for entry in self._subs]

    async def drain(self) -> None:
        """Wait until every subscriber has handled what was published so far."""
        for _ in range(3):
            await asyncio.sleep(0)
        for sub in self.subscriptions():
            await sub.drain()

    def close(self) -> None:
        for sub in self.subscriptions():
            sub.dispose()
