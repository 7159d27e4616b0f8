"""More features by their effect: fit modes, crop, loudness, soft subtitles, codecs, the queue, spans."""

from __future__ import annotations

import asyncio
import re
import subprocess

import av

from .conftest import clip, frame_at, near, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]


async def render(k, doc, out):
    return await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(out)}))


async def test_fit_contain_cover_fill_and_crop(make_kernel, media, tmp_path):
    """A square picture on a 16:9 canvas: contain letterboxes, cover and fill cover; crop cuts a side away."""
    outs = {}
    async with make_kernel(builtins=BUILTINS) as k:
        for fit in ("contain", "cover", "fill"):
            doc = project(video_track(clip(media["square"], 0, 0.5, transform={"fit": fit})),
                          settings={"background": "#0000FF"})
            outs[fit] = frame_at(str((await render(k, doc, tmp_path / f"{fit}.mp4")).output), 0.2)
        half = {"crop": {"left": 0.5}, "fit": "fill"}
        over = video_track(clip(media["red"], 0, 0.5), clip(media["blue"], 0.5, 0.5))
        doc = project(over, {"id": "c", "kind": "video", "clips": [
            clip(media["square"], 0, 1, transform={**half, "scale": 0.5, "x": 0.25, "y": 0.5})]})
        cropped = frame_at(str((await render(k, doc, tmp_path / "crop.mp4")).output), 0.2)
    assert near(outs["contain"][45, 5], (0, 0, 255)) and near(outs["contain"][45, 80], (255, 0, 255))
    assert near(outs["cover"][45, 5], (255, 0, 255)) and near(outs["fill"][45, 5], (255, 0, 255))
    assert near(cropped[45, 40], (255, 0, 255)) and near(cropped[45, 120], (255, 0, 0))


def integrated_lufs(exe: str, path: str) -> float:
    r = subprocess.run([exe, "-hide_banner", "-nostats", "-i", path, "-af", "ebur128", "-f", "null", "-"],
                       capture_output=True, text=True)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", r.stderr)[-1])


async def test_loudness_target_is_met(make_kernel, media, tmp_path, ffmpeg_exe):
    """loudnorm brings a quiet mix to the target loudness (EBU R128)."""
    music = {"id": "m", "kind": "audio", "clips": [clip(media["music"], 0, 6, volume=0.2)]}
    base = video_track({"type": "color", "color": "black", "start": 0, "duration": 6})
    async with make_kernel(builtins=BUILTINS) as k:
        plain = await render(k, project(base, music), tmp_path / "plain.mp4")
        loud = await render(k, project(base, music, output={"loudness": {"integrated": -14}}), tmp_path / "loud.mp4")
    before, after = integrated_lufs(ffmpeg_exe, plain.output), integrated_lufs(ffmpeg_exe, loud.output)
    assert before < -25
    assert abs(after - -14) < 2.5


async def test_soft_subtitles_become_a_stream(make_kernel, media, tmp_path):
    subs = {"id": "s", "kind": "subtitle", "source": media["srt"], "mode": "soft", "language": "eng"}
    async with make_kernel(builtins=BUILTINS) as k:
        mkv = await render(k, project(video_track(clip(media["blue"], 0, 2)), subs), tmp_path / "soft.mkv")
        mp4 = await render(k, project(video_track(clip(media["blue"], 0, 2)), subs), tmp_path / "soft.mp4")
    with av.open(mkv.output) as c:
        assert [s.type for s in c.streams] == ["video", "audio", "subtitle"]
    with av.open(mp4.output) as c:
        assert c.streams.subtitles[0].codec_context.name == "mov_text"
    assert near(frame_at(mkv.output, 1.0)[80, 80], (0, 0, 255))  # not burned in


async def test_codecs(make_kernel, media, tmp_path):
    """H.265 in MKV, AV1 in MP4, ProRes in MOV, VP9 by bit rate."""
    expect = {"h265.mkv": ("h265", "hevc"), "av1.mp4": ("av1", "av1"), "prores.mov": ("prores", "prores"),
              "vp9.webm": ("vp9", "vp9")}
    async with make_kernel(builtins=BUILTINS) as k:
        for name, (codec, _) in expect.items():
            output = {"video_codec": codec, **({"bitrate": "300k"} if codec == "vp9" else {})}
            await render(k, project(video_track(clip(media["green"], 0, 0.4)), output=output), tmp_path / name)
    for name, (_, decoded) in expect.items():
        with av.open(str(tmp_path / name)) as c:
            assert c.streams.video[0].codec_context.codec.id == av.codec.Codec(decoded, "r").id, name
        assert near(frame_at(str(tmp_path / name), 0.2)[45, 80], (0, 128, 0), 40), name


async def test_render_queue_runs_one_at_a_time(make_kernel, media, tmp_path):
    """With the default limit of 1, a second render waits queued while the first runs."""
    doc = project(video_track({"type": "color", "color": "gray", "start": 0, "duration": 20,
                               "effects": [{"name": "noise"}]}), output={"preset": "veryslow"})
    async with make_kernel(builtins=BUILTINS) as k:
        a = await k.invoke("compiler.render", {"project": doc, "output": str(tmp_path / "a.mp4")})
        b = await k.invoke("compiler.render", {"project": doc, "output": str(tmp_path / "b.mp4")})
        for _ in range(200):
            if k.jobs.get(a.job_id).state.value == "running":
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert k.jobs.get(a.job_id).state.value == "running"
        assert k.jobs.get(b.job_id).state.value == "queued"
        k.jobs.cancel(a.job_id)
        k.jobs.cancel(b.job_id)
        await k.jobs.wait(a.job_id, timeout=10)
        await k.jobs.wait(b.job_id, timeout=10)


