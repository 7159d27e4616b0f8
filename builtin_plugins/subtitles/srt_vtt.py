"""SubRip and WebVTT, read line by line so every cue knows its source line and a broken line is named.

pysubs2's own SubRip reader skips what it does not understand and caps hours at 99; subtitles from
the wild need more: CRLF, missing blank lines, ``,`` or ``.`` before the milliseconds, hours past 99,
HTML tags, WebVTT STYLE/REGION/NOTE blocks and cue settings. Text is converted to SubStation override
tags on the way in and back to HTML-like tags on the way out.
"""

from __future__ import annotations

import html
import re

from .errors import SubtitlesParseError
from .track import Track

__all__ = ["read_srt", "read_vtt", "write_srt", "write_vtt", "ms_to_clock"]

# [h:]mm:ss[,.:]mmm -- hours of any width; SRT files in the wild also use '.' or ':' before the ms.
_STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_STAMP}\s*-->\s*{_STAMP}(?:\s+(.*?))?\s*$")
_TIMING_LIKE = re.compile(r"^\s*\d+:\d")
_INDEX = re.compile(r"^\s*\d+\s*$")
_SIMPLE_TAGS = {"i": "i", "b": "b", "u": "u", "s": "s"}
_HTML_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)((?:\.[^\s>]+)?)([^>]*)>")
_VTT_TIMESTAMP_TAG = re.compile(r"<\d[\d:.]*>")
_COLOR_ATTR = re.compile(r"""color\s*=\s*["']?#?([0-9a-fA-F]{6})""")


def _ms(h: str | None, m: str, s: str, frac: str | None) -> int:
    ms = int(frac.ljust(3, "0")) if frac else 0
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + ms


def _parse_timing(line: str) -> tuple[int, int, str] | None:
    m = _TIMING.match(line)
    if not m:
        return None
    g = m.groups()
    return _ms(*g[0:4]), _ms(*g[4:8]), (g[8] or "").strip()


def _html_to_ass(text: str, vtt: bool) -> tuple[str, str]:
    """SubRip/WebVTT markup to SubStation tags; returns (text, speaker from a WebVTT ``<v>`` tag)."""
    speaker = ""
    if vtt:
        text = _VTT_TIMESTAMP_TAG.sub("", text)

    def tag(m: re.Match[str]) -> str:
        nonlocal speaker
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(4)
        if name in _SIMPLE_TAGS:
            return "{\\%s%d}" % (_SIMPLE_TAGS[name], 0 if closing else 1)
        if name == "font":
            if closing:
                return "{\\c}"
            c = _COLOR_ATTR.search(attrs)
            if c:
                rgb = c.group(1).upper()
                return "{\\c&H%s%s%s&}" % (rgb[4:6], rgb[2:4], rgb[0:2])
            return ""
        if name == "v" and not closing and vtt:
            speaker = attrs.strip()
        return ""  # other tags (<c>, <lang>, <ruby>, <v>, unknown) carry no styling we keep

    out = _HTML_TAG.sub(tag, text)
    if vtt:
        out = html.unescape(out)
    return out.replace("\n", "\\N"), speaker


def _new_event(start: int, end: int, lines: list[str], vtt: bool):
    from pysubs2 import SSAEvent

    text, speaker = _html_to_ass("\n".join(lines).strip("\n"), vtt)
    return SSAEvent(start=start, end=end, text=text, name=speaker)


def read_srt(text: str, track: Track) -> None:
    """Parse SubRip text into ``track`` (events with their source lines)."""
    lines = text.splitlines()
    n = len(lines)
    i = 0
    cue: tuple[int, int, int] | None = None  # start, end, line of the cue's first line
    body: list[str] = []

    def flush() -> None:
        nonlocal cue, body
        if cue is not None:
            while body and not body[-1].strip():
                body.pop()
            track.add(_new_event(cue[0], cue[1], body, False), cue[2])
        cue, body = None, []

    after_blank = False
    while i < n:
        line = lines[i]
        stripped = line.strip()
        timing = _parse_timing(line) if "-->" in line else None
        if "-->" in line and timing is None:
            raise SubtitlesParseError(
                "malformed timing line; expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'",
                line=i + 1, text=line, source=track.source, fmt="srt")
        if timing is not None:
            flush()
            cue = (timing[0], timing[1], i + 1)
            i += 1
            after_blank = False
            continue
        nxt = lines[i + 1] if i + 1 < n else ""
        if _INDEX.match(line) and "-->" in nxt:
            flush()
            i += 1
            continue
        if _INDEX.match(line) and (cue is None or after_blank) and nxt.strip():
            # A cue number after a blank line announces a cue: what follows must be its timing.
            what = "malformed timing line" if _TIMING_LIKE.match(nxt) else "cue number without a timing line"
            raise SubtitlesParseError(f"{what}; expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'",
                                      line=i + 2, text=nxt, source=track.source, fmt="srt")
        if cue is None:
            if stripped:
                raise SubtitlesParseError(
                    "expected a cue number or a timing line", line=i + 1, text=line,
                    source=track.source, fmt="srt")
        else:
            # Blank lines inside a cue are kept until we know whether more text follows.
            body.append(line)
        after_blank = not stripped
        i += 1
    flush()


