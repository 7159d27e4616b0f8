"""Keyframes by their effect: positions along a path, opacity and volume curves, scale, rotation,
effect parameters, speed ramps; and the curve maths against its FFmpeg expression."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from reelkit.builtin_plugins.compiler.keyframes import Keyframe, expression, value_at

from .conftest import audio_rms, clip, frame_at, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]
W, H = 320, 180


async def render(k, doc, out):
    return await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(out)}))


def kf(*points, easing="linear"):
    return [{"time": t, "value": v, "easing": easing} for t, v in points]


def doc(*tracks, **kw):
    return project(*tracks, settings={"width": W, "height": H, **kw.pop("settings", {})}, **kw)


def black(duration=2.0):
    return video_track({"type": "color", "color": "black", "start": 0, "duration": duration}, id="bg")


def centroid(frame, rgb=(255, 0, 255), tol=60):
    mask = np.all(np.abs(frame.astype(int) - rgb) <= tol, axis=-1)
    ys, xs = np.nonzero(mask)
    assert len(xs), "the clip is not in the frame"
    return xs.mean(), ys.mean(), len(xs)


@pytest.mark.parametrize("easing", ["linear", "ease-in", "ease-out", "ease-in-out", "hold"])
def test_expression_matches_the_curve(ffmpeg_exe, easing):
    """FFmpeg evaluates the generated expression to the values value_at computes."""
    frames = [Keyframe(time=0, value=10, easing=easing), Keyframe(time=1, value=30, easing="cubic-bezier",
                                                                 bezier=[0.3, 0, 0.2, 1]), Keyframe(time=2, value=5)]
    times = [0, 0.25, 0.5, 0.9, 1.0, 1.3, 1.7, 2.0, 3.0]
    # volume=eval=frame evaluates the expression per audio frame: read it back through a DC signal
    got = []
    for t in times:
        e = expression(frames, f"({t})")
        r = subprocess.run([ffmpeg_exe, "-v", "error", "-f", "lavfi", "-i", "aevalsrc=1:d=0.01:s=8000",
                            "-af", f"volume=volume='{e}':eval=frame", "-f", "f32le", "-"], capture_output=True)
        got.append(float(np.frombuffer(r.stdout, np.float32)[0]))
    want = [value_at(frames, t) for t in times]
    assert np.allclose(got, want, atol=0.08), (got, want)


async def test_position_follows_a_keyframed_path(make_kernel, media, tmp_path):
    """A small square moves along x (linear) and y (ease-in) through three keyframes."""
    square = clip(media["square"], 0, 2, transform={"scale": 0.25, "x": kf((0, 0.2), (1, 0.8), (2, 0.5)),
                                                    "y": kf((0, 0.3), (2, 0.7), easing="ease-in")})
    async with make_kernel(builtins=BUILTINS) as k:
        out = (await render(k, doc(black(), video_track(square)), tmp_path / "path.mp4")).output
    for t in (0.0, 0.5, 1.0, 1.5):
        x, y, _ = centroid(frame_at(out, t))
        ex = W * value_at([Keyframe(time=0, value=0.2), Keyframe(time=1, value=0.8), Keyframe(time=2, value=0.5)], t)
        ey = H * (0.3 + 0.4 * (t / 2) ** 2)
        assert abs(x - ex) <= 3 and abs(y - ey) <= 3, (t, x, ex, y, ey)


async def test_scale_and_rotation_keyframes(make_kernel, media, tmp_path):
    grow = clip(media["square"], 0, 2, transform={"scale": kf((0, 0.2), (2, 0.6))})
    spin = clip(media["square"], 0, 2, transform={"scale": 0.5, "rotation": kf((0, 0), (2, 90))})
    async with make_kernel(builtins=BUILTINS) as k:
        g = (await render(k, doc(black(), video_track(grow)), tmp_path / "grow.mp4")).output
        r = (await render(k, doc(black(), video_track(spin)), tmp_path / "spin.mp4")).output
    areas = [centroid(frame_at(g, t))[2] for t in (0, 1, 1.9)]
    side = [H * (0.2 + 0.4 * t / 2) for t in (0, 1, 1.9)]
    for area, s in zip(areas, side):
        assert abs(area - s * s) / (s * s) < 0.15, (areas, side)
    # at 45 degrees the square stands on a corner: its bounding box is sqrt(2) times its side
    f = frame_at(r, 1.0)
    mask = np.all(np.abs(f.astype(int) - (255, 0, 255)) <= 60, axis=-1)
    ys, xs = np.nonzero(mask)
    assert xs.max() - xs.min() > 1.3 * 90, xs.max() - xs.min()  # the square is 90 px (half the height)
    upright = np.nonzero(np.all(np.abs(frame_at(r, 0).astype(int) - (255, 0, 255)) <= 60, axis=-1))[1]
    assert upright.max() - upright.min() < 95


async def test_opacity_follows_its_curve(make_kernel, media, tmp_path):
    """White over black: linear 0→1 gives ~128 at the middle, ease-in ~64."""
    outs = {}
    async with make_kernel(builtins=BUILTINS) as k:
        for easing in ("linear", "ease-in"):
            white = {"type": "color", "color": "white", "start": 0, "duration": 2,
                     "opacity": kf((0, 0), (2, 1), easing=easing)}
            outs[easing] = (await render(k, doc(black(), video_track(white)), tmp_path / f"{easing}.mp4")).output
    for easing, out in outs.items():
        for t in (0.0, 1.0, 1.5):
            want = 255 * value_at([Keyframe(time=0, value=0, easing=easing), Keyframe(time=2, value=1)], t)
            got = frame_at(out, t)[90, 160].mean()
            assert abs(got - want) < 14, (easing, t, got, want)


async def test_volume_follows_its_curve(make_kernel, media, tmp_path):
    tone = {"id": "a", "kind": "audio", "clips": [clip(media["music"], 0, 4, volume=kf((0, 1), (2, 1), (4, 0.25)))]}
    flat = {"id": "a", "kind": "audio", "clips": [clip(media["music"], 0, 4)]}
    async with make_kernel(builtins=BUILTINS) as k:
        ramp = (await render(k, doc(black(4), tone), tmp_path / "v.mp4")).output
        ref = (await render(k, doc(black(4), flat), tmp_path / "r.mp4")).output
    for a, b in ((0.5, 1.5), (2.9, 3.1), (3.7, 3.9)):
        want = value_at([Keyframe(time=0, value=1), Keyframe(time=2, value=1), Keyframe(time=4, value=0.25)],
                        (a + b) / 2)
        got = audio_rms(ramp, a, b) / audio_rms(ref, a, b)
        assert abs(got - want) < 0.06, (a, b, got, want)


async def test_a_keyframed_effect_parameter(make_kernel, media, tmp_path):
    grey = {"type": "color", "color": "#404040", "start": 0, "duration": 2,
            "effects": [{"name": "brightness", "params": {"value": kf((0, 0), (2, 0.4))}}]}
    async with make_kernel(builtins=BUILTINS) as k:
        out = (await render(k, doc(video_track(grey)), tmp_path / "b.mp4")).output
        bad = await k.invoke("compiler.validate", {"project": doc(video_track(
            {**grey, "effects": [{"name": "pixelate", "params": {"block": kf((0, 2), (1, 8))}}]}))})
    levels = [frame_at(out, t)[90, 160].mean() for t in (0, 1, 1.9)]
    assert levels[0] < levels[1] - 15 < levels[2] - 30, levels
    assert bad.problems[0].path == "tracks[0].clips[0].effects[0].params.block"


def _index_of(frame, reference_frames):
    errs = [np.mean((frame.astype(int) - r.astype(int)) ** 2) for r in reference_frames]
    return int(np.argmin(errs))


def _frames(path):
    import av

    with av.open(path) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


async def test_speed_ramp_advances_the_source_by_the_integral(make_kernel, media, tmp_path):
    """Speed 1 → 3 over 2 s: the source advances 4 s; at 1 s of the clip it is 1.5 s in (±1 frame)."""
    ramp = clip(media["counter"], 0, 2, speed=kf((0, 1), (2, 3)))
    async with make_kernel(builtins=BUILTINS) as k:
        res = await render(k, project(video_track(ramp)), tmp_path / "ramp.mp4")
        src = await render(k, project(video_track(clip(media["counter"], 0, 5))), tmp_path / "src.mp4")
    assert abs(res.duration - 2) < 0.05
    ref, got = _frames(src.output), _frames(res.output)
    for t, source_t in ((0.5, 0.625), (1.0, 1.5), (1.5, 2.625)):
        want = round(source_t * 30)
        assert abs(_index_of(got[round(t * 30)], ref) - want) <= 1, (t, want)


async def test_keyframed_crop_and_text_position(make_kernel, media, tmp_path):
    """A crop whose left side goes 0 → 0.5 hides ever more of the clip; a title moves along x."""
    white = {"type": "color", "color": "white", "start": 0, "duration": 2,
             "transform": {"crop": {"left": kf((0, 0), (2, 0.5))}}}
    moving = {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "I", "start": 0, "duration": 2, "size": 40,
                                                    "position": "custom", "transform": {"x": kf((0, 0.2), (2, 0.8))}}]}
    async with make_kernel(builtins=BUILTINS) as k:
        out = (await render(k, doc(black(), video_track(white)), tmp_path / "crop.mp4")).output
        txt = (await render(k, doc(black(), moving), tmp_path / "txt.mp4")).output
    for t in (0.0, 1.0, 1.9):
        cols = np.nonzero(frame_at(out, t)[90, :, 0] > 128)[0]
        assert abs(cols.min() - W * 0.25 * t) <= 3 and cols.max() >= W - 2, (t, cols.min())
        xs = np.nonzero(frame_at(txt, t).max(axis=-1) > 128)[1]
        assert abs(xs.mean() - W * (0.2 + 0.3 * t)) <= 4, (t, xs.mean())


async def test_a_keyframed_audio_effect_parameter(make_kernel, media, tmp_path):
    """A low-pass whose cutoff falls from 20 kHz to 100 Hz silences the 220 Hz bed by the end."""
    sweep = {"name": "lowpass", "params": {"frequency": kf((0, 20000), (1, 100))}}
    music = {"id": "a", "kind": "audio", "clips": [clip(media["music"], 0, 3, effects=[sweep])]}
    async with make_kernel(builtins=BUILTINS) as k:
        out = (await render(k, doc(black(3), music), tmp_path / "lp.mp4")).output
    assert audio_rms(out, 0.05, 0.3) > 2 * audio_rms(out, 2, 2.9)


async def test_bad_keyframes_are_problems_with_paths(make_kernel, media):
    bad = [
        clip(media["red"], 0, 1, opacity=[{"time": 1, "value": 0}, {"time": 0.5, "value": 1}]),
        {"type": "media", "source": media["red"], "start": 1, "speed": kf((0, 1), (1, 2))},
        clip(media["red"], 2, 1, transform={"x": [{"time": 0, "value": 0.5, "easing": "cubic-bezier"}]}),
        clip(media["red"], 3, 1, volume=kf((0, 1), (1, 9))),
    ]
    async with make_kernel(builtins=BUILTINS) as k:
        r = await k.invoke("compiler.validate", {"project": project(video_track(*bad))})
    paths = {p.path: p.message for p in r.problems}
    assert set(paths) == {"tracks[0].clips[0].opacity", "tracks[0].clips[2].transform.x[0]",
                          "tracks[0].clips[3].volume"}, paths
    assert "increase" in paths["tracks[0].clips[0].opacity"] and "bezier" in paths["tracks[0].clips[2].transform.x[0]"]
    assert "at most 8" in paths["tracks[0].clips[3].volume"]
    r2 = await _validate(make_kernel, project(video_track(bad[1])))
    assert [p.path for p in r2.problems] == ["tracks[0].clips[0].duration"]


async def _validate(make_kernel, doc):
    async with make_kernel(builtins=BUILTINS) as k:
        return await k.invoke("compiler.validate", {"project": doc})
