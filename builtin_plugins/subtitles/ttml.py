"""A TTML / DFXP reader that keeps styling and understands the time expressions streaming services use.

pysubs2 reads TTML text and clock times only; files from Netflix-style pipelines use ticks
(``begin="10010000t"`` with ``ttp:tickRate``), frames, the old DFXP namespace and styles referenced by
id. Spans become SubStation override tags (italic, bold, underline, colour), so a TTML → SubRip or
ASS conversion keeps them. The caller has already refused DTDs and entity declarations.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .colours import css_colour
from .errors import MAX_HOURS, SubtitlesParseError, SubtitlesTimeOutOfRange
from .track import Track

__all__ = ["read_ttml"]

_NAMESPACES = ("http://www.w3.org/ns/ttml", "http://www.w3.org/2006/10/ttaf1", "http://www.w3.org/2006/04/ttaf1")
_TTS = ("http://www.w3.org/ns/ttml#styling", "http://www.w3.org/2006/10/ttaf1#styling",
        "http://www.w3.org/2006/10/ttaf1#style", "http://www.w3.org/2006/04/ttaf1#styling")
_TTP = ("http://www.w3.org/ns/ttml#parameter", "http://www.w3.org/2006/10/ttaf1#parameter",
        "http://www.w3.org/2006/04/ttaf1#parameter")
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_CLOCK = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:(\.\d+)|:(\d+)(?:\.(\d+))?)?$")
_OFFSET = re.compile(r"^(\d+(?:\.\d+)?)(h|m|s|ms|f|t)$")


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _attr(elem: ET.Element, name: str, namespaces: tuple[str, ...]) -> str | None:
    for ns in namespaces:
        v = elem.get(f"{{{ns}}}{name}")
        if v is not None:
            return v
    return None


class _Reader:
    def __init__(self, root: ET.Element, track: Track, lines: dict[ET.Element, int]) -> None:
        self.track = track
        self.lines = lines
        self.frame_rate = float(_attr(root, "frameRate", _TTP) or 30)
        multiplier = _attr(root, "frameRateMultiplier", _TTP)
        if multiplier:
            num, _, den = multiplier.partition(" ")
            self.frame_rate *= float(num) / float(den or 1)
        tick = _attr(root, "tickRate", _TTP)
        self.tick_rate = float(tick) if tick else (self.frame_rate if _attr(root, "frameRate", _TTP) else 1.0)
        self.styles: dict[str, dict[str, str]] = {}
        for elem in root.iter():
            if _local(elem.tag)[1] == "style" and elem.get(_XML_ID, elem.get("id")):
                self.styles[elem.get(_XML_ID, elem.get("id"))] = self._own_style(elem)

    def _own_style(self, elem: ET.Element) -> dict[str, str]:
        out = {}
        for ref in (elem.get("style") or "").split():
            out.update(self.styles.get(ref, {}))
        for key in ("fontStyle", "fontWeight", "textDecoration", "color"):
            v = _attr(elem, key, _TTS)
            if v is not None:
                out[key] = v
        return out

    def time(self, expr: str | None, line: int | None) -> int | None:
        if expr is None:
            return None
        expr = expr.strip()
        m = _CLOCK.match(expr)
        if m:
            h, mi, s, frac, frames, sub = m.groups()
            if int(mi) > 59 or int(s) > 59 or int(h) > MAX_HOURS:
                raise SubtitlesTimeOutOfRange(f"TTML time {expr!r} is out of range (minutes and seconds run "
                                              f"00-59, hours to {MAX_HOURS})", line=line, text=expr,
                                              source=self.track.source, fmt="ttml")
            ms = ((int(h) * 60 + int(mi)) * 60 + int(s)) * 1000
            if frac:
                ms += round(float(frac) * 1000)
            if frames:
                ms += round(int(frames) * 1000 / self.frame_rate)
            return ms
        m = _OFFSET.match(expr)
        if m:
            value, unit = float(m.group(1)), m.group(2)
            scale = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1, "f": 1000 / self.frame_rate,
                     "t": 1000 / self.tick_rate}[unit]
            return round(value * scale)
        raise SubtitlesParseError(f"unsupported TTML time expression {expr!r}", line=line, text=expr,
                                  source=self.track.source, fmt="ttml")

    def block(self, elem: ET.Element, parent_begin: int, inherited: dict[str, str]) -> None:
        """body and div: a 'par' time container offsetting its children."""
        begin = (self.time(elem.get("begin"), self.lines.get(elem)) or 0) + parent_begin
        style = {**inherited, **self._own_style(elem)}
        for child in elem:
            name = _local(child.tag)[1]
            if name == "div":
                self.block(child, begin, style)
            elif name == "p":
                self.paragraph(child, begin, style)

    def paragraph(self, p: ET.Element, parent_begin: int, inherited: dict[str, str]) -> None:
        line = self.lines.get(p)
        begin = self.time(p.get("begin"), line)
        end = self.time(p.get("end"), line)
        dur = self.time(p.get("dur"), line)
        if begin is None:
            raise SubtitlesParseError("a <p> without a begin time", line=line, text=p.get("end") or "",
                                      source=self.track.source, fmt="ttml")
        start = begin + parent_begin
        if end is not None:
            stop = end + parent_begin
        elif dur is not None:
            stop = start + dur
        else:
            raise SubtitlesParseError("a <p> needs an end or dur time", line=line, text=p.get("begin") or "",
                                      source=self.track.source, fmt="ttml")
        style = {**inherited, **self._own_style(p)}
        base = {**inherited}
        text = _tidy(self.runs(p, style, base))
        self.track.add_cue(start, stop, text, line=line or 0)

    def runs(self, elem: ET.Element, style: dict[str, str], base: dict[str, str]) -> str:
        out = [self.styled(re.sub(r"\s+", " ", elem.text or ""), style, base)]
        for child in elem:
            name = _local(child.tag)[1]
            if name == "br":
                out.append("\\N")
            elif name == "span":
                out.append(self.runs(child, {**style, **self._own_style(child)}, base))
            if child.tail:
                out.append(self.styled(re.sub(r"\s+", " ", child.tail), style, base))
        return "".join(out)

    @staticmethod
    def styled(text: str, style: dict[str, str], base: dict[str, str]) -> str:
        if not text:
            return ""
        on, off = [], []
        if style.get("fontStyle") in ("italic", "oblique") and base.get("fontStyle") not in ("italic", "oblique"):
            on.append("\\i1"), off.append("\\i0")
        if style.get("fontWeight") == "bold" and base.get("fontWeight") != "bold":
            on.append("\\b1"), off.append("\\b0")
        if "underline" in style.get("textDecoration", "") and "underline" not in base.get("textDecoration", ""):
            on.append("\\u1"), off.append("\\u0")
        colour = _colour(style.get("color"))
        if colour and colour != _colour(base.get("color")) and colour != "FFFFFF":
            on.append("\\c&H%s%s%s&" % (colour[4:6], colour[2:4], colour[0:2])), off.append("\\c")
        if not on:
            return text
        return "{%s}%s{%s}" % ("".join(on), text, "".join(off))


def _colour(value: str | None) -> str | None:
    return css_colour(value)


# Whitespace between override blocks and the text edges or line breaks is XML indentation, not text:
# "{\i1} Hello {\i0}" from an indented <p tts:fontStyle="italic"> must be "{\i1}Hello{\i0}".
_EDGE = re.compile(r"^((?:\{[^}]*\})*)\s+|\s+((?:\{[^}]*\})*)$")
_AROUND_BREAK = re.compile(r"\s*((?:\{[^}]*\})*)\s*\\N\s*((?:\{[^}]*\})*)\s*")


def _tidy(text: str) -> str:
    text = _AROUND_BREAK.sub(lambda m: f"{m.group(1)}\\N{m.group(2)}", text)
    text = re.sub(r" {2,}", " ", text)
    return _EDGE.sub(lambda m: m.group(1) or m.group(2) or "", text)


def _parse(text: str, track: Track) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The element tree and each element's source line (expat reports it; ElementTree keeps none)."""
    import xml.parsers.expat

    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        elem = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
        lines[elem] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
        root = builder.close()
    except xml.parsers.expat.ExpatError as e:
        line = e.lineno
        source_line = text.split("\n")[line - 1] if 0 < line <= text.count("\n") + 1 else ""
        raise SubtitlesParseError(f"not well-formed XML: {xml.parsers.expat.ErrorString(e.code)} "
                                  f"(line {line}, column {e.offset + 1})", line=line, text=source_line[:200],
                                  source=track.source, fmt="ttml") from e
    except AssertionError as e:  # TreeBuilder: no root element at all
        raise SubtitlesParseError("no XML element in the file", line=1, text=text[:80], source=track.source,
                                  fmt="ttml") from e
    return root, lines


def read_ttml(text: str, track: Track) -> None:
    """Parse TTML into ``track``; every error names the source line of the element it is about."""
    root, lines = _parse(text, track)
    ns, name = _local(root.tag)
    if name != "tt" or (ns and ns not in _NAMESPACES):
        raise SubtitlesParseError(f"the root element is <{name}>, not a TTML <tt>", line=lines.get(root, 1),
                                  text=name, source=track.source, fmt="ttml")
    reader = _Reader(root, track, lines)
    for child in root:
        if _local(child.tag)[1] == "body":
            reader.block(child, 0, {})
