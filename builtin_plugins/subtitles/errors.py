"""Errors of the subtitles plugin.

::

    KernelError
    ├── InputInvalid (ValueError)
    │   ├── SubtitlesUnreadable        subtitles.unreadable      binary data, not text
    │   ├── SubtitlesParseError        subtitles.parse_error     a line that breaks the format
    │   │   └── SubtitlesTimeOutOfRange subtitles.time_out_of_range  99:99:99,999, a 400-digit hour
    │   ├── SubtitlesEncodingUnknown   subtitles.encoding_unknown
    │   ├── SubtitlesFormatUnknown     subtitles.format_unknown
    │   └── SubtitlesInputInvalid      subtitles.input_invalid   contradictory or missing arguments
    ├── NotFound
    │   ├── SubtitlesFileNotFound      subtitles.file_not_found
    │   └── SubtitlesStreamNotFound    subtitles.stream_not_found
    └── Unavailable
        └── SubtitlesMuxFailed         subtitles.mux_failed      FFmpeg refused to mux or extract
"""

from __future__ import annotations

from reelkit.sdk import InputInvalid, NotFound, Unavailable

__all__ = [
    "SubtitlesUnreadable",
    "SubtitlesParseError",
    "SubtitlesTimeOutOfRange",
    "SubtitlesEncodingUnknown",
    "SubtitlesFormatUnknown",
    "SubtitlesInputInvalid",
    "SubtitlesFileNotFound",
    "SubtitlesStreamNotFound",
    "SubtitlesMuxFailed",
]


class SubtitlesUnreadable(InputInvalid):
    """The bytes are not text in any encoding (binary garbage, a video file given as subtitles)."""

    code = "subtitles.unreadable"


class SubtitlesParseError(InputInvalid):
    """A line breaks the detected format; ``details`` carries ``line`` (1-based) and ``text``."""

    code = "subtitles.parse_error"

    def __init__(self, message: str, *, line: int | None = None, text: str | None = None,
                 source: str | None = None, fmt: str | None = None):
        where = f"{source or '<content>'}" + (f", line {line}" if line else "")
        super().__init__(
            f"{where}: {message}",
            details={"line": line, "text": text, "source": source, "format": fmt},
        )
        self.line = line


class SubtitlesTimeOutOfRange(SubtitlesParseError):
    """A timestamp no clock shows: minutes or seconds past 59, hours past :data:`MAX_HOURS`."""

    code = "subtitles.time_out_of_range"


#: Longest time a cue may start or end at (hours); beyond it a timestamp is a typo or an attack
MAX_HOURS = 9999


class SubtitlesEncodingUnknown(InputInvalid):
    """The text encoding could not be detected, or the named encoding does not decode the bytes."""

    code = "subtitles.encoding_unknown"


class SubtitlesFormatUnknown(InputInvalid):
    """The text is no subtitle format reelkit knows, or a format name is not supported."""

    code = "subtitles.format_unknown"


class SubtitlesInputInvalid(InputInvalid):
    """Arguments that contradict each other or miss something a format needs (fps for MicroDVD)."""

    code = "subtitles.input_invalid"


class SubtitlesFileNotFound(NotFound):
    code = "subtitles.file_not_found"


class SubtitlesStreamNotFound(NotFound):
    code = "subtitles.stream_not_found"


class SubtitlesMuxFailed(Unavailable):
    code = "subtitles.mux_failed"
