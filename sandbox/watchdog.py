"""One wall-clock watchdog thread for the sandbox: deadlines that fire whatever the guest does.

Extism's own timer can lose a deadline (and the cancel of that call) when the calling thread stalls
right after arming it (see docs/wasm-plugins.md); an HTTP server dripping a byte at a time never
trips a socket timeout. Both are bounded here by a deadline of our own: :func:`watch` runs
``callback`` once ``deadline`` (``time.monotonic()``) has passed, unless the returned handle was
cancelled first. Callbacks run on the watchdog thread and must be short (a cancel, a socket
shutdown).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable

log = logging.getLogger("reelkit.sandbox")


class Watch:
    """A pending deadline; :meth:`cancel` it when the guarded work ended in time."""

    __slots__ = ("callback", "fired")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback: Callable[[], None] | None = callback
        self.fired = False

    def cancel(self) -> None:
        self.callback = None


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, callback: Callable[[], None]) -> Watch:
        w = Watch(callback)
        with self._cond:
            heapq.heappush(self._heap, (deadline, next(self._seq), w))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="reelkit-wasm-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][2] is w:
                self._cond.notify()
        return w

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].callback is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, w = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                callback, w.callback = w.callback, None
            if callback is not None:
                w.fired = True
                try:
                    callback()
                except Exception:  # a failing callback must not stop the other deadlines
                    log.exception("sandbox watchdog callback failed")


_WATCHDOG = _Watchdog()


def watch(deadline: float, callback: Callable[[], None]) -> Watch:
    """Run ``callback`` on the watchdog thread at ``deadline`` (monotonic seconds) unless cancelled."""
    return _WATCHDOG.watch(deadline, callback)
