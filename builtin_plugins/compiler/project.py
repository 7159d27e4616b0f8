"""The project document: a versioned timeline in seconds (pydantic models, JSON Schema exported).

Shape (after Shotstack's edit JSON, editly and OpenTimelineIO)::

    Project
    ├── settings   width, height, fps (rational), sample_rate, background
    ├── output     container, codecs, encoder choice, quality, loudness, deterministic
    ├── tracks[]   in z-order (first = bottom): video | audio | text | subtitle
    │     └── clips[]   media | color | text, each with start, duration, source range,
    │                   speed, volume, fades, opacity, transform, effects and the
    │                   transition *into* it from the previous clip of the track
    └── markers[]

Times are seconds in the document; the planner snaps them onto the project's frame grid.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field, field_validator, model_validator

from .keyframes import Animatable
from .project_parts import Color, Layout, Mask, Seconds, TextAnimation, _Model

SCHEMA_VERSION = 1


def parse_rate(value: Any) -> Fraction:
    """Parse a frame rate given as 30, 29.97, "30", "30000/1001" into a Fraction."""
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        rate = Fraction(value).limit_denominator(1001)
    elif isinstance(value, str):
        try:
            rate = Fraction(value.strip()).limit_denominator(1001)
        except (ValueError, ZeroDivisionError) as e:
            raise ValueError(f"frame rate {value!r} is not a number or a ratio like 30000/1001") from e
    else:
        raise ValueError(f"frame rate {value!r} must be a number or a string like '30000/1001'")
    if not (1 <= rate <= 240):
        raise ValueError(f"frame rate {value!r} must be between 1 and 240 frames per second")
    return rate


class ProjectSettings(_Model):
    """Canvas and timing of the composition."""

    width: int = Field(1280, ge=16, le=8192, description="Output width in pixels (even)")
    height: int = Field(720, ge=16, le=8192, description="Output height in pixels (even)")
    fps: str = Field("30", description="Frame rate: a number or a ratio such as '30000/1001'",
                     json_schema_extra={"type": ["string", "number"]})  # the validator takes both
    sample_rate: int = Field(48000, ge=8000, le=192000, description="Audio sample rate in Hz")
    background: Color = Field("#000000", description="Background colour (CSS hex or an FFmpeg colour name)")

    @field_validator("fps", mode="before")
    @classmethod
    def _fps(cls, v: Any) -> str:
        r = parse_rate(v)
        return f"{r.numerator}/{r.denominator}"

    @field_validator("width", "height")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError(f"{v} is odd; most encoders need even sizes, use {v + 1}")
        return v

    @property
    def rate(self) -> Fraction:
        """The frame rate as a Fraction."""
        return Fraction(self.fps)


class Loudness(_Model):
    """Master loudness target (EBU R128 through loudnorm)."""

    integrated: float = Field(-16.0, ge=-70, le=-5, description="Integrated loudness target, LUFS")
    true_peak: float = Field(-1.5, ge=-9, le=0, description="Maximum true peak, dBTP")
    lra: float = Field(11.0, ge=1, le=50, description="Loudness range target, LU")


class OutputSettings(_Model):
    """How the composition is encoded."""

    container: Literal["mp4", "mov", "mkv", "webm", "gif", "m4a", "mp3", "wav", "ogg"] | None = Field(
        None, description="Container; by default taken from the output file's extension"
    )
    video_codec: Literal["h264", "h265", "vp9", "av1", "prores", "gif"] | None = Field(
        None, description="Video codec; by default the container's usual one"
    )
    audio_codec: Literal["aac", "opus", "mp3", "pcm", "flac", "vorbis", "none"] | None = Field(
        None, description="Audio codec; 'none' drops audio"
    )
    encoder: str = Field(
        "software", description="'auto' (hardware when it works), 'software', or an FFmpeg encoder name"
    )
    crf: int | None = Field(None, ge=0, le=63, description="Constant quality (lower is better); default per codec")
    bitrate: str | None = Field(None, pattern=r"^\d+(\.\d+)?[kKmM]?$", description="Video bit rate, e.g. '4M'")
    preset: str | None = Field(None, pattern=r"^[a-z0-9]{1,16}$", description="Encoder preset, e.g. 'veryfast'")
    audio_bitrate: str = Field("192k", pattern=r"^\d+[kK]?$", description="Audio bit rate")
    pixel_format: str | None = Field(None, pattern=r"^[a-z0-9]{3,16}$", description="Pixel format override")
    loudness: Loudness | None = Field(None, description="Normalise the master mix to this loudness")
    deterministic: bool = Field(False, description="Pinned threads and bit-exact flags: same input, same bytes")
    threads: int | None = Field(None, ge=1, le=64, description="Encoder threads (2 when deterministic)")


class Crop(_Model):
    """Fractions of the source cut away from each side."""

    left: Animatable(0, 0.99) = Field(0, description="Fraction cut from the left (or keyframes)")
    top: Animatable(0, 0.99) = Field(0, description="Fraction cut from the top (or keyframes)")
    right: Animatable(0, 0.99) = Field(0, description="Fraction cut from the right (or keyframes)")
    bottom: Animatable(0, 0.99) = Field(0, description="Fraction cut from the bottom (or keyframes)")

    def animated(self) -> bool:
        """True when any side is keyframed."""
        return any(isinstance(v, list) for v in (self.left, self.top, self.right, self.bottom))


class Transform(_Model):
    """Placement of a visual clip on the canvas."""

    x: Animatable(-1, 2) = Field(0.5, description="Centre x as a fraction of the canvas width (or keyframes)")
    y: Animatable(-1, 2) = Field(0.5, description="Centre y as a fraction of the canvas height (or keyframes)")
    scale: Animatable(0, 10, gt=True) = Field(1.0, description="Scale relative to the fitted size (or keyframes)")
    rotation: Animatable(-3600, 3600) = Field(0.0, description="Clockwise rotation in degrees (or keyframes)")
    crop: Crop | None = Field(None, description="Crop applied to the source before fitting")
    fit: Literal["contain", "cover", "fill", "contain-blur"] = Field(
        "contain", description="How the source fits the canvas; contain-blur fills the bars with a blurred cover copy"
    )

    def is_identity(self) -> bool:
        """True when the clip simply fills the canvas."""
        return (self.x, self.y, self.scale, self.rotation, self.crop) == (0.5, 0.5, 1.0, 0.0, None)


class EffectRef(_Model):
    """One effect from the catalog (`compiler.effects`) with its parameters."""

    name: str = Field(description="Effect name from the catalog, e.g. 'blur'")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters, checked against its schema")


class Transition(_Model):
    """A transition from the previous clip of the same track into this one (FFmpeg xfade)."""

    type: str = Field("fade", description="An xfade transition name: fade, wipeleft, dissolve, circleopen …")
    duration: float = Field(1.0, gt=0, le=10, description="Seconds; the two clips overlap by exactly this")
    in_offset: float | None = Field(None, ge=0, le=10, description="Seconds of the transition before the cut "
                                    "(OpenTimelineIO's in_offset; the rest is after it); centred when absent")


class _ClipBase(_Model):
    id: str | None = Field(None, max_length=128, description="Optional stable id")
    start: Seconds = Field(description="Position on the timeline, seconds")
    duration: float | None = Field(None, gt=0, le=24 * 3600, description="Length on the timeline, seconds")
    fade_in: Seconds = Field(0, description="Fade-in length, seconds (video and audio)")
    fade_out: Seconds = Field(0, description="Fade-out length, seconds (video and audio)")
    opacity: Animatable(0, 1) = Field(1.0, description="0 transparent … 1 opaque (or keyframes)")
    transform: Transform = Field(default_factory=Transform, description="Placement on the canvas")
    layout: Layout | None = Field(None, description="Place the clip in a template cell (pip, split screens)")
    mask: Mask | None = Field(None, description="Show only part of the clip")
    effects: list[EffectRef] = Field(default_factory=list, description="Effects applied in order")
    transition: Transition | None = Field(None, description="Transition from the previous clip into this one")
    name: str | None = Field(None, max_length=500, description="Display name (kept through interchange)")
    enabled: bool = Field(True, description="False: the clip is kept in the document but not rendered")
    markers: list[Marker] = Field(default_factory=list, description="Markers; times are seconds from the clip's start")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free data kept as is (e.g. what an "
                                     "interchange format carried that reelkit does not use)")


class MediaClip(_ClipBase):
    """A piece of a video, image or audio file."""

    type: Literal["media"] = "media"
    source: str = Field(min_length=1, description="Path of the media file")
    source_in: Seconds = Field(0, description="Start inside the source, seconds")
    source_out: float | None = Field(None, gt=0, description="End inside the source, seconds")
    speed: Animatable(0.25, 4.0) = Field(1.0, description="Playback speed; audio keeps its pitch; keyframes ramp it")
    volume: Animatable(0, 8) = Field(1.0, description="Linear gain of the clip's audio (or keyframes)")
    mute: bool = Field(False, description="Drop this clip's audio")
    reverse: bool = Field(False, description="Play the source range backwards (video and audio)")
    freeze: float | None = Field(None, ge=0, description="Hold the source frame at this time (seconds in the "
                                                         "source) for the whole clip; its audio is silent")
    loop: bool = Field(False, description="Repeat the source range until the clip's duration is filled")

    @model_validator(mode="after")
    def _time(self) -> "MediaClip":
        if sum((self.reverse, self.freeze is not None, self.loop)) > 1:
            raise ValueError("choose one of reverse, freeze and loop")
        if (self.reverse or self.freeze is not None or self.loop) and isinstance(self.speed, list):
            raise ValueError("a speed ramp cannot be combined with reverse, freeze or loop")
        return self


class ColorClip(_ClipBase):
    """A solid colour."""

    type: Literal["color"] = "color"
    color: Color = Field("#000000", description="CSS hex or FFmpeg colour name, optional @alpha")


class TextClip(_ClipBase):
    """Text drawn with drawtext; any string renders verbatim."""

    type: Literal["text"] = "text"
    text: str = Field(max_length=10000, description="The text; newlines break lines")
    font: str | None = Field(None, description="Font file path or family name; a system sans by default")
    size: int = Field(48, ge=4, le=1000, description="Font size in pixels")
    color: Color = Field("white", description="Text colour")
    box: bool = Field(False, description="Draw a box behind the text")
    box_color: Color = Field("black@0.5", description="Box colour")
    box_padding: int = Field(10, ge=0, le=500, description="Box border width in pixels")
    outline: int = Field(0, ge=0, le=50, description="Outline width in pixels")
    outline_color: Color = Field("black", description="Outline colour")
    position: Literal[
        "center", "top", "bottom", "left", "right", "top-left", "top-right", "bottom-left", "bottom-right", "custom"
    ] = Field("center", description="Position preset; 'custom' uses transform.x/y as the text centre")
    margin: int = Field(40, ge=0, le=2000, description="Distance from the edges for presets, pixels")
    line_spacing: int = Field(0, ge=-100, le=500, description="Extra pixels between lines")
    wrap: bool = Field(False, description="Break long lines at word (or, for CJK, character) boundaries")
    box_width: float = Field(0.9, gt=0, le=1, description="With wrap: the widest line, fraction of the canvas width")
    animation: TextAnimation | None = Field(None, description="Animated entrance: fade, slide, pop, typewriter")
    style: Literal["plain", "lower-third", "news"] = Field(
        "plain", description="lower-third: a bar bottom left; news: a full-width band at the bottom"
    )
    background: Color | None = Field(None, description="Title background: a band behind the text (lower-third, "
                                                       "news) or a box around it (plain)")


class GradientClip(_ClipBase):
    """A linear or radial colour gradient (FFmpeg's gradients source)."""

    type: Literal["gradient"] = "gradient"
    kind: Literal["linear", "radial"] = Field("linear", description="linear along `angle`, or radial from the centre")
    colors: list[Color] = Field(default_factory=lambda: ["#000000", "#FFFFFF"], min_length=2, max_length=8,
                                description="Two to eight colours, first at the start (or the centre)")
    angle: float = Field(90, ge=-360, le=360, description="linear: direction in degrees (0 left→right, 90 top→bottom)")


Clip = Annotated[Union[MediaClip, ColorClip, TextClip, GradientClip], Field(discriminator="type")]


class Ducking(_Model):
    """Lower this track while another track has sound (sidechain compression)."""

    under: str = Field(description="Id of the track (e.g. dialogue) that ducks this one")
    threshold: float = Field(0.05, gt=0, le=1, description="Sidechain level that triggers ducking")
    ratio: float = Field(8, ge=1, le=20, description="Compression ratio")
    attack: float = Field(20, ge=0.01, le=2000, description="Attack, ms")
    release: float = Field(400, ge=0.01, le=9000, description="Release, ms")


class SubtitleStyle(_Model):
    """Style for burned-in subtitles (an ASS force_style)."""

    font: str = Field("DejaVu Sans", max_length=100, description="Font family")
    size: int = Field(24, ge=4, le=300, description="Font size (ASS units, scaled to the video)")
    color: str = Field("#FFFFFF", pattern=r"^#[0-9a-fA-F]{6}$", description="Text colour")
    outline_color: str = Field("#000000", pattern=r"^#[0-9a-fA-F]{6}$", description="Outline colour")
    outline: float = Field(2, ge=0, le=20, description="Outline width")
    margin_v: int = Field(20, ge=0, le=1000, description="Vertical margin")


class Track(_Model):
    """One layer of the timeline; the list order is the z-order (first = bottom)."""

    id: str = Field(min_length=1, max_length=128, description="Track id, unique in the project")
    kind: Literal["video", "audio", "text", "subtitle"] = Field(description="What the track holds")
    clips: list[Clip] = Field(default_factory=list, description="Clips, in any order")
    muted: bool = Field(False, description="Silence this track")
    hidden: bool = Field(False, description="Do not draw this track")
    volume: float = Field(1.0, ge=0, le=8, description="Track gain")
    ducking: Ducking | None = Field(None, description="Duck this (audio) track under another")
    source: str | None = Field(None, description="Subtitle file (SRT, VTT, ASS) for subtitle tracks")
    mode: Literal["burn", "soft"] = Field("burn", description="Subtitles burned in (libass) or muxed as a stream")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="Subtitle language (ISO 639)")
    style: SubtitleStyle | None = Field(None, description="Burn-in style; the file's own style when absent")
    name: str | None = Field(None, max_length=500, description="Display name (kept through interchange)")
    markers: list[Marker] = Field(default_factory=list, description="Markers; times are seconds on the timeline")


