"""Turn a model's raw output for one image into scored boxes in model-input pixels.

Each decoder takes the outputs of one image (batch axis removed) and returns
``Candidates(boxes [N, 4] x1 y1 x2 y2, scores [N], class_ids [N], landmarks [N, 10] | None)``,
filtered by the confidence threshold before any expensive work (exp, box maths). NMS comes after.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .cards import ModelCard


@dataclass
class Candidates:
    """Scored boxes of one image, in model-input pixels."""

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    landmarks: np.ndarray | None = None

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def take(self, idx: np.ndarray) -> Candidates:
        """The subset at ``idx`` (e.g. what NMS kept)."""
        lm = self.landmarks[idx] if self.landmarks is not None else None
        return Candidates(self.boxes[idx], self.scores[idx], self.class_ids[idx], lm)


def _xywh_to_xyxy(xywh: np.ndarray) -> np.ndarray:
    out = np.empty_like(xywh, dtype=np.float32)
    half = xywh[:, 2:4] / 2
    out[:, 0:2] = xywh[:, 0:2] - half
    out[:, 2:4] = xywh[:, 0:2] + half
    return out


def _best_class(class_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = class_scores.argmax(axis=1)
    return ids, class_scores[np.arange(len(ids)), ids]


@lru_cache(maxsize=8)
def yolox_grid(input_size: tuple[int, int], strides: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Cell offsets ``[N, 2]`` (x, y) and strides ``[N, 1]`` in YOLOX's output order (row-major per stride)."""
    h, w = input_size
    grids, steps = [], []
    for s in strides:
        gh, gw = h // s, w // s
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        steps.append(np.full((gh * gw, 1), s))
    return np.concatenate(grids).astype(np.float32), np.concatenate(steps).astype(np.float32)


def decode_yolox(out: np.ndarray, card: ModelCard, conf: float) -> Candidates:
    """``[N, 5+C]`` raw: xy = (p + grid) * stride, wh = exp(p) * stride, score = obj * class."""
    # Class scores are sigmoids (≤ 1), so objectness bounds the score: filter on it first and take
    # the argmax over a handful of rows instead of all N × C.
    cand = np.flatnonzero(out[:, 4] >= conf)
    ids, cls = _best_class(out[cand, 5:])
    scores = out[cand, 4] * cls
    ok = scores >= conf
    keep, ids, scores = cand[ok], ids[ok], scores[ok]
    if not keep.size:
        return Candidates.empty()
    grid, stride = yolox_grid(card.input_size, card.strides)
    rows = out[keep]
    xywh = np.empty((len(keep), 4), np.float32)
    xywh[:, 0:2] = (rows[:, 0:2] + grid[keep]) * stride[keep]
    xywh[:, 2:4] = np.exp(rows[:, 2:4]) * stride[keep]
    return Candidates(_xywh_to_xyxy(xywh), scores.astype(np.float32), ids.astype(np.int64))


def decode_yolov5(out: np.ndarray, card: ModelCard, conf: float) -> Candidates:
    """``[N, 5+C]`` decoded: cx, cy, w, h, objectness, class scores."""
    keep = np.flatnonzero(out[:, 4] >= conf)  # objectness bounds the score: cheap pre-filter
    rows = out[keep]
    ids, cls = _best_class(rows[:, 5:])
    scores = rows[:, 4] * cls
    ok = scores >= conf
    rows = rows[ok]
    return Candidates(_xywh_to_xyxy(rows[:, :4]), scores[ok].astype(np.float32), ids[ok].astype(np.int64))


def decode_yolov8(out: np.ndarray, card: ModelCard, conf: float) -> Candidates:
    """``[4+C, N]``: cx, cy, w, h then C class scores, one column per candidate."""
    cls = out[4:]
    best = cls.max(axis=0)
    keep = np.flatnonzero(best >= conf)
    if not keep.size:
        return Candidates.empty()
    ids = cls[:, keep].argmax(axis=0)
    return Candidates(
        _xywh_to_xyxy(out[:4, keep].T), best[keep].astype(np.float32), ids.astype(np.int64)
    )


def decode_end2end(out: np.ndarray, card: ModelCard, conf: float) -> Candidates:
    """``[K, 6]``: x1, y1, x2, y2, score, class; NMS was done inside the model."""
    rows = out[out[:, 4] >= conf]
    return Candidates(
        rows[:, :4].astype(np.float32), rows[:, 4].astype(np.float32), rows[:, 5].astype(np.int64)
    )


# --- YuNet (face detection) -------------------------------------------------------------------

_YUNET_MIN_SIZES = ((10, 16, 24), (32, 48), (64, 96), (128, 192, 256))
_YUNET_STEPS = (8, 16, 32, 64)
_YUNET_VARIANCE = (0.1, 0.2)


@lru_cache(maxsize=8)
def yunet_priors(input_size: tuple[int, int]) -> np.ndarray:
    """``[P, 4]`` priors (cx, cy, w, h) normalised to the input, in YuNet's order."""
    h, w = input_size
    h2, w2 = h // 2, w // 2  # feature map "2": 60 x 80 for a 120 x 160 input
    h3, w3 = h2 // 2, w2 // 2
    sizes = [(h3 // 2, w3 // 2)]
    for _ in range(3):
        sizes.append((sizes[-1][0] // 2, sizes[-1][1] // 2))
    priors = []
    for (fh, fw), mins, step in zip(sizes, _YUNET_MIN_SIZES, _YUNET_STEPS):
        for y in range(fh):
            for x in range(fw):
                for m in mins:
                    priors.append(((x + 0.5) * step / w, (y + 0.5) * step / h, m / w, m / h))
    return np.asarray(priors, dtype=np.float32)


def decode_yunet(loc: np.ndarray, conf: np.ndarray, iou: np.ndarray, card: ModelCard, threshold: float) -> Candidates:
    """Prior-box decoding: score = sqrt(softmax(conf)[1] * clamp(iou, 0, 1)); boxes and 5 landmarks."""
    logits = conf.astype(np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    face = e[:, 1] / e.sum(axis=1)
    scores = np.sqrt(face * np.clip(iou[:, 0], 0.0, 1.0)).astype(np.float32)
    keep = np.flatnonzero(scores >= threshold)
    if not keep.size:
        return Candidates(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros((0, 10), np.float32))
    h, w = card.input_size
    pri = yunet_priors(card.input_size)[keep]
    l = loc[keep].astype(np.float32)
    v0, v1 = _YUNET_VARIANCE
    cx = (pri[:, 0] + l[:, 0] * v0 * pri[:, 2]) * w
    cy = (pri[:, 1] + l[:, 1] * v0 * pri[:, 3]) * h
    bw = pri[:, 2] * np.exp(l[:, 2] * v1) * w
    bh = pri[:, 3] * np.exp(l[:, 3] * v1) * h
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1).astype(np.float32)
    marks = np.empty((len(keep), 10), np.float32)
    marks[:, 0::2] = (pri[:, 0:1] + l[:, 4::2] * v0 * pri[:, 2:3]) * w
    marks[:, 1::2] = (pri[:, 1:2] + l[:, 5::2] * v0 * pri[:, 3:4]) * h
    return Candidates(boxes, scores[keep], np.zeros(len(keep), np.int64), marks)


DECODERS = {
    "yolox": decode_yolox,
    "yolov5": decode_yolov5,
    "yolov8": decode_yolov8,
    "end2end": decode_end2end,
}
