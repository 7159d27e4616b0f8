"""Command handlers of the subtitles plugin. Parsing and writing are CPU work, so handlers are plain
functions the kernel runs in worker threads; the work itself lives in the service modules.
"""

from __future__ import annotations

from pathlib import PurePath

from reelkit.sdk import Bus, CancelToken, Empty, command

from . import formats, quality, source, timing
from .api import (ConvertInput, Cue, EmbedInput, EmbedResult, ExtractInput, ExtractResult, FixInput, FixResult,
                  FormatModel, FormatsResult, LimitsInput, MergeInput, ParseResult, ReplaceInput, ReplaceResult,
                  RestyleInput, RestyleResult, RetimeInput, ShiftInput, ShiftResult, SplitInput, SplitPart,
                  SplitResult, StreamModel, SubtitleWarning, SyncInput, SyncResult, TextOutputInput, TextResult, TrackInput,
                  ValidateInput, ValidateResult, IssueModel)
from .events import SubtitlesWritten
from .health import ffmpeg_exe
from .settings import SubtitlesSettings
from .track import Track, plain_text

__all__ = ["COMMANDS"]


def _load(inp: TrackInput) -> Track:
    return source.load(inp.path, inp.content, encoding=inp.encoding, fmt=inp.format, fps=inp.fps, strict=inp.strict)


def _report(*tracks: Track) -> dict:
    """What reading the input(s) repaired, skipped or guessed, for the result."""
    return {"encoding_confidence": min(t.confidence for t in tracks),
            "read_warnings": [SubtitleWarning(kind=w.kind, line=w.line, message=w.message) for t in tracks for w in t.warnings]}


def _target(to: str | None, output: str | None, track: Track) -> str:
    if to:
        return formats.normalize_name(to)
    if output:
        suffix = PurePath(output).suffix
        if suffix:
            try:
                return formats.normalize_name(suffix)
            except formats.SubtitlesFormatUnknown:
                pass
    return track.format


def _emit(track: Track, inp: TextOutputInput, bus: Bus, cmd: str, result=TextResult, **extra):
    return _emit_to(track, inp.to, inp.output, inp.fps, bus, cmd, result, encoding=inp.output_encoding, **extra)


def _emit_to(track: Track, to: str | None, output: str | None, fps: float | None, bus: Bus, cmd: str,
             result=TextResult, encoding: str = "utf-8", **extra):
    """Render the track, write it to ``output`` atomically when given, and build the result model.

    The track is the handler's last use of it: the writer frees cue texts as it goes (peak memory).
    """
    fmt = _target(to, output, track)
    count = track.cue_count
    extra = {**_report(track), **extra}
    text = formats.write(track, fmt, fps=fps, consume=True)
    written = None
    if output:
        written = str(source.write_atomic(output, text, encoding))
        bus.publish(SubtitlesWritten(path=written, format=fmt, cue_count=count, command=cmd))
    return result(content=text, format=fmt, output=written, cue_count=count,
                  source_format=track.format, source_encoding=track.encoding, **extra)


def _limits(inp: LimitsInput, settings: SubtitlesSettings) -> quality.Limits:
    names = ("max_line_length", "max_lines", "max_cps", "min_duration_ms", "max_duration_ms", "min_gap_ms")
    return quality.Limits(**{n: getattr(inp, n) if getattr(inp, n) is not None else getattr(settings, n)
                             for n in names})


_CUE_FIELDS = frozenset(Cue.model_fields)


@command("subtitles.parse")
def parse(inp: TrackInput) -> ParseResult:
    """Parse a subtitle file or text into cues (with source line numbers)."""
    track = _load(inp)
    order = track.cue_indices()
    start, end, text, style, name, line = track.start, track.end, track.text, track.style, track.name, track.line
    # The values are ours and typed: skip re-validating a million cues, and share one fields-set (a set
    # per model is ~700 bytes; outputs are never mutated, so one frozen set serves every cue).
    fields_set = _CUE_FIELDS

    def make(**kw):
        return Cue.model_construct(_fields_set=fields_set, **kw)

    return ParseResult(
        format=track.format, encoding=track.encoding, cue_count=len(order),
        duration_ms=max((end[i] for i in order), default=0), styles=list(track.subs.styles),
        cues=[make(index=n, start_ms=start[i], end_ms=end[i], text=plain_text(text[i]), raw=text[i],
                   style=style[i], speaker=name[i], line=line[i] or None) for n, i in enumerate(order, 1)],
        **_report(track))


