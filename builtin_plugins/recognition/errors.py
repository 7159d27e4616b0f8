"""Errors of the recognition plugin.

    KernelError
    ├── ModelInvalid             recognition.model_invalid     missing/corrupt file, unknown layout, bad card
    │   └── ModelNotFound        recognition.model_not_found   no model of that name in models_dir
    │                                                          (also a NotFound)
    ├── InputInvalid
    │   └── ImageInvalid         recognition.image_invalid     not an image, or of an extreme size
    ├── NotFound
    │   └── MediaNotFound        media.not_found               the video path does not exist
    ├── MediaUnreadable          media.unreadable              a video PyAV cannot open or without video
    ├── Conflict
    │   └── RuntimeConflict      recognition.runtime_conflict  onnxruntime and onnxruntime-gpu both installed
    └── DownloadFailed           recognition.download_failed   a model download failed or did not verify
"""
from __future__ import annotations

from reelkit.sdk import Conflict, InputInvalid, KernelError, NotFound

__all__ = [
    "DownloadFailed",
    "ImageInvalid",
    "MediaNotFound",
    "MediaUnreadable",
    "ModelInvalid",
    "ModelNotFound",
    "RuntimeConflict",
]


class ModelInvalid(KernelError):
    """The model file is missing, corrupt, or its layout cannot be read."""

    code = "recognition.model_invalid"


class ModelNotFound(ModelInvalid, NotFound):
    """No model file of that name in the models directory (and none in the catalog to pull).

    A kind of ``ModelInvalid`` (the model asked for cannot be used), with its own code.
    """

    code = "recognition.model_not_found"


class ImageInvalid(InputInvalid):
    """The image cannot be read, or its size is out of the supported range."""

    code = "recognition.image_invalid"


class MediaNotFound(NotFound):
    """The video path does not exist (same code as the media plugin's error)."""

    code = "media.not_found"


class MediaUnreadable(KernelError):
    """A video that cannot be decoded (same code as the media plugin's error, which is private to it)."""

    code = "media.unreadable"


class RuntimeConflict(Conflict):
    """``onnxruntime`` and ``onnxruntime-gpu`` are installed side by side and shadow each other."""

    code = "recognition.runtime_conflict"


class DownloadFailed(KernelError):
    """A model download failed, or the file did not match its sha256."""

    code = "recognition.download_failed"
