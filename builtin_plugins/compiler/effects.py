"""The effects catalog: named effects with typed, bounded parameters, mapped onto FFmpeg filters.

An :class:`EffectSpec` pairs a pydantic parameter model with an ``apply(stream, params, ctx)``
function that appends filters through the builder's :class:`~.builder.Stream`. Plugins add effects
by implementing the ``reelkit_compiler_effects`` hook and returning a list of EffectSpec.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .builder import Stream, num

COLOR_PATTERN = r"^(#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?|[A-Za-z]{3,20})(@(0(\.\d+)?|1(\.0+)?))?$"


class Params(BaseModel):
    """Base of effect parameter models: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    #: keyframed parameters (name -> keyframes), set by Catalog.check; the fields hold the first values
    _keyframes: dict[str, Any] = PrivateAttr(default_factory=dict)


@dataclass(frozen=True)
class EffectContext:
    """What an effect may need to know about the clip it is applied to."""

    width: int
    height: int
    fps: str
    duration: float


@dataclass(frozen=True)
class EffectSpec:
    """One catalog entry."""

    name: str
    summary: str
    params: type[Params]
    apply: Callable[[Stream, Any, EffectContext], Stream]
    kind: Literal["video", "audio"] = "video"
    #: set when the effect needs an alpha channel in the clip (chroma key)
    makes_alpha: bool = False
    #: parameters that may be keyframed: param -> [(filter, option, template)], the template turning
    #: the parameter's value ``{v}`` into the option's (sent each frame through sendcmd ``[expr]``)
    animate: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        return self.params.model_json_schema()


class NoParams(Params):
    pass


class Amount(Params):
    amount: float = Field(1.0, ge=0, le=1, description="Strength, 0 (none) … 1 (full)")


class Brightness(Params):
    value: float = Field(0.1, ge=-1, le=1, description="Added brightness, -1 … 1")


class Contrast(Params):
    value: float = Field(1.2, ge=0, le=4, description="Contrast factor, 1 = unchanged")


class Saturation(Params):
    value: float = Field(1.5, ge=0, le=3, description="Saturation factor, 0 = grey, 1 = unchanged")


class Gamma(Params):
    value: float = Field(1.2, ge=0.1, le=10, description="Gamma, 1 = unchanged")


class Adjust(Params):
    brightness: float = Field(0, ge=-1, le=1, description="Added brightness")
    contrast: float = Field(1, ge=0, le=4, description="Contrast factor")
    saturation: float = Field(1, ge=0, le=3, description="Saturation factor")
    gamma: float = Field(1, ge=0.1, le=10, description="Gamma")


class Hue(Params):
    degrees: float = Field(90, ge=-360, le=360, description="Hue rotation in degrees")
    saturation: float = Field(1, ge=-10, le=10, description="Saturation factor")


class Blur(Params):
    sigma: float = Field(4, gt=0, le=100, description="Gaussian sigma in pixels")


class Sharpen(Params):
    amount: float = Field(1.0, ge=0, le=5, description="Unsharp amount")


class Vignette(Params):
    angle: float = Field(0.63, ge=0, le=1.5707, description="Lens angle in radians (larger = darker)")


class Denoise(Params):
    strength: float = Field(4, ge=0, le=30, description="Spatial luma strength (hqdn3d)")


class ChromaKey(Params):
    color: str = Field("#00FF00", pattern=r"^#[0-9A-Fa-f]{6}$", description="Key colour")
    similarity: float = Field(0.1, ge=0.01, le=1, description="How close a colour must be to vanish")
    blend: float = Field(0.05, ge=0, le=1, description="Edge softness")


class Lut3D(Params):
    file: str = Field(min_length=1, description="A .cube/.3dl LUT file")
    interpolation: Literal["nearest", "trilinear", "tetrahedral"] = Field("tetrahedral", description="Interpolation")


