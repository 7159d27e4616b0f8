"""The compiler's public API: the project document models, command inputs/outputs, extension types.

Other plugins may import this module (declaring ``compiler`` as a dependency): to build projects,
to add effects (return :class:`EffectSpec` from ``reelkit_compiler_effects``) or pipeline stages
(return :class:`StageExtension` from ``reelkit_compiler_stages``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import PlainValidator

from reelkit.sdk import AnyPath, Field, Input, InputDir, InputDocument, Output, OutputPath

from .builder import Stream
from .effects import EffectContext, EffectSpec, Params
from .pipeline import StageExtension
from .keyframes import Keyframe
from .project import (
    SCHEMA_VERSION, Color, ColorClip, Crop, Ducking, EffectRef, GradientClip, Layout, Loudness, Marker, Mask,
    MediaClip, OutputSettings, Project, ProjectSettings, SubtitleStyle, TextAnimation, TextClip, Track, Transform,
    Transition, project_schema,
)

__all__ = [
    "SCHEMA_VERSION", "Project", "ProjectSettings", "OutputSettings", "Loudness", "Track", "MediaClip", "ColorClip",
    "TextClip", "Transform", "Crop", "EffectRef", "Transition", "Ducking", "SubtitleStyle", "Marker",
    "project_schema", "EffectSpec", "EffectContext", "Params", "Stream", "StageExtension",
    "ProjectInput", "ValidateResult", "ProblemModel", "RenderInput", "RenderResult", "PreviewFrameInput",
    "PreviewFrameResult", "PreviewRenderInput", "EncodersInput", "EncodersResult", "EncoderStatus", "EffectInfo",
    "EffectsResult", "BuildCommandInput", "BuildCommandResult", "ImportOtioInput", "ImportOtioResult",
    "ExportOtioInput", "ExportOtioResult", "PresetInfo", "PresetsResult", "ProjectSchemaResult", "Keyframe", "Mask", "Layout",
    "GradientClip", "TextAnimation", "InterchangeNote",
]

def _document(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ValueError("not a project object")
    return v


# A project object as given: the commands validate it themselves (compiler.validate reports every problem
# by path), while the JSON Schema, and so discovery and the TypeScript bindings, show the typed document.
ProjectDocument = Annotated[dict[str, Any], PlainValidator(_document, json_schema_input_type=Project)]
ProjectField = Field(description="The project document (an object), or the path of a project JSON file")


class ProjectInput(Input):
    project: ProjectDocument | InputDocument = ProjectField


class ProblemModel(Output):
    path: str = Field(description="Where in the document, e.g. tracks[1].clips[3].source_in")
    code: str = Field(description="Kind of problem: schema, overlap, range, missing_file, effect, transition …")
    message: str = Field(description="What is wrong and how to fix it")


class ValidateResult(Output):
    valid: bool = Field(description="No problems")
    problems: list[ProblemModel] = Field(description="Every problem found")
    duration: float | None = Field(None, description="Seconds of output, when the timeline resolved")
    frames: int | None = Field(None, description="Frames of output, when the timeline resolved")


class RenderInput(Input):
    project: ProjectDocument | InputDocument = ProjectField
    output: OutputPath = Field(description="Output file; its extension picks the container unless output.container is set")
    overwrite: bool = Field(True, description="Replace an existing output file")


class RenderResult(Output):
    output: str = Field(description="The rendered file (absolute)")
    duration: float = Field(description="Seconds")
    frames: int = Field(description="Video frames written (0 for audio-only)")
    bytes: int = Field(description="File size")
    encoder: str | None = Field(description="Video encoder used")
    fallback_from: str | None = Field(None, description="Hardware encoder that failed, when the render retried in software")
    sidecar: str = Field(description="JSON file with the render's statistics")
    stats: dict[str, Any] = Field(description="Timings per stage, plan and encode figures")


class PreviewFrameInput(Input):
    project: ProjectDocument | InputDocument = ProjectField
    time: float = Field(ge=0, le=1e7, description="Seconds into the timeline")
    height: int = Field(360, ge=16, le=4320, description="Image height (the canvas is scaled to it)")


class PreviewFrameResult(Output):
    path: str = Field(description="PNG file of the composed frame")
    width: int = Field(description="Pixels")
    height: int = Field(description="Pixels")
    cached: bool = Field(description="Served from the preview cache")


class PreviewRenderInput(Input):
    project: ProjectDocument | InputDocument = ProjectField
    output: OutputPath = Field(description="Output file (MP4 recommended)")
    start: float = Field(0, ge=0, le=1e7, description="Range start, seconds")
    end: float | None = Field(None, gt=0, le=1e7, description="Range end, seconds (default: the end)")
    overwrite: bool = Field(False, description="Replace an existing output file")
    height: int = Field(360, ge=16, le=2160, description="Preview height")


class EncodersInput(Input):
    refresh: bool = Field(False, description="Test the hardware encoders again instead of using the cache")


class EncoderStatus(Output):
    name: str = Field(description="FFmpeg encoder name")
    codec: str = Field(description="h264, h265, vp9, av1, prores")
    hardware: bool = Field(description="A hardware encoder")
    works: bool = Field(description="The test encode succeeded (software: compiled in)")
    test_ms: float | None = Field(None, description="Test encode time")
    error: str | None = Field(None, description="Why it does not work")


class EncodersResult(Output):
    ffmpeg: str = Field(description="The FFmpeg binary")
    encoders: list[EncoderStatus] = Field(description="Every known encoder and whether it works")
    auto: dict[str, str] = Field(description="What encoder='auto' picks per codec")


class EffectInfo(Output):
    name: str = Field(description="Effect name")
    summary: str = Field(description="What it does")
    kind: str = Field(description="video or audio")
    params_schema: dict[str, Any] = Field(description="JSON Schema of its parameters")


class EffectsResult(Output):
    effects: list[EffectInfo] = Field(description="The catalog, by name")


class BuildCommandInput(Input):
    project: ProjectDocument | InputDocument = ProjectField
    output: str = Field("out.mp4", description="Output path to show in the command")


class BuildCommandResult(Output):
    args: list[str] = Field(description="argv of the FFmpeg command")
    command: str = Field(description="The command as one shell line")
    graph: str = Field(description="The filter graph")
    graph_file_used: bool = Field(description="True when the graph is long enough to go through -/filter_complex")
    duration: float = Field(description="Seconds of output")
    plan_ms: float = Field(description="Planning time")


class PresetInfo(Output):
    name: str = Field(description="Preset name, for a project's `preset` field")
    summary: str = Field(description="What it is for")
    settings: dict[str, Any] = Field(description="Canvas settings it sets (width, height, fps)")
    output: dict[str, Any] = Field(description="Output settings it sets")


class ProjectSchemaResult(Output):
    schema_: dict[str, Any] = Field(alias="schema", description="The JSON Schema (2020-12) of the project document")


class PresetsResult(Output):
    presets: list[PresetInfo] = Field(description="Every preset, by name")


class InterchangeNote(Output):
    """One thing an import approximated or dropped, or an export's format could not carry."""

    path: str = Field(description="Where in the OTIO timeline, as Python indexes it: tracks[0][3] is "
                                  "timeline.tracks[0][3]; empty for the whole file")
    item: str = Field("", description="The item's name")
    feature: str = Field(description="What: media_reference, transition, nested_stack, time_warp, marker …")
    action: str = Field(description="approximated | dropped | offline | relinked | not_carried")
    message: str = Field(description="What was done, and how to change it")


