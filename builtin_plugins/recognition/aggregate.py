"""From per-frame detections to what an editor uses: class statistics, time segments, tracks.

- ``ClassAccumulator``: per class — detections, frames seen, mean/min/max confidence.
- ``segments``: per class, the times it is on screen, merging gaps shorter than a threshold.
- ``IoUTracker``: greedy IoU matching frame to frame (per class), so distinct objects get track ids
  and can be counted; a track survives ``max_missed`` analysed frames without a match.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .nms import iou_matrix


@dataclass
class ClassStat:
    """Running statistics of one class."""

    detections: int = 0
    frames: int = 0
    conf_sum: float = 0.0
    conf_min: float = 1.0
    conf_max: float = 0.0
    times: list[float] = field(default_factory=list)  # frame times it was seen at

    @property
    def conf_mean(self) -> float:
        return self.conf_sum / self.detections if self.detections else 0.0


class ClassAccumulator:
    """Adds up detections per class id, frame by frame."""

    def __init__(self) -> None:
        self.stats: dict[int, ClassStat] = {}

    def add(self, time: float, class_ids: np.ndarray, scores: np.ndarray) -> None:
        for cid in np.unique(class_ids):
            sel = scores[class_ids == cid]
            st = self.stats.setdefault(int(cid), ClassStat())
            st.detections += len(sel)
            st.frames += 1
            st.conf_sum += float(sel.sum())
            st.conf_min = min(st.conf_min, float(sel.min()))
            st.conf_max = max(st.conf_max, float(sel.max()))
            st.times.append(time)


def segments(times: list[float], frame_step: float, max_gap: float) -> list[tuple[float, float]]:
    """Merge sorted sighting times into ``(start, end)`` spans.

    Each sighting covers ``[t, t + frame_step)``; two sightings further apart than
    ``frame_step + max_gap`` start a new span, so short misses do not split a segment.
    """
    if not times:
        return []
    spans: list[tuple[float, float]] = []
    start = prev = times[0]
    for t in times[1:]:
        if t - prev > frame_step + max_gap + 1e-9:
            spans.append((start, prev + frame_step))
            start = t
        prev = t
    spans.append((start, prev + frame_step))
    return spans


@dataclass
class Track:
    """One object followed across frames."""

    track_id: int
    class_id: int
    box: np.ndarray
    first_time: float
    last_time: float
    hits: int = 1
    missed: int = 0
    best_score: float = 0.0


class IoUTracker:
    """Greedy IoU tracker: each frame's boxes extend the best-overlapping live track of their class."""

    def __init__(self, iou_threshold: float = 0.3, max_missed: int = 2, min_hits: int = 1):
        self.iou_threshold = iou_threshold
        self.max_missed = max_missed
        self.min_hits = min_hits
        self.live: list[Track] = []
        self.finished: list[Track] = []
        self._next_id = 1

    def update(self, time: float, boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
        """Assign a track id to each box of this frame; returns ``[N]`` ids."""
        ids = np.zeros(len(boxes), dtype=np.int64)
        matched_tracks: set[int] = set()
        if self.live and len(boxes):
            iou = iou_matrix(boxes, np.stack([t.box for t in self.live]))
            same = class_ids[:, None] == np.array([t.class_id for t in self.live])[None, :]
            iou = np.where(same, iou, 0.0)
            # Highest overlaps first; each detection and each track used once.
            for flat in np.argsort(-iou, axis=None, kind="stable"):
                d, k = divmod(int(flat), iou.shape[1])
                if iou[d, k] < self.iou_threshold:
                    break
                if ids[d] or k in matched_tracks:
                    continue
                tr = self.live[k]
                tr.box, tr.last_time, tr.missed = boxes[d].copy(), time, 0
                tr.hits += 1
                tr.best_score = max(tr.best_score, float(scores[d]))
                ids[d] = tr.track_id
                matched_tracks.add(k)
        still: list[Track] = []
        for k, tr in enumerate(self.live):
            if k not in matched_tracks:
                tr.missed += 1
            (still if tr.missed <= self.max_missed else self.finished).append(tr)
        self.live = still
        for d in np.flatnonzero(ids == 0):
            tr = Track(self._next_id, int(class_ids[d]), boxes[d].copy(), time, time, best_score=float(scores[d]))
            self._next_id += 1
            self.live.append(tr)
            ids[d] = tr.track_id
        return ids

    def tracks(self) -> list[Track]:
        """Every track seen so far with at least ``min_hits`` sightings, by id."""
        every = self.finished + self.live
        return sorted((t for t in every if t.hits >= self.min_hits), key=lambda t: t.track_id)
