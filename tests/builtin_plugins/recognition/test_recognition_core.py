"""Letterbox geometry and buffer filling, NMS, frame sampling, aggregation (segments, tracker)."""
from __future__ import annotations

import numpy as np
import pytest

from reelkit.builtin_plugins.recognition.aggregate import ClassAccumulator, IoUTracker, segments
from reelkit.builtin_plugins.recognition.cards import ModelCard
from reelkit.builtin_plugins.recognition.letterbox import Letterbox, fill, prepare_image
from reelkit.builtin_plugins.recognition.nms import iou_matrix, nms
from reelkit.builtin_plugins.recognition.video import FrameSampler


def test_letterbox_geometry_centre_and_topleft():
    c = Letterbox.compute(640, 360, 416, 416, "center")
    assert (c.new_w, c.new_h, c.left, c.top) == (416, 234, 0, 91)
    t = Letterbox.compute(640, 360, 416, 416, "topleft")
    assert (t.new_w, t.new_h, t.left, t.top) == (416, 234, 0, 0)
    tall = Letterbox.compute(100, 400, 64, 64, "center")
    assert (tall.new_w, tall.new_h, tall.left, tall.top) == (16, 64, 24, 0)


def test_letterbox_of_extreme_aspect_keeps_one_pixel():
    lb = Letterbox.compute(20000, 1, 416, 416)
    assert (lb.new_w, lb.new_h) == (416, 1)


def test_to_source_inverts_the_mapping_and_clips():
    lb = Letterbox.compute(640, 360, 416, 416, "center")
    src = np.array([[64.0, 36.0, 320.0, 180.0]], np.float32)
    r = lb.new_w / 640
    inp = np.array([[64 * r, 36 * r + lb.top, 320 * r, 180 * r + lb.top]], np.float32)
    assert np.allclose(lb.to_source(inp), src, atol=1e-3)
    outside = np.array([[-50.0, 0.0, 500.0, 416.0]], np.float32)
    assert lb.to_source(outside).tolist() == [[0.0, 0.0, 640.0, 360.0]]


def test_fill_writes_scaled_channels_in_the_card_order_and_paints_padding_once():
    card = ModelCard(layout="yolov8", input_size=(8, 8), color="bgr", scale=0.5, pad="center", pad_value=100)
    lb = Letterbox.compute(8, 4, 8, 8, "center")  # 8x4 image → rows 2..5
    img = np.zeros((4, 8, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 10, 20, 30  # already in the card's order
    slot = np.zeros((3, 8, 8), np.float32)
    painted: dict = {}
    fill(slot, img, lb, card, painted)
    assert slot[:, 0:2].tolist() == np.full((3, 2, 8), 50.0).tolist()  # padding 100 × 0.5
    assert slot[:, 6:8].min() == slot[:, 6:8].max() == 50.0
    assert slot[0, 2:6].min() == slot[0, 2:6].max() == 5.0
    assert slot[2, 2:6].min() == slot[2, 2:6].max() == 15.0
    slot[:, 0, 0] = -1  # padding untouched on reuse with the same geometry: not repainted
    fill(slot, img, lb, card, painted)
    assert slot[0, 0, 0] == -1


def test_prepare_image_reverses_channels_for_bgr_models():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 200  # red
    bgr = ModelCard(layout="yolox", input_size=(4, 4), color="bgr", scale=1.0, pad="topleft")
    rgbc = ModelCard(layout="yolov8", input_size=(4, 4), color="rgb", scale=1 / 255, pad="center")
    t_bgr, _ = prepare_image(rgb, bgr)
    t_rgb, _ = prepare_image(rgb, rgbc)
    assert t_bgr[0, 2].max() == 200 and t_bgr[0, 0].max() == 0
    assert t_rgb[0, 0].min() == pytest.approx(200 / 255) and t_rgb[0, 2].max() == 0


def test_nms_is_class_aware_and_keeps_best_first():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.8, 0.9, 0.7, 0.1], np.float32)
    classes = np.array([0, 0, 1, 0])
    assert nms(boxes, scores, 0.5, classes).tolist() == [1, 2, 3]
    assert nms(boxes, scores, 0.5).tolist() == [1, 3]  # class-agnostic: box 2 overlaps box 1
    assert nms(boxes, scores, 0.95, classes).tolist() == [1, 0, 2, 3]  # IoU 0.82 is under 0.95
    assert nms(boxes[:0], scores[:0], 0.5).tolist() == []
    assert nms(boxes, scores, 0.5, classes, max_detections=2).tolist() == [1, 2]


def test_nms_matches_a_plain_pairwise_reference_on_random_boxes():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 100, (300, 2))
    wh = rng.uniform(5, 40, (300, 2))
    boxes = np.hstack([xy, xy + wh]).astype(np.float32)
    scores = rng.uniform(0, 1, 300).astype(np.float32)
    classes = rng.integers(0, 3, 300)
    iou = iou_matrix(boxes, boxes)
    keep, dead = [], np.zeros(300, bool)
    for i in np.argsort(-scores, kind="stable"):
        if dead[i]:
            continue
        keep.append(i)
        dead |= (iou[i] > 0.45) & (classes == classes[i])
    assert nms(boxes, scores, 0.45, classes).tolist() == keep