class ImportOtioInput(Input):
    path: InputDocument = Field(description="A timeline file: .otio, Final Cut Pro 7 .xml, .fcpxml, CMX 3600 .edl, .aaf, "
                                  "or any format an installed OTIO adapter reads")
    adapter: str | None = Field(None, description="The OTIO adapter to read with (default: from the extension)")
    relink: dict[str, AnyPath] = Field(default_factory=dict, description="Missing media: old reference (a path, file "
                                   "URL or folder) → new file or folder, as an editor's relink dialog")
    search_folders: list[InputDir] = Field(default_factory=list, description="Folders searched by file name for media "
                                      "that is still missing")
    offline: Literal["background", "slate"] = Field("background", description="How offline clips show: the "
                                                    "background (not drawn: lower tracks or the background "
                                                    "show) or a slate colour")
    slate_color: Color = Field("#5a1a1a", description="The slate colour of offline clips")
    fps: str | None = Field(None, description="The project's frame rate (default: the timeline's; EDLs, which "
                                              "carry none, are read at it)")


class ImportOtioResult(Output):
    project: dict[str, Any] = Field(description="The reelkit project document")
    adapter: str = Field(description="The OTIO adapter that read the file")
    report: list[InterchangeNote] = Field(default_factory=list, description="Everything approximated, dropped, "
                                          "offline or relinked, each with its OTIO path; empty when nothing changed")
    offline: int = Field(0, description="Clips whose media was not found (shown as offline)")


class ExportOtioInput(Input):
    project: ProjectDocument | InputDocument = ProjectField
    output: OutputPath = Field(description="The file to write: .otio, .xml (Final Cut Pro 7: Premiere, Resolve), "
                                           ".fcpxml, .edl (CMX 3600), .aaf")
    adapter: str | None = Field(None, description="The OTIO adapter to write with (default: from the extension)")
    overwrite: bool = Field(False, description="Replace an existing file")


class ExportOtioResult(Output):
    path: str = Field(description="The written file")
    adapter: str = Field("otio_json", description="The OTIO adapter that wrote it")
    tracks: int = Field(description="Tracks exported")
    clips: int = Field(description="Clips exported")
    not_carried: list[InterchangeNote] = Field(default_factory=list, description="What the format could not "
                                               "carry: its fixed limits, then each difference found by reading "
                                               "the file back")
