"""The cluster plugin: ``cluster.status``, the ``cluster`` health check and ``reelkit cluster status|worker``.

The service itself is the kernel's (:class:`reelkit.sdk.Cluster`, settings ``[cluster]``); this plugin
shows it and starts workers. A fleet is ``dask scheduler`` plus ``reelkit cluster worker tcp://…`` on
each machine; see docs/scale.md.
"""

from __future__ import annotations

from typing import Any

from reelkit.sdk import Cluster, PluginInfo, hookimpl


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="cluster", version="0.1.0",
                      summary="Scale-out over Dask distributed: cluster status, health, workers")


@hookimpl
def reelkit_setup(ctx) -> None:
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_health_check("scheduler", _health)


async def _health(cluster: Cluster) -> Any:
    """The scheduler's health (commands.health, imported when health is asked)."""
    from .commands import health

    return await health(cluster)


@hookimpl
def reelkit_cli(cli) -> None:
    from .cli import cluster

    cli.add_command(cluster)