class Marker(_Model):
    """A named point (or range) on the timeline."""

    time: Seconds = Field(description="Seconds")
    name: str = Field("", max_length=500, description="Label")
    duration: Seconds = Field(0, description="Length of a range marker, seconds")
    color: str | None = Field(None, max_length=32, description="Display colour")
    comment: str = Field("", max_length=2000, description="Free text (an editor's marker comment)")


SCHEMA_ID = "urn:reelkit:schema:project:1"


class Project(_Model):
    """A reelkit project document (version 1)."""

    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True,
                              json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema",
                                                 "$id": SCHEMA_ID, "title": "reelkit project"})

    schema_ref: str | None = Field(None, alias="$schema", description="The JSON Schema this document follows, for "
                                   "editors (reelkit schema --project writes it; ignored when rendering)")
    version: Literal[1] = Field(1, description="Document format version")
    name: str = Field("untitled", max_length=500, description="Project name")
    preset: str | None = Field(None, description="A named output preset (`compiler.presets`); settings and output "
                                                 "given in the document override it")
    settings: ProjectSettings = Field(default_factory=ProjectSettings, description="Canvas and timing")
    output: OutputSettings = Field(default_factory=OutputSettings, description="Encoding")
    tracks: list[Track] = Field(default_factory=list, description="Tracks in z-order, first = bottom")
    markers: list[Marker] = Field(default_factory=list, description="Markers")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free data kept as is")


    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        from .presets import apply_preset

        return apply_preset(data)


def project_schema() -> dict[str, Any]:
    """The JSON Schema of the project document."""
    return Project.model_json_schema()
