"""The video pipeline: batching and frame order, sampling, cancellation, bad videos."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from reelkit.builtin_plugins.recognition.cards import grid_cells
from reelkit.builtin_plugins.recognition.detector import Detector
from reelkit.builtin_plugins.recognition.errors import MediaNotFound, MediaUnreadable
from reelkit.builtin_plugins.recognition.pipeline import PipelineStats, detect_video
from reelkit.builtin_plugins.recognition.runtime import load_model

CELLS = grid_cells((64, 64), (8, 16, 32))


def brightness_model(make_model, name, batch):
    """yolov8 layout, one box whose class-0 score is the frame's mean input value (0..1)."""
    out = np.zeros((1, 5, CELLS), np.float32)
    out[0, :4, 0] = [32, 32, 20, 20]
    term = np.zeros_like(out)
    term[0, 4, 0] = 1.0
    return make_model(name, {"output0": out}, batch=batch, brightness_term={"output0": term})


def run(detector, path, **kw):
    stats = PipelineStats()
    results = list(detect_video(detector, path, stats=stats, **kw))
    return results, stats


def recognition_threads():
    return [t for t in threading.enumerate() if t.name.startswith("recognition-")]


def test_dynamic_batches_keep_each_frame_with_its_own_output(make_model, gray_video):
    """Batches of 4 and a fixed batch of 1 give the same per-frame results, in frame order."""
    batched = Detector(load_model(brightness_model(make_model, "dyn", "N")), conf=0.01, batch=4)
    single = Detector(load_model(brightness_model(make_model, "one", 1)), conf=0.01, batch=4)
    assert (batched.batch, single.batch) == (4, 1)  # a fixed batch of 1 wins over the setting
    rb, sb = run(batched, gray_video)
    rs, ss = run(single, gray_video)
    assert (sb.decoded, sb.analysed, sb.batches) == (20, 20, 5)
    assert (ss.analysed, ss.batches) == (20, 20)
    assert [r.index for r in rb] == list(range(20))
    assert [r.time for r in rb] == pytest.approx([i / 10 for i in range(20)])
    scores_b = [float(r.detections.scores[0]) for r in rb]
    scores_s = [float(r.detections.scores[0]) for r in rs]
    assert scores_b == pytest.approx(scores_s, abs=1e-5)
    # brightness steps up every 0.5 s (5 frames): the scores follow, frame by frame
    steps = [np.mean(scores_b[i : i + 5]) for i in range(0, 20, 5)]
    assert all(b > a + 0.02 for a, b in zip(steps, steps[1:]))
    assert all(max(scores_b[i : i + 5]) - min(scores_b[i : i + 5]) < 0.01 for i in range(0, 20, 5))
    # three inference workers on one session: batches finish out of order, frames come back in order
    rw, sw = run(single, gray_video, workers=3, depth=4)
    assert [r.index for r in rw] == list(range(20)) and sw.batches == 20
    assert [float(r.detections.scores[0]) for r in rw] == pytest.approx(scores_s, abs=1e-5)
    rbw, _ = run(batched, gray_video, workers=2)
    assert [float(r.detections.scores[0]) for r in rbw] == pytest.approx(scores_s, abs=1e-5)
    # batches of 3 in groups of 6: the last group holds 2 frames and runs a batch of 2
    threes = Detector(load_model(brightness_model(make_model, "dyn3", "N")), conf=0.01, batch=3)
    r3, s3 = run(threes, gray_video, group=6)
    assert [r.index for r in r3] == list(range(20)) and s3.batches == 7
    assert [float(r.detections.scores[0]) for r in r3] == pytest.approx(scores_s, abs=1e-5)
    # the box maps back to 160x120 source pixels: input (22..42) / 0.4, y minus the 8-row padding
    assert rb[0].detections.boxes[0].tolist() == pytest.approx([55.0, 35.0, 105.0, 85.0])
    assert not recognition_threads()


