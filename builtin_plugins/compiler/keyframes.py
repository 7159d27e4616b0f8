"""Keyframed values: a number, or a list of ``(time, value, easing)`` keyframes, and their FFmpeg expressions.

A keyframe's ``time`` is seconds from the clip's start; before the first keyframe the value is the
first one's, after the last it is the last one's. A keyframe's ``easing`` shapes the segment that
*leaves* it (as in After Effects, Resolve and CSS):

- ``linear``; ``hold`` (the value jumps at the next keyframe);
- ``ease-in`` (u²), ``ease-out`` (1−(1−u)²), ``ease-in-out`` (smoothstep 3u²−2u³);
- ``cubic-bezier`` with ``bezier: [x1, y1, x2, y2]`` as in CSS; its FFmpeg expression follows the
  curve through 16 straight pieces (within 0.3 % of the exact curve that :func:`value_at` computes).

:func:`expression` writes the curve as one FFmpeg expression of a time variable (``t``, ``T``, or
``(t-4.5)`` for a clip placed at 4.5 s of the composition), for filters that evaluate per frame
(overlay x/y, scale with ``eval=frame``, rotate, volume, sendcmd ``[expr]`` commands).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Easing = Literal["linear", "hold", "ease-in", "ease-out", "ease-in-out", "cubic-bezier"]
BEZIER_PIECES = 16


class Keyframe(BaseModel):
    """One keyframe of an animated value."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    time: float = Field(ge=0, le=24 * 3600, description="Seconds from the clip's start")
    value: float = Field(description="The value at that time")
    easing: Easing = Field("linear", description="Shape of the segment that leaves this keyframe")
    bezier: list[float] | None = Field(
        None, min_length=4, max_length=4, description="cubic-bezier control points [x1, y1, x2, y2] (x in 0…1)"
    )

    @model_validator(mode="after")
    def _bezier(self) -> "Keyframe":
        if self.easing == "cubic-bezier":
            if self.bezier is None:
                raise ValueError("easing 'cubic-bezier' needs bezier: [x1, y1, x2, y2]")
            if not (0 <= self.bezier[0] <= 1 and 0 <= self.bezier[2] <= 1):
                raise ValueError("cubic-bezier x1 and x2 must be between 0 and 1")
        elif self.bezier is not None:
            raise ValueError("bezier is only used with easing 'cubic-bezier'")
        return self


def _check(lo: float | None, hi: float | None, lo_open: bool):
    def bad(v: float) -> bool:
        return lo is not None and (v <= lo if lo_open else v < lo) or hi is not None and v > hi

    def bounds() -> str:
        low = f"above {lo:g}" if lo_open else f"at least {lo:g}"
        return f"{low} and at most {hi:g}" if hi is not None else low

    def check(value: Any) -> Any:
        if not isinstance(value, list):
            if bad(value):
                raise ValueError(f"{value:g} is out of range: it must be {bounds()}")
            return value
        if not value:
            raise ValueError("a keyframe list needs at least one keyframe")
        times = [k.time for k in value]
        if times != sorted(times) or len(set(times)) != len(times):
            raise ValueError("keyframe times must increase strictly")
        for k in value:
            if bad(k.value):
                raise ValueError(f"keyframe value {k.value:g} at {k.time:g}s is out of range: it must be {bounds()}")
        return value
    return check


def Animatable(lo: float | None = None, hi: float | None = None, *, gt: bool = False) -> Any:
    """The type of a keyframable number between ``lo`` and ``hi`` (``gt``: strictly above ``lo``)."""
    def schema(js: dict[str, Any]) -> None:  # the bounds, for the number form, in the JSON Schema too
        number = next((b for b in js.get("anyOf", []) if b.get("type") == "number"), None)
        if number is not None:
            if lo is not None:
                number["exclusiveMinimum" if gt else "minimum"] = lo
            if hi is not None:
                number["maximum"] = hi

    return Annotated[Union[float, list[Keyframe]], Field(union_mode="left_to_right", json_schema_extra=schema),
                     AfterValidator(_check(lo, hi, gt))]


def animated(value: Any) -> bool:
    """True when ``value`` is a keyframe list (not a plain number)."""
    return isinstance(value, list)


def first(value: Any) -> float:
    """The value at the clip's start (a plain number as is)."""
    return value_at(value, 0.0)


