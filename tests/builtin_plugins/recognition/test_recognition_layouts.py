"""Output layouts, letterboxing and NMS, checked exactly with tiny synthetic models (one per layout).

Every model takes a 64x64 input. The source image is 128 wide and 64 high, so the letterbox scale is
0.5 and the resized image is 64x32: centred layouts pad 16 rows above, top-left layouts none.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from reelkit.builtin_plugins.recognition.cards import grid_cells
from reelkit.builtin_plugins.recognition.detector import Detector
from reelkit.builtin_plugins.recognition.errors import ModelInvalid
from reelkit.builtin_plugins.recognition.runtime import load_model

IMAGE = np.full((64, 128, 3), 90, np.uint8)
CELLS = grid_cells((64, 64), (8, 16, 32))  # 64 + 16 + 4 = 84


def detect(path, conf=0.25, iou=0.45):
    model = load_model(path)
    det = Detector(model, conf=conf, iou=iou)
    found = det.detect_rgb(IMAGE)
    order = np.argsort(-found.scores)
    return model, [
        (int(found.class_ids[i]), round(float(found.scores[i]), 4), [round(float(v), 3) for v in found.boxes[i]])
        for i in order
    ]


def test_yolov8_layout_decodes_unletterboxes_and_suppresses_per_class(make_model):
    """[1, 4+C, N]: best class per column, class-aware NMS, boxes mapped back through a centred letterbox."""
    out = np.zeros((1, 4 + 3, CELLS), np.float32)
    # columns: cx, cy, w, h, class scores
    out[0, :, 0] = [32, 32, 20, 10, 0.0, 0.9, 0.0]   # kept
    out[0, :, 1] = [33, 32, 20, 10, 0.0, 0.8, 0.1]   # same class, IoU ~0.9 with 0 → suppressed
    out[0, :, 2] = [32, 32, 20, 10, 0.0, 0.0, 0.7]   # same box, other class → kept
    out[0, :, 3] = [10, 30, 8, 8, 0.1, 0.0, 0.0]     # below the threshold → dropped
    out[0, :, 4] = [10, 30, 8, 4, 0.5, 0.0, 0.0]     # kept
    path = make_model("v8", {"output0": out}, metadata={"names": "{0: 'ant', 1: 'bee', 2: 'cow'}"})
    model, found = detect(path)
    assert model.card.layout == "yolov8"
    assert model.card.class_names == ("ant", "bee", "cow")
    # input box (22, 27, 42, 37) → source x / 0.5, (y - 16) / 0.5
    assert found == [
        (1, 0.9, [44.0, 22.0, 84.0, 42.0]),
        (2, 0.7, [44.0, 22.0, 84.0, 42.0]),
        (0, 0.5, [12.0, 24.0, 28.0, 32.0]),
    ]


def test_yolov5_layout_multiplies_objectness_by_class_score(make_model):
    """[1, N, 5+C] decoded boxes: score = objectness × best class score."""
    out = np.zeros((1, 3 * CELLS, 5 + 2), np.float32)
    out[0, 0] = [32, 40, 16, 8, 0.9, 0.2, 0.8]  # score 0.72, class 1
    out[0, 1] = [32, 40, 16, 8, 0.5, 0.4, 0.1]  # 0.2 < 0.25 → dropped
    out[0, 2] = [50, 40, 10, 10, 0.6, 0.5, 0.0]  # 0.30, class 0, disjoint → kept
    model, found = detect(make_model("v5", {"output": out}))
    assert model.card.layout == "yolov5"
    assert model.card.class_names == ()  # 2 classes: no COCO names; shown as class_<id>
    assert model.card.class_name(1) == "class_1"
    assert found == [
        (1, 0.72, [48.0, 40.0, 80.0, 56.0]),
        (0, 0.3, [90.0, 38.0, 110.0, 58.0]),
    ]


def test_yolox_layout_decodes_grid_and_strides_with_topleft_letterbox(make_model):
    """[1, N, 5+C] raw: xy = (p + cell) × stride, wh = exp(p) × stride; top-left padding; clipped."""
    out = np.zeros((1, CELLS, 5 + 80), np.float32)
    # stride 8, row 3, col 4 → index 28: centre (4.5, 3.25) × 8 = (36, 26), size 2 × 8 = 16
    out[0, 28, :5] = [0.5, 0.25, math.log(2), math.log(2), 0.9]
    out[0, 28, 5 + 41] = 1.0  # cup
    # stride 16, row 1, col 2 → index 64 + 6 = 70: centre (32, 16), size 16
    out[0, 70, :5] = [0.0, 0.0, 0.0, 0.0, 0.8]
    out[0, 70, 5 + 0] = 0.5  # person, 0.4
    # stride 32, row 1, col 1 → index 80 + 3 = 83: centre (32, 32), size 32 → partly in the padding
    out[0, 83, :5] = [0.0, 0.0, 0.0, 0.0, 0.9]
    out[0, 83, 5 + 15] = 0.5  # cat, 0.45
    model, found = detect(make_model("yolox_test", {"output": out}))
    card = model.card
    assert (card.layout, card.color, card.scale, card.pad) == ("yolox", "bgr", 1.0, "topleft")
    assert card.class_name(41) == "cup" and len(card.class_names) == 80
    assert found == [
        (41, 0.9, [56.0, 36.0, 88.0, 64.0]),  # y2 = 34 / 0.5 = 68, clipped to the image height
        (15, 0.45, [32.0, 32.0, 96.0, 64.0]),  # (16, 16, 48, 48) / 0.5, clipped
        (0, 0.4, [48.0, 16.0, 80.0, 48.0]),
    ]


def test_end2end_layout_reads_boxes_as_given_without_nms(make_model):
    """[1, K, 6]: x1, y1, x2, y2, score, class; overlapping boxes survive (NMS was in the model)."""
    out = np.zeros((1, 10, 6), np.float32)
    out[0, 0] = [10, 20, 30, 40, 0.9, 2]
    out[0, 1] = [10, 20, 30, 41, 0.8, 2]  # near-duplicate: kept, the model already chose
    out[0, 2] = [0, 0, 5, 5, 0.1, 1]  # low score
    model, found = detect(make_model("e2e", {"output0": out}))
    assert model.card.layout == "end2end"
    assert found == [(2, 0.9, [20.0, 8.0, 60.0, 48.0]), (2, 0.8, [20.0, 8.0, 60.0, 50.0])]


def test_card_file_overrides_layout_and_preprocessing(make_model):
    """A JSON card beside the model decides an ambiguous layout and the input conventions."""
    out = np.zeros((1, 5, 6), np.float32)  # [1, 5, 6] could be yolov5 with 1 class or end2end
    out[0, 0] = [32, 20, 16, 8, 0.9, 1.0]
    path = make_model("ambiguous", {"output": out})
    path.with_suffix(".json").write_text(
        json.dumps({"layout": "yolov5", "class_names": ["thing"], "pad": "topleft", "color": "bgr"})
    )
    model, found = detect(path)
    assert (model.card.layout, model.card.pad, model.card.color) == ("yolov5", "topleft", "bgr")
    assert model.card.class_names == ("thing",)
    # top-left padding: input box (24, 16, 40, 24) → source / 0.5 with no offset
    assert found == [(0, 0.9, [48.0, 32.0, 80.0, 48.0])]


def test_unknown_layout_without_card_is_model_invalid(make_model):
    """Shapes that match no layout → recognition.model_invalid, telling the user to add a card."""
    path = make_model("odd", {"output": np.zeros((1, 7, 3), np.float32)})
    with pytest.raises(ModelInvalid) as e:
        load_model(path)
    assert e.value.code == "recognition.model_invalid"
    assert "odd.json" in e.value.message


def test_bad_card_field_is_model_invalid(make_model):
    path = make_model("badcard", {"output0": np.zeros((1, 7, CELLS), np.float32)})
    path.with_suffix(".json").write_text('{"colour": "rgb"}')
    with pytest.raises(ModelInvalid, match="colour"):
        load_model(path)


def test_yunet_layout_decodes_priors_variances_and_landmarks(make_model):
    """loc/conf/iou against known priors: a 320x240 image lands top-left at scale 0.5 in 160x120."""
    loc = np.zeros((1076, 14), np.float32)
    conf = np.tile(np.array([[5.0, -5.0]], np.float32), (1076, 1))  # background everywhere
    iou = np.zeros((1076, 1), np.float32)
    # stride 8 map is 15 x 20 with 3 priors per cell; cell (row 2, col 3), first prior (10 px): 129
    i = (2 * 20 + 3) * 3
    conf[i] = [0.0, math.log(9.0)]  # softmax → 0.9
    iou[i] = 0.9  # score = sqrt(0.9 × 0.9) = 0.9
    loc[i, :4] = [0.5, 0.0, math.log(2) / 0.2, 0.0]  # centre x += 0.5 × 0.1 × 10 px; width × 2
    loc[i, 4:6] = [1.0, -1.0]  # first landmark: ± 0.1 × 10 px from the prior centre
    path = make_model("yunet_test", {"loc": loc, "conf": conf, "iou": iou}, input_hw=(120, 160),
                      input_name="input", batched=False)
    model = load_model(path)
    assert (model.card.layout, model.card.task, model.card.class_names) == ("yunet", "faces", ("face",))
    det = Detector(model, conf=0.5, iou=0.3)
    found = det.detect_rgb(np.zeros((240, 320, 3), np.uint8))
    assert found.scores.tolist() == pytest.approx([0.9], abs=1e-5)
    # prior centre (3.5 × 8, 2.5 × 8) = (28, 20) input px; box (28.5 ± 10, 20 ± 5) → source × 2
    np.testing.assert_allclose(found.boxes, [[37.0, 30.0, 77.0, 50.0]], atol=1e-3)
    marks = found.landmarks[0].reshape(5, 2)
    assert marks[0].tolist() == pytest.approx([58.0, 38.0], abs=1e-3)  # (28 + 1, 20 - 1) × 2
    np.testing.assert_allclose(marks[1:], [[56.0, 40.0]] * 4, atol=1e-3)
