"""The ``[recognition]`` settings section (``REELKIT_RECOGNITION__<KEY>`` in the environment)."""
from __future__ import annotations

from reelkit.sdk import Field, SettingsSection


class RecognitionSettings(SettingsSection, section="recognition"):
    """Models, runtime and thresholds of object and face detection."""

    models_dir: str | None = Field(
        None, description="Directory of .onnx models (and their .json cards); default: <data dir>/models"
    )
    model: str = Field("yolox_nano", min_length=1, description="Default object model: file name without .onnx")
    face_model: str = Field(
        "face_detection_yunet_120x160", min_length=1, description="Default face model: file name without .onnx"
    )
    providers: str = Field(
        "auto",
        description="ONNX Runtime execution providers, comma separated (CUDA, TensorRT, DirectML, CoreML, CPU), "
        "or 'auto' for the accelerated ones present, then CPU",
    )
    threads: int = Field(
        0, ge=0, le=256,
        description="Intra-op threads per session; 0: CPU cores / inference workers when several share the "
        "CPU, else ONNX Runtime's choice",
    )
    inference_workers: int = Field(
        0, ge=0, le=16,
        description="Concurrent inference runs over a video; 0: min(4, CPU cores) on CPU (runs side by side "
        "on few threads each beat one run on every core), 1 on an accelerator",
    )
    batch_size: int = Field(4, ge=1, le=64, description="Frames per inference for models with a dynamic batch axis")
    conf_threshold: float = Field(0.25, gt=0, le=1, description="Minimum object confidence")
    iou_threshold: float = Field(0.45, gt=0, le=1, description="IoU above which NMS drops a box (same class)")
    face_conf_threshold: float = Field(0.6, gt=0, le=1, description="Minimum face confidence")
    face_iou_threshold: float = Field(0.3, gt=0, le=1, description="NMS IoU for faces")
    video_fps: float = Field(
        5.0, ge=0, le=240, description="Frames analysed per second of video when a call gives none; 0 = every frame"
    )
    segment_gap: float = Field(1.0, ge=0, description="Gaps shorter than this (seconds) do not split a class segment")
    queue_depth: int = Field(3, ge=1, le=64, description="Batches in flight between pipeline stages")
    catalog_file: str | None = Field(
        None, description="JSON file adding or overriding downloadable models: {name: {url, sha256, task, license}}"
    )
    max_image_pixels: int = Field(
        100_000_000, ge=1, description="Largest still image accepted (width × height)"
    )
