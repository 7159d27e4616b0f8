"""Compiler errors, each with a stable dotted code.

    KernelError
    ├── InputInvalid ── ProjectInvalid        compiler.project_invalid (details.problems)
    │                   OutputInvalid         compiler.output_invalid
    │                   EncoderUnknown        compiler.encoder_unknown
    │                   OtioUnreadable        compiler.otio_unreadable (the adapter could not parse the file)
    │                   OtioSchemaUnsupported compiler.otio_schema_unsupported (newer than installed, no downgrade)
    │                   InterchangeUnsupported compiler.interchange_unsupported (the format cannot hold the project)
    ├── Unavailable ─── FFmpegMissing         compiler.ffmpeg_missing
    │                   OtioAdapterMissing    compiler.otio_adapter_missing
    │                   SubtitlesUnavailable  compiler.subtitles_unavailable
    ├── CommandFailed ─ RenderFailed          compiler.render_failed (details.stderr_tail)
    ├── Conflict ────── OutputExists          compiler.output_exists
    └── NotFound ────── OtioNotFound          compiler.otio_not_found
"""

from __future__ import annotations

from reelkit.sdk import CommandFailed, Conflict, InputInvalid, NotFound, Unavailable


class ProjectInvalid(InputInvalid):
    """The project document has problems; `details["problems"]` lists each with its path."""

    code = "compiler.project_invalid"


class OutputInvalid(InputInvalid):
    """The output path cannot be used (missing folder, or one of the project's own sources)."""

    code = "compiler.output_invalid"


class EncoderUnknown(InputInvalid):
    """``output.encoder`` names an encoder this FFmpeg lacks, or one for another codec."""

    code = "compiler.encoder_unknown"


class FFmpegMissing(Unavailable):
    code = "compiler.ffmpeg_missing"


class SubtitlesUnavailable(Unavailable):
    code = "compiler.subtitles_unavailable"


class RenderFailed(CommandFailed):
    """FFmpeg exited with an error; the message ends with the last lines it printed."""

    code = "compiler.render_failed"


class RenderStalled(RenderFailed):
    """FFmpeg stopped making progress (FFmpeg 9's scheduler can deadlock on some graphs) and was killed."""

    code = "compiler.render_stalled"


class OutputExists(Conflict):
    code = "compiler.output_exists"


class OtioUnreadable(InputInvalid):
    """OpenTimelineIO (or the adapter for the file's format) cannot parse the file."""

    code = "compiler.otio_unreadable"


class OtioSchemaUnsupported(InputInvalid):
    """The file uses a schema newer than the installed OpenTimelineIO, and lowering its versions failed."""

    code = "compiler.otio_schema_unsupported"


class InterchangeUnsupported(InputInvalid):
    """The interchange format cannot hold this project (e.g. a CMX 3600 EDL with two video tracks)."""

    code = "compiler.interchange_unsupported"


class OtioAdapterMissing(Unavailable):
    """The file's format needs an OpenTimelineIO adapter that is not installed."""

    code = "compiler.otio_adapter_missing"


class OtioNotFound(NotFound):
    """The timeline file to import does not exist."""

    code = "compiler.otio_not_found"