def test_sampler_by_fps_and_by_every():
    by_fps = FrameSampler(fps=10)
    times = [i / 30 for i in range(30)]
    assert [i for i, t in enumerate(times) if by_fps.take(i, t)] == list(range(0, 30, 3))
    by_every = FrameSampler(every=4)
    assert [i for i in range(10) if by_every.take(i, 0)] == [0, 4, 8]
    slow = FrameSampler(fps=100)  # asking more than the video has → every frame
    assert all(slow.take(i, i / 25) for i in range(10))


def test_segments_merge_short_gaps_only():
    times = [0.0, 0.5, 1.0, 2.0, 2.5, 6.0]
    assert segments(times, 0.5, max_gap=1.0) == [(0.0, 3.0), (6.0, 6.5)]
    assert segments(times, 0.5, max_gap=0.0) == [(0.0, 1.5), (2.0, 3.0), (6.0, 6.5)]
    assert segments([], 0.5, 1.0) == []


def test_class_accumulator_counts_detections_and_frames():
    acc = ClassAccumulator()
    acc.add(0.0, np.array([0, 0, 2]), np.array([0.5, 0.7, 0.9]))
    acc.add(0.5, np.array([0]), np.array([0.3]))
    st = acc.stats[0]
    assert (st.detections, st.frames, st.times) == (3, 2, [0.0, 0.5])
    assert (st.conf_min, st.conf_max) == (pytest.approx(0.3), pytest.approx(0.7))
    assert st.conf_mean == pytest.approx(0.5)
    assert acc.stats[2].frames == 1


def test_tracker_follows_moving_boxes_and_counts_distinct_objects():
    tr = IoUTracker(iou_threshold=0.3, max_missed=1)
    cls = np.array([0, 0])
    sc = np.array([0.9, 0.8])
    ids = []
    for step in range(5):  # two people walking right, 2 px per frame
        b = np.array([[step * 2, 0, step * 2 + 20, 40], [100 + step * 2, 0, 120 + step * 2, 40]], np.float32)
        ids.append(tr.update(step * 0.1, b, sc, cls).tolist())
    assert ids == [[1, 2]] * 5
    # one leaves for longer than max_missed and comes back: a new track
    tr.update(0.5, np.array([[10, 0, 30, 40]], np.float32), sc[:1], cls[:1])
    tr.update(0.6, np.array([[10, 0, 30, 40]], np.float32), sc[:1], cls[:1])
    back = tr.update(0.7, np.array([[10, 0, 30, 40], [108, 0, 128, 40]], np.float32), sc, cls)
    assert back.tolist() == [1, 3]
    assert [(t.track_id, t.hits) for t in tr.tracks()] == [(1, 8), (2, 5), (3, 1)]


def test_tracker_never_matches_across_classes():
    tr = IoUTracker()
    b = np.array([[0, 0, 10, 10]], np.float32)
    tr.update(0.0, b, np.array([0.9]), np.array([0]))
    assert tr.update(0.1, b, np.array([0.9]), np.array([5])).tolist() == [2]


def test_importing_the_plugin_and_its_command_modules_stays_light():
    """Boot imports the hooks, commands, events, settings and CLI; none may pull in a heavy library."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import builtin_plugins.recognition\n"
        "from builtin_plugins.recognition import api, cli, commands, events, service, settings\n"
        "print(','.join(m for m in ('numpy', 'onnxruntime', 'av', 'PIL', 'httpx', 'onnx') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_letterbox_round_trip_for_any_size_and_padding():
    """Boxes inside the frame map to model input and back exactly, for any source size and padding."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(1, 8000), st.integers(1, 8000), st.sampled_from([(416, 416), (640, 640), (120, 160)]),
        st.sampled_from(["center", "topleft"]), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1),
    )
    def check(w, h, dst, pad, a, b, c, d):
        lb = Letterbox.compute(w, h, dst[1], dst[0], pad)
        assert 1 <= lb.new_w <= dst[1] and 1 <= lb.new_h <= dst[0]
        assert 0 <= lb.left and lb.left + lb.new_w <= dst[1] and 0 <= lb.top and lb.top + lb.new_h <= dst[0]
        x1, x2 = sorted((a * w, b * w))
        y1, y2 = sorted((c * h, d * h))
        sx, sy = lb.new_w / w, lb.new_h / h
        inp = np.array([[x1 * sx + lb.left, y1 * sy + lb.top, x2 * sx + lb.left, y2 * sy + lb.top]], np.float64)
        back = lb.to_source(inp)
        assert np.allclose(back, [[x1, y1, x2, y2]], atol=1e-2 * max(1.0, w / lb.new_w, h / lb.new_h))

    check()
