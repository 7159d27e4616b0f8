"""Class-aware non-maximum suppression, vectorised with numpy.

Boxes of different classes never suppress each other: each class is shifted to its own region of
the plane (offset by ``class_id * span``) so one pass of ordinary NMS handles every class at once.
Each round keeps the best remaining box and drops, in one vector operation, every box overlapping
it above the threshold, so the Python loop runs once per *kept* box, not per pair.
"""
from __future__ import annotations

import numpy as np


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1, y1, x2, y2 box against ``[N, 4]`` boxes."""
    xx1 = np.maximum(box[0], boxes[:, 0])
    yy1 = np.maximum(box[1], boxes[:, 1])
    xx2 = np.minimum(box[2], boxes[:, 2])
    yy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[len(a), len(b)]`` IoU of two sets of x1, y1, x2, y2 boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    xx1 = np.maximum(a[:, None, 0], b[None, :, 0])
    yy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    xx2 = np.minimum(a[:, None, 2], b[None, :, 2])
    yy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0).astype(np.float32)


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float,
    class_ids: np.ndarray | None = None,
    max_detections: int = 300,
) -> np.ndarray:
    """Indices of the boxes kept, best score first.

    ``boxes`` is ``[N, 4]`` x1, y1, x2, y2; with ``class_ids`` suppression happens within a class only.
    A box is dropped when its IoU with a kept box is strictly above ``iou_threshold``.
    """
    n = len(boxes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    work = boxes.astype(np.float64, copy=True)
    if class_ids is not None and n > 1:
        span = float(np.abs(work).max()) * 2 + 1.0
        work += (class_ids.astype(np.float64) * span)[:, None]
    # Stable sort so equal scores keep their input order (deterministic output).
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < max_detections:
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        if not rest.size:
            break
        order = rest[iou_one_to_many(work[best], work[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)
