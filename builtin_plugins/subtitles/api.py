"""Public models of the subtitles plugin: command inputs and outputs other plugins may import.

The compiler validates and converts subtitle tracks before burn-in through the commands
``subtitles.validate {path}`` and ``subtitles.convert {path, to: "ass", output}``.
"""

from __future__ import annotations

from typing import Any, Literal

from reelkit.sdk import Field, Input, Output

__all__ = [
    "TrackInput", "SubtitleWarning", "TextOutputInput", "TextResult", "Cue", "ParseResult", "ConvertInput", "ShiftInput",
    "ShiftResult", "RetimeInput", "AnchorModel", "SyncInput", "SyncResult", "MergeInput", "SplitInput",
    "SplitPart", "SplitResult", "LimitsInput", "ValidateInput", "IssueModel", "ValidateResult", "FixInput",
    "FixResult", "ReplaceInput", "ReplaceResult", "RestyleInput", "RestyleResult", "ExtractInput",
    "ExtractResult", "EmbedInput", "EmbedResult", "FormatModel", "FormatsResult", "StreamModel",
]


class TrackInput(Input):
    """A subtitle track given as a file (``path``) or inline (``content``)."""

    path: str | None = Field(None, description="Subtitle file to read (give this or `content`)")
    content: str | None = Field(None, description="Subtitle text given inline (give this or `path`)")
    encoding: str | None = Field(
        None, description="Text encoding of `path`; unset: detected (BOM, UTF-16, charset-normalizer)")
    format: str | None = Field(
        None, description="Source format (srt, vtt, ass, ssa, microdvd, mpl2, tmp, ttml, sami, json); unset: detected")
    fps: float | None = Field(None, gt=0, description="Frame rate for frame-based MicroDVD (read or write)")
    strict: bool = Field(
        False, description="Refuse lines that break the format; unset: lines pysubs2 reads (a single-dash "
        "arrow, a negative time, a cue without text) are repaired or skipped, each reported in `read_warnings`")


class SubtitleWarning(Output):
    """A line a reader repaired or skipped, or a guess it is unsure of (the text encoding)."""

    kind: str = Field(description="repaired, skipped, encoding_uncertain or encoding_mixed")
    line: int | None = Field(None, description="1-based source line, when it is about one")
    message: str = Field(description="What was found and what was done")


class _ReadReport(Output):
    encoding_confidence: float = Field(1.0, description="How sure the text encoding is, 0-1 (1: a BOM, the "
                                       "given `encoding` or valid UTF-8); below 0.7 a warning says so")
    read_warnings: list[SubtitleWarning] = Field(
        default_factory=list, description="What reading the input repaired, skipped or guessed (line, what was done)")


class TextOutputInput(TrackInput):
    """A track in, subtitle text out."""

    to: str | None = Field(None, description="Target format; unset: from `output`'s suffix, else the source format")
    output: str | None = Field(
        None, description="File to write the result to (atomically); the text is returned either way")
    output_encoding: str = Field("utf-8", description="Encoding of `output` (utf-8-sig adds a BOM; cp1251 …)")


class TextResult(_ReadReport):
    content: str = Field(description="The resulting subtitle text")
    format: str = Field(description="Format of `content`")
    output: str | None = Field(None, description="File written, when `output` was given")
    cue_count: int = Field(description="Cues in the result")
    source_format: str = Field(description="Detected or given format of the input")
    source_encoding: str = Field(description="Detected or given text encoding of the input")


class Cue(Output):
    index: int = Field(description="1-based position in time order")
    start_ms: int = Field(description="Start in milliseconds")
    end_ms: int = Field(description="End in milliseconds")
    text: str = Field(description="Visible text, newlines as \\n, styling and drawings removed")
    raw: str = Field(description="Text with SubStation override tags ({\\i1}) and \\N line breaks")
    style: str = Field(description="SubStation style name (Default for formats without styles)")
    speaker: str = Field("", description="Speaker or actor (WebVTT <v>, SubStation Name)")
    line: int | None = Field(None, description="1-based source line where the cue starts, when known")


class ParseResult(_ReadReport):
    format: str = Field(description="Detected or given format")
    encoding: str = Field(description="Detected or given text encoding")
    cue_count: int = Field(description="Number of cues")
    duration_ms: int = Field(description="End of the last cue")
    styles: list[str] = Field(description="SubStation style names")
    cues: list[Cue] = Field(description="The cues, in time order")


