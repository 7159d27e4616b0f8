"""Format registry: detection, reading text into a Track, writing a Track back to text.

SubRip and WebVTT use reelkit's own line readers (``srt_vtt``); the others go through pysubs2 after a
line check of our own, because pysubs2 silently skips lines it cannot read and a user needs to hear
which line broke.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePath

from .errors import (MAX_HOURS, SubtitlesFormatUnknown, SubtitlesInputInvalid, SubtitlesParseError,
                     SubtitlesTimeOutOfRange)
from .track import Track, plain_text

__all__ = ["FormatInfo", "FORMATS", "detect", "read", "write", "normalize_name"]


@dataclass(frozen=True)
class FormatInfo:
    name: str
    title: str
    extensions: tuple[str, ...]
    styling: str
    needs_fps: bool = False
    writable: bool = True


FORMATS: dict[str, FormatInfo] = {f.name: f for f in [
    FormatInfo("srt", "SubRip", (".srt",), "bold, italic, underline, strikeout, colour, \\an position"),
    FormatInfo("vtt", "WebVTT", (".vtt",),
               "bold, italic, underline, speaker; STYLE/REGION/cue settings kept vtt→vtt"),
    FormatInfo("ass", "Advanced SubStation Alpha", (".ass",), "full: styles, override tags, positions"),
    FormatInfo("ssa", "SubStation Alpha v4", (".ssa",), "styles and most override tags"),
    FormatInfo("microdvd", "MicroDVD (frame-based)", (".sub",), "italic", needs_fps=True),
    FormatInfo("mpl2", "MPL2", (".mpl", ".mpl2"), "italic"),
    FormatInfo("tmp", "TMPlayer (plain text with start times)", (".tmp", ".txt"), "none"),
    FormatInfo("ttml", "TTML / DFXP", (".ttml", ".dfxp", ".xml"),
               "italic, bold, underline, colour (write: also strikeout, font)"),
    FormatInfo("sami", "SAMI", (".smi", ".sami"), "bold, italic, underline", writable=False),
    FormatInfo("json", "pysubs2 JSON", (".json",), "full (lossless pysubs2 document)"),
]}
_ALIASES = {"subrip": "srt", "webvtt": "vtt", "dfxp": "ttml", "mpl": "mpl2", "sub": "microdvd",
            "tmplayer": "tmp", "txt": "tmp", "smi": "sami", "ssa4": "ssa"}
_BY_EXT = {ext: f.name for f in FORMATS.values() for ext in f.extensions}

_SRT_TIMING = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{1,2}(?:[,.:]\d{1,3})?\s*--?>", re.M)  # '->' as pysubs2
_MICRODVD = re.compile(r"^\s*\{\s*-?\d+\s*\}\s*\{\s*-?\d*\s*\}")
_MPL2 = re.compile(r"^\s*\[\s*-?\d+\s*\]\s*\[\s*-?\d*\s*\]")
_TMP = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[:=]")
# What pysubs2 accepts line by line; anything else would be skipped silently, so it is an error here.
_LINE_RULES = {
    "microdvd": (re.compile(r"^ *\{ *\d+ *\} *\{ *\d+ *\}.+"), "{start frame}{end frame}text"),
    "mpl2": (re.compile(r"^\[-?\d+\]\[-?\d+\].*\S"), "[start ds][end ds]text"),
    "tmp": (re.compile(r"^\d{1,2}:\d{2}:\d{2}:.+"), "HH:MM:SS:text"),
}
_EMPTY_CUE = {"microdvd": re.compile(r"^ *\{ *\d+ *\} *\{ *\d+ *\}\s*$"),
              "mpl2": re.compile(r"^\[-?\d+\]\[-?\d+\]\s*$"), "tmp": re.compile(r"^\d{1,2}:\d{2}:\d{2}:\s*$")}
_ASS_TIME = re.compile(r"^\s*\d+:\d{1,2}:\d{1,2}(?:[.:]\d{1,3})?\s*$")


def normalize_name(name: str) -> str:
    """A format name or alias (``subrip``, ``.srt``) to its registry key, or ``subtitles.format_unknown``."""
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise SubtitlesFormatUnknown(
            f"unknown subtitle format {name!r}; use one of {', '.join(FORMATS)}",
            details={"format": name, "formats": list(FORMATS)})
    return key


def detect(text: str, path: str | None = None) -> str:
    """The format of ``text``, sniffed from its content, else from the file extension."""
    head = text.lstrip()[:2048]
    if head.startswith("<"):
        low = head.lower()
        if "http://www.w3.org/ns/ttml" in head or "ttaf1" in head or "<tt " in low or "<tt>" in low or "<tt:tt" in low:
            return "ttml"
        if "<sami" in low:
            return "sami"
    if head.startswith("WEBVTT"):
        return "vtt"
    if "[Script Info]" in head or re.search(r"^\[V4\+? Styles\]|^Dialogue:", head, re.M):
        if re.search(r"^\s*ScriptType:\s*v4\.00\s*$", head, re.M | re.I) or "[V4 Styles]" in head:
            return "ssa"
        return "ass"
    if head.startswith("{") and '"events"' in text[:65536]:
        return "json"
    if _SRT_TIMING.search(text[:65536]):
        return "srt"
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    if _MICRODVD.match(first):
        return "microdvd"
    if _MPL2.match(first):
        return "mpl2"
    if _TMP.match(first):
        return "tmp"
    if path:
        ext = PurePath(path).suffix.lower()
        if ext in _BY_EXT:
            return _BY_EXT[ext]
    raise SubtitlesFormatUnknown(
        f"{path or '<content>'}: not a subtitle format reelkit reads ({', '.join(FORMATS)}). "
        "Pass `format` if the content is one of them.",
        details={"source": path, "start": text[:80]})


def read(text: str, fmt: str, *, source: str = "<content>", encoding: str = "utf-8",
         fps: float | None = None, strict: bool = False) -> Track:
    """Parse ``text`` in format ``fmt`` into a Track; a broken line raises ``subtitles.parse_error``.

    Not ``strict`` (the default), lines pysubs2 reads though they break the format (a single-dash SubRip
    arrow, a negative SubStation time, an MPL2 or MicroDVD line without text, a stray line) are repaired
    or skipped, each with a warning on the track naming its line. ``strict`` refuses them.
    """
    import pysubs2

    from . import srt_vtt

    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    track = Track(subs=pysubs2.SSAFile(), format=fmt, encoding=encoding, source=source)
    if fmt == "srt":
        srt_vtt.read_srt(text, track, strict=strict)
        return track
    if fmt == "vtt":
        srt_vtt.read_vtt(text, track, strict=strict)
        return track
    kwargs = {}
    if fmt == "microdvd":
        header = _MICRODVD_FPS.match(text.lstrip("\n").split("\n", 1)[0])
        if header:
            # The frame rate as the text of a first {1}{1} cue (VLC's convention); blank it so that
            # line numbers stay right and it does not become a cue.
            fps = fps or float(header.group(1).replace(",", "."))
            first = text.index(header.group(0))
            text = text[:first] + text[first + len(header.group(0)):]
        if not fps:
            raise SubtitlesInputInvalid(
                f"{source}: MicroDVD counts frames and the file does not state its frame rate; pass `fps`.",
                details={"source": source})
        kwargs["fps"] = fps
    text, lines = _check_lines(text, fmt, source, track, strict)
    if fmt == "ttml":
        from .ttml import read_ttml

        read_ttml(text, track)
        return track
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt, **kwargs)
    except SubtitlesParseError:
        raise
    except Exception as e:
        line, bad = _locate(e, text)
        raise SubtitlesParseError(f"not valid {FORMATS[fmt].title}: {e}", line=line, text=bad,
                                  source=source, fmt=fmt) from e
    del text
    track.absorb(subs, lines)
    if fmt in ("ass", "ssa") and track.start and min(min(track.start), min(track.end)) < 0:
        _clamp_negative(track)
    return track


_MICRODVD_FPS = re.compile(r"^\s*\{\s*[01]\s*\}\s*\{\s*[01]\s*\}\s*(\d+(?:[.,]\d+)?)\s*$")


def _clamp_negative(track: Track) -> None:
    """A negative SubStation time (pysubs2 reads ``-0:00:01.00`` as -1 s): start at 0, warn with its line."""
    for i in range(len(track)):
        if track.start[i] < 0 or track.end[i] < 0:
            track.warn("repaired", f"negative time {track.start[i]} → {track.end[i]} ms clamped to start at 0",
                       track.line[i] or None)
            track.start[i] = max(0, track.start[i])
            track.end[i] = max(track.start[i], track.end[i])


def _clock_in_range(parts: list[str], n: int, line: str, track: Track) -> None:
    """``[h, m, s…]`` of a clock time: minutes and seconds 00-59, hours to MAX_HOURS (else refused)."""
    h, m, s = parts[0], parts[1], parts[2].split(".")[0]
    if int(m) > 59 or int(s) > 59 or int(h) > MAX_HOURS:
        raise SubtitlesTimeOutOfRange(
            f"timestamp {':'.join(parts)[:40]!r} is out of range (minutes and seconds run 00-59, hours to "
            f"{MAX_HOURS}); correct the time", line=n, text=line[:200], source=track.source, fmt=track.format)


def _skip(track: Track, strict: bool, why: str, n: int, line: str, syntax: str) -> None:
    if strict:
        raise SubtitlesParseError(f"{why} '{syntax}'", line=n, text=line, source=track.source, fmt=track.format)
    track.warn("skipped", f"line skipped: {why} '{syntax}' ({line[:60]!r})", n)


def _check_lines(text: str, fmt: str, source: str, track: Track, strict: bool) -> tuple[str, list[int] | None]:
    """Validate line-based formats; return the text to parse (skipped lines blanked when not strict) and
    the source line of each event, in order."""
    from .srt_vtt import iter_lines

    if fmt in _LINE_RULES:
        pattern, syntax = _LINE_RULES[fmt]
        out: list[int] = []
        kept: list[str] | None = None
        for n, line in enumerate(iter_lines(text), 1):
            ok = not line.strip() or pattern.match(line)
            if ok and fmt == "tmp" and line.strip():
                _clock_in_range(line.split(":", 3)[:3], n, line, track)
            if not ok:
                why = "line does not match the %s cue syntax" % FORMATS[fmt].title
                if fmt in _EMPTY_CUE and _EMPTY_CUE[fmt].match(line):
                    why = "a cue without text does not match the %s cue syntax" % FORMATS[fmt].title
                _skip(track, strict, why, n, line, syntax)
                if kept is None:
                    kept = list(iter_lines(text))[: n - 1]
                kept.append("")
                continue
            if kept is not None:
                kept.append(line)
            if line.strip():
                out.append(n)
        return ("\n".join(kept) if kept is not None else text), out
    if fmt in ("ass", "ssa"):
        return text, _check_ass(text, fmt, source, track, strict)
    if fmt == "ttml":
        m = re.search(r"<!(DOCTYPE|ENTITY)", text, re.I)
        if m:
            # No entity expansion: a TTML file needs no DTD, and expanding one is a known DoS vector.
            raise SubtitlesParseError(
                "DTD and entity declarations are not accepted in TTML", line=text.count("\n", 0, m.start()) + 1,
                text=m.group(0), source=source, fmt=fmt)
    return text, None


def _check_ass(text: str, fmt: str, source: str, track: Track, strict: bool) -> list[int]:
    from .srt_vtt import iter_lines

    out: list[int] = []
    fields = ["Layer", "Start", "End", "Style", "Name", "MarginL", "MarginR", "MarginV", "Effect", "Text"]
    section = ""
    for n, line in enumerate(iter_lines(text), 1):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s.lower()
            continue
        if section != "[events]":
            continue
        if s.lower().startswith("format:"):
            fields = [f.strip() for f in s.split(":", 1)[1].split(",")]
            continue
        kind = s.split(":", 1)[0]
        if kind not in ("Dialogue", "Comment"):
            continue
        values = s.split(":", 1)[1].split(",", len(fields) - 1)
        if len(values) < len(fields):
            raise SubtitlesParseError(f"{kind} line has {len(values)} fields, the Format line names {len(fields)}",
                                      line=n, text=line, source=source, fmt=fmt)
        for name in ("Start", "End"):
            if name in fields and _ASS_TIME.match(values[fields.index(name)].lstrip().lstrip("-")):
                _clock_in_range(values[fields.index(name)].strip().lstrip("-").split(":")[:3], n, line, track)
            if name in fields and not _ASS_TIME.match(values[fields.index(name)]):
                bad = values[fields.index(name)].strip()
                if not strict and _ASS_TIME.match(bad.lstrip("-")):
                    continue  # a negative time, which pysubs2 reads: clamped to 0 with a warning
                raise SubtitlesParseError(f"bad {name} time {bad!r}; expected H:MM:SS.cc",
                                          line=n, text=line, source=source, fmt=fmt)
        out.append(n)
    return out


def _line(text: str, n: int | None) -> str:
    if not n:
        return ""
    lines = text.splitlines()
    return lines[n - 1] if 0 < n <= len(lines) else ""


def _locate(e: Exception, text: str) -> tuple[int | None, str]:
    if isinstance(e, json.JSONDecodeError):
        return e.lineno, _line(text, e.lineno)
    pos = getattr(e, "position", None)  # xml.etree.ElementTree.ParseError
    if pos:
        return pos[0], _line(text, pos[0])
    m = re.search(r"expression: (.+)$", str(e))
    if m:
        i = text.find(m.group(1))
        if i >= 0:
            n = text.count("\n", 0, i) + 1
            return n, _line(text, n)
    return None, ""


_CHUNK = 20000  # cues per pysubs2 call: a whole file of SSAEvent objects at once would cost ~300 bytes a cue


def write(track: Track, fmt: str, *, fps: float | None = None, consume: bool = False) -> str:
    """Render ``track`` as text in ``fmt``; styling the target cannot carry is dropped.

    ``consume``: the caller is done with the track, so cue texts may be freed as they are written.
    Formats pysubs2 writes are written a chunk of cues at a time (the header once), so memory stays
    linear and small; JSON and TTML are whole documents and written at once.
    """
    import warnings

    from . import srt_vtt

    if not FORMATS[fmt].writable:
        raise SubtitlesFormatUnknown(
            f"reelkit reads {FORMATS[fmt].title} but cannot write it; pick another target format.",
            details={"format": fmt, "writable": [f.name for f in FORMATS.values() if f.writable]})
    if fmt == "srt":
        return srt_vtt.write_srt(track, consume=consume)
    if fmt == "vtt":
        return srt_vtt.write_vtt(track, consume=consume)
    kwargs = {}
    if fmt == "microdvd":
        fps = fps or track.subs.fps
        if not fps:
            raise SubtitlesInputInvalid("MicroDVD counts frames; pass `fps` to write it.",
                                        details={"format": fmt})
        kwargs["fps"] = fps
    if fmt in ("ass", "ssa"):
        from .substation import write_substation

        return write_substation(track, fmt, consume=consume)
    order = list(range(len(track)))
    if fmt in ("microdvd", "mpl2", "tmp", "ttml"):
        # Plain-text formats: a cue whose visible text is empty (an empty line, a drawing) would be written
        # as a line its own reader refuses ("00:00:02:" in TMPlayer); leave such cues out.
        text = track.text
        order = [i for i in order if (plain_text(text[i]) if "{" in text[i] or "\\" in text[i] else text[i]).strip()
                 and not track.is_comment(i)]
    with warnings.catch_warnings():
        # SubStation and TMPlayer cap hours at 9 and 99; pysubs2 clamps and warns, which is the best
        # those formats can carry.
        warnings.simplefilter("ignore", RuntimeWarning)
        if fmt in ("json", "ttml"):
            return _pysubs2_text(track, order, fmt, kwargs)
        chunks = []
        for c in range(0, max(len(order), 1), _CHUNK):
            part = order[c:c + _CHUNK]
            out = _pysubs2_text(track, part, fmt, kwargs)
            if c:
                out = _events_only(out, fmt)
            elif fmt == "microdvd":
                out = re.sub(r"^\{0\}\{0\}", "{1}{1}", out)  # the header VLC and pysubs2 read back
            chunks.append(out)
            if consume:
                for i in part:
                    track.text[i] = ""
        return "".join(chunks)


def _pysubs2_text(track: Track, indices: list[int], fmt: str, kwargs: dict) -> str:
    subs = track.subs
    saved = subs.events
    subs.events = [track.event(i) for i in indices]
    try:
        return subs.to_string(fmt, **kwargs)
    finally:
        subs.events = saved


def _events_only(text: str, fmt: str) -> str:
    """The event lines of a later chunk: without the SubStation header or the MicroDVD frame-rate line."""
    if fmt in ("ass", "ssa"):
        at = text.find("\n[Events]\n")
        at = text.find("\n", text.find("\n", at + 1) + 1)  # past "[Events]" and its "Format:" line
        return text[at + 1:]
    if fmt == "microdvd":
        first, _, rest = text.partition("\n")
        return rest if re.match(r"^\{[01]\}\{[01]\}", first) else text
    return text
