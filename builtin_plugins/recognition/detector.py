"""A detector: a loaded model plus its thresholds; runs batches and turns outputs into detections."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decode import DECODERS, Candidates, decode_yunet
from .letterbox import Letterbox, prepare_image
from .nms import nms
from .runtime import LoadedModel


@dataclass
class Detections:
    """Detections of one image, in source pixels (x1, y1, x2, y2)."""

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    width: int
    height: int
    landmarks: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.scores)


class Detector:
    """Runs a model on prepared batches and post-processes each image (decode, NMS, un-letterbox)."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        conf: float = 0.25,
        iou: float = 0.45,
        max_detections: int = 300,
        batch: int = 1,
        workers: int = 1,
    ):
        self.model = model
        self.workers = max(1, workers)  # concurrent runs a video pipeline may make on this session
        self.card = model.card
        self.conf = conf
        self.iou = iou
        self.max_detections = max_detections
        fixed = model.card.batch
        # A model exported with a fixed batch only accepts exactly that many images per run.
        self.batch = fixed if fixed is not None else max(1, batch)

    def new_batch(self) -> np.ndarray:
        """A ``[batch, 3, H, W]`` float32 input tensor."""
        h, w = self.card.input_size
        return np.empty((self.batch, 3, h, w), dtype=np.float32)

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """One ``session.run`` on a full batch tensor."""
        return self.model.session.run(self.model.output_names, {self.model.input_name: tensor})

    def postprocess(self, outputs: list[np.ndarray], index: int, box: Letterbox) -> Detections:
        """Detections of image ``index`` of a batch's outputs, mapped back through ``box``."""
        if self.card.layout == "yunet":
            by_name = dict(zip(self.model.output_names, outputs))
            cand = decode_yunet(by_name["loc"], by_name["conf"], by_name["iou"], self.card, self.conf)
        else:
            cand = DECODERS[self.card.layout](outputs[0][index], self.card, self.conf)
        if self.card.layout != "end2end" and len(cand.scores):
            cand = cand.take(nms(cand.boxes, cand.scores, self.iou, cand.class_ids, self.max_detections))
        return self._to_source(cand, box)

    def _to_source(self, cand: Candidates, box: Letterbox) -> Detections:
        boxes = box.to_source(cand.boxes) if len(cand.scores) else np.zeros((0, 4), np.float32)
        marks = None
        if cand.landmarks is not None:
            pts = cand.landmarks.reshape(-1, 2)
            pts4 = np.concatenate([pts, pts], axis=1)
            marks = box.to_source(pts4)[:, :2].reshape(-1, 10) if len(pts) else np.zeros((0, 10), np.float32)
        # Degenerate boxes (fully outside the frame after clipping) are not detections.
        ok = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return Detections(
            boxes[ok], cand.scores[ok], cand.class_ids[ok], box.src_w, box.src_h, marks[ok] if marks is not None else None
        )

    def detect_rgb(self, image: np.ndarray) -> Detections:
        """Detect in one ``[H, W, 3]`` RGB uint8 image."""
        tensor = self.new_batch()
        _, box = prepare_image(image, self.card, tensor[0:1])
        if self.batch > 1:
            tensor[1:] = tensor[0]
        return self.postprocess(self.run(tensor), 0, box)
