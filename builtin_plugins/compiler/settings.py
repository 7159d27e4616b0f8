"""The compiler's settings section ``[compiler]``."""

from __future__ import annotations

from reelkit.sdk import Field, SettingsSection


class CompilerSettings(SettingsSection, section="compiler"):
    """``[compiler]`` in reelkit.toml, or ``REELKIT_COMPILER__<KEY>``."""

    max_concurrent_renders: int = Field(1, ge=1, le=16, description="Renders running at once (the render queue)")
    cancel_grace: float = Field(0.5, ge=0, le=30, description="Seconds between SIGTERM and SIGKILL on cancel")
    stall_seconds: float = Field(30.0, ge=1, le=3600,
                                 description="Kill and retry a render whose output time has not advanced for this long")
    stall_retries: int = Field(
        2, ge=0, le=10, description="Encodes retried after a stall before the render fails with compiler.render_stalled "
        "(FFmpeg 9 deadlocks at random on some graphs: 10-35 % of runs of the commands measured)")
    ffmpeg_path: str | None = Field(None, description="FFmpeg binary; by default the media plugin's")
    preview_cache_size: int = Field(128, ge=0, le=100000, description="Preview frames kept in the cache")
