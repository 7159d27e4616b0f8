"""Events of the subtitles plugin."""

from __future__ import annotations

from reelkit.sdk import Event, Field

__all__ = ["SubtitlesWritten", "EVENTS"]


class SubtitlesWritten(Event, topic="subtitles.file.written"):
    """A command wrote a subtitle file (convert, fix, split, extract …) or muxed one into a video."""

    path: str = Field(description="File written")
    format: str = Field(description="Subtitle format (or container codec for subtitles.embed)")
    cue_count: int = Field(description="Cues written")
    command: str = Field(description="Command that wrote it")


EVENTS = (SubtitlesWritten,)
