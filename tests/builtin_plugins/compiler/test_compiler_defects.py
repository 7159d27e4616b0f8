"""Defects found by measuring rendered files, each checked by its effect on the output."""

from __future__ import annotations

import av
import numpy as np
import pytest

from reelkit.sdk import KernelError

from .conftest import audio_rms, clip, frame_at, project, video_track
from .test_compiler_features import integrated_lufs

BUILTINS = ["media", "subtitles", "compiler"]


async def render(k, doc, out):
    return await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(out)}))


def _ducked(media, **output):
    voice = {"id": "voice", "kind": "audio", "clips": [clip(media["red"], 0, 2)]}  # a 440 Hz tone, 0-2 s
    music = {"id": "music", "kind": "audio", "ducking": {"under": "voice"}, "clips": [clip(media["music"], 0, 6)]}
    base = video_track({"type": "color", "color": "black", "start": 0, "duration": 6})
    return project(base, voice, music, output=output)


async def test_ducking_restores_the_music_after_the_dialogue(make_kernel, media, tmp_path):
    """The music is lowered under the voice and comes back to its own level once the voice has ended
    (it went digitally silent there: the sidechain key was not padded)."""
    async with make_kernel(builtins=BUILTINS) as k:
        ducked = await render(k, _ducked(media), tmp_path / "ducked.mp4")
        alone = await render(k, project(video_track({"type": "color", "color": "black", "start": 0, "duration": 6}),
                                        {"id": "m", "kind": "audio", "clips": [clip(media["music"], 0, 6)]}),
                             tmp_path / "alone.mp4")
    after, reference = audio_rms(ducked.output, 3.5, 5.5), audio_rms(alone.output, 3.5, 5.5)
    assert after > 0.5 * reference, (after, reference)  # back to its level (it was -91 dB)
    assert 20 * np.log10(after / reference) > -1.5


async def test_loudness_on_a_ducked_mix_meets_the_target(make_kernel, media, tmp_path, ffmpeg_exe):
    async with make_kernel(builtins=BUILTINS) as k:
        out = await render(k, _ducked(media, loudness={"integrated": -16}), tmp_path / "loud.mp4")
    assert abs(integrated_lufs(ffmpeg_exe, out.output) - -16) <= 0.5


@pytest.mark.parametrize("ext,lang,stored", [("mp4", "eng", "eng"), ("mkv", "fr", "fre"), ("webm", "de", "ger")])
async def test_soft_subtitles_carry_their_language(make_kernel, media, tmp_path, ext, lang, stored):
    subs = {"id": "s", "kind": "subtitle", "source": media["srt"], "mode": "soft", "language": lang}
    async with make_kernel(builtins=BUILTINS) as k:
        out = await render(k, project(video_track(clip(media["blue"], 0, 1)), subs), tmp_path / f"soft.{ext}")
    with av.open(out.output) as c:
        assert c.streams.subtitles[0].language == stored


async def test_an_unknown_two_letter_language_is_refused(make_kernel, media, tmp_path):
    subs = {"id": "s", "kind": "subtitle", "source": media["srt"], "mode": "soft", "language": "qq"}
    async with make_kernel(builtins=BUILTINS) as k:
        r = await k.invoke("compiler.validate", {"project": project(video_track(clip(media["blue"], 0, 1)), subs)})
    assert [p.path for p in r.problems] == ["tracks[1].language"]


async def test_color_balance_moves_midtones_shadows_and_highlights(make_kernel, media, tmp_path):
    """A mid grey turns red with a midtone shift; dark and bright greys follow shadows and highlights."""
    def grey(level, **params):
        return project(video_track({"type": "color", "color": f"#{level:02x}{level:02x}{level:02x}", "start": 0,
                                    "duration": 0.3, "effects": [{"name": "color_balance", "params": params}]}))

    async with make_kernel(builtins=BUILTINS) as k:
        mid = frame_at((await render(k, grey(128, red=0.5), tmp_path / "m.mp4")).output, 0.1)[45, 80]
        dark = frame_at((await render(k, grey(40, shadows={"blue": 0.5}), tmp_path / "s.mp4")).output, 0.1)[45, 80]
        light = frame_at((await render(k, grey(215, highlights={"green": -0.5}), tmp_path / "h.mp4")).output,
                         0.1)[45, 80]
    assert mid[0] > 128 + 40 and abs(int(mid[1]) - 128) < 25, mid
    assert dark[2] > 40 + 40, dark
    assert light[1] < 215 - 40, light


async def test_bad_outputs_are_refused_with_codes(make_kernel, media, tmp_path):
    doc = project(video_track(clip(media["blue"], 0, 0.5)))
    async with make_kernel(builtins=BUILTINS) as k:
        for output, path, code in (({"encoder": "no_such_encoder"}, "a.mp4", "compiler.encoder_unknown"),
                                   ({"encoder": "libvpx-vp9"}, "a.mp4", "compiler.encoder_unknown"),
                                   ({}, "a.xyz", "compiler.output_invalid")):
            with pytest.raises(KernelError) as e:
                await render(k, {**doc, "output": {**doc["output"], **output}}, tmp_path / path)
            assert e.value.code == code, e.value
            assert not list(tmp_path.glob("*a.*"))
        text = {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "x", "start": 0, "duration": 0.5,
                                                      "font": str(tmp_path / "missing.ttf")}]}
        with pytest.raises(KernelError) as e:
            await render(k, project(video_track(clip(media["blue"], 0, 0.5)), text), tmp_path / "f.mp4")
    assert e.value.code == "compiler.project_invalid"
    assert e.value.details["problems"][0]["path"] == "tracks[1].clips[0].font"


async def test_progress_reports_real_fps_and_frames_in_step(make_kernel, media, tmp_path):
    """fps was always 0.0 and frame lagged out_time by ~100 frames."""
    seen = []
    doc = project(video_track(clip(media["counter"], 0, 8)), settings={"width": 640, "height": 360},
                  output={"preset": "medium"})
    async with make_kernel(builtins=BUILTINS) as k:
        k.bus.subscribe("compiler.render.progressed", lambda e: seen.append(e))
        await render(k, doc, tmp_path / "p.mp4")
    mid = [e for e in seen if e.frame > 0 and e.fraction < 1]
    assert mid, "no progress event during the encode"
    assert all(e.fps > 0 for e in mid)
    assert all(abs(e.out_time * 30 - e.frame) <= 2 for e in mid), [(e.frame, e.out_time) for e in mid]