def read_vtt(text: str, track: Track) -> None:
    """Parse WebVTT text into ``track``; STYLE and REGION blocks go to ``track.vtt_blocks``."""
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise SubtitlesParseError("a WebVTT file starts with 'WEBVTT'", line=1,
                                  text=lines[0] if lines else "", source=track.source, fmt="vtt")
    n = len(lines)
    i = 1
    while i < n and lines[i].strip() and "-->" not in lines[i]:  # header lines after WEBVTT
        i += 1
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        start = i
        while i < n and lines[i].strip():
            i += 1
        block = lines[start:i]
        head = block[0].strip()
        if head.startswith("NOTE") and "-->" not in head:
            continue
        if (head.startswith("STYLE") or head.startswith("REGION")) and "-->" not in head:
            track.vtt_blocks.append("\n".join(block))
            continue
        _read_vtt_block(block, start, track)


def _read_vtt_block(block: list[str], first: int, track: Track) -> None:
    k = 0
    if "-->" not in block[0]:
        if _TIMING_LIKE.match(block[0]):
            raise SubtitlesParseError("malformed cue timing line; expected 'MM:SS.mmm --> MM:SS.mmm'",
                                      line=first + 1, text=block[0], source=track.source, fmt="vtt")
        k = 1  # a cue identifier
        if len(block) < 2 or "-->" not in block[1]:
            bad = first + 2 if len(block) > 1 else first + 1
            raise SubtitlesParseError(
                "expected a cue timing line 'MM:SS.mmm --> MM:SS.mmm' (or a NOTE, STYLE or REGION block)",
                line=bad, text=block[1] if len(block) > 1 else block[0], source=track.source, fmt="vtt")
    while k < len(block):
        timing = _parse_timing(block[k])
        if timing is None:
            raise SubtitlesParseError("malformed cue timing line", line=first + k + 1, text=block[k],
                                      source=track.source, fmt="vtt")
        body: list[str] = []
        k += 1
        # A timing line inside the text means a blank line was missing between two cues.
        while k < len(block) and "-->" not in block[k]:
            body.append(block[k])
            k += 1
        event = _new_event(timing[0], timing[1], body, True)
        an = _vtt_settings_to_an(timing[2])
        if an and an != 2:
            event.text = "{\\an%d}%s" % (an, event.text)
        track.add(event, first + 1, timing[2] or None)


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
    ms = max(0, int(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{rest:03d}"


_OVERRIDE = re.compile(r"\{([^}]*)\}")
_OVERRIDE_TAG = re.compile(r"\\(1c|c|i|b|u|s|r)(&H[0-9A-Fa-f]+&?|\d+)?")


def _fragments(text: str, base: dict[str, object], braces_are_text: bool = False):
    """Split SubStation text into (fragment, state) with state keys i, b, u, s, c (BGR hex or None).

    In SubStation a ``{...}`` block without tags is a hidden comment; text that came from SubRip or
    WebVTT means it literally ("{Music}"), so ``braces_are_text`` keeps such blocks as text.
    """
    state = dict(base)
    pos = 0
    for m in _OVERRIDE.finditer(text):
        if braces_are_text and "\\" not in m.group(1):
            continue
        if m.start() > pos:
            yield text[pos:m.start()], dict(state)
        for tag, arg in _OVERRIDE_TAG.findall(m.group(1)):
            if tag == "r":
                state = dict(base)
            elif tag in ("c", "1c"):
                state["c"] = arg[2:].rstrip("&").upper().rjust(6, "0")[-6:] if arg.startswith("&H") else None
            elif tag in "ibus" and arg.isdigit():
                state[tag] = arg not in ("0", "")
        pos = m.end()
    if pos < len(text):
        yield text[pos:], dict(state)


def _ass_to_html(track: Track, event, vtt: bool) -> str:
    style = track.subs.styles.get(event.style)
    base = {"i": bool(style and style.italic), "b": bool(style and style.bold),
            "u": bool(style and style.underline), "s": bool(style and style.strikeout), "c": None}
    text = event.text.replace("\\h", "\u00a0")
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
    if vtt and event.name:
        body = f"<v {event.name}>{body}"
    return prefix + body


def write_srt(track: Track) -> str:
    """Render the track as SubRip (cues in start order, numbered from 1)."""
    out = []
    cues = sorted(track.cues, key=lambda e: e.start)
    for n, e in enumerate(cues, 1):
        out.append(f"{n}\n{ms_to_clock(e.start, ',')} --> {ms_to_clock(e.end, ',')}\n"
                   f"{_ass_to_html(track, e, False)}\n")
    return "\n".join(out)


def _an_to_vtt_settings(text: str) -> str | None:
    m = re.search(r"\\an([1-9])", text)
    if not m or m.group(1) == "2":
        return None
    an = int(m.group(1))
    row, column = (an - 1) // 3, (an - 1) % 3
    parts = [{2: "line:0", 1: "line:50%"}.get(row, "")]
    parts.append({0: "align:start", 2: "align:end"}.get(column, ""))
    return " ".join(p for p in parts if p) or None


def write_vtt(track: Track) -> str:
    """Render the track as WebVTT, keeping STYLE/REGION blocks and cue settings read from WebVTT."""
    out = ["WEBVTT\n"]
    out.extend(block + "\n" for block in track.vtt_blocks)
    for e in sorted(track.cues, key=lambda e: e.start):
        settings = track.settings_of(e) or _an_to_vtt_settings(e.text)
        timing = f"{ms_to_clock(e.start, '.')} --> {ms_to_clock(e.end, '.')}"
        if settings:
            timing += " " + settings
        out.append(f"{timing}\n{_ass_to_html(track, e, True)}\n")
    return "\n".join(out)
