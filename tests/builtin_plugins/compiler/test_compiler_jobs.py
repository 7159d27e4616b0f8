"""Progress, cancel, failure, previews, commands around the render, and the plugin hooks."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from reelkit.builtin_plugins.compiler.api import EffectSpec, Params, StageExtension
from reelkit.sdk import Field, JobCancelled, KernelError, PluginInfo, hookimpl

from .conftest import clip, frame_at, near, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]


def long_project(seconds: float = 120) -> dict:
    """Enough work that a render is still running when the test cancels it."""
    return project({"id": "v", "kind": "video", "clips": [
        {"type": "color", "color": "gray", "start": 0, "duration": seconds, "effects": [{"name": "noise"}]}]},
        output={"preset": "veryslow"}, settings={"width": 320, "height": 180})


def ffmpeg_children() -> list[int]:
    import psutil

    return [p.pid for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


async def test_progress_then_cancel_stops_ffmpeg_and_leaves_no_file(make_kernel, events, tmp_path):
    """Progress arrives within 2 s, at least every 0.5 s; cancel ends FFmpeg and leaves nothing behind."""
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "long.mp4"
    async with make_kernel(builtins=BUILTINS) as k:
        rec = events(k, "compiler.render.progressed")
        t0 = time.monotonic()
        ref = await k.invoke("compiler.render", {"project": long_project(), "output": str(out)})
        await rec.wait_for("compiler.render.progressed", count=4, timeout=15)
        first = rec.of("compiler.render.progressed")[0]
        assert time.monotonic() - t0 < 15
        await rec.wait_for("compiler.render.progressed", count=6, timeout=15)
        real = [e for e in rec.of("compiler.render.progressed") if e.frame > 0]
        assert real and 0 < real[-1].fraction < 1 and real[-1].eta is not None
        assert real[-1].out_time > real[0].out_time
        assert ffmpeg_children()
        t1 = time.monotonic()
        k.jobs.cancel(ref.job_id)
        info = await k.jobs.wait(ref.job_id, timeout=5)
        while ffmpeg_children() and time.monotonic() - t1 < 2:
            await asyncio.sleep(0.02)
        gone_after = time.monotonic() - t1
    assert info.state.value == "cancelled"
    assert gone_after < 1.0
    assert os.listdir(tmp_path / "out") == []  # neither the output nor a partial file
    assert first.fraction == 0.0


async def test_ffmpeg_failure_reports_its_last_lines(make_kernel, media, tmp_path):
    """When FFmpeg fails, the job's error carries FFmpeg's own message and no file is left."""
    (tmp_path / "out").mkdir()
    lut = tmp_path / "out" / "broken.cube"
    lut.write_text("this is not a LUT\n")
    doc = project(video_track(clip(media["red"], 0, 1, effects=[{"name": "lut3d", "params": {"file": str(lut)}}])))
    out = tmp_path / "out" / "fail.mp4"
    async with make_kernel(builtins=BUILTINS) as k:
        ref = await k.invoke("compiler.render", {"project": doc, "output": str(out)})
        with pytest.raises(KernelError) as e:
            await k.wait(ref)
    assert e.value.code == "compiler.render_failed"
    assert "FFmpeg exited" in e.value.message and len(e.value.message.splitlines()) > 1
    assert sorted(os.listdir(tmp_path / "out")) == ["broken.cube"]


async def test_invalid_project_fails_the_job_with_problems(make_kernel, tmp_path):
    async with make_kernel(builtins=BUILTINS) as k:
        ref = await k.invoke("compiler.render", {"project": project(video_track(clip("/nope.mp4", 0, 1))),
                                                 "output": str(tmp_path / "x.mp4")})
        with pytest.raises(KernelError) as e:
            await k.wait(ref)
    assert e.value.code == "compiler.project_invalid"
    assert e.value.details["problems"][0]["path"] == "tracks[0].clips[0].source"


async def test_preview_frame_is_composed_and_cached(make_kernel, media):
    """A preview frame shows the composition at its time; asking again is served from the cache."""
    doc = project(video_track(clip(media["red"], 0, 1), clip(media["green"], 1, 1)))
    async with make_kernel(builtins=BUILTINS) as k:
        a = await k.invoke("compiler.preview_frame", {"project": doc, "time": 1.5, "height": 90})
        b = await k.invoke("compiler.preview_frame", {"project": doc, "time": 1.5, "height": 90})
        c = await k.invoke("compiler.preview_frame", {"project": doc, "time": 0.5, "height": 90})
    assert not a.cached and b.cached and a.path == b.path and c.path != a.path
    from PIL import Image

    assert near(Image.open(a.path).convert("RGB").getpixel((80, 45)), (0, 128, 0))
    assert near(Image.open(c.path).convert("RGB").getpixel((80, 45)), (255, 0, 0))


async def test_preview_frame_seeks_and_matches_the_render(make_kernel, media, tmp_path):
    """Late in a long clip and in the middle of a transition, the preview equals the rendered frame."""
    import numpy as np
    from PIL import Image

    doc = project(video_track(clip(media["counter"], 0, 12, source_in=3), clip(media["red"], 11, 2,
                                                                               transition={"duration": 1})),
                  {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "T", "start": 10, "duration": 3}]})
    async with make_kernel(builtins=BUILTINS) as k:
        full = await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(tmp_path / "f.mp4")}))
        for t in (9.5, 11.5):
            t0 = time.perf_counter()
            p = await k.invoke("compiler.preview_frame", {"project": doc, "time": t, "height": 90})
            took = time.perf_counter() - t0
            img = np.asarray(Image.open(p.path).convert("RGB")).astype(int)
            ref = frame_at(full.output, t).astype(int)
            assert np.abs(img - ref).mean() < 6, t
            assert took < 5
        part = await k.wait(await k.invoke("compiler.preview_render", {
            "project": doc, "output": str(tmp_path / "part.mp4"), "start": 9, "end": 12, "height": 90}))
    for t in (0.5, 2.5):  # 9.5 s and 11.5 s of the timeline
        diff = np.abs(frame_at(part.output, t).astype(int) - frame_at(full.output, 9 + t).astype(int)).mean()
        assert diff < 8, t


async def test_preview_render_is_small_and_ranged(make_kernel, media, tmp_path):
    doc = project(video_track(clip(media["red"], 0, 2), clip(media["blue"], 2, 2)), settings={"width": 640,
                                                                                              "height": 360})
    async with make_kernel(builtins=BUILTINS) as k:
        ref = await k.invoke("compiler.preview_render", {"project": doc, "output": str(tmp_path / "p.mp4"),
                                                         "start": 1.5, "end": 3, "height": 90})
        res = await k.wait(ref)
    import av

    with av.open(res.output) as c:
        assert c.streams.video[0].codec_context.height == 90
        assert abs(c.duration / 1e6 - 1.5) < 0.1
    assert near(frame_at(res.output, 1.0)[45, 80], (0, 0, 255))


async def test_build_command_uses_a_graph_file_for_long_graphs(make_kernel, media):
    """A 50-cut project passes its graph through -/filter_complex (planning speed is bench_compiler's)."""
    clips = [clip(media[["red", "blue", "green"][i % 3]], i * 0.2, 0.2) for i in range(50)]
    async with make_kernel(builtins=BUILTINS) as k:
        small = await k.invoke("compiler.build_command", {"project": project(video_track(clips[0]))})
        big = await k.invoke("compiler.build_command", {"project": project(video_track(*clips))})
    assert not small.graph_file_used and "-filter_complex" in small.args
    assert big.graph_file_used and "-/filter_complex" in big.args


async def test_subtitles_are_burned_in(make_kernel, media, tmp_path):
    """A subtitle track changes the bottom of the frame while its cue is shown."""
    subs = {"id": "s", "kind": "subtitle", "source": media["srt"], "style": {"size": 30}}
    base = video_track(clip(media["blue"], 0, 2))
    async with make_kernel(builtins=BUILTINS) as k:
        await k.wait(await k.invoke("compiler.render", {"project": project(base), "output": str(tmp_path / "a.mp4")}))
        await k.wait(await k.invoke("compiler.render", {"project": project(base, subs),
                                                        "output": str(tmp_path / "b.mp4")}))
    import numpy as np

    a, b = frame_at(str(tmp_path / "a.mp4"), 1.0), frame_at(str(tmp_path / "b.mp4"), 1.0)
    diff = np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 60
    assert diff[45:, :].sum() > 50 and diff[:30, :].sum() == 0


async def test_subtitles_without_the_subtitles_plugin_say_so(make_kernel, media, tmp_path):
    subs = {"id": "s", "kind": "subtitle", "source": media["srt"]}
    async with make_kernel(builtins=["media", "compiler"]) as k:
        ref = await k.invoke("compiler.render", {"project": project(video_track(clip(media["blue"], 0, 1)), subs),
                                                 "output": str(tmp_path / "x.mp4")})
        with pytest.raises(KernelError) as e:
            await k.wait(ref)
    assert e.value.code == "compiler.subtitles_unavailable" and "subtitles plugin" in e.value.message


class Invert(Params):
    strength: float = Field(1.0, ge=0, le=1, description="unused")


class ExtraEffects:
    """A third-party plugin that adds an effect and wraps the plan stage."""

    def __init__(self) -> None:
        self.wrapped: list[str] = []

    @hookimpl
    def reelkit_plugin_info(self):
        return PluginInfo(name="extra_fx", version="0.1", requires=["compiler"])

    @hookimpl
    def reelkit_compiler_effects(self):
        return [EffectSpec("negative", "Invert colours", Invert, lambda s, p, c: s.filter("negate"))]

    @hookimpl
    def reelkit_compiler_stages(self):
        async def around_plan(state, inner):
            self.wrapped.append("before")
            await inner(state)
            self.wrapped.append(state.plan.command.args[0])

        return [StageExtension("plan", around_plan, when="wrap")]


async def test_plugins_add_effects_and_wrap_stages(make_kernel, media, tmp_path):
    plugin = ExtraEffects()
    doc = project(video_track(clip(media["red"], 0, 0.5, effects=[{"name": "negative"}])))
    async with make_kernel(builtins=BUILTINS, plugins=[plugin]) as k:
        names = [e.name for e in (await k.invoke("compiler.effects", {})).effects]
        res = await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(tmp_path / "n.mp4")}))
    assert "negative" in names and len(names) >= 21
    assert near(frame_at(res.output, 0.2)[45, 80], (0, 255, 255))
    assert plugin.wrapped[0] == "before" and "ffmpeg" in plugin.wrapped[1]


async def test_encoders_report_and_cache(make_kernel):
    async with make_kernel(builtins=BUILTINS) as k:
        r = await k.invoke("compiler.encoders", {})
        t0 = time.perf_counter()
        await k.invoke("compiler.encoders", {})
        again = time.perf_counter() - t0
    sw = {e.name: e.works for e in r.encoders if not e.hardware}
    assert sw["libx264"] and sw["libvpx-vp9"]
    for e in r.encoders:
        if e.hardware and not e.works:
            assert e.error
    assert r.auto["h264"] in ("libx264", *[e.name for e in r.encoders if e.hardware and e.works])
    assert again < 1.0


def test_job_cancelled_is_the_kernel_error():
    assert issubclass(JobCancelled, KernelError)


async def test_health_reports_filters_and_queue(make_kernel):
    async with make_kernel(builtins=BUILTINS) as k:
        h = await k.health()
    check = h["checks"]["compiler.ffmpeg_filters"]
    assert check["state"] == "ok" and "renders running 0, queued 0" in check["detail"]
