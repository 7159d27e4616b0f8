"""The media plugin through a kernel: commands, errors, events, settings, health."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelkit.builtin_plugins.media.api import FFmpegInfo, MediaInfo
from reelkit.builtin_plugins.media.service import MediaService
from reelkit.sdk import KernelError


def service_of(k) -> MediaService:
    return k.services.instances[MediaService]


async def test_probe_command(make_kernel, media):
    """media.probe returns a MediaInfo; a second call is a metadata-cache hit."""
    async with make_kernel(builtins=["media"]) as k:
        info = await k.invoke("media.probe", {"path": str(media / "clip.mp4")})
        assert isinstance(info, MediaInfo) and info.video.codec == "h264"
        again = await k.invoke("media.probe", {"path": str(media / "clip.mp4")})
        assert again == info
        cache = service_of(k).cache
        assert (cache.hits, cache.misses) == (1, 1)


async def test_cache_kept_across_kernels(make_kernel, media):
    """A second kernel on the same cache dir answers from the database without probing."""
    async with make_kernel(builtins=["media"]) as k:
        await k.invoke("media.probe", {"path": str(media / "tone.ogg")})
    async with make_kernel(builtins=["media"]) as k:
        info = await k.invoke("media.probe", {"path": str(media / "tone.ogg")})
        assert info.audio.codec == "opus"
        assert (service_of(k).cache.hits, service_of(k).cache.misses) == (1, 0)


@pytest.mark.parametrize("name,code", [("nope.mp4", "media.not_found"), ("notes.txt", "media.unreadable"),
                                       ("folder.mp4", "media.input_invalid"), ("empty.mp4", "media.unreadable")])
async def test_probe_errors(make_kernel, broken, name, code):
    """Bad paths reach the caller as KernelErrors with stable codes and the path in the message."""
    async with make_kernel(builtins=["media"]) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("media.probe", {"path": str(broken / name)})
        assert e.value.code == code and name in e.value.message


async def test_input_is_validated(make_kernel, media):
    """Unknown fields and out-of-range values are refused before any work."""
    async with make_kernel(builtins=["media"]) as k:
        for payload in ({"path": "x", "bogus": 1}, {}):
            with pytest.raises(KernelError) as e:
                await k.invoke("media.probe", payload)
            assert e.value.code == "input.invalid"
        with pytest.raises(KernelError) as e:
            await k.invoke("media.thumbnail", {"path": str(media / "clip.mp4"), "width": 5})
        assert e.value.code == "input.invalid"


async def test_formats_and_ffmpeg_info(make_kernel):
    async with make_kernel(builtins=["media"]) as k:
        formats = (await k.invoke("media.formats")).formats
        assert any("mkv" in f.extensions for f in formats)
        info = await k.invoke("media.ffmpeg_info")
        assert isinstance(info, FFmpegInfo) and "libx264" in info.encoders and Path(info.path).exists()


async def test_health_ok(make_kernel):
    async with make_kernel(builtins=["media"]) as k:
        report = await k.health()
        check = report["checks"]["media.ffmpeg"]
        assert check["state"] == "ok" and "ffmpeg" in check["detail"]


async def test_bad_ffmpeg_setting(make_kernel, tmp_path):
    """media.ffmpeg_path pointing nowhere: health says error, and ffmpeg_info fails with the fix."""
    bad = str(tmp_path / "no-ffmpeg")
    async with make_kernel(builtins=["media"], settings={"media": {"ffmpeg_path": bad}}) as k:
        report = await k.health()
        assert report["checks"]["media.ffmpeg"]["state"] == "error"
        with pytest.raises(KernelError) as e:
            await k.invoke("media.ffmpeg_info")
        assert e.value.code == "media.ffmpeg_missing" and bad in e.value.message


async def test_settings_section_validated(make_kernel):
    """A bad [media] value stops the plugin with a settings error, not a crash later."""
    async with make_kernel(builtins=["media"], settings={"media": {"max_parallel": 0}}) as k:
        states = {p.name: p for p in k.plugins.states()}
        assert states["media"].state != "active"
        assert "max_parallel" in str(states["media"].error)


async def test_thumbnail_command_and_event(make_kernel, events, media):
    """A new thumbnail publishes media.thumbnail.created; a cached one does not publish again."""
    async with make_kernel(builtins=["media"], settings={"media": {"thumbnail_format": "webp"}}) as k:
        rec = events(k, "media.thumbnail.*")
        out = await k.invoke("media.thumbnail", {"path": str(media / "clip.mp4"), "time": 0.5, "width": 64})
        assert out.format == "webp" and Path(out.file).read_bytes()[:4] == b"RIFF"
        await rec.wait_for("media.thumbnail.created")
        again = await k.invoke("media.thumbnail", {"path": str(media / "clip.mp4"), "time": 0.5, "width": 64})
        assert again.cached and again.file == out.file
        assert len(rec.of("media.thumbnail.created")) == 1


async def test_filmstrip_and_waveform_commands(make_kernel, media):
    async with make_kernel(builtins=["media"]) as k:
        strip = await k.invoke("media.filmstrip", {"path": str(media / "clip.mp4"), "count": 3, "width": 40})
        assert (strip.columns, strip.rows, len(strip.tiles)) == (3, 1, 3)
        wave = await k.invoke("media.waveform", {"path": str(media / "tone.flac"), "width": 64, "height": 16})
        assert len(wave.peaks) == 64 and wave.format == "png"


async def test_cache_hits_and_misses_in_metrics(make_kernel, media):
    """With telemetry on, the metadata cache's hits and misses are counters."""
    async with make_kernel(builtins=["media"], settings={"telemetry": {"exporter": "memory"}}) as k:
        for _ in range(3):
            await k.invoke("media.probe", {"path": str(media / "tone.wav")})
        metrics = k.telemetry.metrics()
        assert metrics["media.metadata_cache.misses"] == 1
        assert metrics["media.metadata_cache.hits"] == 2


