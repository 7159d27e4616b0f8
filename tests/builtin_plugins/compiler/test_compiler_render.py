"""Renders checked by their effect on the output: frames, pixels, audio levels, events, files."""

from __future__ import annotations

import os

import numpy as np

from .conftest import H, W, audio_rms, clip, frame_at, near, project, video_facts, video_track

BUILTINS = ["media", "subtitles", "compiler"]


async def render(k, doc, out):
    ref = await k.invoke("compiler.render", {"project": doc, "output": str(out)})
    return await k.wait(ref)


async def test_cuts_transition_gap_and_frame_count(make_kernel, events, media, tmp_path):
    """Two clips with a fade, a gap, a third clip: right length, colours at known times, events, sidecar."""
    doc = project(
        video_track(clip(media["red"], 0, 2), clip(media["blue"], 1.5, 2, transition={"type": "fade", "duration": 0.5}),
                    clip(media["green"], 4, 1)),
        settings={"background": "#FFFFFF"},
    )
    out = tmp_path / "cut.mp4"
    async with make_kernel(builtins=BUILTINS) as k:
        rec = events(k, "compiler.*")
        res = await render(k, doc, out)
        await rec.wait_for("compiler.render.completed")
    frames, duration = video_facts(str(out))
    assert frames == 150 and abs(duration - 5.0) < 0.05
    assert near(frame_at(str(out), 1.0)[45, 80], (255, 0, 0))
    mid = frame_at(str(out), 1.75)[45, 80]  # halfway through the fade: red and blue mixed
    assert 80 < mid[0] < 180 and 80 < mid[2] < 180
    assert near(frame_at(str(out), 2.5)[45, 80], (0, 0, 255))
    assert near(frame_at(str(out), 3.75)[45, 80], (255, 255, 255), 12)  # the gap shows the background
    assert near(frame_at(str(out), 4.5)[45, 80], (0, 128, 0))
    assert res.frames == 150 and os.path.isfile(res.sidecar)
    stages = [e.stage for e in rec.of("compiler.render.stage_completed")]
    assert stages == ["validate", "probe", "plan", "encode", "finalize"]
    assert rec.of("compiler.render.progressed")[-1].fraction == 1.0
    assert [p for p in os.listdir(tmp_path) if "partial" in p] == []


async def test_audio_crossfade_volume_and_gap_silence(make_kernel, media, tmp_path):
    """Clip audio is placed on the timeline; gaps are silent; volume scales; fades ramp."""
    doc = project(video_track(clip(media["red"], 0, 2, fade_out=1), clip(media["blue"], 3, 2, volume=0.25)))
    out = tmp_path / "audio.mp4"
    async with make_kernel(builtins=BUILTINS) as k:
        await render(k, doc, out)
    full = audio_rms(str(out), 0.1, 0.9)
    fading = audio_rms(str(out), 1.6, 1.95)
    gap = audio_rms(str(out), 2.2, 2.8)
    quiet = audio_rms(str(out), 3.2, 4.8)
    assert full > 0.04  # lavfi's sine is 1/8 of full scale: ~0.062 RMS per channel after the stereo upmix
    assert fading < full * 0.5
    assert gap < 0.002
    assert abs(quiet / full - 0.25) < 0.06


async def test_ducking_lowers_music_under_dialogue(make_kernel, media, tmp_path):
    """A music bed ducked under the video track is quieter while the clip speaks, unchanged elsewhere."""
    music = {"id": "m", "kind": "audio", "clips": [clip(media["music"], 0, 4, volume=0.5)],
             "ducking": {"under": "v", "threshold": 0.02, "ratio": 20, "attack": 5, "release": 50}}
    video = video_track(clip(media["silent"], 0, 2), clip(media["red"], 2, 2))
    async with make_kernel(builtins=BUILTINS) as k:
        await render(k, project(video, {**music, "ducking": None}), tmp_path / "plain.mp4")
        await render(k, project(video, music), tmp_path / "ducked.mp4")
    plain_alone = audio_rms(str(tmp_path / "plain.mp4"), 0.3, 1.8)
    ducked_alone = audio_rms(str(tmp_path / "ducked.mp4"), 0.3, 1.8)
    plain_mixed = audio_rms(str(tmp_path / "plain.mp4"), 2.3, 3.8)
    ducked_mixed = audio_rms(str(tmp_path / "ducked.mp4"), 2.3, 3.8)
    assert abs(ducked_alone - plain_alone) / plain_alone < 0.1  # nothing to duck under: music unchanged
    # uncorrelated tones add in power: dialogue² = plain_mixed² − music²; what is left of the music when ducked:
    dialogue_sq = plain_mixed**2 - plain_alone**2
    music_under_dialogue = max(0.0, ducked_mixed**2 - dialogue_sq) ** 0.5
    assert music_under_dialogue < 0.5 * plain_alone