def test_partial_last_batch_and_sampling_by_fps(make_model, gray_video):
    det = Detector(load_model(brightness_model(make_model, "dyn", "N")), conf=0.01, batch=3)
    results, stats = run(det, gray_video, fps=4)
    assert [r.index for r in results] == [0, 3, 5, 8, 10, 13, 15, 18]  # 10 fps sampled at 4 fps
    assert (stats.decoded, stats.analysed, stats.batches) == (20, 8, 3)


def test_cancel_stops_early_and_joins_threads(make_model, gray_video):
    det = Detector(load_model(brightness_model(make_model, "one", 1)), conf=0.01)
    seen = []
    for r in detect_video(det, gray_video, cancelled=lambda: len(seen) >= 3, depth=1):
        seen.append(r)
    assert 3 <= len(seen) < 20
    assert not recognition_threads()


def test_closing_the_iterator_early_stops_the_threads(make_model, gray_video):
    det = Detector(load_model(brightness_model(make_model, "one", 1)), conf=0.01)
    it = detect_video(det, gray_video, depth=1)
    next(it)
    it.close()
    assert not recognition_threads()


def test_missing_unreadable_and_audio_only_inputs(make_model, tmp_path, ffrun):
    det = Detector(load_model(brightness_model(make_model, "one", 1)))
    with pytest.raises(MediaNotFound) as e:
        list(detect_video(det, tmp_path / "nope.mp4"))
    assert e.value.code == "media.not_found"
    junk = tmp_path / "junk.mp4"
    junk.write_text("this is not a video")
    with pytest.raises(MediaUnreadable) as e:
        list(detect_video(det, junk))
    assert e.value.code == "media.unreadable" and "junk.mp4" in e.value.message
    audio = tmp_path / "tone.m4a"
    ffrun("-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "aac", str(audio))
    with pytest.raises(MediaUnreadable, match="no video stream"):
        list(detect_video(det, audio))


def test_truncated_video_is_unreadable_or_yields_what_decodes(make_model, gray_video, tmp_path):
    """A file cut in half either fails with media.unreadable or yields fewer frames; never hangs."""
    cut = tmp_path / "cut.mp4"
    data = gray_video.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    det = Detector(load_model(brightness_model(make_model, "one", 1)), conf=0.01)
    try:
        results, _ = run(det, cut)
    except MediaUnreadable as e:
        assert e.code == "media.unreadable"
    else:
        assert len(results) < 20
    assert not recognition_threads()


def test_queues_are_bounded_so_decoding_waits_for_a_slow_consumer(make_model, gray_video):
    """With depth 1, the decoder stays at most a handful of frames ahead however slow the consumer."""
    import time

    det = Detector(load_model(brightness_model(make_model, "one", 1)), conf=0.01)
    stats = PipelineStats()
    it = detect_video(det, gray_video, depth=1, group=1, stats=stats)
    next(it)
    time.sleep(0.3)  # decoding 20 tiny frames takes far less than this when unbounded
    ahead = stats.decoded - stats.analysed
    # in flight: 1 in each queue, 1 being filled, 1 being inferred, 1 being post-processed
    assert ahead <= 5
    assert len(list(it)) == 19


def test_batches_finishing_out_of_order_are_delivered_in_order(make_model, gray_video):
    """Every other run is made slow, so later batches overtake it; the frames still come in order."""
    import time

    class SlowEvenRuns(Detector):
        calls = 0

        def run(self, tensor):
            SlowEvenRuns.calls += 1
            if SlowEvenRuns.calls % 2:
                time.sleep(0.03)
            return super().run(tensor)

    det = SlowEvenRuns(load_model(brightness_model(make_model, "one", 1)), conf=0.01, workers=3)
    results, stats = run(det, gray_video, depth=4)
    assert [r.index for r in results] == list(range(20))
    reference, _ = run(Detector(det.model, conf=0.01), gray_video)
    assert [float(r.detections.scores[0]) for r in results] == pytest.approx(
        [float(r.detections.scores[0]) for r in reference], abs=1e-5)
