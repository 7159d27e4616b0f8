"""Public models and service protocols of the media plugin.

Other plugins may import this module (and only this one) once they declare
``requires=["media"]``. It depends on pydantic alone, so importing it is cheap.

    FFmpegInfo     what the located FFmpeg binary is and can do
    FFmpegLocator  the service that finds FFmpeg (inject it by this type)
    MediaInfo      the result of ``media.probe``
    StreamInfo     one stream of a MediaInfo
    ChapterInfo    one chapter of a MediaInfo
    Rational       an exact rate or ratio (frame rates, aspect ratios)
    ThumbnailResult, FilmstripResult, WaveformResult, ProxyResult, ImportResult
                   what the picture, proxy and import commands return
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChapterInfo",
    "FailedFile",
    "FFmpegInfo",
    "FFmpegLocator",
    "FilmstripResult",
    "FilmstripTile",
    "ImportedFile",
    "ImportResult",
    "MediaInfo",
    "MediaKind",
    "PictureResult",
    "ProxyResult",
    "Rational",
    "StreamInfo",
    "StreamKind",
    "ThumbnailResult",
    "WaveformResult",
]

MediaKind = Literal["video", "audio", "image"]
StreamKind = Literal["video", "audio", "subtitle", "data", "attachment", "unknown"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Rational(_Model):
    """An exact fraction such as a frame rate of 30000/1001."""

    num: int = Field(description="Numerator")
    den: int = Field(description="Denominator (never 0)")

    def __float__(self) -> float:
        return self.num / self.den

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"


class StreamInfo(_Model):
    """One stream of a container; fields that do not apply to its kind are None."""

    index: int = Field(description="Stream index in the container")
    kind: StreamKind = Field(description="video, audio, subtitle, data, attachment or unknown")
    codec: str | None = Field(None, description="Codec short name, e.g. h264, aac")
    codec_long_name: str | None = Field(None, description="Codec descriptive name")
    profile: str | None = Field(None, description="Codec profile, e.g. High, LC")
    bit_rate: int | None = Field(None, description="Bits per second, when known")
    duration: float | None = Field(None, description="Seconds, when the stream declares it")
    start_time: float | None = Field(None, description="Seconds of the first timestamp")
    frames: int | None = Field(None, description="Frame count declared by the container, when known")
    language: str | None = Field(None, description="ISO 639 language tag, when set")
    title: str | None = Field(None, description="Stream title tag, when set")
    disposition: list[str] = Field(default_factory=list, description="Flags such as default, forced, attached_pic")
    tags: dict[str, str] = Field(default_factory=dict, description="Stream metadata tags")
    # video
    width: int | None = Field(None, description="Coded picture width in pixels")
    height: int | None = Field(None, description="Coded picture height in pixels")
    sample_aspect_ratio: Rational | None = Field(None, description="Pixel (sample) aspect ratio")
    display_aspect_ratio: Rational | None = Field(None, description="Display aspect ratio")
    frame_rate: Rational | None = Field(None, description="Average frame rate (frames per second)")
    pixel_format: str | None = Field(None, description="Pixel format, e.g. yuv420p")
    rotation: int = Field(0, description="Display rotation in degrees (counter-clockwise), from the display matrix")
    color_space: str | None = Field(None, description="Colour matrix, e.g. bt709")
    color_range: str | None = Field(None, description="tv (limited) or pc (full)")
    color_transfer: str | None = Field(None, description="Transfer characteristic, e.g. bt709, smpte2084")
    color_primaries: str | None = Field(None, description="Colour primaries, e.g. bt709, bt2020")
    # audio
    sample_rate: int | None = Field(None, description="Audio samples per second")
    channels: int | None = Field(None, description="Audio channel count")
    channel_layout: str | None = Field(None, description="Channel layout, e.g. stereo, 5.1")
    sample_format: str | None = Field(None, description="Audio sample format, e.g. fltp")


class ChapterInfo(_Model):
    """A chapter mark."""

    index: int = Field(description="Chapter number, from 0")
    start: float = Field(description="Start in seconds")
    end: float = Field(description="End in seconds")
    title: str | None = Field(None, description="Chapter title tag")
    tags: dict[str, str] = Field(default_factory=dict, description="Chapter metadata tags")


class MediaInfo(_Model):
    """What a media file is: the result of ``media.probe``."""

    path: str = Field(description="Absolute path of the probed file")
    size: int = Field(description="File size in bytes")
    mtime_ns: int = Field(description="Modification time (ns) the probe saw; part of the cache key")
    kind: MediaKind = Field(description="video, audio or image (a still picture)")
    format_name: str = Field(description="Demuxer name(s), e.g. 'mov,mp4,m4a,3gp,3g2,mj2'")
    format_long_name: str | None = Field(None, description="Demuxer descriptive name")
    duration: float | None = Field(None, description="Seconds; None for still images and unknown lengths")
    start_time: float | None = Field(None, description="Seconds of the first timestamp")
    bit_rate: int | None = Field(None, description="Overall bits per second, when known")
    tags: dict[str, str] = Field(default_factory=dict, description="Container metadata tags")
    chapters: list[ChapterInfo] = Field(default_factory=list, description="Chapters, in order")
    streams: list[StreamInfo] = Field(default_factory=list, description="Every stream, in container order")

    @property
    def video(self) -> StreamInfo | None:
        """The first video stream that is not a cover picture, if any."""
        for s in self.streams:
            if s.kind == "video" and "attached_pic" not in s.disposition:
                return s
        return None

    @property
    def audio(self) -> StreamInfo | None:
        """The first audio stream, if any."""
        return next((s for s in self.streams if s.kind == "audio"), None)


class FFmpegInfo(_Model):
    """The FFmpeg binary reelkit uses and what it can do."""

    path: str = Field(description="Absolute path of the ffmpeg executable")
    source: Literal["settings", "path", "imageio-ffmpeg"] = Field(
        description="Where it was found: the media.ffmpeg_path setting, PATH, or the imageio-ffmpeg wheel"
    )
    version: str = Field(description="Version string as ffmpeg prints it, e.g. n9.0.2")
    encoders: list[str] = Field(default_factory=list, description="Encoder names (ffmpeg -encoders)")
    decoders: list[str] = Field(default_factory=list, description="Decoder names (ffmpeg -decoders)")
    filters: list[str] = Field(default_factory=list, description="Filter names (ffmpeg -filters)")
    hwaccels: list[str] = Field(default_factory=list, description="Hardware acceleration methods (ffmpeg -hwaccels)")


@runtime_checkable
class FFmpegLocator(Protocol):
    """The service that finds FFmpeg for all of reelkit; inject it by this type.

    ``exe`` is the absolute path of the binary; ``info()`` describes it (cached per binary).
    Both raise ``media.ffmpeg_missing`` (a KernelError) when no FFmpeg can be found.
    """

    @property
    def exe(self) -> str: ...

    def info(self) -> FFmpegInfo: ...


class PictureResult(_Model):
    """A picture the plugin made (thumbnail, filmstrip, waveform), stored in the picture cache."""

    file: str = Field(description="Absolute path of the image file (content-addressed, never rewritten)")
    format: Literal["jpeg", "png", "webp"] = Field(description="Image format")
    width: int = Field(description="Image width in pixels")
    height: int = Field(description="Image height in pixels")
    cached: bool = Field(description="True when an earlier identical request was served from the cache")


class ThumbnailResult(PictureResult):
    """Result of ``media.thumbnail``."""

    time: float = Field(description="Timestamp (s) of the frame actually shown (the one on screen at the asked time)")


class FilmstripTile(_Model):
    """Where one frame sits in a filmstrip sprite sheet."""

    time: float = Field(description="Timestamp (s) of the frame")
    x: int = Field(description="Left edge in the sheet, pixels")
    y: int = Field(description="Top edge in the sheet, pixels")
    width: int = Field(description="Tile width, pixels")
    height: int = Field(description="Tile height, pixels")


class FilmstripResult(PictureResult):
    """Result of ``media.filmstrip``: a sprite sheet of evenly spaced frames."""

    columns: int = Field(description="Tiles per row")
    rows: int = Field(description="Number of rows")
    tiles: list[FilmstripTile] = Field(description="Each tile, in time order")


class WaveformResult(PictureResult):
    """Result of ``media.waveform``."""

    peaks: list[float] = Field(description="Absolute peak (0..1) of each image column")
    duration: float | None = Field(None, description="Seconds of audio the peaks cover")


class ProxyResult(_Model):
    """Result of the ``media.proxy`` job."""

    source: str = Field(description="The source file")
    file: str = Field(description="The proxy file (H.264/AAC MP4)")
    width: int = Field(description="Proxy picture width")
    height: int = Field(description="Proxy picture height")
    cached: bool = Field(description="True when a proxy for this exact source already existed")


class ImportedFile(_Model):
    """One file a ``media.import`` brought in."""

    path: str = Field(description="Absolute path")
    info: MediaInfo = Field(description="Its probe result")
    thumbnail: str | None = Field(None, description="Thumbnail file, for video and image files")


class FailedFile(_Model):
    """One file a ``media.import`` could not bring in."""

    path: str = Field(description="The path as found")
    code: str = Field(description="Error code, e.g. media.unreadable")
    message: str = Field(description="What went wrong and how to fix it")


class ImportResult(_Model):
    """Result of the ``media.import`` job."""

    files: list[ImportedFile] = Field(default_factory=list, description="Files imported, in discovery order")
    failed: list[FailedFile] = Field(default_factory=list, description="Files that failed, each alone")
    total: int = Field(description="Files discovered")
