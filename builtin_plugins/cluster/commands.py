"""``cluster.status`` and the health check: the scheduler, its workers, their threads and memory."""

from __future__ import annotations

import asyncio
from typing import Any

from reelkit.sdk import Cluster, Empty, Field, HealthResult, Output, command


class WorkerInfo(Output):
    address: str = Field(description="The worker's address")
    name: str = Field("", description="The worker's name")
    threads: int = Field(0, description="Threads the worker runs tasks on")
    memory_limit: int = Field(0, description="Bytes the worker may use (0: no limit)")
    memory_used: int = Field(0, description="Bytes the worker process uses now")
    executing: int = Field(0, description="Tasks running now")


class ClusterStatus(Output):
    enabled: bool = Field(description='False when [cluster] address is "" (work runs in this process)')
    address: str = Field("", description="The configured address: local or a scheduler's")
    scheduler: str | None = Field(None, description="The scheduler's address")
    threads: int = Field(0, description="Worker threads in all")
    workers: list[WorkerInfo] = Field(default_factory=list, description="Every worker")


@command("cluster.status", summary="The Dask scheduler and its workers: threads, memory, tasks running")
async def status(inp: Empty, cluster: Cluster) -> ClusterStatus:
    return ClusterStatus(**await asyncio.to_thread(cluster.status))


async def health(cluster: Cluster) -> Any:
    """ok when off or when the scheduler answers with workers; a local cluster is not started for it."""
    if not cluster.enabled:
        return HealthResult(state="ok", detail="off: work runs in this process (the cluster address setting is empty)")
    if cluster.settings.address.strip() == "local" and cluster._client is None:
        return HealthResult(state="ok", detail=f"local cluster of {cluster.settings.workers} worker(s), "
                                               "started on first use")
    from reelkit.sdk import KernelError

    try:
        s = await asyncio.to_thread(cluster.status)
    except KernelError as e:
        return HealthResult(state="error", detail=e.message)
    if not s["workers"]:
        return HealthResult(state="warn", detail=f"scheduler {s['scheduler']} has no workers; start some with "
                                                 f"reelkit cluster worker {s['scheduler']}")
    mem = sum(w["memory_used"] for w in s["workers"]) / 2**30
    return HealthResult(state="ok", detail=f"scheduler {s['scheduler']}: {len(s['workers'])} worker(s), "
                                           f"{s['threads']} thread(s), {mem:.2f} GiB in use")


ALL = [status]
