"""sdk.testing is installed for every project (pytest11): it must run reelkit tests and leave others alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import av


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=project, capture_output=True, text=True, timeout=240)


def test_an_unrelated_projects_async_tests_are_untouched(tmp_path: Path):
    """With reelkit installed, a project that does not opt in sees pytest's own handling of async tests
    (it fails them as unsupported), not reelkit's runner; one opted-in test runs, one using a fixture too."""
    (tmp_path / "test_other.py").write_text(textwrap.dedent('''
        import pytest

        async def test_plain_async():
            raise AssertionError("ran by a plugin that was not asked to")

        @pytest.mark.reelkit
        async def test_marked():
            import asyncio
            await asyncio.sleep(0)

        async def test_uses_fixture(make_kernel):
            async with make_kernel() as k:
                assert (await k.invoke("kernel.health")).state in ("ok", "warn")
    '''))
    r = _pytest(tmp_path, "-rA")
    out = r.stdout + r.stderr
    assert "ran by a plugin that was not asked to" not in out, out
    assert "PASSED test_other.py::test_marked" in out and "PASSED test_other.py::test_uses_fixture" in out, out
    assert "test_plain_async" in out and "PASSED test_other.py::test_plain_async" not in out, out


def test_media_dir_holds_real_media(media_dir: Path):
    with av.open(str(media_dir / "clip.mp4")) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (320, 180) and c.streams.audio
        assert abs(float(c.duration / 1e6) - 2.0) < 0.1
    with av.open(str(media_dir / "clip.webm")) as c:
        assert c.streams.video[0].codec_context.name == "vp9" and c.streams.audio[0].codec_context.name == "opus"
    assert (media_dir / "tone.wav").stat().st_size > 48_000 and (media_dir / "still.png").stat().st_size > 0


def test_ffmpeg_exe_runs(ffmpeg_exe: str):
    r = subprocess.run([ffmpeg_exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("ffmpeg version")
