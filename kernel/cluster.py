"""The ``Cluster`` service: plugins spread work over Dask distributed, through the same commands.

Settings ``[cluster]``: ``address = ""`` (off, the default), ``"local"`` (a ``LocalCluster`` of
``workers`` processes, started on first use), or a scheduler address such as ``"tcp://host:8786"``
(a fleet: ``dask scheduler`` plus ``reelkit cluster worker tcp://…`` on each machine).

``distributed`` is imported only when a plugin asks for the client, never at import or boot (rule 1 of
DESIGN.md). Plugins receive the service by type (``cluster: Cluster``) and check :attr:`enabled`.

Storage assumption: workers read sources and write their parts at the *same paths* as the caller
(one machine, or a shared filesystem mounted alike everywhere). Plugins check it up front
(:func:`reelkit.kernel.cluster_worker.check_paths`) and fail with ``cluster.storage_unreachable``.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import Field

from .errors import Unavailable
from .settings import SettingsSection

__all__ = ["Cluster", "ClusterSettings", "ClusterUnavailable", "StorageUnreachable"]


class ClusterSettings(SettingsSection, section="cluster"):
    """``[cluster]`` in reelkit.toml, or ``REELKIT_CLUSTER__<KEY>``."""

    address: str = Field("", description='"" (off), "local" (a LocalCluster) or a scheduler address "tcp://host:8786"')
    workers: int = Field(2, ge=1, le=256, description="Worker processes of a local cluster")
    threads_per_worker: int = Field(1, ge=1, le=64, description="Threads per worker process of a local cluster")
    memory_limit: str = Field("auto", description='Memory per worker of a local cluster ("auto", "2GiB", …)')
    connect_timeout: float = Field(10.0, gt=0, le=600, description="Seconds to wait for the scheduler")
    segment_seconds: float = Field(
        0.0, ge=0, le=3600,
        description="Length of a render segment; 0: one segment per worker thread (the least fixed cost)")
    min_segment_seconds: float = Field(1.0, ge=0.1, le=3600, description="Shortest render segment")


class ClusterUnavailable(Unavailable):
    """The scheduler cannot be reached, or the cluster has no workers."""

    code = "cluster.unavailable"


class StorageUnreachable(Unavailable):
    """A worker cannot read a source or write to the output folder at the caller's path."""

    code = "cluster.storage_unreachable"


class Cluster:
    """The kernel's handle on a Dask cluster (one per kernel; the client is made on first use)."""

    def __init__(self, settings: ClusterSettings, worker_settings: dict[str, Any] | None = None):
        self.settings = settings
        self.worker_settings = worker_settings or {}  # settings overrides for the workers' own kernels
        self._client: Any = None
        self._local: Any = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """True when ``[cluster] address`` names a cluster."""
        return bool(self.settings.address.strip())

    def client(self) -> Any:
        """The ``distributed.Client`` (blocking: call it from a worker thread). Starts a local cluster."""
        if not self.enabled:
            raise ClusterUnavailable('no cluster is configured; set [cluster] address = "local" or "tcp://host:8786"')
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        from .extras import require

        distributed = require("distributed", extra="cluster", feature="scale-out over Dask")  # only when used

        from .cluster_worker import ReelkitWorkerPlugin

        s = self.settings
        try:
            if s.address.strip() == "local":
                self._local = distributed.LocalCluster(
                    n_workers=s.workers, threads_per_worker=s.threads_per_worker, processes=True,
                    memory_limit=s.memory_limit, host="127.0.0.1", dashboard_address="127.0.0.1:0")
                client = distributed.Client(self._local, timeout=s.connect_timeout)
            else:
                client = distributed.Client(s.address.strip(), timeout=s.connect_timeout)
        except (OSError, TimeoutError) as e:
            if self._local is not None:
                self._local.close()
                self._local = None
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {s.address!r}: {e}; start it "
                                     "(dask scheduler) or fix [cluster] address", details={"address": s.address}) from e
        # every worker (present and future) boots a reelkit kernel of its own, so tasks find the plugins
        local = s.address.strip() == "local"
        client.register_plugin(ReelkitWorkerPlugin(self.worker_settings if local else {}), name="reelkit")
        return client

    def workers(self) -> int:
        """Worker threads available now (0 when off)."""
        if not self.enabled:
            return 0
        info = self.client().scheduler_info(n_workers=-1)
        return sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())

    def status(self) -> dict[str, Any]:
        """The scheduler and every worker: threads, memory limit and use, tasks running."""
        if not self.enabled:
            return {"enabled": False, "address": "", "scheduler": None, "workers": []}
        info = self.client().scheduler_info(n_workers=-1)
        workers = []
        for addr, w in sorted(info.get("workers", {}).items()):
            metrics = w.get("metrics", {})
            workers.append({"address": addr, "name": str(w.get("name", "")), "threads": w.get("nthreads", 0),
                            "memory_limit": w.get("memory_limit", 0), "memory_used": metrics.get("memory", 0),
                            "executing": metrics.get("task_counts", {}).get("executing", 0)})
        return {"enabled": True, "address": self.settings.address, "scheduler": info.get("address"),
                "workers": workers, "threads": sum(w["threads"] for w in workers)}

    def close(self) -> None:
        """Close the client (and the local cluster this kernel started)."""
        with self._lock:
            client, local, self._client, self._local = self._client, self._local, None, None
        if client is not None:
            client.close()
        if local is not None:
            local.close()
