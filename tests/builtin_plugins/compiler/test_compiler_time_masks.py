"""Reverse, freeze, loop; rectangle, ellipse, image and luma masks with feather, keyframes and inversion."""

from __future__ import annotations

import subprocess

import numpy as np

from .conftest import audio_rms, clip, frame_at, near, project, video_track
from .test_compiler_keyframes import _frames, _index_of, kf

BUILTINS = ["media", "subtitles", "compiler"]


async def render(k, doc, out):
    return await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(out)}))


async def test_reverse_plays_the_frames_backwards(make_kernel, media, tmp_path):
    async with make_kernel(builtins=BUILTINS) as k:
        fwd = await render(k, project(video_track(clip(media["counter"], 0, 1, source_in=2))), tmp_path / "f.mp4")
        rev = await render(k, project(video_track(clip(media["counter"], 0, 1, source_in=2, reverse=True))),
                           tmp_path / "r.mp4")
        tone = await render(k, project(video_track(clip(media["red"], 0, 2, reverse=True))), tmp_path / "a.mp4")
    f, r = _frames(fwd.output), _frames(rev.output)
    assert len(f) == len(r) == 30
    assert [_index_of(frame, f) for frame in r] == list(range(29, -1, -1))
    assert audio_rms(tone.output, 0.2, 1.8) > 0.05  # the tone at its level (0.062): reversed, not dropped


async def test_freeze_holds_one_frame_and_loop_repeats_the_range(make_kernel, media, tmp_path):
    async with make_kernel(builtins=BUILTINS) as k:
        src = _frames((await render(k, project(video_track(clip(media["counter"], 0, 3))), tmp_path / "s.mp4")).output)
        frozen = await render(k, project(video_track(clip(media["counter"], 0, 1.5, freeze=1.0))), tmp_path / "z.mp4")
        looped = await render(k, project(video_track(clip(media["counter"], 0, 2.5, source_in=1, source_out=2,
                                                          loop=True))), tmp_path / "l.mp4")
    z = _frames(frozen.output)
    assert len(z) == 45 and {_index_of(frame, src) for frame in z} == {30}
    lp = _frames(looped.output)
    assert len(lp) == 75
    assert [_index_of(lp[i], src) for i in (0, 15, 29, 30, 45, 60, 74)] == [30, 45, 59, 30, 45, 30, 44]


def _mask_doc(media, mask, duration=1.0):
    white = {"type": "color", "color": "white", "start": 0, "duration": duration, "mask": mask}
    return project(video_track({"type": "color", "color": "black", "start": 0, "duration": duration}, id="bg"),
                   video_track(white), settings={"width": 320, "height": 180})


async def test_rectangle_and_ellipse_masks_with_feather_and_inversion(make_kernel, media, tmp_path):
    rect = {"shape": "rectangle", "x": 0.5, "y": 0.5, "width": 0.5, "height": 0.5}
    async with make_kernel(builtins=BUILTINS) as k:
        hard = frame_at((await render(k, _mask_doc(media, rect), tmp_path / "r.mp4")).output, 0.5)[..., 0].astype(int)
        soft = frame_at((await render(k, _mask_doc(media, {**rect, "feather": 40}), tmp_path / "f.mp4")).output,
                        0.5)[..., 0].astype(int)
        inv = frame_at((await render(k, _mask_doc(media, {**rect, "invert": True}), tmp_path / "i.mp4")).output,
                       0.5)[..., 0].astype(int)
        ell = frame_at((await render(k, _mask_doc(media, {"shape": "ellipse", "width": 0.5, "height": 0.5}),
                                     tmp_path / "e.mp4")).output, 0.5)[..., 0].astype(int)
    # hard edges: the box spans x 80..240, y 45..135
    row = hard[90]
    assert row[70] < 30 and row[90] > 225 and row[230] > 225 and row[250] < 30
    edge = np.nonzero(row > 128)[0]
    assert abs(edge.min() - 80) <= 2 and abs(edge.max() - 239) <= 2
    # feather: a ramp ~40 px wide across the edge, mid grey on it
    assert 90 < soft[90, 80] < 170 and soft[90, 62] < 60 and soft[90, 98] > 195
    assert inv[90, 160] < 30 and inv[10, 10] > 225
    # the ellipse leaves its bounding box's corners out, keeps its centre and the middle of its sides
    assert ell[90, 160] > 225 and ell[50, 85] < 30 and ell[90, 84] > 200


async def test_keyframed_mask_moves(make_kernel, media, tmp_path):
    moving = {"shape": "rectangle", "x": kf((0, 0.25), (2, 0.75)), "width": 0.2, "height": 1}
    async with make_kernel(builtins=BUILTINS) as k:
        out = (await render(k, _mask_doc(media, moving, 2), tmp_path / "m.mp4")).output
    for t in (0, 1, 1.9):
        cols = np.nonzero(frame_at(out, t)[90, :, 0] > 128)[0]
        assert abs(cols.mean() - 320 * (0.25 + 0.25 * t)) <= 3, (t, cols.mean())


async def test_image_and_luma_masks(make_kernel, media, tmp_path, ffmpeg_exe):
    left_white = tmp_path / "luma.png"  # left half white, right half black
    subprocess.run([ffmpeg_exe, "-v", "error", "-f", "lavfi", "-i", "color=white:s=80x40,pad=160:40:0:0:black",
                    "-frames:v", "1", str(left_white)], check=True)
    cut = tmp_path / "alpha.png"  # opaque top half, transparent bottom half
    subprocess.run([ffmpeg_exe, "-v", "error", "-f", "lavfi", "-i", "color=red@1:s=160x40,format=rgba,"
                    "pad=160:80:0:0:black@0", "-frames:v", "1", str(cut)], check=True)
    async with make_kernel(builtins=BUILTINS) as k:
        luma = frame_at((await render(k, _mask_doc(media, {"shape": "luma", "source": str(left_white)}),
                                      tmp_path / "l.mp4")).output, 0.5)
        img = frame_at((await render(k, _mask_doc(media, {"shape": "image", "source": str(cut), "invert": True}),
                                     tmp_path / "i.mp4")).output, 0.5)
        bad = await k.invoke("compiler.validate", {"project": _mask_doc(media, {"shape": "luma",
                                                                                "source": str(tmp_path / "no.png")})})
    assert near(luma[90, 40], (255, 255, 255)) and near(luma[90, 280], (0, 0, 0))
    assert near(img[40, 160], (0, 0, 0)) and near(img[140, 160], (255, 255, 255))
    assert bad.problems[0].path == "tracks[1].clips[0].mask.source" and bad.problems[0].code == "missing_file"