class Rotate(Params):
    degrees: float = Field(90, ge=-360, le=360, description="Clockwise rotation; the canvas keeps its size")
    fill: str = Field("black", pattern=COLOR_PATTERN, description="Colour of uncovered corners")


class CropFx(Params):
    left: float = Field(0, ge=0, lt=0.5, description="Fraction cut from the left")
    top: float = Field(0, ge=0, lt=0.5, description="Fraction cut from the top")
    right: float = Field(0, ge=0, lt=0.5, description="Fraction cut from the right")
    bottom: float = Field(0, ge=0, lt=0.5, description="Fraction cut from the bottom")


class Zoom(Params):
    start: float = Field(1.0, ge=1, le=5, description="Zoom at the clip's start")
    end: float = Field(1.3, ge=1, le=5, description="Zoom at the clip's end")
    x: float = Field(0.5, ge=0, le=1, description="Focus point x (fraction)")
    y: float = Field(0.5, ge=0, le=1, description="Focus point y (fraction)")


class Fade(Params):
    direction: Literal["in", "out"] = Field("in", description="Fade in from or out to the colour")
    duration: float = Field(1, gt=0, le=60, description="Seconds")
    color: str = Field("black", pattern=COLOR_PATTERN, description="Colour faded from/to")


class Speed(Params):
    factor: float = Field(2, ge=0.25, le=4, description="Multiplies the clip's speed")


class Pixelate(Params):
    block: int = Field(16, ge=2, le=256, description="Block size in pixels")


class Noise(Params):
    strength: int = Field(20, ge=0, le=100, description="Noise strength")


class Posterize(Params):
    levels: int = Field(4, ge=2, le=64, description="Levels per channel")


class Tone(Params):
    red: float = Field(0, ge=-1, le=1, description="Red shift")
    green: float = Field(0, ge=-1, le=1, description="Green shift")
    blue: float = Field(0, ge=-1, le=1, description="Blue shift")


class ColorBalance(Params):
    red: float = Field(0, ge=-1, le=1, description="Red shift of the midtones (same as midtones.red)")
    green: float = Field(0, ge=-1, le=1, description="Green shift of the midtones")
    blue: float = Field(0, ge=-1, le=1, description="Blue shift of the midtones")
    shadows: Tone = Field(default_factory=Tone, description="Shifts of the dark tones")
    midtones: Tone = Field(default_factory=Tone, description="Shifts of the middle tones (added to red/green/blue)")
    highlights: Tone = Field(default_factory=Tone, description="Shifts of the bright tones")


class Exposure(Params):
    stops: float = Field(0.5, ge=-3, le=3, description="Exposure correction in stops")


class Cutoff(Params):
    frequency: float = Field(1000, ge=20, le=20000, description="Cutoff frequency in Hz")


class Echo(Params):
    delay_ms: float = Field(250, ge=1, le=5000, description="Delay in milliseconds")
    decay: float = Field(0.4, ge=0, le=1, description="Echo level")


def _eq(**kw: float) -> Callable[[Stream, Any, EffectContext], Stream]:
    return lambda s, p, c: s.filter("eq", **{k: getattr(p, v) for k, v in kw.items()})


def _sepia(s: Stream, p: Amount, c: EffectContext) -> Stream:
    a = p.amount
    m = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
    mix = {}
    for i, ch in enumerate("rgb"):
        for j, src in enumerate("rgb"):
            ident = 1.0 if i == j else 0.0
            mix[f"{ch}{src}"] = ident + (m[i][j] - ident) * a
    return s.filter("colorchannelmixer", **mix)


def _zoom(s: Stream, p: Zoom, c: EffectContext) -> Stream:
    frames = max(1, round(c.duration * float(_frac(c.fps))))
    z = f"{num(p.start)}+({num(p.end - p.start)})*on/{frames}"
    x = f"max(0,min(iw-iw/zoom,iw*{num(p.x)}-iw/zoom/2))"
    y = f"max(0,min(ih-ih/zoom,ih*{num(p.y)}-ih/zoom/2))"
    return s.filter("zoompan", z=z, x=x, y=y, d=1, s=f"{c.width}x{c.height}", fps=c.fps)