async def test_each_stage_is_a_span(make_kernel, media, tmp_path):
    async with make_kernel(builtins=BUILTINS, settings={"telemetry": {"exporter": "memory"}}) as k:
        await render(k, project(video_track(clip(media["red"], 0, 0.3))), tmp_path / "s.mp4")
        names = [s.name for s in k.telemetry.span_exporter.get_finished_spans()]
    for stage in ("validate", "probe", "plan", "encode", "finalize"):
        assert f"compiler.stage.{stage}" in names


async def test_project_files_resolve_relative_paths(make_kernel, media, tmp_path):
    """Sources in a project file are relative to the file's folder."""
    import json
    import os
    import shutil

    folder = tmp_path / "proj"
    (folder / "media").mkdir(parents=True)
    shutil.copy(media["green"], folder / "media" / "g.mp4")
    (folder / "p.json").write_text(json.dumps(project(video_track(clip("media/g.mp4", 0, 0.5)))))
    cwd = os.getcwd()
    os.chdir(tmp_path)  # somewhere else: the file's folder must be what counts
    try:
        async with make_kernel(builtins=BUILTINS) as k:
            res = await render(k, str(folder / "p.json"), tmp_path / "rel.mp4")
    finally:
        os.chdir(cwd)
    assert near(frame_at(res.output, 0.2)[45, 80], (0, 128, 0))


async def test_bad_outputs_are_refused_before_rendering(make_kernel, media, tmp_path):
    import pytest
    from reelkit.sdk import KernelError

    doc = project(video_track(clip(media["red"], 0, 0.5)))
    async with make_kernel(builtins=BUILTINS) as k:
        for output, code in ((tmp_path / "missing" / "x.mp4", "compiler.output_invalid"),
                             (media["red"], "compiler.output_invalid")):
            with pytest.raises(KernelError) as e:
                await render(k, doc, output)
            assert e.value.code == code
        (tmp_path / "exists.mp4").write_bytes(b"keep")
        with pytest.raises(KernelError) as e:  # refused when the call is validated, before any job runs
            await k.invoke("compiler.render", {"project": doc, "output": str(tmp_path / "exists.mp4"),
                                               "overwrite": False})
    assert e.value.code == "compiler.output_exists"
    assert (tmp_path / "exists.mp4").read_bytes() == b"keep"


async def test_audio_only_projects(make_kernel, media, tmp_path):
    """An audio-only timeline renders to M4A, or to MP4 over the background colour."""
    music = {"id": "m", "kind": "audio", "clips": [clip(media["music"], 0.5, 1.5)]}
    doc = project(music, settings={"background": "#00FF00"})
    async with make_kernel(builtins=BUILTINS) as k:
        m4a = await render(k, doc, tmp_path / "a.m4a")
        mp4 = await render(k, doc, tmp_path / "a.mp4")
    with av.open(m4a.output) as c:
        assert not c.streams.video and abs(c.duration / 1e6 - 2.0) < 0.1
    assert near(frame_at(mp4.output, 1.0)[45, 80], (0, 255, 0))
    from .conftest import audio_rms

    assert audio_rms(mp4.output, 0.0, 0.4) < 0.002 < audio_rms(mp4.output, 0.7, 1.8)


async def test_chroma_key_fade_effect_and_speed_effect(make_kernel, media, tmp_path):
    """Keyed green shows the track below; the fade effect darkens the start; a speed effect doubles speed."""
    keyed = {"id": "k", "kind": "video", "clips": [clip(media["green"], 0, 1, effects=[
        {"name": "chroma_key", "params": {"color": "#008000", "similarity": 0.2}}])]}
    faded = video_track(clip(media["red"], 0, 1, effects=[{"name": "fade", "params": {"duration": 1, "color": "black"}}]))
    async with make_kernel(builtins=BUILTINS) as k:
        a = await render(k, project(video_track(clip(media["blue"], 0, 1)), keyed), tmp_path / "key.mp4")
        b = await render(k, project(faded), tmp_path / "fade.mp4")
        c = await render(k, project(video_track(clip(media["counter"], 0, 1, effects=[
            {"name": "speed", "params": {"factor": 2}}]))), tmp_path / "speed.mp4")
        ref = await render(k, project(video_track(clip(media["counter"], 0, 2))), tmp_path / "ref.mp4")
    assert near(frame_at(a.output, 0.5)[45, 80], (0, 0, 255))
    early, late = frame_at(b.output, 0.1)[45, 80], frame_at(b.output, 0.9)[45, 80]
    assert early[0] < 60 < 200 < late[0]
    import numpy as np

    fast, normal = frame_at(c.output, 0.5).astype(int), frame_at(ref.output, 1.0).astype(int)
    assert c.frames == 30 and np.abs(fast - normal).mean() < 6  # 0.5 s at 2x shows the source at 1.0 s
