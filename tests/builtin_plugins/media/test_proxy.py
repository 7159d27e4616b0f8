"""media.proxy: a low-resolution H.264 copy as a job, with progress; cancel leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelkit.builtin_plugins.media.probe import probe_file
from reelkit.sdk import KernelError


async def test_proxy_job(make_kernel, events, media, tmp_path):
    """The proxy is H.264/AAC at the asked height with the source's aspect; progress reaches 1."""
    async with make_kernel(builtins=["media"]) as k:
        rec = events(k, "job.progressed")
        ref = await k.invoke("media.proxy", {"path": str(media / "clip.webm"), "height": 60})
        out = await k.wait(ref)
        assert (out.width, out.height, out.cached) == (80, 60, False)
        info = probe_file(out.file)
        assert info.video.codec == "h264" and info.audio.codec == "aac"
        assert info.duration == pytest.approx(1.0, abs=0.1)
        assert rec.of("job.progressed")[-1].job.progress.fraction == 1.0
        again = await k.wait(await k.invoke("media.proxy", {"path": str(media / "clip.webm"), "height": 60}))
        assert again.cached and again.file == out.file


async def test_proxy_never_upscales(make_kernel, media, tmp_path):
    target = tmp_path / "out" / "p.mp4"
    async with make_kernel(builtins=["media"]) as k:
        out = await k.wait(await k.invoke("media.proxy", {"path": str(media / "clip.mp4"), "height": 720,
                                                          "output": str(target)}))
        assert out.file == str(target) and (out.width, out.height) == (160, 120)


async def test_proxy_of_audio_fails(make_kernel, media):
    async with make_kernel(builtins=["media"]) as k:
        with pytest.raises(KernelError) as e:
            await k.wait(await k.invoke("media.proxy", {"path": str(media / "tone.wav")}))
        assert e.value.code == "media.unreadable"


async def test_cancel_removes_partial_file(make_kernel, events, tmp_path, ffmpeg_run):
    """Cancel during the encode: FFmpeg is stopped, the job is cancelled, no proxy or temp file remains."""
    # 5 minutes of 320x240 (a 10 s clip looped by stream copy: cheap to make, seconds to re-encode),
    # so the encode is surely still running when the first progress report arrives
    short, src = tmp_path / "short.mp4", tmp_path / "long.mp4"
    ffmpeg_run("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=10", "-c:v", "libx264", "-preset", "ultrafast",
               str(short))
    ffmpeg_run("-stream_loop", "29", "-i", str(short), "-c", "copy", str(src))
    assert probe_file(str(src)).duration == pytest.approx(300, abs=1)
    out_dir = tmp_path / "proxies"
    async with make_kernel(builtins=["media"]) as k:
        rec = events(k, "job.progressed")
        ref = await k.invoke("media.proxy", {"path": str(src), "height": 240, "output": str(out_dir / "p.mp4")})
        await rec.wait_for("job.progressed", where=lambda e: (e.job.progress.fraction or 0) > 0, timeout=30)
        await k.invoke("kernel.job_cancel", {"job_id": ref.job_id})
        with pytest.raises(KernelError) as e:
            await k.wait(ref, timeout=10)
        assert e.value.code == "job.cancelled"
    assert list(out_dir.iterdir()) == []