async def test_overlay_opacity_effect_and_title(make_kernel, media, tmp_path):
    """A half-transparent red over blue is purple; grayscale greys; a title changes the frame."""
    over = {"id": "o", "kind": "video", "clips": [{"type": "color", "color": "red", "start": 0, "duration": 1,
                                                    "opacity": 0.5}]}
    grey = {"id": "g", "kind": "video", "clips": [clip(media["green"], 1, 1, effects=[{"name": "grayscale"}])]}
    title = {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "TITLE", "start": 0, "duration": 2,
                                                   "size": 40, "color": "white"}]}
    base = video_track(clip(media["blue"], 0, 2))
    async with make_kernel(builtins=BUILTINS) as k:
        await render(k, project(base, over, grey), tmp_path / "a.mp4")
        await render(k, project(base, over, grey, title), tmp_path / "b.mp4")
    a0 = frame_at(str(tmp_path / "a.mp4"), 0.5)
    assert near(a0[10, 10], (128, 0, 128), 35)
    g = frame_at(str(tmp_path / "a.mp4"), 1.5)[10, 10].astype(int)
    assert max(g) - min(g) < 20 and 40 < g[0] < 120
    b0 = frame_at(str(tmp_path / "b.mp4"), 0.5)
    diff = np.abs(a0.astype(int) - b0.astype(int)).sum(axis=2) > 60
    assert diff[H // 2 - 20: H // 2 + 20, :].sum() > 100  # text pixels in the middle band
    assert diff[:10, :].sum() == 0  # nothing drawn at the top edge


async def test_transform_places_a_picture_in_picture(make_kernel, media, tmp_path):
    """A scaled, positioned still sits at its place; the rest shows the track below."""
    pip = {"id": "p", "kind": "video", "clips": [clip(media["still"], 0, 1, transform={"x": 0.75, "y": 0.25,
                                                                                        "scale": 0.4})]}
    out = tmp_path / "pip.mp4"
    async with make_kernel(builtins=BUILTINS) as k:
        await render(k, project(video_track(clip(media["blue"], 0, 1)), pip), out)
    f = frame_at(str(out), 0.5)
    assert near(f[int(H * 0.25), int(W * 0.75)], (255, 255, 0))
    assert near(f[int(H * 0.75), int(W * 0.25)], (0, 0, 255))


async def test_speed_changes_length_of_source_used(make_kernel, media, tmp_path):
    """At 2x a 1 s clip uses 2 s of source; the audio keeps its pitch (atempo)."""
    out = tmp_path / "fast.mp4"
    async with make_kernel(builtins=BUILTINS) as k:
        res = await render(k, project(video_track(clip(media["red"], 0, 1, speed=2))), out)
    assert res.frames == 30
    import av

    with av.open(str(out)) as c:
        data = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    spectrum = np.abs(np.fft.rfft(data[4800:40000]))
    peak = np.argmax(spectrum) * 48000 / len(data[4800:40000])
    assert abs(peak - 440) < 15


def _packets(path: str) -> list[tuple[int, bytes]]:
    import av

    with av.open(path) as c:
        return [(p.stream.index, bytes(p)) for p in c.demux() if p.size]


async def test_deterministic_mode_is_byte_identical(make_kernel, media, tmp_path):
    """Deterministic renders of the same project are byte-identical files (MKV, H.264 + FLAC)."""
    doc = project(video_track(clip(media["red"], 0, 1), clip(media["blue"], 0.5, 1, transition={"duration": 0.5})),
                  output={"deterministic": True, "audio_codec": "flac"})
    async with make_kernel(builtins=BUILTINS) as k:
        for n in range(3):
            await render(k, doc, tmp_path / f"{n}.mkv")
    first = (tmp_path / "0.mkv").read_bytes()
    assert all((tmp_path / f"{n}.mkv").read_bytes() == first for n in (1, 2))


async def test_deterministic_aac_streams_are_identical(make_kernel, media, tmp_path):
    """With AAC, every packet's bytes are identical between deterministic runs.

    (FFmpeg 9's AAC encoder can stamp its final flush packet differently between runs, so MP4+AAC files
    are not always byte-identical; see docs/project-format.md.)
    """
    doc = project(video_track(clip(media["red"], 0, 1), clip(media["blue"], 0.5, 1, transition={"duration": 0.5})),
                  output={"deterministic": True})
    async with make_kernel(builtins=BUILTINS) as k:
        await render(k, doc, tmp_path / "1.mp4")
        await render(k, doc, tmp_path / "2.mp4")
    assert _packets(str(tmp_path / "1.mp4")) == _packets(str(tmp_path / "2.mp4"))


async def test_other_outputs(make_kernel, media, tmp_path):
    """WebM/VP9, GIF and audio-only M4A come out in their formats."""
    import av

    doc = project(video_track(clip(media["red"], 0, 0.5)))
    async with make_kernel(builtins=BUILTINS) as k:
        for name in ("o.webm", "o.gif", "o.m4a"):
            await render(k, doc, tmp_path / name)
    with av.open(str(tmp_path / "o.webm")) as c:
        assert c.streams.video[0].codec_context.name == "vp9" and c.streams.audio[0].codec_context.name == "opus"
    with av.open(str(tmp_path / "o.gif")) as c:
        assert c.streams.video[0].codec_context.name == "gif"
    with av.open(str(tmp_path / "o.m4a")) as c:
        assert not c.streams.video and c.streams.audio[0].codec_context.name == "aac"


def _stalling_ffmpeg(tmp_path, real: str, stalls: int) -> str:
    """An FFmpeg that hangs (progress stuck at 0.1 s) on its first ``stalls`` renders, then is the real one."""
    counter = tmp_path / "renders"
    script = tmp_path / "ffmpeg"
    script.write_text(f"""#!/bin/sh
case "$*" in *-progress*)
  n=$(cat '{counter}' 2>/dev/null || echo 0); echo $((n + 1)) > '{counter}'
  if [ "$n" -lt {stalls} ]; then
    printf 'frame=1\\nout_time_us=100000\\nprogress=continue\\n'
    exec sleep 60
  fi;;
esac
exec '{real}' "$@"
""")
    script.chmod(0o755)
    return str(script)


async def test_a_render_that_stalls_is_retried_and_then_fails_with_its_code(make_kernel, media, tmp_path, ffmpeg_exe):
    """FFmpeg 9 deadlocks at random on some graphs: stalled encodes are killed and retried, twice by default."""
    from reelkit.kernel.errors import KernelError

    doc = project(video_track(clip(media["red"], 0, 1)))
    for stalls, ok in ((2, True), (3, False)):
        d = tmp_path / f"s{stalls}"
        d.mkdir()
        settings = {"compiler": {"ffmpeg_path": _stalling_ffmpeg(d, ffmpeg_exe, stalls), "stall_seconds": 1}}
        out = d / "out.mp4"
        async with make_kernel(builtins=BUILTINS, settings=settings) as k:
            if ok:
                res = await render(k, doc, out)
                assert res.frames == 30 and video_facts(str(out))[0] == 30
            else:
                try:
                    await render(k, doc, out)
                    raise AssertionError("a render that stalls three times must fail")
                except KernelError as e:
                    assert e.code == "compiler.render_stalled"
                assert not out.exists()
        assert (d / "renders").read_text().strip() == "3"  # two stalls and a success, or three stalls
        assert [p for p in os.listdir(d) if "partial" in p] == []
