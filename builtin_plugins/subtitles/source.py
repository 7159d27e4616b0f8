"""Getting a track in (``path`` or inline ``content``) and text out (atomic writes)."""

from __future__ import annotations

import os
from pathlib import Path

from reelkit.sdk.files import atomic_write

from .decoding import Decoded, decode
from .errors import SubtitlesEncodingUnknown, SubtitlesFileNotFound, SubtitlesInputInvalid
from .formats import detect, normalize_name, read
from .track import Track

__all__ = ["load", "load_text", "write_atomic"]

_MAX_BYTES = 200 * 1024 * 1024  # no subtitle file is this big; refuse before reading a video into memory


def load_text(path: str | None = None, content: str | None = None, *, encoding: str | None = None,
              what: str = "path") -> tuple[str, str, str]:
    """``(text, encoding, source)`` from exactly one of ``path`` and ``content``."""
    decoded, src = _decoded(path, content, encoding, what)
    return decoded.text, decoded.encoding, src


def _decoded(path: str | None, content: str | None, encoding: str | None, what: str) -> tuple[Decoded, str]:
    if (path is None) == (content is None):
        raise SubtitlesInputInvalid(
            f"give exactly one of `{what}` (a file) and inline `content`",
            details={"path": path, "has_content": content is not None})
    if content is not None:
        return Decoded(_lf(content.lstrip("\ufeff")), "utf-8"), "<content>"
    p = Path(path)  # type: ignore[arg-type]
    try:
        size = p.stat().st_size
        if size > _MAX_BYTES:
            raise SubtitlesInputInvalid(f"{path}: {size} bytes is too large for a subtitle file",
                                        details={"path": path, "size": size})
        data = p.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as e:
        raise SubtitlesFileNotFound(f"{path}: no such subtitle file; check the path.",
                                    details={"path": path}) from e
    decoded = decode(data, encoding, source=str(path))
    del data  # only the text from here on: parse memory is the text plus the cues
    return Decoded(_lf(decoded.text), decoded.encoding, decoded.confidence, decoded.warnings), str(path)


def _lf(text: str) -> str:
    """Line ends as ``\\n`` (done here, once, so the parser never holds two copies of a big file)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def load(path: str | None = None, content: str | None = None, *, encoding: str | None = None,
         fmt: str | None = None, fps: float | None = None, what: str = "path", strict: bool = False) -> Track:
    """Read, decode, detect and parse a subtitle track (warnings of repairs and guesses on ``track.warnings``)."""
    decoded, source = _decoded(path, content, encoding, what)
    text = decoded.text
    fmt = normalize_name(fmt) if fmt else detect(text, path)
    track = read(text, fmt, source=source, encoding=decoded.encoding, fps=fps, strict=strict)
    track.confidence = decoded.confidence
    for kind, message, line in decoded.warnings:
        track.warn(kind, message, line)
    return track


def write_atomic(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsync, then rename.

    A reader never sees a half-written file, and a failure leaves the old file (if any) untouched.
    """
    import codecs

    try:
        codecs.lookup(encoding)
        data = text.encode(encoding)
    except LookupError as e:
        raise SubtitlesEncodingUnknown(f"unknown output encoding {encoding!r}; use e.g. \"utf-8\" or \"cp1251\"",
                                       details={"encoding": encoding}) from e
    except UnicodeEncodeError as e:
        raise SubtitlesInputInvalid(
            f"{path}: {text[e.start:e.end]!r} cannot be written in {encoding}; use utf-8 or another encoding",
            details={"encoding": encoding, "path": str(path)}) from e
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, data)
