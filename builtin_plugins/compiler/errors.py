"""Compiler errors, each with a stable dotted code.

    KernelError
    ├── InputInvalid ── ProjectInvalid        compiler.project_invalid (details.problems)
    │                   OutputInvalid         compiler.output_invalid
    │                   EncoderUnknown        compiler.encoder_unknown
    ├── Unavailable ─── FFmpegMissing         compiler.ffmpeg_missing
    │                   SubtitlesUnavailable  compiler.subtitles_unavailable
    ├── CommandFailed ─ RenderFailed          compiler.render_failed (details.stderr_tail)
    └── Conflict ────── OutputExists          compiler.output_exists
"""

from __future__ import annotations

from reelkit.sdk import CommandFailed, Conflict, InputInvalid, Unavailable


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
