"""The recognition plugin: YOLO-family object detection and YuNet faces on ONNX Runtime, pipelined
over video, aggregated by time and class.

Public API for other plugins: :mod:`builtin_plugins.recognition.api`. Commands:
``recognition.detect_image``, ``recognition.detect_video`` (job), ``recognition.faces``,
``recognition.models``, ``recognition.pull_model`` (job), ``recognition.add_model``.
CLI: ``reelkit detect``, ``reelkit models list|add|pull``. See docs/recognition.md.
"""
from __future__ import annotations

from reelkit.sdk import PluginInfo, hookimpl


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    # Decodes video itself with PyAV (the pipeline needs frames, not files): no media dependency;
    # "after" only orders the demo step behind the one that makes the sample clips.
    return PluginInfo(name="recognition", version="0.1.0", requires=[], after=["media"],
                      summary="Object and face detection (ONNX Runtime), pipelined over video")


@hookimpl
def reelkit_setup(ctx) -> None:
    from . import events, service, settings

    ctx.add_settings(settings.RecognitionSettings)
    ctx.add_service(service.RecognitionService, service.create)
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(*events.EVENTS)
    ctx.add_health_check("runtime", service.health)
    ctx.set_job_limit("recognition.detect_video", 1)  # one pipeline already keeps both cores busy


@hookimpl
def reelkit_cli(cli) -> None:
    from .cli import detect, models

    cli.add_command(detect)
    cli.add_command(models)


@hookimpl
async def reelkit_demo(demo) -> None:
    from .demo import run

    await run(demo)
