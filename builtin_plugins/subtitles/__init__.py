"""The subtitles plugin: read every common subtitle format and encoding, fix timings, validate, convert,
and move subtitle streams in and out of media files.

Commands: ``subtitles.parse``, ``.convert``, ``.shift``, ``.retime``, ``.sync``, ``.merge``, ``.split``,
``.validate``, ``.fix``, ``.replace``, ``.restyle``, ``.extract``, ``.embed``, ``.formats``.
Public models: :mod:`builtin_plugins.subtitles.api`. See docs/subtitles.md.
"""

from __future__ import annotations

from reelkit.sdk import PluginInfo, hookimpl


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="subtitles", version="0.1.0", requires=[],
                      summary="Subtitle formats, encodings, timing tools, validation, extract and embed")


@hookimpl
def reelkit_setup(ctx) -> None:
    from . import events, health, settings

    ctx.add_settings(settings.SubtitlesSettings)
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(*events.EVENTS)
    ctx.add_health_check("ffmpeg", health.ffmpeg_health)


@hookimpl
def reelkit_cli(cli) -> None:
    from .cli import subtitles

    cli.add_command(subtitles)


@hookimpl
async def reelkit_demo(demo) -> None:
    from .demo import run

    await run(demo)
