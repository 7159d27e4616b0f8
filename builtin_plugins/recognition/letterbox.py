"""Letterboxing: fit a frame into the model's input without distorting it, and map boxes back.

The geometry is computed once per source size (every frame of a video shares it). The frame is
resized by the decoder (PyAV's swscale) or by Pillow for still images; :func:`fill` then writes the
resized pixels straight into a reused ``[3, H, W]`` float32 slot, converting and transposing in one
pass, and paints the padding only when the slot last held a different geometry.
"""
from __future__ import annotations

from dataclasses import dataclass

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


def fill(slot: np.ndarray, resized: np.ndarray, box: Letterbox, card: ModelCard, painted: dict | None = None) -> None:
    """Write a resized ``[new_h, new_w, 3]`` uint8 frame into a ``[3, H, W]`` float32 slot.

    ``resized`` must already be in the card's channel order. ``painted`` maps a slot's memory address
    to the geometry its padding was last painted for; pass the same dict for a pool of reused slots to
    skip repainting unchanged padding.
    """
    if resized.shape[:2] != (box.new_h, box.new_w):
        raise ValueError(f"resized frame is {resized.shape[:2]}, letterbox expects {(box.new_h, box.new_w)}")
    key = slot.__array_interface__["data"][0]  # not id(): views are new objects, their ids get reused
    if painted is None or painted.get(key) != box:
        slot.fill(card.pad_value * card.scale)
        if painted is not None:
            painted[key] = box
    region = slot[:, box.top : box.top + box.new_h, box.left : box.left + box.new_w]
    # One pass: uint8 HWC → float32 CHW, scaled.
    np.multiply(resized.transpose(2, 0, 1), np.float32(card.scale), out=region, casting="unsafe")


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
