"""Building the public results (``api`` models) from detections, and exporting them.

Exports: JSON (the whole report), CSV (one row per detection), markers (one range marker per class
segment, the shape a compiler project's ``markers`` carry). Files are written with
``sdk.files.atomic_write`` (temporary name, fsync, rename), so a reader never sees half a file.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from reelkit.sdk.files import atomic_write

from .aggregate import ClassAccumulator, IoUTracker, segments
from .api import ClassSummary, Detection, FrameDetections, Marker, Segment, TrackSummary, VideoDetections
from .cards import ModelCard
from .detector import Detections
from .pipeline import FrameResult

# A stable colour per class for markers, so the same class looks the same on every timeline.
_PALETTE = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta", "pink", "white")


def detections_to_api(det: Detections, card: ModelCard, track_ids: np.ndarray | None = None) -> list[Detection]:
    """Public ``Detection`` models, best first."""
    out = []
    w, h = max(det.width, 1), max(det.height, 1)
    for i in np.argsort(-det.scores, kind="stable"):
        x1, y1, x2, y2 = (float(v) for v in det.boxes[i])
        out.append(
            Detection(
                class_id=int(det.class_ids[i]),
                class_name=card.class_name(int(det.class_ids[i])),
                confidence=round(float(det.scores[i]), 4),
                box=[round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)],
                box_norm=[round(x1 / w, 5), round(y1 / h, 5), round(x2 / w, 5), round(y2 / h, 5)],
                track_id=int(track_ids[i]) if track_ids is not None else None,
                landmarks=[round(float(v), 2) for v in det.landmarks[i]] if det.landmarks is not None else None,
            )
        )
    return out


class VideoReport:
    """Accumulates frame results into a ``VideoDetections``."""

    def __init__(self, card: ModelCard, *, sample_step: float, max_gap: float = 1.0, track_iou: float = 0.3, track_max_missed: int = 2):
        self.card = card
        self.sample_step = sample_step  # seconds between analysed frames
        self.max_gap = max_gap
        self.classes = ClassAccumulator()
        self.tracker = IoUTracker(iou_threshold=track_iou, max_missed=track_max_missed)
        self.frames: list[FrameDetections] = []

    def add(self, result: FrameResult) -> None:
        det = result.detections
        ids = self.tracker.update(result.time, det.boxes, det.scores, det.class_ids)
        self.classes.add(result.time, det.class_ids, det.scores)
        self.frames.append(
            FrameDetections(index=result.index, time=round(result.time, 4), detections=detections_to_api(det, self.card, ids))
        )

    def finish(self, **fields) -> VideoDetections:
        """The report; ``fields`` gives path, model, provider, sizes, timings."""
        tracks = self.tracker.tracks()
        objects: dict[int, int] = {}
        for t in tracks:
            objects[t.class_id] = objects.get(t.class_id, 0) + 1
        classes = []
        for cid, st in sorted(self.classes.stats.items(), key=lambda kv: (-kv[1].frames, kv[0])):
            spans = segments(st.times, self.sample_step, self.max_gap)
            classes.append(
                ClassSummary(
                    class_id=cid,
                    class_name=self.card.class_name(cid),
                    detections=st.detections,
                    frames=st.frames,
                    confidence_mean=round(st.conf_mean, 4),
                    confidence_min=round(st.conf_min, 4),
                    confidence_max=round(st.conf_max, 4),
                    objects=objects.get(cid, 0),
                    segments=[Segment(start=round(a, 4), end=round(b, 4)) for a, b in spans],
                )
            )
        summaries = [
            TrackSummary(
                track_id=t.track_id,
                class_id=t.class_id,
                class_name=self.card.class_name(t.class_id),
                start=round(t.first_time, 4),
                end=round(t.last_time, 4),
                frames=t.hits,
                confidence_max=round(t.best_score, 4),
            )
            for t in tracks
        ]
        return VideoDetections(
            classes=classes, tracks=summaries, markers=markers_for(classes), frames=self.frames, **fields
        )


def markers_for(classes: list[ClassSummary]) -> list[Marker]:
    """One range marker per class segment, sorted by time."""
    out = [
        Marker(
            time=seg.start,
            name=c.class_name,
            duration=round(seg.end - seg.start, 4),
            color=_PALETTE[c.class_id % len(_PALETTE)],
        )
        for c in classes
        for seg in c.segments
    ]
    return sorted(out, key=lambda m: (m.time, m.name))


CSV_FIELDS = ("frame", "time", "track_id", "class_id", "class_name", "confidence", "x1", "y1", "x2", "y2", "nx1", "ny1", "nx2", "ny2")


def to_csv(report: VideoDetections) -> str:
    """One row per detection."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for fr in report.frames:
        for d in fr.detections:
            writer.writerow([fr.index, fr.time, d.track_id if d.track_id is not None else "", d.class_id, d.class_name, d.confidence, *d.box, *d.box_norm])
    return buf.getvalue()


def to_json(report: VideoDetections) -> str:
    """The whole report as JSON."""
    return report.model_dump_json(indent=2)


def markers_json(report: VideoDetections) -> str:
    """``{"markers": [...]}``, ready to merge into a project document."""
    import json

    return json.dumps({"markers": [m.model_dump() for m in report.markers]}, indent=2)


def export(report: VideoDetections, stem: Path, formats: tuple[str, ...] = ("json", "csv", "markers")) -> dict[str, str]:
    """Write the chosen exports next to ``stem`` (``stem.json``, ``stem.csv``, ``stem.markers.json``)."""
    writers = {
        "json": (".json", to_json),
        "csv": (".csv", to_csv),
        "markers": (".markers.json", markers_json),
    }
    written = {}
    stem.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        suffix, fn = writers[fmt]
        target = stem.with_name(stem.name + suffix)
        atomic_write(target, fn(report))
        written[fmt] = str(target)
    return written