def values(value: Any) -> list[float]:
    """Every value a keyframed number takes at a keyframe (a plain number: itself)."""
    return [k.value for k in value] if animated(value) else [float(value)]


def _bezier_y(b: list[float], u: float) -> float:
    """CSS cubic-bezier: solve x(s) = u for s by bisection, return y(s)."""
    x1, y1, x2, y2 = b

    def coord(p1: float, p2: float, s: float) -> float:
        return 3 * (1 - s) ** 2 * s * p1 + 3 * (1 - s) * s * s * p2 + s ** 3

    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if coord(x1, x2, mid) < u:
            lo = mid
        else:
            hi = mid
    return coord(y1, y2, (lo + hi) / 2)


def ease(k: Keyframe, u: float) -> float:
    """The eased fraction (0 … 1 in, usually 0 … 1 out) of the segment leaving ``k``."""
    u = min(1.0, max(0.0, u))
    if k.easing == "linear":
        return u
    if k.easing == "hold":
        return 0.0 if u < 1 else 1.0
    if k.easing == "ease-in":
        return u * u
    if k.easing == "ease-out":
        return 1 - (1 - u) ** 2
    if k.easing == "ease-in-out":
        return u * u * (3 - 2 * u)
    assert k.bezier is not None
    return _bezier_y(k.bezier, u)


def value_at(value: Any, t: float) -> float:
    """The value at ``t`` seconds from the clip's start."""
    if not animated(value):
        return float(value)
    frames: list[Keyframe] = value
    if t <= frames[0].time:
        return frames[0].value
    for a, b in zip(frames, frames[1:]):
        if t < b.time:
            return a.value + (b.value - a.value) * ease(a, (t - a.time) / (b.time - a.time))
    return frames[-1].value


def _n(x: float) -> str:
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _segment(a: Keyframe, b: Keyframe, var: str) -> str:
    d = b.value - a.value
    span = b.time - a.time
    u = f"(({var}-{_n(a.time)})/{_n(span)})"
    if a.easing == "hold" or d == 0:
        return _n(a.value)
    if a.easing == "linear":
        shape = u
    elif a.easing == "ease-in":
        shape = f"{u}*{u}"
    elif a.easing == "ease-out":
        shape = f"(1-(1-{u})*(1-{u}))"
    elif a.easing == "ease-in-out":
        shape = f"({u}*{u}*(3-2*{u}))"
    else:  # cubic-bezier: straight pieces through the exact curve
        pts = [(i / BEZIER_PIECES, ease(a, i / BEZIER_PIECES)) for i in range(BEZIER_PIECES + 1)]
        shape = _n(pts[-1][1])
        for (u0, y0), (u1, y1) in reversed(list(zip(pts, pts[1:]))):
            piece = f"({_n(y0)}+({_n(y1 - y0)})*({u}-{_n(u0)})*{_n(BEZIER_PIECES)})"
            shape = f"if(lt({u},{_n(u1)}),{piece},{shape})"
    return f"({_n(a.value)}+({_n(d)})*{shape})"


def expression(value: Any, var: str = "t", scale: float = 1.0, offset: float = 0.0) -> str:
    """``offset + scale * value(var)`` as an FFmpeg expression (a plain number gives a constant)."""
    def wrap(e: str) -> str:
        if scale == 1 and offset == 0:
            return e
        return f"({_n(offset)}+{_n(scale)}*{e})"

    if not animated(value):
        return _n(offset + scale * float(value))
    frames: list[Keyframe] = value
    out = _n(frames[-1].value)
    for a, b in reversed(list(zip(frames, frames[1:]))):
        out = f"if(lt({var},{_n(b.time)}),{_segment(a, b, var)},{out})"
    if len(frames) > 1:
        out = f"if(lt({var},{_n(frames[0].time)}),{_n(frames[0].value)},{out})"
    return wrap(out)


def pieces(value: Any, duration: float, steps: int) -> list[tuple[float, float, float]]:
    """The curve over ``0 … duration`` as ``steps`` constant pieces ``(t0, t1, mean value)``: what a
    speed ramp needs (the source advances by the integral of the speed, which these keep exactly
    at every piece boundary, up to the numeric integration)."""
    out = []
    for i in range(steps):
        t0, t1 = duration * i / steps, duration * (i + 1) / steps
        sub = 8
        mean = sum(value_at(value, t0 + (t1 - t0) * (j + 0.5) / sub) for j in range(sub)) / sub
        out.append((t0, t1, mean))
    return out
