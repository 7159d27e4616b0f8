"""The media plugin: find FFmpeg, probe files in process, cache metadata, make thumbnails,
filmstrips, waveforms and proxies, and import many files at once.

Public API for other plugins: :mod:`builtin_plugins.media.api`. Commands: ``media.probe``,
``media.formats``, ``media.ffmpeg_info``, ``media.thumbnail``, ``media.filmstrip``,
``media.waveform``, ``media.proxy`` (job), ``media.import`` (job). See docs/media.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelkit.sdk import PluginContext, PluginInfo, hookimpl

if TYPE_CHECKING:
    import click

    from reelkit.kernel.demo import DemoContext


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="media", version="0.1.0", requires=[],
                      summary="FFmpeg discovery, probing, metadata cache, thumbnails, proxies, import")


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    from . import events, service, settings
    from .api import FFmpegLocator

    ctx.add_settings(settings.MediaSettings)
    ctx.add_service(FFmpegLocator, service.create_locator)
    ctx.add_service(service.MediaService, service.create_service)
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(*events.EVENTS)
    ctx.add_health_check("ffmpeg", service.ffmpeg_health)
    ctx.set_job_limit("media.proxy", 1)  # each proxy encode already uses both cores


@hookimpl
def reelkit_cli(cli: click.Group) -> None:
    from .cli import import_, probe

    cli.add_command(probe)
    cli.add_command(import_)


@hookimpl
async def reelkit_demo(demo: DemoContext) -> None:
    from .demo import run

    await run(demo)