@command("subtitles.convert")
def convert(inp: ConvertInput, bus: Bus) -> TextResult:
    """Convert subtitles to another format, keeping the styling the target can carry."""
    return _emit(_load(inp), inp, bus, "subtitles.convert")


@command("subtitles.shift")
def shift(inp: ShiftInput, bus: Bus) -> ShiftResult:
    """Move cues earlier or later by a fixed offset."""
    track = _load(inp)
    dropped = timing.shift(track, inp.offset_ms, from_ms=inp.from_ms)
    return _emit(track, inp, bus, "subtitles.shift", ShiftResult, dropped=dropped)


@command("subtitles.retime")
def retime(inp: RetimeInput, bus: Bus) -> TextResult:
    """Retime subtitles for a frame-rate change (e.g. 25 → 23.976)."""
    track = _load(inp)
    timing.retime(track, inp.from_fps, inp.to_fps)
    return _emit(track, inp, bus, "subtitles.retime")


@command("subtitles.sync")
def sync(inp: SyncInput, bus: Bus) -> SyncResult:
    """Synchronise by two anchor points (fixes an offset and a drift at once)."""
    track = _load(inp)
    scale, offset = timing.sync(track, timing.Anchor(**inp.first.model_dump()),
                                timing.Anchor(**inp.second.model_dump()))
    return _emit(track, inp, bus, "subtitles.sync", SyncResult, scale=scale, offset_ms=offset)


@command("subtitles.merge")
def merge(inp: MergeInput, bus: Bus) -> TextResult:
    """Merge two tracks into one bilingual track."""
    first = _load(inp)
    second = source.load(inp.second_path, inp.second_content, encoding=inp.second_encoding,
                         fmt=inp.second_format, fps=inp.fps, what="second_path", strict=inp.strict)
    merged = timing.merge(first, second, mode=inp.mode)
    merged.warnings = first.warnings + second.warnings
    merged.confidence = min(first.confidence, second.confidence)
    return _emit(merged, inp, bus, "subtitles.merge")


def _part_path(template: str, n: int) -> str:
    if "{n}" in template:
        return template.replace("{n}", str(n))
    p = PurePath(template)
    return str(p.with_name(f"{p.stem}.{n}{p.suffix}"))


@command("subtitles.split")
def split(inp: SplitInput, bus: Bus) -> SplitResult:
    """Split a track at given times into parts."""
    track = _load(inp)
    fmt = _target(inp.to, inp.output, track)
    parts = []
    for n, (lo, hi, part) in enumerate(timing.split(track, inp.at_ms, rebase=inp.rebase), 1):
        count = part.cue_count
        text = formats.write(part, fmt, fps=inp.fps, consume=True)
        written = None
        if inp.output:
            written = str(source.write_atomic(_part_path(inp.output, n), text, inp.output_encoding))
            bus.publish(SubtitlesWritten(path=written, format=fmt, cue_count=count, command="subtitles.split"))
        parts.append(SplitPart(index=n, start_ms=lo, end_ms=hi, cue_count=count, content=text,
                               output=written))
    return SplitResult(format=fmt, parts=parts)


def _validate(track: Track, limits: quality.Limits) -> ValidateResult:
    issues = quality.validate(track, limits)
    errors = sum(1 for i in issues if i.severity == "error")
    return ValidateResult(
        ok=errors == 0, format=track.format, encoding=track.encoding, cue_count=track.cue_count, errors=errors,
        warnings=len(issues) - errors, **_report(track),
        issues=[IssueModel(kind=i.kind, severity=i.severity, cue=i.cue, line=i.line, message=i.message,
                           other_cue=i.other_cue) for i in issues])


