"""The recognition commands through a kernel: images, video jobs with progress events, cancel, exports."""
from __future__ import annotations

import csv
import json

import pytest
from PIL import Image


@pytest.fixture(scope="module")
def coffee(tmp_path_factory):
    from skimage import data

    p = tmp_path_factory.mktemp("img") / "coffee.png"
    Image.fromarray(data.coffee()).save(p)
    return p


def kernel_for(make_kernel, models_dir, **extra):
    return make_kernel(builtins=["recognition"], settings={"recognition": {"models_dir": str(models_dir), **extra}})


async def test_plugin_registers_its_commands_and_reports_the_provider(make_kernel, shared_models, coffee):
    async with kernel_for(make_kernel, shared_models) as k:
        ids = {c.id for c in k.commands.list()}
        out = await k.invoke("recognition.detect_image", {"path": str(coffee)})
        assert out.detections[0].class_name == "cup"
        health = await k.health()
        text = json.dumps(health, default=str)
        assert "yolox_nano on CPUExecutionProvider" in text
        assert {"recognition.detect_image", "recognition.detect_video", "recognition.faces",
                           "recognition.models"} <= ids


async def test_faces_and_models_commands(make_kernel, shared_models, tmp_path):
    from skimage import data

    img = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(img)
    async with kernel_for(make_kernel, shared_models) as k:
        faces = await k.invoke("recognition.faces", {"path": str(img)})
        assert [d.class_name for d in faces.detections] == ["face"]
        listing = await k.invoke("recognition.models", {})
        names = {m.name: m for m in listing.models}
        assert names["yolox_nano"].installed and names["face_detection_yunet_120x160"].installed
        assert "CPUExecutionProvider" in listing.providers_available


async def test_detect_video_job_publishes_frame_progress_and_writes_exports(make_kernel, events, shared_models, photo_video, tmp_path):
    async with kernel_for(make_kernel, shared_models) as k:
        rec = events(k, "recognition.frame.processed")
        stem = tmp_path / "out" / "photos"
        ref = await k.invoke("recognition.detect_video", {"path": str(photo_video), "fps": 2, "export": str(stem)})
        report = await k.wait(ref, timeout=60)
        await rec.wait_for("recognition.frame.processed")
    assert report.frames_analysed == 12
    assert {"person", "cat", "cup"} <= {c.class_name for c in report.classes}
    frames = [e.frames for e in rec.events]
    assert frames and frames == sorted(frames) and all(e.job_id == ref.job_id for e in rec.events)
    data = json.loads((tmp_path / "out" / "photos.json").read_text())
    assert data["frames_analysed"] == 12 and len(data["frames"]) == 12
    rows = list(csv.DictReader((tmp_path / "out" / "photos.csv").open()))
    assert rows and {r["class_name"] for r in rows} >= {"person", "cat", "cup"}
    assert sum(len(f.detections) for f in report.frames) == len(rows)
    markers = json.loads((tmp_path / "out" / "photos.markers.json").read_text())["markers"]
    assert {m["name"] for m in markers} >= {"person", "cat", "cup"}
    assert all(set(m) == {"time", "name", "duration", "color"} for m in markers)
    try:  # the compiler's project model accepts them as they are
        from reelkit.builtin_plugins.compiler.project import Marker
    except ImportError:
        Marker = None
    if Marker is not None:
        for m in markers:
            Marker.model_validate(m)
    assert not list((tmp_path / "out").glob(".*tmp"))  # no temporary files left


async def test_detect_video_can_be_cancelled(make_kernel, events, shared_models, ffrun, tmp_path):
    import threading

    from reelkit.sdk import KernelError

    long_clip = tmp_path / "long.mp4"  # 600 frames: far more than run before the cancel lands
    ffrun("-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=20", "-c:v", "libx264", "-preset", "ultrafast", str(long_clip))
    async with kernel_for(make_kernel, shared_models) as k:
        rec = events(k, "recognition.frame.processed")
        ref = await k.invoke("recognition.detect_video", {"path": str(long_clip), "fps": 0})
        await rec.wait_for("recognition.frame.processed")
        await k.invoke("kernel.job_cancel", {"job_id": ref.job_id})
        with pytest.raises(KernelError) as e:
            await k.wait(ref, timeout=30)
        assert e.value.code == "job.cancelled"
        info = await k.invoke("kernel.job_status", {"job_id": ref.job_id})
        assert info.state.value == "cancelled"
    assert max(ev.frames for ev in rec.events) < 600
    assert not [t for t in threading.enumerate() if t.name.startswith("recognition-")]


async def test_errors_through_the_kernel_keep_their_codes(make_kernel, shared_models, tmp_path):
    from reelkit.sdk import KernelError

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    async with kernel_for(make_kernel, shared_models) as k:
        ref = await k.invoke("recognition.detect_video", {"path": str(bad)})
        with pytest.raises(KernelError) as e:
            await k.wait(ref, timeout=30)
        assert e.value.code == "media.unreadable"
        with pytest.raises(KernelError) as e:
            await k.invoke("recognition.detect_image", {"path": str(bad), "model": "nope"})
        assert e.value.code == "recognition.model_not_found"


async def test_detect_video_reports_stage_times_and_metrics(make_kernel, shared_models, photo_video):
    settings = {"recognition": {"models_dir": str(shared_models)}, "telemetry": {"exporter": "memory"}}
    async with make_kernel(builtins=["recognition"], settings=settings) as k:
        ref = await k.invoke("recognition.detect_video", {"path": str(photo_video), "fps": 5})
        report = await k.wait(ref, timeout=60)
        metrics = k.telemetry.metrics()
    assert set(report.stage_seconds) == {"decode", "prepare", "infer", "post"}
    assert report.stage_seconds["infer"] > 0 and report.stage_seconds["decode"] > 0
    assert metrics["reelkit.recognition.frames_analysed"] == 30
    assert metrics["reelkit.recognition.frames_decoded"] == 60
    assert metrics["reelkit.recognition.infer_seconds"] > 0


async def test_demo_step_detects_in_the_first_clip_or_says_how_to_get_a_model(make_kernel, shared_models, photo_video, tmp_path):
    from rich.console import Console

    from reelkit.builtin_plugins.recognition.demo import run
    from reelkit.kernel.demo import DemoContext

    console = Console(record=True, width=200)
    async with kernel_for(make_kernel, shared_models) as k:
        demo = DemoContext(k, tmp_path / "demo", console)
        demo.artifacts["clips"] = [str(photo_video)]
        await run(demo)
    text = console.export_text()
    assert "person" in text and "cup" in text
    assert (tmp_path / "demo" / "detections" / "photos.json").is_file()
    assert demo.artifacts["detections"].endswith("photos.json")

    console = Console(record=True, width=200)
    async with kernel_for(make_kernel, tmp_path / "empty") as k:
        demo = DemoContext(k, tmp_path / "demo2", console)
        demo.artifacts["clips"] = [str(photo_video)]
        await run(demo)
    text = console.export_text()
    assert "reelkit models pull yolox_nano" in text and "REELKIT_RECOGNITION__MODELS_DIR" in text
    assert not (tmp_path / "demo2").exists()
