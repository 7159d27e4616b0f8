"""Events the recognition plugin publishes."""
from __future__ import annotations

from reelkit.sdk import Field, ProgressEvent

__all__ = ["EVENTS", "FrameProcessed"]


class FrameProcessed(ProgressEvent, topic="recognition.frame.processed"):
    """A video frame went through the model (coalesces per job: the latest frame wins in a full queue)."""

    job_id: str = Field(description="The recognition.detect_video job")
    path: str = Field(description="The video")
    frames: int = Field(description="Frames analysed so far")
    time: float = Field(description="Time of this frame, seconds")
    fraction: float = Field(description="Share of the video done, 0..1 (0 when the duration is unknown)")
    detections: int = Field(description="Boxes found in this frame")


EVENTS = (FrameProcessed,)
