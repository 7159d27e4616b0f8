"""The media demo step: sample media generated, published as artifacts, imported."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from reelkit.builtin_plugins.media.probe import probe_file
from reelkit.builtin_plugins.media.samples import generate


async def test_demo_step(make_kernel, tmp_path):
    from reelkit.kernel.demo import DemoContext

    async with make_kernel(builtins=["media"]) as k:
        out = io.StringIO()
        demo = DemoContext(k, tmp_path / "demo", Console(file=out, width=160))
        await k.plugins.call_one("media", "reelkit_demo", demo=demo)
    art = demo.artifacts
    assert len(art["clips"]) == 4 and art["music"].endswith("music.m4a") and art["image"].endswith("still.png")
    for clip in art["clips"]:
        info = probe_file(clip)
        v, a = info.video, info.audio
        assert (v.width, v.height, str(v.frame_rate), v.codec) == (640, 360, "30/1", "h264")
        assert info.duration == pytest.approx(4.0, abs=0.05) and a is not None and a.codec == "aac"
    music = probe_file(art["music"])
    assert music.kind == "audio" and music.duration == pytest.approx(16.0, abs=0.05)
    assert probe_file(art["image"]).kind == "image"
    text = out.getvalue()
    assert "6 files imported (1 audio, 1 image, 4 video)" in text and "clip3_mandelbrot.mp4" in text


def test_generate_is_idempotent(tmp_path):
    """A second call keeps the complete files (same inode, same mtime) and returns the same paths."""
    first = generate(tmp_path / "s")
    stamps = {p: (tmp_path / "s" / p).stat().st_mtime_ns for p in [f.split("/")[-1] for f in first["clips"]]}
    second = generate(tmp_path / "s")
    assert second == first
    assert stamps == {p: (tmp_path / "s" / p).stat().st_mtime_ns for p in stamps}
    assert not [p for p in (tmp_path / "s").iterdir() if p.name.startswith(".")]