@command("subtitles.validate")
def validate(inp: ValidateInput, settings: SubtitlesSettings) -> ValidateResult:
    """Check timing and readability: overlaps, bad durations, empty cues, long lines, reading speed."""
    return _validate(_load(inp), _limits(inp, settings))


@command("subtitles.fix")
def fix(inp: FixInput, settings: SubtitlesSettings, bus: Bus) -> FixResult:
    """Repair timing: resolve overlaps, enforce a minimum duration and gap, drop empty cues."""
    track = _load(inp)
    limits = _limits(inp, settings)
    report = quality.fix(track, limits, remove_empty=inp.remove_empty)
    remaining = quality.count_errors(track, limits)
    return _emit(track, inp, bus, "subtitles.fix", FixResult, removed_empty=report.removed_empty,
                 fixed_durations=report.fixed_durations, resolved_overlaps=report.resolved_overlaps,
                 extended=report.extended, gaps=report.gaps, remaining_errors=remaining)


@command("subtitles.replace")
def replace(inp: ReplaceInput, bus: Bus) -> ReplaceResult:
    """Search and replace in cue text (styling tags untouched)."""
    track = _load(inp)
    n = timing.replace(track, inp.find, inp.replacement, regex=inp.regex, ignore_case=inp.ignore_case)
    return _emit(track, inp, bus, "subtitles.replace", ReplaceResult, replacements=n)


@command("subtitles.restyle")
def restyle(inp: RestyleInput, bus: Bus) -> RestyleResult:
    """Change or create SubStation styles (font, size, colours, alignment …)."""
    track = _load(inp)
    touched = timing.restyle(track, inp.styles, rename=inp.rename)
    return _emit(track, inp, bus, "subtitles.restyle", RestyleResult, styles=touched)


def _stream_model(s) -> StreamModel:
    return StreamModel(index=s.index, codec=s.codec, language=s.language, title=s.title, bitmap=s.bitmap)


@command("subtitles.extract")
def extract(inp: ExtractInput, bus: Bus) -> ExtractResult:
    """Pull a text subtitle stream out of a media file (PyAV)."""
    from . import media

    info, track = media.extract(inp.path, inp.stream)
    streams = media.subtitle_streams(inp.path)
    return _emit_to(track, inp.to, inp.output, None, bus, "subtitles.extract", ExtractResult, inp.output_encoding,
                    stream=_stream_model(info), streams=[_stream_model(s) for s in streams])


@command("subtitles.embed")
def embed(inp: EmbedInput, settings: SubtitlesSettings, bus: Bus, cancel: CancelToken) -> EmbedResult:
    """Mux soft subtitles into a video container (streams copied, not re-encoded)."""
    from . import media

    track = source.load(inp.subtitle_path, inp.content, encoding=inp.encoding, fmt=inp.format, fps=inp.fps,
                        what="subtitle_path")
    muxer, codec, fmt = media.container_codec(inp.output, track.format)
    count = track.cue_count
    text = formats.write(track, fmt, fps=inp.fps)
    index = media.embed(ffmpeg_exe(settings), inp.path, text, "." + fmt, inp.output, codec, muxer,
                        language=inp.language, title=inp.title, default=inp.default, replace=inp.replace,
                        cancelled=cancel.is_set)
    bus.publish(SubtitlesWritten(path=inp.output, format=codec, cue_count=count, command="subtitles.embed"))
    return EmbedResult(output=inp.output, stream=index, codec=codec, cue_count=count)


@command("subtitles.formats")
def list_formats(inp: Empty) -> FormatsResult:
    """Every subtitle format reelkit reads and writes."""
    return FormatsResult(formats=[
        FormatModel(name=f.name, title=f.title, extensions=list(f.extensions), read=True, write=f.writable,
                    styling=f.styling, needs_fps=f.needs_fps) for f in formats.FORMATS.values()])


COMMANDS = (parse, convert, shift, retime, sync, merge, split, validate, fix, replace, restyle, extract, embed,
            list_formats)
