"""The ``[subtitles]`` settings section (``REELKIT_SUBTITLES__<KEY>`` in the environment)."""

from __future__ import annotations

from reelkit.sdk import Field, SettingsSection

__all__ = ["SubtitlesSettings"]


class SubtitlesSettings(SettingsSection, section="subtitles"):
    """Validation limits and tools of the subtitles plugin; each command may override a limit."""

    max_line_length: int = Field(42, ge=10, le=200, description="Characters per line before a warning")
    max_lines: int = Field(2, ge=1, le=10, description="Lines per cue before a warning")
    max_cps: float = Field(21.0, gt=0, le=100, description="Reading speed limit in characters per second")
    min_duration_ms: int = Field(833, ge=0, le=10_000, description="Shortest cue subtitles.fix leaves")
    max_duration_ms: int = Field(7000, ge=500, description="Longest cue before a warning")
    min_gap_ms: int = Field(83, ge=0, le=2000, description="Gap subtitles.fix keeps between consecutive cues")
    ffmpeg_path: str | None = Field(
        None, description="FFmpeg used by subtitles.embed; unset: the imageio-ffmpeg binary")
