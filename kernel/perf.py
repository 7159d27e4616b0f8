"""The performance kit: metered caches, worker pools behind one interface, reusable frame buffers.

numpy is imported only when a :class:`BufferPool` is made, so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Literal, Protocol, TypeVar

import cachetools

__all__ = ["make_cache", "MeteredCache", "WorkerPool", "ThreadWorkerPool", "ProcessWorkerPool", "BufferPool"]

T = TypeVar("T")
_MISSING = object()


class MeteredCache(collections.abc.MutableMapping):  # type: ignore[type-arg]
    """A cachetools cache that counts hits and misses (and reports them to telemetry when given)."""

    def __init__(self, cache: cachetools.Cache, name: str = "cache", telemetry: Any = None) -> None:  # type: ignore[type-arg]
        self.cache = cache
        self.name = name
        self.hits = 0
        self.misses = 0
        self._telemetry = telemetry if telemetry is not None and telemetry.enabled else None
        self._lock = threading.Lock()

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            value = self.cache.get(key, _MISSING)
        if value is _MISSING:
            self.misses += 1
            if self._telemetry:
                self._telemetry.add("reelkit.cache.misses", 1, cache=self.name)
            return default
        self.hits += 1
        if self._telemetry:
            self._telemetry.add("reelkit.cache.hits", 1, cache=self.name)
        return value

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            self.cache[key] = value

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            del self.cache[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.cache))

    def __len__(self) -> int:
        return len(self.cache)

    def clear(self) -> None:
        with self._lock:
            self.cache.clear()

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def make_cache(
    kind: Literal["lru", "lfu", "fifo", "ttl"] = "lru", *, maxsize: int = 1024, ttl: float | None = None,
    name: str = "cache", telemetry: Any = None,
) -> MeteredCache:
    """A bounded cache of the given policy, with hit/miss counters."""
    if kind == "lru":
        cache: cachetools.Cache = cachetools.LRUCache(maxsize)  # type: ignore[type-arg]
    elif kind == "lfu":
        cache = cachetools.LFUCache(maxsize)
    elif kind == "fifo":
        cache = cachetools.FIFOCache(maxsize)
    elif kind == "ttl":
        cache = cachetools.TTLCache(maxsize, ttl if ttl is not None else 600)
    else:
        raise ValueError(f"cache kind must be lru, lfu, fifo or ttl, not {kind!r}")
    return MeteredCache(cache, name, telemetry)


class WorkerPool(Protocol):
    """Where CPU- or IO-bound work runs. A later engine (Ray, Dask) can implement the same three calls."""

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...

    def map(self, fn: Callable[[Any], T], items: Iterable[Any], *, ordered: bool = True) -> AsyncIterator[T]: ...

    def close(self) -> None: ...


class _ExecutorPool:
    def __init__(self, executor: Executor, size: int) -> None:
        self._executor = executor
        self.size = size

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def map(self, fn: Callable[[Any], T], items: Iterable[Any], *, ordered: bool = True) -> AsyncIterator[T]:
        """Run ``fn`` over ``items`` with at most ``size`` in flight; yields results (in order by default)."""
        loop = asyncio.get_running_loop()
        it = iter(items)
        pending: collections.deque[asyncio.Future[T]] = collections.deque()
        for item in it:
            pending.append(loop.run_in_executor(self._executor, fn, item))
            if len(pending) >= self.size:
                break
        while pending:
            if ordered:
                fut = pending.popleft()
                result = await fut
            else:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                fut = done.pop()
                pending.remove(fut)
                result = fut.result()
            nxt = next(it, _MISSING)
            if nxt is not _MISSING:
                pending.append(loop.run_in_executor(self._executor, fn, nxt))
            yield result

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class ThreadWorkerPool(_ExecutorPool):
    """Threads: for IO and for native code that releases the GIL (FFmpeg, ONNX Runtime, PyAV)."""

    def __init__(self, size: int = 4, name: str = "reelkit-pool") -> None:
        super().__init__(ThreadPoolExecutor(size, thread_name_prefix=name), size)


class ProcessWorkerPool(_ExecutorPool):
    """Processes: for pure-Python CPU work. ``fn`` and its arguments must pickle."""

    def __init__(self, size: int = 2) -> None:
        import multiprocessing

        super().__init__(ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("spawn")), size)


class BufferPool:
    """A pool of same-shaped numpy arrays handed out and returned, so hot loops allocate nothing.

    ``with pool.acquire() as arr:`` — blocks when all ``capacity`` buffers are out (back-pressure).
    """

    def __init__(self, shape: tuple[int, ...], dtype: Any = "float32", capacity: int = 4) -> None:
        import numpy as np

        self.shape, self.dtype, self.capacity = tuple(shape), np.dtype(dtype), capacity
        self._free = [np.empty(self.shape, self.dtype) for _ in range(capacity)]
        self._cond = threading.Condition()
        self.allocations = capacity

    def get(self, timeout: float | None = None) -> Any:
        with self._cond:
            if not self._cond.wait_for(lambda: self._free, timeout):
                raise TimeoutError(f"no free buffer of {self.shape} within {timeout} s")
            return self._free.pop()

    def put(self, arr: Any) -> None:
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError(f"buffer of shape {arr.shape}/{arr.dtype} does not belong to this pool {self.shape}/{self.dtype}")
        with self._cond:
            self._free.append(arr)
            self._cond.notify()

    @contextlib.contextmanager
    def acquire(self, timeout: float | None = None) -> Iterator[Any]:
        arr = self.get(timeout)
        try:
            yield arr
        finally:
            self.put(arr)

    @property
    def available(self) -> int:
        return len(self._free)
