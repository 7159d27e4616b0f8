"""Builtin plugin `filesystem`: list, stat, read, write, move, delete and watch files, inside configured roots.

Every path is resolved (symlinks, `..`) and refused with `permission.denied` when it falls outside
`[filesystem] roots`. Writes are atomic. Watches publish `filesystem.file.changed`.
"""

from reelkit.sdk import PluginContext, PluginInfo, hookimpl

__version__ = "0.1.0"


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="filesystem", version=__version__, requires=[], summary="Files inside configured roots; watching"
    )


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    from . import events, service, settings

    ctx.add_settings(settings.FilesystemSettings)
    ctx.add_service(service.FilesystemService, service.create)
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(events.FileChanged)
    ctx.add_health_check("roots", service.roots_health)


@hookimpl
async def reelkit_demo(demo) -> None:
    from .demo import run

    await run(demo)
