"""The ``[media]`` settings section (``REELKIT_MEDIA__<KEY>`` in the environment)."""

from __future__ import annotations

from typing import Literal

from reelkit.sdk import Field, SettingsSection

__all__ = ["MediaSettings"]


class MediaSettings(SettingsSection, section="media"):
    """Settings of the media plugin."""

    ffmpeg_path: str | None = Field(
        None, description="FFmpeg executable to use; unset: ffmpeg on PATH, then the imageio-ffmpeg wheel's binary"
    )
    max_parallel: int = Field(4, ge=1, le=64, description="Files media.import works on at once")
    cache_ttl: float = Field(30 * 24 * 3600, gt=0, description="Seconds a probe result stays in the metadata cache")
    cache_max_entries: int = Field(50_000, ge=1, description="Most probe results the metadata cache keeps")
    picture_cache_max_entries: int = Field(20_000, ge=1, description="Most thumbnails, filmstrips and "
                                           "waveforms kept on disk (oldest removed first)")
    thumbnail_format: Literal["jpeg", "png", "webp"] = Field("jpeg", description="Default thumbnail image format")
    thumbnail_width: int = Field(320, ge=16, le=3840, description="Default thumbnail width in pixels")
    thumbnail_quality: int = Field(85, ge=1, le=100, description="JPEG/WebP quality of thumbnails and filmstrips")
    proxy_height: int = Field(360, ge=64, le=2160, description="Default proxy picture height in pixels")
    proxy_crf: int = Field(28, ge=0, le=51, description="libx264 CRF of proxies (higher: smaller, softer)")
