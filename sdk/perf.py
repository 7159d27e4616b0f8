"""The performance kit for plugins: metered caches, worker pools, reusable numpy buffers."""

from reelkit.kernel.perf import BufferPool, MeteredCache, ProcessWorkerPool, ThreadWorkerPool, WorkerPool, make_cache

__all__ = ["make_cache", "MeteredCache", "WorkerPool", "ThreadWorkerPool", "ProcessWorkerPool", "BufferPool"]
