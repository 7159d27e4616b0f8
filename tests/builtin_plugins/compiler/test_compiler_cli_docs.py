"""The CLI (`reelkit render`, Ctrl-C), the hardware fallback, the demo project, and the documented examples."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from reelkit.builtin_plugins.compiler.demo import demo_project
from reelkit.builtin_plugins.compiler.project import Project

from .conftest import clip, frame_at, near, project, video_track

REPO = Path(__file__).resolve().parents[3]
BUILTINS = ["media", "subtitles", "compiler"]


def reelkit(*args: str, env_dir: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, **{f"REELKIT_{n}_DIR": str(env_dir / n.lower()) for n in ("DATA", "CACHE", "CONFIG")}}
    exe = Path(sys.executable).with_name("reelkit")
    return subprocess.Popen([str(exe), *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_documented_examples_match_the_schema():
    """The JSON example in docs/project-format.md and every examples/projects/*.json validate."""
    doc = (REPO / "docs" / "project-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", doc, re.S)
    full = [b for b in blocks if '"tracks"' in b]
    assert full, "the complete example is missing from docs/project-format.md"
    for b in full:
        Project.model_validate(json.loads(b))
    files = sorted((REPO / "examples" / "projects").glob("*.json"))
    assert len(files) >= 3
    for f in files:
        Project.model_validate(json.loads(f.read_text(encoding="utf-8")))


async def test_failing_hardware_encoder_retries_in_software(make_kernel, media, tmp_path):
    """A named hardware encoder that fails makes the job retry in software, and the result says so."""
    doc = project(video_track(clip(media["red"], 0, 0.5)), output={"encoder": "h264_nvenc"})
    async with make_kernel(builtins=BUILTINS) as k:
        res = await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(tmp_path / "hw.mp4")}))
    assert res.fallback_from == "h264_nvenc" and res.encoder == "libx264"
    assert near(frame_at(res.output, 0.2)[45, 80], (255, 0, 0))


def test_cli_render_draws_progress_and_writes_the_file(media, tmp_path):
    doc = tmp_path / "p.json"
    doc.write_text(json.dumps(project(video_track(clip(media["red"], 0, 1)))))
    out = tmp_path / "cli.mp4"
    p = reelkit("render", str(doc), "-o", str(out), env_dir=tmp_path)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr
    assert "wrote" in stdout and out.is_file()


def test_cli_ctrl_c_cancels_cleanly(tmp_path):
    """SIGINT during a render: FFmpeg stops, no output or partial file remains, exit status 130."""
    doc = tmp_path / "long.json"
    doc.write_text(json.dumps({"settings": {"width": 320, "height": 180}, "output": {"preset": "veryslow"},
                               "tracks": [{"id": "v", "kind": "video", "clips": [
                                   {"type": "color", "color": "gray", "start": 0, "duration": 300,
                                    "effects": [{"name": "noise"}]}]}]}))
    outdir = tmp_path / "out"
    outdir.mkdir()
    p = reelkit("render", str(doc), "-o", str(outdir / "long.mp4"), env_dir=tmp_path)
    import psutil

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any("ffmpeg" in c.name() for c in psutil.Process(p.pid).children(recursive=True)) and os.listdir(outdir):
            break
        time.sleep(0.05)
    else:
        p.kill()
        raise AssertionError("the render never started")
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=30)
    assert p.returncode == 130
    assert os.listdir(outdir) == []


def test_demo_project_is_valid_and_complete():
    """The demo renders several clips, transitions, a title, subtitles and music."""
    doc = demo_project(["a.mp4", "b.mp4", "c.mp4"], "m.m4a", "s.srt")
    p = Project.model_validate(doc)
    kinds = {t.kind for t in p.tracks}
    assert kinds == {"video", "text", "subtitle", "audio"}
    assert sum(1 for c in p.tracks[0].clips if c.transition) == 2
