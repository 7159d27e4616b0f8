"""Letterboxing: fit a frame into the model's input without distorting it, and map boxes back.

The geometry is computed once per source size (every frame of a video shares it). The frame is
resized by the decoder (PyAV's swscale) or by Pillow for still images; :func:`fill` then writes the
resized pixels straight into a reused ``[3, H, W]`` float32 slot, converting and transposing in one
pass, and paints the padding only when the slot last held a different geometry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .cards import ModelCard


@dataclass(frozen=True)
class Letterbox:
    """Where a ``src_w`` × ``src_h`` frame lands inside a ``dst_w`` × ``dst_h`` model input."""

    src_w: int
    src_h: int
    dst_w: int
    dst_h: int
    ratio: float
    new_w: int
    new_h: int
    left: int
    top: int

    @classmethod
    def compute(cls, src_w: int, src_h: int, dst_w: int, dst_h: int, pad: str = "center") -> Letterbox:
        """The geometry for one source size; ``pad`` is ``center`` or ``topleft``."""
        ratio = min(dst_w / src_w, dst_h / src_h)
        # At least one pixel either way, so extreme aspect ratios still give a valid resize.
        new_w = min(dst_w, max(1, int(round(src_w * ratio))))
        new_h = min(dst_h, max(1, int(round(src_h * ratio))))
        if pad == "center":
            left, top = (dst_w - new_w) // 2, (dst_h - new_h) // 2
        else:
            left = top = 0
        return cls(src_w, src_h, dst_w, dst_h, ratio, new_w, new_h, left, top)

    @classmethod
    def for_card(cls, src_w: int, src_h: int, card: ModelCard) -> Letterbox:
        """The geometry of a source size for the model described by ``card``."""
        h, w = card.input_size
        return cls.compute(src_w, src_h, w, h, card.pad)

    def to_source(self, boxes: np.ndarray) -> np.ndarray:
        """Map ``[N, 4]`` x1, y1, x2, y2 boxes from model-input pixels to source pixels (clipped)."""
        out = np.empty_like(boxes, dtype=np.float32)
        # The scale per axis is the real resize factor (new/src), exact even after rounding.
        sx = self.new_w / self.src_w
        sy = self.new_h / self.src_h
        out[:, 0] = (boxes[:, 0] - self.left) / sx
        out[:, 2] = (boxes[:, 2] - self.left) / sx
        out[:, 1] = (boxes[:, 1] - self.top) / sy
        out[:, 3] = (boxes[:, 3] - self.top) / sy
        np.clip(out[:, 0::2], 0, self.src_w, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, self.src_h, out=out[:, 1::2])
        return out


def _region(slot: np.ndarray, box: Letterbox, card: ModelCard, painted: dict | None) -> np.ndarray:
    """The part of ``slot`` the frame covers, after painting the padding if the slot needs it."""
    key = slot.__array_interface__["data"][0]  # not id(): views are new objects, their ids get reused
    if painted is None or painted.get(key) != box:
        slot.fill(card.pad_value * card.scale)
        if painted is not None:
            painted[key] = box
    return slot[:, box.top : box.top + box.new_h, box.left : box.left + box.new_w]


def fill(slot: np.ndarray, resized: np.ndarray, box: Letterbox, card: ModelCard, painted: dict | None = None) -> None:
    """Write a resized ``[new_h, new_w, 3]`` uint8 frame into a ``[3, H, W]`` float32 slot.

    ``resized`` must already be in the card's channel order. ``painted`` maps a slot's memory address
    to the geometry its padding was last painted for; pass the same dict for a pool of reused slots to
    skip repainting unchanged padding.
    """
    if resized.shape[:2] != (box.new_h, box.new_w):
        raise ValueError(f"resized frame is {resized.shape[:2]}, letterbox expects {(box.new_h, box.new_w)}")
    region = _region(slot, box, card, painted)
    # One pass: uint8 HWC → float32 CHW, scaled.
    np.multiply(resized.transpose(2, 0, 1), np.float32(card.scale), out=region, casting="unsafe")


#: where each of the model's channels is in swscale's planar ``gbrp`` output (planes G, B, R)
_GBRP = {"rgb": (2, 0, 1), "bgr": (1, 0, 2)}


def fill_frame(slot: np.ndarray, frame: Any, box: Letterbox, card: ModelCard, reformatter: Any,
               painted: dict | None = None) -> None:
    """Scale a decoded PyAV video frame straight into a ``[3, H, W]`` float32 slot.

    swscale resizes and converts in C (the GIL released) to the letterboxed size as planar GBR, one
    contiguous plane per colour, so each channel is a plain converting copy rather than a transposing
    one; FAST_BILINEAR. ``reformatter`` (a ``VideoReformatter``, one per thread) keeps its scaler
    context between frames: making a new one for every frame cost more than the scaling itself.
    Measured on 640x360 → 416x234: 0.30 ms a frame, against 0.40 ms through packed ``rgb24`` and
    0.7 ms with a new context each time.
    """
    planar = reformatter.reformat(frame, width=box.new_w, height=box.new_h, format="gbrp",
                                  interpolation="FAST_BILINEAR")
    region = _region(slot, box, card, painted)
    scale = np.float32(card.scale)
    for channel, index in enumerate(_GBRP[card.color]):
        plane = planar.planes[index]
        pixels = np.frombuffer(plane, np.uint8, count=plane.line_size * plane.height)
        pixels = pixels.reshape(plane.height, plane.line_size)[:, : plane.width]
        np.multiply(pixels, scale, out=region[channel], casting="unsafe")


def resize_rgb(image: np.ndarray, new_w: int, new_h: int) -> np.ndarray:
    """Resize an ``[H, W, 3]`` uint8 array with Pillow (bilinear), for still images."""
    from PIL import Image

    if image.shape[1] == new_w and image.shape[0] == new_h:
        return image
    return np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))


def prepare_image(image_rgb: np.ndarray, card: ModelCard, slot: np.ndarray | None = None) -> tuple[np.ndarray, Letterbox]:
    """Letterbox an RGB uint8 image for ``card``'s model; returns the ``[1, 3, H, W]`` tensor and geometry."""
    h, w = card.input_size
    box = Letterbox.for_card(image_rgb.shape[1], image_rgb.shape[0], card)
    resized = resize_rgb(image_rgb, box.new_w, box.new_h)
    if card.color == "bgr":
        resized = resized[..., ::-1]
    tensor = slot if slot is not None else np.empty((1, 3, h, w), dtype=np.float32)
    fill(tensor[0], resized, box, card)
    return tensor, box