async def test_filmstrip_too_wide_is_refused(make_kernel, media):
    async with make_kernel(builtins=["media"]) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("media.filmstrip", {"path": str(media / "clip.mp4"), "count": 200, "width": 160})
        assert e.value.code == "input.invalid" and "columns" in e.value.message
        ok = await k.invoke("media.filmstrip", {"path": str(media / "clip.mp4"), "count": 20, "width": 16,
                                                "columns": 5})
        assert (ok.columns, ok.rows) == (5, 4)


def fake_ffmpeg(path, *, encoders: str, fail_encode: bool = False):
    """A stand-in ffmpeg executable (a shell script) answering the listing flags; encodes fail if asked."""
    path.write_text(
        "#!/bin/sh\n"
        'case "$2" in\n'
        "  -version) echo 'ffmpeg version fake-1.0 Copyright (c) the fakers' ;;\n"
        f"  -encoders) printf 'Encoders:\\n ------\\n{encoders}' ;;\n"
        "  -decoders) printf 'Decoders:\\n ------\\n V....D h264 H.264\\n' ;;\n"
        "  -filters) printf 'Filters:\\n  ------\\n TS scale V->V Scale\\n' ;;\n"
        "  -hwaccels) printf 'Hardware acceleration methods:\\n\\n' ;;\n"
        + ("  *) echo 'Conversion failed: disk on fire' >&2; exit 1 ;;\n" if fail_encode else "")
        + "esac\n"
    )
    path.chmod(0o755)
    return str(path)


async def test_health_warns_without_libx264(make_kernel, tmp_path):
    exe = fake_ffmpeg(tmp_path / "ffmpeg", encoders=" V....D mpeg4 MPEG-4 part 2\\n")
    async with make_kernel(builtins=["media"], settings={"media": {"ffmpeg_path": exe}}) as k:
        check = (await k.health())["checks"]["media.ffmpeg"]
        assert check["state"] == "warn" and "libx264" in check["detail"] and "fake-1.0" in check["detail"]
        info = await k.invoke("media.ffmpeg_info")
        assert (info.source, info.encoders, info.decoders, info.filters, info.hwaccels) == (
            "settings", ["mpeg4"], ["h264"], ["scale"], [])


async def test_failed_proxy_reports_ffmpeg_and_leaves_nothing(make_kernel, media, tmp_path):
    """An encode that fails → media.ffmpeg_failed with FFmpeg's words; no partial file remains."""
    exe = fake_ffmpeg(tmp_path / "ffmpeg", encoders=" V....D libx264 H.264\\n", fail_encode=True)
    out_dir = tmp_path / "out"
    async with make_kernel(builtins=["media"], settings={"media": {"ffmpeg_path": exe}}) as k:
        with pytest.raises(KernelError) as e:
            await k.wait(await k.invoke("media.proxy", {"path": str(media / "clip.mp4"),
                                                        "output": str(out_dir / "p.mp4")}))
        assert e.value.code == "media.ffmpeg_failed" and "disk on fire" in e.value.message
    assert list(out_dir.iterdir()) == []


async def test_import_without_thumbnails(make_kernel, events, media):
    async with make_kernel(builtins=["media"]) as k:
        rec = events(k, "media.thumbnail.*")
        res = await k.wait(await k.invoke("media.import", {"paths": [str(media / "clip.mp4")], "thumbnails": False}))
        assert [f.thumbnail for f in res.files] == [None]
        assert rec.events == []
