"""Events the compiler publishes."""

from __future__ import annotations

from reelkit.sdk import Event, Field, ProgressEvent


class RenderProgressed(ProgressEvent, topic="compiler.render.progressed"):
    """A render's progress, at least every 0.5 s while FFmpeg runs (coalesces per job)."""

    job_id: str = Field(description="The render job")
    fraction: float = Field(description="0 … 1")
    stage: str = Field(description="Pipeline stage")
    frame: int = Field(0, description="Frames written")
    fps: float = Field(0.0, description="Frames per second")
    speed: float | None = Field(None, description="Times real time")
    out_time: float = Field(0.0, description="Seconds of output written")
    eta: float | None = Field(None, description="Seconds left")


class StageCompleted(Event, topic="compiler.render.stage_completed"):
    """One pipeline stage finished."""

    job_id: str = Field(description="The render job ('' outside jobs)")
    stage: str = Field(description="validate, probe, plan, encode, finalize or a plugin's stage")
    seconds: float = Field(description="How long it took")


class RenderCompleted(Event, topic="compiler.render.completed"):
    """A render finished and its file is in place."""

    job_id: str = Field(description="The render job")
    output: str = Field(description="The output file")
    seconds: float = Field(description="Wall time of the whole render")
