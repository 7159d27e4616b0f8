"""Public models of the recognition plugin (pydantic only; cheap to import).

    Detection         one box: class, confidence, pixels and normalised, track id, landmarks
    FrameDetections   the detections of one analysed video frame
    ImageDetections   the result of ``recognition.detect_image`` / ``recognition.faces`` on an image
    ClassSummary      per class: counts, confidence stats, distinct objects, time segments
    Segment           a span of time a class is on screen
    TrackSummary      one object followed across frames
    Marker            a timeline marker, in the shape a compiler project carries
    VideoDetections   the result of ``recognition.detect_video``
    ModelEntry        one model known to the registry (``recognition.models``)
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ClassSummary",
    "Detection",
    "FrameDetections",
    "ImageDetections",
    "Marker",
    "ModelEntry",
    "Segment",
    "TrackSummary",
    "VideoDetections",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Detection(_Model):
    """One detected object or face."""

    class_id: int = Field(description="Class index in the model's class list")
    class_name: str = Field(description="Class name (COCO names for 80-class models, 'face' for faces)")
    confidence: float = Field(description="Score in 0..1")
    box: list[float] = Field(description="x1, y1, x2, y2 in source pixels")
    box_norm: list[float] = Field(description="x1, y1, x2, y2 divided by the frame's width and height")
    track_id: int | None = Field(None, description="Object identity across frames (videos only)")
    landmarks: list[float] | None = Field(
        None, description="Face landmarks x, y × 5 in pixels: right eye, left eye, nose, mouth corners"
    )


class FrameDetections(_Model):
    """Detections of one analysed frame."""

    index: int = Field(description="Frame index in decoding order")
    time: float = Field(description="Seconds from the start")
    detections: list[Detection] = Field(description="Boxes, best first")


class ImageDetections(_Model):
    """Detections in one still image."""

    path: str = Field(description="The image analysed")
    model: str = Field(description="Model name")
    provider: str = Field(description="ONNX Runtime execution provider used")
    width: int = Field(description="Image width, pixels")
    height: int = Field(description="Image height, pixels")
    detections: list[Detection] = Field(description="Boxes, best first")
    elapsed_ms: float = Field(description="Time spent preparing, inferring and post-processing")


class Segment(_Model):
    """A span of time during which a class is on screen."""

    start: float = Field(description="Seconds")
    end: float = Field(description="Seconds (exclusive)")


class ClassSummary(_Model):
    """Everything seen of one class."""

    class_id: int = Field(description="Class index")
    class_name: str = Field(description="Class name")
    detections: int = Field(description="Boxes over all frames")
    frames: int = Field(description="Analysed frames with at least one box of this class")
    confidence_mean: float = Field(description="Mean confidence")
    confidence_min: float = Field(description="Lowest confidence")
    confidence_max: float = Field(description="Highest confidence")
    objects: int = Field(description="Distinct objects (tracks) of this class")
    segments: list[Segment] = Field(description="Time spans on screen, short gaps merged")


class TrackSummary(_Model):
    """One object followed across frames."""

    track_id: int = Field(description="Track id")
    class_id: int = Field(description="Class index")
    class_name: str = Field(description="Class name")
    start: float = Field(description="First seen, seconds")
    end: float = Field(description="Last seen, seconds")
    frames: int = Field(description="Analysed frames it was matched in")
    confidence_max: float = Field(description="Best confidence")


class Marker(_Model):
    """A timeline marker (same fields as a compiler project's markers)."""

    time: float = Field(description="Seconds")
    name: str = Field(description="Label")
    duration: float = Field(0, description="Length, seconds")
    color: str | None = Field(None, description="Display colour")


class VideoDetections(_Model):
    """Detections over a video, per frame and aggregated."""

    path: str = Field(description="The video analysed")
    model: str = Field(description="Model name")
    provider: str = Field(description="ONNX Runtime execution provider used")
    width: int = Field(description="Frame width, pixels")
    height: int = Field(description="Frame height, pixels")
    duration: float = Field(description="Video duration, seconds (0 if unknown)")
    video_fps: float = Field(description="The video's frame rate")
    sample_fps: float | None = Field(description="Frames analysed per second of video (None: every frame)")
    frames_decoded: int = Field(description="Frames decoded")
    frames_analysed: int = Field(description="Frames run through the model")
    elapsed_s: float = Field(description="Wall time of the run")
    stage_seconds: dict[str, float] = Field(
        default_factory=dict, description="Seconds spent in decode, prepare, infer, post (stages overlap in time)"
    )
    classes: list[ClassSummary] = Field(description="Per class, most frequent first")
    tracks: list[TrackSummary] = Field(description="Distinct objects")
    markers: list[Marker] = Field(description="One range marker per class segment")
    frames: list[FrameDetections] = Field(description="Per analysed frame")
    cancelled: bool = Field(False, description="True when the run was cancelled before the end")
    exports: dict[str, str] = Field(default_factory=dict, description="Files written: json, csv, markers")


class ModelEntry(_Model):
    """A model the registry knows: installed in models_dir, in the catalog, or both."""

    name: str = Field(description="Name (file name without .onnx)")
    installed: bool = Field(description="A file exists in models_dir")
    path: str | None = Field(None, description="The model file, when installed")
    size: int | None = Field(None, description="File size, bytes")
    task: str | None = Field(None, description="objects or faces, when known")
    url: str | None = Field(None, description="Catalog download URL")
    sha256: str | None = Field(None, description="Expected sha256 from the catalog")
    license: str | None = Field(None, description="Licence, from the catalog")