class ConvertInput(TextOutputInput):
    pass


class ShiftInput(TextOutputInput):
    offset_ms: int = Field(description="Milliseconds to move cues by; negative moves them earlier")
    from_ms: int | None = Field(None, description="Only move cues starting at or after this time")


class ShiftResult(TextResult):
    dropped: int = Field(0, description="Cues removed because they would end before 0")


class RetimeInput(TextOutputInput):
    from_fps: float = Field(gt=0, description="Frame rate the subtitles were timed for (e.g. 25 for a PAL video)")
    to_fps: float = Field(gt=0, description="Frame rate of the video they should fit (e.g. 23.976)")


class AnchorModel(Input):
    target_ms: int = Field(description="Time this anchor should have after syncing")
    cue: int | None = Field(None, ge=1, description="1-based cue (time order) whose start is the anchor")
    source_ms: int | None = Field(None, ge=0, description="A source time as the anchor (instead of `cue`)")


class SyncInput(TextOutputInput):
    first: AnchorModel = Field(description="First anchor, usually a line near the start")
    second: AnchorModel = Field(description="Second anchor, usually a line near the end")


class SyncResult(TextResult):
    scale: float = Field(description="Applied t' = t * scale + offset_ms")
    offset_ms: float = Field(description="Applied offset")


class MergeInput(TextOutputInput):
    second_path: str | None = Field(None, description="The second track (e.g. the translation)")
    second_content: str | None = Field(None, description="The second track inline")
    second_encoding: str | None = Field(None, description="Text encoding of `second_path`; unset: detected")
    second_format: str | None = Field(None, description="Format of the second track; unset: detected")
    mode: Literal["stack", "combine"] = Field(
        "stack", description="stack: both tracks' cues, the second on top; combine: second track's text "
        "added under each overlapping cue of the first")


class SplitInput(TrackInput):
    at_ms: list[int] = Field(min_length=1, description="Split points in milliseconds")
    rebase: bool = Field(True, description="Make each part start at 0")
    to: str | None = Field(None, description="Target format; unset: the source format")
    output: str | None = Field(None, description="File name template with {n} (1-based part); without {n}, "
                               "'.{n}' goes before the suffix")
    output_encoding: str = Field("utf-8", description="Encoding of the part files")


class SplitPart(Output):
    index: int = Field(description="1-based part number")
    start_ms: int = Field(description="Start of the part in source time")
    end_ms: int | None = Field(description="End of the part in source time (None: open)")
    cue_count: int = Field(description="Cues in this part")
    content: str = Field(description="Subtitle text of the part")
    output: str | None = Field(None, description="File written")


class SplitResult(Output):
    format: str = Field(description="Format of the parts")
    parts: list[SplitPart] = Field(description="The parts, in order")


class LimitsInput(TrackInput):
    max_line_length: int | None = Field(None, ge=1, description="Override [subtitles] max_line_length")
    max_lines: int | None = Field(None, ge=1, description="Override [subtitles] max_lines")
    max_cps: float | None = Field(None, gt=0, description="Override [subtitles] max_cps (characters per second)")
    min_duration_ms: int | None = Field(None, ge=0, description="Override [subtitles] min_duration_ms")
    max_duration_ms: int | None = Field(None, ge=1, description="Override [subtitles] max_duration_ms")
    min_gap_ms: int | None = Field(None, ge=0, description="Override [subtitles] min_gap_ms")


class ValidateInput(LimitsInput):
    pass


class IssueModel(Output):
    kind: str = Field(description="overlap, negative_duration, zero_duration, empty, line_too_long, too_many_lines, "
                      "reading_speed, duration_too_long")
    severity: Literal["error", "warning"] = Field(description="error: timing is broken; warning: style advice")
    cue: int = Field(description="1-based cue number in time order")
    line: int | None = Field(description="1-based source line of the cue, when known")
    message: str = Field(description="What is wrong")
    other_cue: int | None = Field(None, description="For overlaps: the cue overlapped")


class ValidateResult(_ReadReport):
    ok: bool = Field(description="No errors (warnings allowed)")
    format: str = Field(description="Detected or given format")
    encoding: str = Field(description="Detected or given text encoding")
    cue_count: int = Field(description="Number of cues")
    errors: int = Field(description="Issues of severity error")
    warnings: int = Field(description="Issues of severity warning")
    issues: list[IssueModel] = Field(description="Every issue, in cue order")


