"""The real models from ../shared/models on photos that ship in scikit-image, and bad model/image input."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reelkit.kernel.errors import ExtraMissing
from reelkit.builtin_plugins.recognition.errors import ImageInvalid, ModelInvalid, ModelNotFound, RuntimeConflict
from reelkit.builtin_plugins.recognition.runtime import check_runtime, choose_providers
from reelkit.builtin_plugins.recognition.service import RecognitionService
from reelkit.builtin_plugins.recognition.settings import RecognitionSettings


@pytest.fixture(scope="module")
def service(shared_models, tmp_path_factory):
    return RecognitionService(RecognitionSettings(models_dir=str(shared_models), threads=1), tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from skimage import data

    d = tmp_path_factory.mktemp("photos")
    for name in ("astronaut", "chelsea", "coffee"):
        Image.fromarray(getattr(data, name)()).save(d / f"{name}.png")
    return d


@pytest.mark.parametrize(
    "photo, expected, min_conf",
    [("astronaut", "person", 0.85), ("chelsea", "cat", 0.5), ("coffee", "cup", 0.85)],
)
def test_yolox_nano_finds_the_subject_of_each_photo(service, photos, photo, expected, min_conf):
    out = service.detect_image(photos / f"{photo}.png")
    assert out.model == "yolox_nano" and out.provider == "CPUExecutionProvider"
    best = out.detections[0]
    assert (best.class_name, best.confidence >= min_conf) == (expected, True)
    x1, y1, x2, y2 = best.box
    assert 0 <= x1 < x2 <= out.width and 0 <= y1 < y2 <= out.height
    assert best.box_norm == pytest.approx([x1 / out.width, y1 / out.height, x2 / out.width, y2 / out.height], abs=1e-4)


def test_coffee_also_shows_a_dining_table(service, photos):
    names = {d.class_name for d in service.detect_image(photos / "coffee.png").detections}
    assert {"cup", "dining table"} <= names


def test_yunet_finds_the_astronauts_face(service, photos):
    out = service.detect_image(photos / "astronaut.png", task="faces")
    assert len(out.detections) == 1
    face = out.detections[0]
    assert face.class_name == "face" and face.confidence > 0.7
    x1, y1, x2, y2 = face.box  # her face sits around x 180..270, y 70..170 in the 512x512 photo
    assert 150 < x1 < 210 and 240 < x2 < 300 and 40 < y1 < 100 and 140 < y2 < 200
    eyes = face.landmarks[:4]
    assert x1 < eyes[0] < eyes[2] < x2 and y1 < eyes[1] < y2  # right eye left of left eye, inside


def test_video_of_photos_gives_the_right_classes_in_the_right_segments(service, photo_video):
    report = service.detect_video(photo_video, fps=5)
    by_name = {c.class_name: c for c in report.classes}
    assert (report.frames_decoded, report.frames_analysed) == (60, 30)
    assert report.duration == pytest.approx(6.0, abs=0.05)

    def spans(name):
        return [(s.start, s.end) for s in by_name[name].segments]

    assert spans("person") == [(0.0, pytest.approx(2.0))]
    assert spans("cat") == [(pytest.approx(2.0), pytest.approx(4.0))]
    assert spans("cup") == [(pytest.approx(4.0), pytest.approx(6.0))]
    assert by_name["person"].objects == 1 and by_name["cup"].objects == 1
    markers = {(m.name, m.time) for m in report.markers}
    assert {("person", 0.0), ("cat", 2.0), ("cup", 4.0)} <= markers


def test_video_faces_with_the_face_model(service, photo_video):
    report = service.detect_video(photo_video, fps=2, task="faces")
    faces = [c for c in report.classes if c.class_name == "face"]
    assert faces and faces[0].segments[0].start == 0.0 and faces[0].segments[0].end <= 2.5


def test_missing_model_is_model_not_found(service):
    with pytest.raises(ModelNotFound) as e:
        service.detect_image("whatever.png", model="no_such_model")
    assert e.value.code == "recognition.model_not_found" and "models pull" in e.value.message


def test_corrupt_model_is_model_invalid(tmp_path, photos):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "broken.onnx").write_bytes(b"\x08\x01garbage" * 100)
    svc = RecognitionService(RecognitionSettings(models_dir=str(tmp_path / "models")), tmp_path)
    with pytest.raises(ModelInvalid) as e:
        svc.detect_image(photos / "coffee.png", model="broken")
    assert e.value.code == "recognition.model_invalid" and "broken.onnx" in e.value.message


def test_a_face_model_is_refused_for_objects(service, photos):
    with pytest.raises(ModelInvalid, match="detects faces"):
        service.detect_image(photos / "coffee.png", model="face_detection_yunet_120x160")


def test_images_of_extreme_size(service, tmp_path, shared_models):
    strip = tmp_path / "strip.png"
    Image.fromarray(np.full((2, 5000, 3), 128, np.uint8)).save(strip)
    out = service.detect_image(strip)  # 5000:2 aspect: a 416x1 letterbox, no crash
    assert (out.width, out.height) == (5000, 2)
    dot = tmp_path / "dot.png"
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(dot)
    assert service.detect_image(dot).detections == []
    small = RecognitionService(
        RecognitionSettings(models_dir=str(shared_models), max_image_pixels=10_000), tmp_path
    )
    big = tmp_path / "big.png"
    Image.new("L", (200, 200)).save(big)
    with pytest.raises(ImageInvalid) as e:
        small.detect_image(big)
    assert e.value.code == "recognition.image_invalid" and "200x200" in e.value.message
    text = tmp_path / "note.png"
    text.write_text("not an image")
    with pytest.raises(ImageInvalid):
        service.detect_image(text)


def test_both_onnxruntime_builds_installed_is_a_clear_conflict():
    with pytest.raises(RuntimeConflict) as e:
        check_runtime(["onnxruntime", "onnxruntime-gpu"])
    assert "pip uninstall" in e.value.message
    assert "reelkit[cpu]" in e.value.message and "reelkit[gpu]" in e.value.message
    check_runtime(["onnxruntime"])
    with pytest.raises(ExtraMissing) as e:
        check_runtime([])
    assert e.value.code == "extra.missing" and "reelkit[cpu]" in e.value.message


def test_provider_choice():
    avail = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers("auto", avail) == avail
    assert choose_providers("auto", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers("cpu", avail) == ["CPUExecutionProvider"]
    assert choose_providers("CUDA", avail) == avail
    with pytest.raises(ModelInvalid, match="TensorRT"):
        choose_providers("TensorRT", avail)


def test_sampling_faster_than_the_video_analyses_every_frame_once(service, photo_video):
    """fps above the video's 10 fps: every frame once, and a sighting still lasts one frame (0.1 s)."""
    report = service.detect_video(photo_video, fps=100)
    assert report.frames_analysed == 60
    cup = next(c for c in report.classes if c.class_name == "cup")
    assert [(s.start, s.end) for s in cup.segments] == [(pytest.approx(4.0), pytest.approx(6.0))]


def test_health_warns_without_the_default_model_and_names_the_provider_in_use(service, tmp_path, photos):
    from reelkit.builtin_plugins.recognition.service import health

    empty = RecognitionService(RecognitionSettings(models_dir=str(tmp_path / "none")), tmp_path)
    h = health(empty)
    assert h.state == "warn" and "reelkit models pull yolox_nano" in h.detail
    service.detect_image(photos / "coffee.png")
    h = health(service)
    assert h.state == "ok" and "yolox_nano on CPUExecutionProvider" in h.detail
