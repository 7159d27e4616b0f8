"""Parts of the project document: the common model base, colours, masks, layout cells, title animations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .keyframes import Animatable

Seconds = Annotated[float, Field(ge=0, le=24 * 3600)]
#: A colour: CSS hex (#RRGGBB[AA]) or an FFmpeg colour name, with an optional @alpha
Color = Annotated[
    str,
    Field(pattern=r"^(#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?|[A-Za-z]{3,20})(@(0(\.\d+)?|1(\.0+)?))?$", max_length=40),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, defer_build=True)


class Mask(_Model):
    """Show only part of a clip: a shape (keyframable, feathered) or another picture's alpha or luma."""

    shape: Literal["rectangle", "ellipse", "image", "luma"] = Field(
        "rectangle", description="rectangle/ellipse, or image (its alpha) / luma (its brightness) of `source`"
    )
    x: Animatable(-1, 2) = Field(0.5, description="Shape centre x, fraction of the clip's width (or keyframes)")
    y: Animatable(-1, 2) = Field(0.5, description="Shape centre y, fraction of the clip's height (or keyframes)")
    width: Animatable(0, 4) = Field(0.5, description="Shape width, fraction of the clip's width (or keyframes)")
    height: Animatable(0, 4) = Field(0.5, description="Shape height, fraction of the clip's height (or keyframes)")
    feather: float = Field(0, ge=0, le=1000, description="Soft edge width in pixels (centred on the edge)")
    invert: bool = Field(False, description="Show the outside instead of the inside")
    source: str | None = Field(None, min_length=1, description="Picture for image and luma masks")

    @model_validator(mode="after")
    def _source(self) -> "Mask":
        if self.shape in ("image", "luma") and not self.source:
            raise ValueError(f"a {self.shape} mask needs source: the path of a picture")
        if self.shape in ("rectangle", "ellipse") and self.source:
            raise ValueError(f"a {self.shape} mask takes no source; use shape 'image' or 'luma' for a picture")
        return self


class Layout(_Model):
    """Place a clip in a cell of a template instead of by transform x/y/scale."""

    template: Literal["pip", "split-2", "split-2v", "split-3", "split-4"] = Field(
        description="pip (a small picture in a corner), split-2 (side by side), split-2v (stacked), "
                    "split-3 (three columns), split-4 (2x2 grid)"
    )
    slot: int | Literal["top-left", "top-right", "bottom-left", "bottom-right"] | None = Field(
        None, description="Cell index from the top left (splits; default 0), or the corner (pip; default bottom-right)"
    )
    size: float = Field(0.3, gt=0, le=1, description="pip: the picture's size as a fraction of the canvas")
    margin: float = Field(0.04, ge=0, le=0.4, description="pip: distance from the edges, fraction of the height")
    fit: Literal["contain", "cover", "fill"] = Field("cover", description="How the clip fits its cell")

    @model_validator(mode="after")
    def _slot(self) -> "Layout":
        cells = {"split-2": 2, "split-2v": 2, "split-3": 3, "split-4": 4}
        if self.template == "pip":
            if self.slot is None:
                self.slot = "bottom-right"
            elif isinstance(self.slot, int):
                raise ValueError("a pip slot is a corner: top-left, top-right, bottom-left or bottom-right")
        elif self.slot is None:
            self.slot = 0
        elif not isinstance(self.slot, int) or not 0 <= self.slot < cells[self.template]:
            raise ValueError(f"{self.template} has cells 0 … {cells[self.template] - 1}")
        return self

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The cell as (centre x, centre y, width, height) in pixels."""
        if self.template == "pip":
            w, h, m = width * self.size, height * self.size, height * self.margin
            corner = str(self.slot)
            cx = m + w / 2 if "left" in corner else width - m - w / 2
            cy = m + h / 2 if corner.startswith("top") else height - m - h / 2
            return cx, cy, w, h
        cols, rows = {"split-2": (2, 1), "split-2v": (1, 2), "split-3": (3, 1), "split-4": (2, 2)}[self.template]
        i = int(self.slot)
        w, h = width / cols, height / rows
        return w * (i % cols) + w / 2, h * (i // cols) + h / 2, w, h


class TextAnimation(_Model):
    """How a title comes in (and, for fade, goes out)."""

    type: Literal["fade", "slide-left", "slide-right", "slide-up", "slide-down", "pop", "typewriter"] = Field(
        description="fade in and out; slide in from a side; pop (grow from small); typewriter (letters appear)"
    )
    duration: float = Field(0.5, gt=0, le=60, description="Seconds the entrance takes")