class FixInput(LimitsInput):
    remove_empty: bool = Field(True, description="Drop cues without visible text")
    to: str | None = Field(None, description="Target format; unset: from `output`'s suffix, else the source format")
    output: str | None = Field(None, description="File to write the fixed track to (atomically)")
    output_encoding: str = Field("utf-8", description="Encoding of `output` (utf-8-sig adds a BOM; cp1251 …)")


class FixResult(TextResult):
    removed_empty: int = Field(description="Empty cues removed")
    fixed_durations: int = Field(description="Zero or negative durations given the minimum duration")
    resolved_overlaps: int = Field(description="Overlaps removed")
    extended: int = Field(description="Short cues extended towards the minimum duration")
    gaps: int = Field(description="Cues shortened to keep the minimum gap")
    remaining_errors: int = Field(description="Errors subtitles.validate still finds after fixing")


class ReplaceInput(TextOutputInput):
    find: str = Field(min_length=1, description="Text (or regular expression) to find in cue text")
    replacement: str = Field(description="Replacement; with `regex`, \\1 refers to groups")
    regex: bool = Field(False, description="Treat `find` as a Python regular expression")
    ignore_case: bool = Field(False, description="Case-insensitive search")


class ReplaceResult(TextResult):
    replacements: int = Field(description="Number of replacements made")


class RestyleInput(TextOutputInput):
    styles: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description='Style name → fields to set, e.g. {"Default": {"fontsize": 48, '
        '"primarycolor": "#FFFF00", "bold": true, "alignment": 8}}; unknown styles are created from Default')
    rename: dict[str, str] = Field(default_factory=dict, description="Old style name → new name (events follow)")


class RestyleResult(TextResult):
    styles: list[str] = Field(description="Styles changed or created")


class ExtractInput(Input):
    path: str = Field(description="Media file holding subtitle streams")
    stream: int | None = Field(None, ge=0, description="Absolute stream index; unset: the first subtitle stream")
    to: str | None = Field(
        None, description="Target format; unset: ass for SubStation streams, vtt for WebVTT, else srt")
    output: str | None = Field(None, description="File to write the subtitles to (atomically)")
    output_encoding: str = Field("utf-8", description="Encoding of `output`")


class StreamModel(Output):
    index: int = Field(description="Absolute stream index")
    codec: str = Field(description="FFmpeg codec name")
    language: str | None = Field(None, description="Language tag, when set")
    title: str | None = Field(None, description="Track title, when set")
    bitmap: bool = Field(description="Bitmap subtitles (cannot be extracted as text)")


class ExtractResult(TextResult):
    stream: StreamModel = Field(description="The stream extracted")
    streams: list[StreamModel] = Field(description="Every subtitle stream of the file")


class EmbedInput(Input):
    path: str = Field(description="Video to add a soft subtitle track to")
    subtitle_path: str | None = Field(None, description="Subtitle file to embed (give this or `content`)")
    content: str | None = Field(None, description="Subtitle text to embed, inline")
    encoding: str | None = Field(None, description="Text encoding of `subtitle_path`; unset: detected")
    format: str | None = Field(None, description="Format of the subtitles; unset: detected")
    fps: float | None = Field(None, gt=0, description="Frame rate for MicroDVD subtitles")
    output: str = Field(description="Resulting file (.mkv, .mp4, .mov, .m4v, .webm); written atomically")
    language: str | None = Field(None, description="ISO 639-2 language of the track (eng, fra, deu …)")
    title: str | None = Field(None, description="Track title")
    default: bool = Field(False, description="Mark the track as default")
    replace: bool = Field(False, description="Drop the video's existing subtitle tracks")


class EmbedResult(Output):
    output: str = Field(description="File written")
    stream: int = Field(description="Absolute index of the new subtitle stream")
    codec: str = Field(description="Subtitle codec in the container (mov_text, srt, ass, webvtt)")
    cue_count: int = Field(description="Cues embedded")


class FormatModel(Output):
    name: str = Field(description="Format name used by `format` and `to`")
    title: str = Field(description="Human name")
    extensions: list[str] = Field(description="File suffixes")
    read: bool = Field(description="reelkit reads it")
    write: bool = Field(description="reelkit writes it")
    styling: str = Field(description="Styling the format carries through a conversion")
    needs_fps: bool = Field(description="Frame-based: needs `fps`")


class FormatsResult(Output):
    formats: list[FormatModel] = Field(description="Every supported subtitle format")
