"""SubRip and WebVTT, read line by line so every cue knows its source line and a broken line is named.

pysubs2's own SubRip reader skips what it does not understand and caps hours at 99; subtitles from
the wild need more: CRLF, missing blank lines, ``,`` or ``.`` before the milliseconds, hours past 99,
HTML tags, WebVTT STYLE/REGION/NOTE blocks and cue settings. Text is converted to SubStation override
tags on the way in and back to HTML-like tags on the way out.

Linear in time and memory: lines are read from the text one at a time (no list of every line), cues go
straight into the track's columns, and writers build the output a chunk of cues at a time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence

from .colours import css_colour
from .errors import MAX_HOURS, SubtitlesParseError, SubtitlesTimeOutOfRange
from .track import Track, is_drawing_only

__all__ = ["read_srt", "read_vtt", "write_srt", "write_vtt", "ms_to_clock", "iter_lines"]

# [h:]mm:ss[,.:]mmm -- hours of any width; SRT files in the wild also use '.' or ':' before the ms.
_STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_STAMP}\s*-->\s*{_STAMP}(?:\s+(.*?))?\s*$")
_TIMING_1DASH = re.compile(rf"^\s*{_STAMP}\s*-(?!-)>\s*{_STAMP}(?:\s+(.*?))?\s*$")  # pysubs2 reads it
_TIMING_LIKE = re.compile(r"^\s*\d+:\d")
_INDEX = re.compile(r"^\s*\d+\s*$")
_SIMPLE_TAGS = {"i": "i", "b": "b", "u": "u", "s": "s"}
_HTML_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)((?:\.[^\s>]+)?)([^>]*)>")
_VTT_TIMESTAMP_TAG = re.compile(r"<\d[\d:.]*>")
_COLOR_ATTR = re.compile(r"""color\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_CHUNK = 4096  # cues per output chunk: the chunk's pieces are transient, the joined chunks are the output


def iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` (``\\n``-separated), one at a time: no list of them all in memory."""
    pos, find = 0, text.find
    while True:
        nl = find("\n", pos)
        if nl < 0:
            if pos < len(text):
                yield text[pos:]
            return
        yield text[pos:nl]
        pos = nl + 1


def _ms(h: str | None, m: str, s: str, frac: str | None, where: tuple[int, str, Track, str]) -> int:
    mi, se = int(m), int(s)
    hours = int(h) if h else 0
    if mi > 59 or se > 59 or hours > MAX_HOURS:
        line, text, track, fmt = where
        stamp = f"{h + ':' if h else ''}{m}:{s}{(',' + frac) if frac else ''}"
        what = "hours past %d" % MAX_HOURS if hours > MAX_HOURS else "minutes and seconds run 00-59"
        raise SubtitlesTimeOutOfRange(f"timestamp {stamp[:40]!r} is out of range ({what}); correct the time",
                                      line=line, text=text[:200], source=track.source, fmt=fmt)
    ms = int(frac.ljust(3, "0")) if frac else 0
    return ((hours * 60 + mi) * 60 + se) * 1000 + ms


def _parse_timing(line: str, where: tuple[int, str, Track, str], lenient: bool = False
                  ) -> tuple[int, int, str] | None:
    m = _TIMING.match(line)
    if not m and lenient:
        m = _TIMING_1DASH.match(line)
        if m:
            where[2].warn("repaired", "single-dash arrow '->' read as '-->'", where[0])
    if not m:
        return None
    g = m.groups()
    return _ms(*g[0:4], where), _ms(*g[4:8], where), (g[8] or "").strip()


def _html_to_ass(text: str, vtt: bool) -> tuple[str, str]:
    """SubRip/WebVTT markup to SubStation tags; returns (text, speaker from a WebVTT ``<v>`` tag)."""
    if "<" not in text and (not vtt or "&" not in text):
        return text.replace("\n", "\\N") if "\n" in text else text, ""
    speaker = ""
    if vtt:
        text = _VTT_TIMESTAMP_TAG.sub("", text)
    fonts: list[bool] = []  # per open <font>: did it set a colour (so its </font> restores one)?

    def tag(m: re.Match[str]) -> str:
        nonlocal speaker
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(4)
        if name in _SIMPLE_TAGS:
            return "{\\%s%d}" % (_SIMPLE_TAGS[name], 0 if closing else 1)
        if name == "font":
            if closing:
                return "{\\c}" if fonts and fonts.pop() else ""
            c = _COLOR_ATTR.search(attrs)
            rgb = css_colour(next(g for g in c.groups() if g is not None)) if c else None
            fonts.append(rgb is not None)
            return "{\\c&H%s%s%s&}" % (rgb[4:6], rgb[2:4], rgb[0:2]) if rgb else ""
        if name == "v" and not closing and vtt:
            speaker = attrs.strip()
        return ""  # other tags (<c>, <lang>, <ruby>, <v>, unknown) carry no styling we keep

    out = _HTML_TAG.sub(tag, text)
    if vtt:
        out = html.unescape(out)
    return out.replace("\n", "\\N"), speaker


def _add(track: Track, start: int, end: int, lines: list[str], vtt: bool, line: int, settings: str | None = None
         ) -> None:
    text, speaker = _html_to_ass("\n".join(lines).strip("\n"), vtt)
    track.add_cue(start, end, text, "Default", speaker, line, None, settings)


def read_srt(text: str, track: Track, *, strict: bool = False) -> None:
    """Parse SubRip text into ``track`` (cues with their source lines).

    Not ``strict``: a single-dash arrow (``00:00:01,000 -> 00:00:02,000``, which pysubs2 reads) is
    repaired with a warning. Out-of-range timestamps are refused either way.
    """
    lenient = not strict
    lines = iter_lines(text)
    line = next(lines, None)
    nxt = next(lines, None)
    n = 0
    cue: tuple[int, int, int] | None = None  # start, end, line of the cue's first line
    body: list[str] = []
    after_blank = False

    def arrow(s: str | None) -> bool:
        return s is not None and ("-->" in s or (lenient and "->" in s and _TIMING_1DASH.match(s) is not None))

    while line is not None:
        n += 1
        stripped = line.strip()
        if arrow(line):
            timing = _parse_timing(line, (n, line, track, "srt"), lenient)
            if timing is None:
                raise SubtitlesParseError(
                    "malformed timing line; expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'",
                    line=n, text=line, source=track.source, fmt="srt")
            if cue is not None:
                while body and not body[-1].strip():
                    body.pop()
                _add(track, cue[0], cue[1], body, False, cue[2])
            cue, body = (timing[0], timing[1], n), []
            after_blank = False
        elif _INDEX.match(line) and arrow(nxt):
            pass  # the number of the cue whose timing follows
        elif _INDEX.match(line) and (cue is None or after_blank) and nxt is not None and nxt.strip():
            # A cue number after a blank line announces a cue: what follows must be its timing.
            what = "malformed timing line" if _TIMING_LIKE.match(nxt) else "cue number without a timing line"
            raise SubtitlesParseError(f"{what}; expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'",
                                      line=n + 1, text=nxt, source=track.source, fmt="srt")
        else:
            if cue is None:
                if stripped:
                    raise SubtitlesParseError(
                        "expected a cue number or a timing line", line=n, text=line,
                        source=track.source, fmt="srt")
            else:
                body.append(line)  # blank lines inside a cue are kept until we know whether text follows
            after_blank = not stripped
        line, nxt = nxt, next(lines, None)
    if cue is not None:
        while body and not body[-1].strip():
            body.pop()
        _add(track, cue[0], cue[1], body, False, cue[2])


def read_vtt(text: str, track: Track, *, strict: bool = False) -> None:
    """Parse WebVTT text into ``track``; STYLE and REGION blocks go to ``track.vtt_blocks``."""
    lines = iter_lines(text)
    first = next(lines, None)
    if first is None or not first.lstrip("\ufeff").startswith("WEBVTT"):
        raise SubtitlesParseError("a WebVTT file starts with 'WEBVTT'", line=1,
                                  text=first or "", source=track.source, fmt="vtt")
    n = 1
    in_header = True
    block: list[str] = []
    start = 0
    for line in lines:
        n += 1
        if in_header:  # header lines after WEBVTT, up to the first blank line or cue
            if line.strip() and "-->" not in line:
                continue
            in_header = False
        if line.strip():
            if not block:
                start = n - 1  # 0-based index of the block's first line
            block.append(line)
            continue
        if block:
            _vtt_block(block, start, track, strict)
            block = []
    if block:
        _vtt_block(block, start, track, strict)


def _vtt_block(block: list[str], start: int, track: Track, strict: bool) -> None:
    head = block[0].strip()
    if head.startswith("NOTE") and "-->" not in head:
        return
    if (head.startswith("STYLE") or head.startswith("REGION")) and "-->" not in head:
        track.vtt_blocks.append("\n".join(block))
        return
    _read_vtt_block(block, start, track, strict)


def _read_vtt_block(block: list[str], first: int, track: Track, strict: bool) -> None:
    k = 0
    lenient = not strict
    if "-->" not in block[0] and not (lenient and _TIMING_1DASH.match(block[0])):
        if _TIMING_LIKE.match(block[0]):
            raise SubtitlesParseError("malformed cue timing line; expected 'MM:SS.mmm --> MM:SS.mmm'",
                                      line=first + 1, text=block[0], source=track.source, fmt="vtt")
        k = 1  # a cue identifier
        if len(block) < 2 or ("-->" not in block[1] and not (lenient and _TIMING_1DASH.match(block[1]))):
            bad = first + 2 if len(block) > 1 else first + 1
            raise SubtitlesParseError(
                "expected a cue timing line 'MM:SS.mmm --> MM:SS.mmm' (or a NOTE, STYLE or REGION block)",
                line=bad, text=block[1] if len(block) > 1 else block[0], source=track.source, fmt="vtt")
    while k < len(block):
        timing = _parse_timing(block[k], (first + k + 1, block[k], track, "vtt"), lenient)
        if timing is None:
            raise SubtitlesParseError("malformed cue timing line", line=first + k + 1, text=block[k],
                                      source=track.source, fmt="vtt")
        body: list[str] = []
        k += 1
        # A timing line inside the text means a blank line was missing between two cues.
        while k < len(block) and "-->" not in block[k]:
            body.append(block[k])
            k += 1
        text, speaker = _html_to_ass("\n".join(body).strip("\n"), True)
        an = _vtt_settings_to_an(timing[2])
        if an and an != 2:
            text = "{\\an%d}%s" % (an, text)
        track.add_cue(timing[0], timing[1], text, "Default", speaker, first + 1, None, timing[2] or None)


def _vtt_settings_to_an(settings: str) -> int | None:
    """WebVTT ``line``/``align`` cue settings as a SubStation numpad alignment (7 8 9 top, 1 2 3 bottom)."""
    if not settings:
        return None
    opts = dict(kv.split(":", 1) for kv in settings.split() if ":" in kv)
    column = {"start": 0, "left": 0, "end": 2, "right": 2}.get(opts.get("align", ""), 1)
    row = 0  # bottom
    line = opts.get("line", "").split(",")[0]
    try:
        if line.endswith("%"):
            row = 2 if float(line[:-1]) < 34 else (1 if float(line[:-1]) < 67 else 0)
        elif line:
            row = 2 if int(line) >= 0 else 0  # non-negative line numbers count from the top
    except ValueError:
        pass
    return 1 + column + 3 * row


def ms_to_clock(ms: int, sep: str) -> str:
    """``HH:MM:SS<sep>mmm``; hours grow past two digits instead of being clamped."""
    if ms < 0:
        ms = 0
    s, f = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return "%02d:%02d:%02d%s%03d" % (h, m, s, sep, f)


_OVERRIDE = re.compile(r"\{([^}]*)\}")
_OVERRIDE_TAG = re.compile(r"\\(1c|c|i|b|u|s|r|p)(&H[0-9A-Fa-f]+&?|\d+)?")


def _fragments(text: str, base: dict[str, object], braces_are_text: bool = False):
    """Split SubStation text into (fragment, state) with state keys i, b, u, s, c (BGR hex or None).

    In SubStation a ``{...}`` block without tags is a hidden comment; text that came from SubRip or
    WebVTT means it literally ("{Music}"), so ``braces_are_text`` keeps such blocks as text. Text inside
    a drawing (``{\\p1}`` … ``{\\p0}``) is vector commands, never yielded.
    """
    state = dict(base)
    drawing = False
    pos = 0
    for m in _OVERRIDE.finditer(text):
        if braces_are_text and "\\" not in m.group(1):
            continue
        if m.start() > pos and not drawing:
            yield text[pos:m.start()], dict(state)
        for tag, arg in _OVERRIDE_TAG.findall(m.group(1)):
            if tag == "r":
                state = dict(base)
            elif tag == "p":
                if arg.isdigit():
                    drawing = arg != "0"
            elif tag in ("c", "1c"):
                state["c"] = arg[2:].rstrip("&").upper().rjust(6, "0")[-6:] if arg.startswith("&H") else None
            elif tag in "ibus" and arg.isdigit():
                state[tag] = arg not in ("0", "")
        pos = m.end()
    if pos < len(text) and not drawing:
        yield text[pos:], dict(state)


def _ass_to_html(track: Track, i: int, vtt: bool, plain_styles: frozenset[str] = frozenset()) -> str:
    text = track.text[i]
    if "{" not in text and "\r" not in text and (not vtt or not track.name[i]) and (
            track.style[i] in plain_styles or _plain_style(track, track.style[i])):
        # the common case: no override tags, a style without bold/italic/…: only line breaks to convert
        if "\\" in text:
            text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
        if vtt and ("&" in text or "<" in text or ">" in text):
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if "\n\n" in text:
            text = re.sub("\n+", "\n", text)
        return text.strip()
    style = track.subs.styles.get(track.style[i])
    base = {"i": bool(style and style.italic), "b": bool(style and style.bold),
            "u": bool(style and style.underline), "s": bool(style and style.strikeout), "c": None}
    text = text.replace("\\h", "\u00a0")
    prefix = ""
    an = re.search(r"\\an([1-9])", text)
    if an and an.group(1) != "2" and not vtt:
        prefix = "{\\an%s}" % an.group(1)  # players honour this SubRip extension
    parts = []
    for fragment, st in _fragments(text, base, track.format not in ("ass", "ssa", "json")):
        fragment = fragment.replace("\\N", "\n").replace("\\n", "\n")
        if vtt:
            fragment = fragment.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if not fragment:
            continue
        if st["i"]:
            fragment = f"<i>{fragment}</i>"
        if st["b"]:
            fragment = f"<b>{fragment}</b>"
        if st["u"]:
            fragment = f"<u>{fragment}</u>"
        if st["s"] and not vtt:
            fragment = f"<s>{fragment}</s>"
        if st["c"] and not vtt:
            bgr = st["c"]
            fragment = f'<font color="#{bgr[4:6]}{bgr[2:4]}{bgr[0:2]}">{fragment}</font>'
        parts.append(fragment)
    body = re.sub("\n+", "\n", "".join(parts).strip())
    if vtt and track.name[i]:
        body = f"<v {track.name[i]}>{body}"
    return prefix + body


def _plain_style(track: Track, name: str) -> bool:
    style = track.subs.styles.get(name)
    return style is None or not (style.italic or style.bold or style.underline or style.strikeout)


def _plain_styles(track: Track) -> frozenset[str]:
    return frozenset(n for n in [*track.subs.styles, "Default"] if _plain_style(track, n))


def _shown(track: Track) -> Sequence[int]:
    """Cues to write into SubRip or WebVTT: in start order, without drawings that show no text."""
    text = track.text
    order = track.cue_indices()
    if not any("\\p" in t for t in text):
        return order
    return [i for i in order if "\\p" not in text[i] or not is_drawing_only(text[i])]


def _release(track: Track, consume: bool, done: list[int]) -> None:
    if consume:  # the caller is done with the track: free each text once written (peak memory)
        for i in done:
            track.text[i] = ""


def write_srt(track: Track, *, consume: bool = False) -> str:
    """Render the track as SubRip (cues in start order, numbered from 1).

    ``consume``: the track is not used afterwards, so cue texts are freed as they are written.
    """
    chunks = []
    order = _shown(track)
    start, end = track.start, track.end
    plain = _plain_styles(track)
    for c in range(0, len(order), _CHUNK):
        part = order[c:c + _CHUNK]
        chunks.append("\n".join([f"{n}\n{ms_to_clock(start[i], ',')} --> {ms_to_clock(end[i], ',')}\n"
                                 f"{_ass_to_html(track, i, False, plain)}\n" for n, i in enumerate(part, c + 1)]))
        _release(track, consume, part)
    return "\n".join(chunks)


def _an_to_vtt_settings(text: str) -> str | None:
    m = re.search(r"\\an([1-9])", text)
    if not m or m.group(1) == "2":
        return None
    an = int(m.group(1))
    row, column = (an - 1) // 3, (an - 1) % 3
    parts = [{2: "line:0", 1: "line:50%"}.get(row, "")]
    parts.append({0: "align:start", 2: "align:end"}.get(column, ""))
    return " ".join(p for p in parts if p) or None


def _vtt_cue(track: Track, i: int, plain: frozenset[str] = frozenset()) -> str:
    settings = track.vtt[i] or (_an_to_vtt_settings(track.text[i]) if "\\an" in track.text[i] else None)
    timing = f"{ms_to_clock(track.start[i], '.')} --> {ms_to_clock(track.end[i], '.')}"
    if settings:
        timing += " " + settings
    return f"{timing}\n{_ass_to_html(track, i, True, plain)}\n"


def write_vtt(track: Track, *, consume: bool = False) -> str:
    """Render the track as WebVTT, keeping STYLE/REGION blocks and cue settings read from WebVTT."""
    head = "\n".join(["WEBVTT\n", *(block + "\n" for block in track.vtt_blocks)])
    chunks = [head]
    order = _shown(track)
    plain = _plain_styles(track)
    for c in range(0, len(order), _CHUNK):
        part = order[c:c + _CHUNK]
        chunks.append("\n".join([_vtt_cue(track, i, plain) for i in part]))
        _release(track, consume, part)
    return "\n".join(chunks)
