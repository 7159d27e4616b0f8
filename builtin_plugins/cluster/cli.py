"""``reelkit cluster status`` and ``reelkit cluster worker tcp://host:8786``."""

from __future__ import annotations

import click


@click.group("cluster")
def cluster() -> None:
    """Scale-out over Dask distributed ([cluster] address in the settings)."""


@cluster.command("status")
@click.option("--address", default=None, help='Override [cluster] address ("local" or tcp://host:8786)')
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON")
def status(address: str | None, as_json: bool) -> None:
    """Show the scheduler and every worker: threads, memory, tasks running."""
    import os

    from reelkit.sdk.cli import print_json, run_kernel

    if address is not None:
        os.environ["REELKIT_CLUSTER__ADDRESS"] = address

    async def go(k):
        return await k.invoke("cluster.status", {})

    s = run_kernel(go, as_json=as_json)
    if as_json:
        print_json(s)
        return
    if not s.enabled:
        click.echo('cluster: off ([cluster] address = ""); work runs in this process')
        return
    click.echo(f"scheduler {s.scheduler}  ({len(s.workers)} workers, {s.threads} threads)")
    for w in s.workers:
        click.echo(f"  {w.address}  {w.name or '-':>10}  threads {w.threads}  memory "
                   f"{w.memory_used / 2**20:.0f} / {w.memory_limit / 2**20:.0f} MiB  executing {w.executing}")


@cluster.command("worker")
@click.argument("scheduler")
@click.option("--nthreads", default=1, show_default=True, help="Threads running tasks")
@click.option("--name", default=None, help="The worker's name")
@click.option("--memory-limit", default="auto", show_default=True, help='Memory limit ("auto", "4GiB", …)')
def worker(scheduler: str, nthreads: int, name: str | None, memory_limit: str) -> None:
    """Start a Dask worker for SCHEDULER with reelkit's plugins loaded (Ctrl-C stops it)."""
    import asyncio

    from distributed import Worker

    from reelkit.kernel.cluster_worker import ReelkitWorkerPlugin, runtime

    runtime({})  # boot reelkit (settings from --config / the environment) before taking tasks

    async def main() -> None:
        async with Worker(scheduler, nthreads=nthreads, name=name, memory_limit=memory_limit,
                          plugins={ReelkitWorkerPlugin()}) as w:
            click.echo(f"reelkit worker {w.address} for {scheduler}", err=True)
            await w.finished()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
