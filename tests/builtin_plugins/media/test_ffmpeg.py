"""Finding FFmpeg: settings → PATH → the imageio-ffmpeg wheel; capabilities, cached per binary."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from reelkit.builtin_plugins.media.api import FFmpegInfo, FFmpegLocator
from reelkit.builtin_plugins.media.errors import FFmpegMissing
from reelkit.builtin_plugins.media.ffmpeg import FFmpegFinder


@pytest.fixture
def no_ffmpeg_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


def test_wheel_binary_when_nothing_else(no_ffmpeg_on_path, ffmpeg, cache_dir):
    """Without a setting and with nothing on PATH, the wheel's binary is used."""
    f = FFmpegFinder(None, cache_dir)
    assert isinstance(f, FFmpegLocator)
    assert f.exe == os.path.abspath(ffmpeg)
    assert f.info().source == "imageio-ffmpeg"


def test_capabilities_match_the_binary(no_ffmpeg_on_path, ffmpeg, cache_dir):
    """Version, encoders, decoders, filters and hwaccels are what the binary itself lists."""
    info = FFmpegFinder(None, cache_dir).info()
    first = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.split()[2]
    assert info.version == first
    assert {"libx264", "aac", "png", "mjpeg"} <= set(info.encoders)
    assert {"h264", "vp8", "opus", "flac"} <= set(info.decoders)
    assert {"xfade", "drawtext", "loudnorm", "scale"} <= set(info.filters)
    assert all(" " not in name and name for name in info.encoders + info.decoders + info.filters + info.hwaccels)
    hw = subprocess.run([ffmpeg, "-hide_banner", "-hwaccels"], capture_output=True, text=True).stdout.split()[3:]
    assert info.hwaccels == hw


def test_path_beats_wheel_and_setting_beats_path(monkeypatch, tmp_path, ffmpeg, cache_dir):
    """An ffmpeg on PATH wins over the wheel; the media.ffmpeg_path setting wins over PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ffmpeg").symlink_to(ffmpeg)
    monkeypatch.setenv("PATH", str(bindir))
    assert FFmpegFinder(None, cache_dir).exe == str(bindir / "ffmpeg")
    assert FFmpegFinder(None, cache_dir).info().source == "path"
    other = tmp_path / "custom-ffmpeg"
    other.symlink_to(ffmpeg)
    f = FFmpegFinder(str(other), cache_dir)
    assert f.exe == str(other) and f.info().source == "settings"


@pytest.mark.parametrize("bad", ["/no/such/ffmpeg", "DIR"])
def test_bad_setting_is_reported(tmp_path, bad):
    """A setting pointing at nothing (or a directory) → media.ffmpeg_missing naming the setting."""
    path = str(tmp_path) if bad == "DIR" else bad
    with pytest.raises(FFmpegMissing) as e:
        FFmpegFinder(path).exe
    assert e.value.code == "media.ffmpeg_missing"
    assert path in e.value.message and "ffmpeg_path" in e.value.message


def test_capabilities_cached_on_disk_per_binary(no_ffmpeg_on_path, cache_dir):
    """The answer is written once; a later finder (a later run) reads the file instead of spawning."""
    from reelkit.builtin_plugins.media import ffmpeg as mod

    mod._memory.clear()  # as in a fresh process
    FFmpegFinder(None, cache_dir).info()
    files = list((cache_dir / "media").glob("ffmpeg-*.json"))
    assert len(files) == 1
    # prove the file is what a fresh process would use: alter it and see the change come back
    mod._memory.clear()
    data = json.loads(files[0].read_text())
    data["version"] = "from-the-cache-file"
    files[0].write_text(json.dumps(data))
    assert FFmpegFinder(None, cache_dir).info().version == "from-the-cache-file"
    mod._memory.clear()
    files[0].write_text("{ damaged")
    assert FFmpegFinder(None, cache_dir).info().version != "from-the-cache-file"  # recomputed, not an error
    assert FFmpegInfo.model_validate_json(files[0].read_text())  # and rewritten whole
    mod._memory.clear()