def _frac(text: str) -> float:
    n, _, d = text.partition("/")
    return float(n) / float(d or 1)


def _crop(s: Stream, p: CropFx, c: EffectContext) -> Stream:
    w = 1 - p.left - p.right
    h = 1 - p.top - p.bottom
    s = s.filter("crop", w=f"iw*{num(w)}", h=f"ih*{num(h)}", x=f"iw*{num(p.left)}", y=f"ih*{num(p.top)}")
    return s.filter("scale", w=c.width, h=c.height)


def _fade(s: Stream, p: Fade, c: EffectContext) -> Stream:
    start = 0 if p.direction == "in" else max(0.0, c.duration - p.duration)
    return s.filter("fade", t=p.direction, st=start, d=p.duration, color=p.color)


def _pixelate(s: Stream, p: Pixelate, c: EffectContext) -> Stream:
    w, h = max(1, c.width // p.block), max(1, c.height // p.block)
    return s.filter("scale", w=w, h=h, flags="area").filter("scale", w=c.width, h=c.height, flags="neighbor")


def _posterize(s: Stream, p: Posterize, c: EffectContext) -> Stream:
    step = 256 / p.levels
    expr = f"floor(val/{num(step)})*{num(step)}"
    return s.filter("lutrgb", r=expr, g=expr, b=expr)


def _color_balance(s: Stream, p: ColorBalance, c: EffectContext) -> Stream:
    """Shadows, midtones and highlights per channel as one lookup table.

    FFmpeg 9's colorbalance leaves a mid grey (128) unchanged whatever its midtone setting (its tonal
    bands peak away from the middle), so this uses smooth weights of the channel's own level x:
    shadows (1-x)², midtones 4x(1-x) (1 at mid grey), highlights x²; a full shift (1) moves a level
    by half the range where its weight is 1.
    """
    opts = {}
    for ch in ("red", "green", "blue"):
        sh, mid, hi = getattr(p.shadows, ch), getattr(p, ch) + getattr(p.midtones, ch), getattr(p.highlights, ch)
        if not (sh or mid or hi):
            continue
        x = "(val/maxval)"
        opts[ch[0]] = (f"clip(val+maxval*0.5*({num(sh)}*(1-{x})*(1-{x})+{num(mid)}*4*{x}*(1-{x})"
                       f"+{num(hi)}*{x}*{x}),0,maxval)")
    return s.filter("lutrgb", **opts) if opts else s


def _sepia_animate() -> dict[str, list[tuple[str, str, str]]]:
    m = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
    out = []
    for i, ch in enumerate("rgb"):
        for j, src in enumerate("rgb"):
            ident = 1.0 if i == j else 0.0
            out.append(("colorchannelmixer", f"{ch}{src}", f"{num(ident)}+({num(m[i][j] - ident)})*{{v}}"))
    return {"amount": out}


def _eq_animate(**kw: str) -> dict[str, list[tuple[str, str, str]]]:
    return {param: [("eq", option, "{v}")] for option, param in kw.items()}


def _lut3d(s: Stream, p: Lut3D, c: EffectContext) -> Stream:
    return s.filter("lut3d", file=p.file, interp=p.interpolation)


BUILTIN_EFFECTS: list[EffectSpec] = [
    EffectSpec("brightness", "Brighten or darken", Brightness, _eq(brightness="value"),
               animate=_eq_animate(brightness="value")),
    EffectSpec("contrast", "Contrast", Contrast, _eq(contrast="value"), animate=_eq_animate(contrast="value")),
    EffectSpec("saturation", "Colour saturation", Saturation, _eq(saturation="value"),
               animate=_eq_animate(saturation="value")),
    EffectSpec("gamma", "Gamma correction", Gamma, _eq(gamma="value"), animate=_eq_animate(gamma="value")),
    EffectSpec(
        "adjust", "Brightness, contrast, saturation and gamma at once", Adjust,
        _eq(brightness="brightness", contrast="contrast", saturation="saturation", gamma="gamma"),
        animate=_eq_animate(brightness="brightness", contrast="contrast", saturation="saturation", gamma="gamma"),
    ),
    EffectSpec("hue", "Rotate hues", Hue, lambda s, p, c: s.filter("hue", h=p.degrees, s=p.saturation),
               animate={"degrees": [("hue", "h", "{v}")], "saturation": [("hue", "s", "{v}")]}),
    EffectSpec("grayscale", "Black and white", NoParams, lambda s, p, c: s.filter("hue", s=0)),
    EffectSpec("sepia", "Sepia tone", Amount, _sepia, animate=_sepia_animate()),
    EffectSpec("invert", "Negative image", NoParams, lambda s, p, c: s.filter("negate")),
    EffectSpec("blur", "Gaussian blur", Blur, lambda s, p, c: s.filter("gblur", sigma=p.sigma),
               animate={"sigma": [("gblur", "sigma", "{v}")]}),
    EffectSpec(
        "sharpen", "Unsharp mask", Sharpen,
        lambda s, p, c: s.filter("unsharp", lx=5, ly=5, la=p.amount, cx=5, cy=5, ca=0),
    ),
    EffectSpec("vignette", "Darkened corners", Vignette, lambda s, p, c: s.filter("vignette", angle=p.angle)),
    EffectSpec("denoise", "Spatio-temporal denoiser", Denoise, lambda s, p, c: s.filter("hqdn3d", luma_spatial=p.strength),
               animate={"strength": [("hqdn3d", "luma_spatial", "{v}")]}),
    EffectSpec(
        "chroma_key", "Make a colour transparent (green screen)", ChromaKey,
        lambda s, p, c: s.filter("format", pix_fmts="yuva420p").filter(
            "chromakey", color=p.color.replace("#", "0x"), similarity=p.similarity, blend=p.blend
        ),
        makes_alpha=True,
        animate={"similarity": [("chromakey", "similarity", "{v}")], "blend": [("chromakey", "blend", "{v}")]},
    ),
    EffectSpec("lut3d", "Colour grade with a 3D LUT file", Lut3D, _lut3d),
    EffectSpec("mirror", "Mirror left-right", NoParams, lambda s, p, c: s.filter("hflip")),
    EffectSpec("flip", "Flip upside down", NoParams, lambda s, p, c: s.filter("vflip")),
    EffectSpec(
        "rotate", "Rotate inside the frame", Rotate,
        lambda s, p, c: s.filter("rotate", a=num(math.radians(p.degrees)), c=p.fill),
        animate={"degrees": [("rotate", "angle", "{v}*PI/180")]},
    ),
    EffectSpec("crop", "Crop and scale back to the frame (punch-in)", CropFx, _crop),
    EffectSpec("zoom", "Ken Burns zoom from start to end", Zoom, _zoom),
    EffectSpec("fade", "Fade in from or out to a colour", Fade, _fade),
    EffectSpec("speed", "Change speed (folded into the clip's speed)", Speed, lambda s, p, c: s),
    EffectSpec("pixelate", "Mosaic blocks", Pixelate, _pixelate),
    EffectSpec("noise", "Film grain", Noise, lambda s, p, c: s.filter("noise", alls=p.strength, allf="t")),
    EffectSpec("posterize", "Fewer colour levels", Posterize, _posterize),
    EffectSpec("edges", "Edge detection", NoParams, lambda s, p, c: s.filter("edgedetect")),
    EffectSpec("color_balance", "Shift the colours of shadows, midtones and highlights", ColorBalance, _color_balance),
    EffectSpec("exposure", "Exposure in stops", Exposure, lambda s, p, c: s.filter("exposure", exposure=p.stops),
               animate={"stops": [("exposure", "exposure", "{v}")]}),
    EffectSpec("lowpass", "Audio low-pass filter", Cutoff, lambda s, p, c: s.filter("lowpass", f=p.frequency), "audio",
               animate={"frequency": [("lowpass", "frequency", "{v}")]}),
    EffectSpec("highpass", "Audio high-pass filter", Cutoff, lambda s, p, c: s.filter("highpass", f=p.frequency),
               "audio", animate={"frequency": [("highpass", "frequency", "{v}")]}),
    EffectSpec(
        "echo", "Audio echo", Echo,
        lambda s, p, c: s.filter("aecho", in_gain=0.8, out_gain=0.9, delays=p.delay_ms, decays=p.decay), "audio",
    ),
]


class Catalog:
    """Effects by name: the builtins plus those plugins contribute."""

    def __init__(self, extra: list[EffectSpec] | None = None):
        self._effects: dict[str, EffectSpec] = {e.name: e for e in BUILTIN_EFFECTS}
        for spec in extra or []:
            self.add(spec)

    def add(self, spec: EffectSpec) -> None:
        if not isinstance(spec, EffectSpec):
            raise TypeError(f"effect {spec!r} is not an EffectSpec")
        self._effects[spec.name] = spec

    def get(self, name: str) -> EffectSpec | None:
        return self._effects.get(name)

    def names(self) -> list[str]:
        return sorted(self._effects)

    def __iter__(self):
        return iter(self._effects[n] for n in self.names())

    def check(self, name: str, params: dict[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
        """Validate parameters: (params model or None, [(sub-path, message)])."""
        spec = self._effects.get(name)
        if spec is None:
            return None, [("name", f"unknown effect {name!r}; known: {', '.join(self.names())}")]
        from .keyframes import Keyframe

        keyed = {k: v for k, v in params.items() if isinstance(v, list) and k in spec.params.model_fields
                 and spec.params.model_fields[k].annotation in (float, int)}
        errors: list[tuple[str, str]] = []
        animated: dict[str, list[Keyframe]] = {}
        for key, frames in keyed.items():
            if key not in spec.animate:
                can = ", ".join(sorted(spec.animate)) or "none"
                errors.append((f"params.{key}", f"{name}.{key} cannot be keyframed (keyframable: {can})"))
                continue
            try:
                kfs = [Keyframe.model_validate(k) for k in frames]
            except ValidationError as e:
                errors.append((f"params.{key}", e.errors()[0]["msg"]))
                continue
            if not kfs or [k.time for k in kfs] != sorted({k.time for k in kfs}):
                errors.append((f"params.{key}", "keyframe times must increase strictly"))
                continue
            for k in kfs:  # every value must be one the parameter accepts
                try:
                    spec.params.model_validate({**params, **{n: f[0]["value"] for n, f in keyed.items()}, key: k.value})
                except ValidationError as e:
                    for err in e.errors():
                        if err["loc"] and err["loc"][0] == key:
                            errors.append((f"params.{key}", f"keyframe at {k.time:g}s: {err['msg']}"))
            animated[key] = kfs
        if errors:
            return None, errors
        if keyed:
            params = {**params, **{k: v[0]["value"] for k, v in keyed.items()}}
        try:
            model = spec.params.model_validate(params)
        except ValidationError as e:
            return None, [
                ("params." + ".".join(str(x) for x in err["loc"]) if err["loc"] else "params", err["msg"])
                for err in e.errors()
            ]
        if isinstance(model, Lut3D) and not os.path.isfile(model.file):
            return None, [("params.file", f"LUT file {model.file!r} does not exist")]
        if animated and isinstance(model, Params):
            model._keyframes = animated
        return model, []
