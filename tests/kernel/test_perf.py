"""The performance kit: metered caches, worker pools, buffer pool."""

from __future__ import annotations

import os
import threading

import pytest

from reelkit.kernel.perf import BufferPool, ProcessWorkerPool, ThreadWorkerPool, make_cache
from reelkit.kernel.telemetry import Telemetry


@pytest.mark.parametrize("kind", ["lru", "lfu", "fifo", "ttl"])
def test_caches_count_hits_and_misses_and_stay_bounded(kind):
    cache = make_cache(kind, maxsize=3, ttl=60, name=f"t-{kind}")
    for i in range(5):
        cache[i] = i * 10
    assert len(cache) == 3
    assert cache.get(4) == 40 and cache.get(0) is None
    assert (cache.hits, cache.misses) == (1, 1) and cache.hit_ratio == 0.5


def test_lru_evicts_least_recently_used():
    cache = make_cache("lru", maxsize=2)
    cache["a"], cache["b"] = 1, 2
    cache.get("a")
    cache["c"] = 3
    assert set(cache) == {"a", "c"}


def test_cache_metrics_reach_telemetry():
    tel = Telemetry("memory")
    cache = make_cache("lru", maxsize=2, name="thumbs", telemetry=tel)
    cache["x"] = 1
    cache.get("x"), cache.get("y")
    m = tel.metrics()
    assert m["reelkit.cache.hits"] == 1 and m["reelkit.cache.misses"] == 1


async def test_thread_pool_runs_and_maps_in_order():
    pool = ThreadWorkerPool(3)
    try:
        assert await pool.run(lambda a, b: a + b, 2, 3) == 5
        names = set()

        def work(i):
            names.add(threading.current_thread().name)
            return i * i

        assert [r async for r in pool.map(work, range(10))] == [i * i for i in range(10)]
        assert sorted([r async for r in pool.map(work, range(10), ordered=False)]) == [i * i for i in range(10)]
    finally:
        pool.close()


async def test_process_pool_runs_in_other_processes():
    pool = ProcessWorkerPool(2)
    try:
        pids = [r async for r in pool.map(_pid, range(4))]
        assert os.getpid() not in pids
    finally:
        pool.close()


def _pid(_):
    return os.getpid()


def test_buffer_pool_reuses_buffers_and_applies_back_pressure():
    pool = BufferPool((4, 4, 3), "uint8", capacity=2)
    with pool.acquire() as a:
        a[:] = 7
        ident = id(a)
        with pool.acquire():
            assert pool.available == 0
            with pytest.raises(TimeoutError):
                pool.get(timeout=0.01)
    with pool.acquire() as again:
        assert id(again) in (ident, id(again)) and again.shape == (4, 4, 3)
    assert pool.available == 2 and pool.allocations == 2
    import numpy as np

    with pytest.raises(ValueError):
        pool.put(np.zeros((2, 2), "uint8"))
