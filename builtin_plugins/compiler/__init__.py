"""The compiler plugin: timeline projects rendered through FFmpeg, with progress, cancel and encoders.

Public API for other plugins: :mod:`builtin_plugins.compiler.api`. Commands: ``compiler.validate``,
``compiler.render`` (job), ``compiler.preview_frame``, ``compiler.preview_render`` (job),
``compiler.encoders``, ``compiler.effects``, ``compiler.build_command``, ``compiler.import_otio``,
``compiler.export_otio``. Hooks offered: ``reelkit_compiler_effects``, ``reelkit_compiler_stages``.
The document format: docs/project-format.md.
"""

from __future__ import annotations

from reelkit.sdk import PluginInfo, hookimpl


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="compiler", version="0.1.0", requires=["media"],
                      summary="Timeline projects rendered through FFmpeg: effects, text, transitions, audio, encoders")


@hookimpl
def reelkit_addhooks(pluginmanager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def reelkit_setup(ctx) -> None:
    from . import events, service, settings

    section = ctx.add_settings(settings.CompilerSettings)
    ctx.add_service(service.CompilerService, service.make_factory(ctx))
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(events.RenderProgressed, events.StageCompleted, events.RenderCompleted)
    ctx.add_health_check("ffmpeg_filters", service.health)
    ctx.set_job_limit("compiler.render", section.max_concurrent_renders)  # the render queue
    ctx.set_job_limit("compiler.preview_render", section.max_concurrent_renders)


@hookimpl
def reelkit_cli(cli) -> None:
    from .cli import render

    cli.add_command(render)


@hookimpl
async def reelkit_demo(demo) -> None:
    from .demo import run

    await run(demo)
