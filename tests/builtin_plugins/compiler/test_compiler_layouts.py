"""Gradients, contain-blur, picture-in-picture, split screens and output presets, by their pixels and probes."""

from __future__ import annotations

import av
import pytest

from reelkit.builtin_plugins.compiler.presets import PRESETS

from .conftest import clip, frame_at, near, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]


async def render(k, doc, out):
    return await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(out)}))


def canvas(*tracks, w=320, h=180, **kw):
    return project(*tracks, settings={"width": w, "height": h, **kw.pop("settings", {})}, **kw)


async def test_gradient_corners(make_kernel, tmp_path):
    def gradient(**kw):
        return video_track({"type": "gradient", "start": 0, "duration": 0.3, **kw})

    async with make_kernel(builtins=BUILTINS) as k:
        lin = frame_at((await render(k, canvas(gradient(colors=["#FF0000", "#0000FF"], angle=0)),
                                     tmp_path / "l.mp4")).output, 0.1)
        down = frame_at((await render(k, canvas(gradient(colors=["#00FF00", "#000000"], angle=90)),
                                      tmp_path / "d.mp4")).output, 0.1)
        rad = frame_at((await render(k, canvas(gradient(kind="radial", colors=["#FFFFFF", "#000000"])),
                                     tmp_path / "r.mp4")).output, 0.1)
    assert near(lin[2, 2], (255, 0, 0), 40) and near(lin[177, 2], (255, 0, 0), 40)
    assert near(lin[2, 317], (0, 0, 255), 40) and near(lin[177, 317], (0, 0, 255), 40)
    assert near(lin[90, 160], (128, 0, 128), 40)
    assert near(down[2, 2], (0, 255, 0), 40) and near(down[2, 317], (0, 255, 0), 40)
    assert near(down[177, 2], (0, 0, 0), 40) and near(down[177, 317], (0, 0, 0), 40)
    assert rad[90, 160].mean() > 215 and max(rad[2, 2].mean(), rad[177, 317].mean()) < 60


async def test_contain_blur_fills_the_bars_of_a_vertical_frame(make_kernel, media, tmp_path):
    """Landscape footage in a 9:16 frame: the picture in the middle, its blurred copy above and below."""
    landscape = clip(media["counter"], 0, 0.5)
    async with make_kernel(builtins=BUILTINS) as k:
        plain = frame_at((await render(k, canvas(video_track(landscape), w=180, h=320),
                                       tmp_path / "p.mp4")).output, 0.2)
        blur = frame_at((await render(k, canvas(video_track({**landscape, "transform": {"fit": "contain-blur"}}),
                                                w=180, h=320), tmp_path / "b.mp4")).output, 0.2)
    assert plain[20].mean() < 10 and plain[300].mean() < 10  # contain: black bars
    assert blur[20].mean() > 30 and blur[300].mean() > 30  # blurred picture instead of bars
    assert abs(blur[160].astype(int) - plain[160].astype(int)).mean() < 12  # the sharp picture in the middle


async def test_split_screen_quadrants_and_picture_in_picture(make_kernel, media, tmp_path):
    colours = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 128, 0), "still": (255, 255, 0)}
    cells = [video_track(clip(media[name], 0, 0.5, layout={"template": "split-4", "slot": i}), id=f"c{i}")
             for i, name in enumerate(colours)]
    pip = video_track(clip(media["blue"], 0, 0.5), id="main"), \
        video_track(clip(media["red"], 0, 0.5, layout={"template": "pip", "slot": "top-left", "size": 0.25}), id="p")
    three = [video_track(clip(media[n], 0, 0.5, layout={"template": "split-3", "slot": i}), id=f"t{i}")
             for i, n in enumerate(("red", "blue", "green"))]
    async with make_kernel(builtins=BUILTINS) as k:
        grid = frame_at((await render(k, canvas(*cells), tmp_path / "g.mp4")).output, 0.2)
        small = frame_at((await render(k, canvas(*pip), tmp_path / "pip.mp4")).output, 0.2)
        cols = frame_at((await render(k, canvas(*three), tmp_path / "3.mp4")).output, 0.2)
    for (y, x), rgb in zip(((45, 80), (45, 240), (135, 80), (135, 240)), colours.values()):
        assert near(grid[y, x], rgb, 40), (y, x, grid[y, x], rgb)
    # pip: 80x45 in the top-left corner, 4 % of the height (7 px) from the edges
    assert near(small[7 + 22, 7 + 40], (255, 0, 0), 40) and near(small[7 + 50, 7 + 40], (0, 0, 255), 40)
    assert near(small[3, 3], (0, 0, 255), 40) and near(small[90, 160], (0, 0, 255), 40)
    for x, rgb in ((53, (255, 0, 0)), (160, (0, 0, 255)), (266, (0, 128, 0))):
        assert near(cols[90, x], rgb, 40)


def test_layout_slots_are_checked():
    from pydantic import ValidationError

    from reelkit.builtin_plugins.compiler.project import Layout

    with pytest.raises(ValidationError, match="split-3 has cells 0 … 2"):
        Layout(template="split-3", slot=3)


async def test_presets_are_listed_and_referenced_with_overrides(make_kernel, media, tmp_path):
    async with make_kernel(builtins=BUILTINS) as k:
        listed = await k.invoke("compiler.presets", {})
        names = [p.name for p in listed.presets]
        assert {"youtube-1080p", "youtube-4k", "shorts", "tiktok", "reels", "instagram-square", "prores-master",
                "web-gif"} <= set(names)
        outs = {}
        for name in ("youtube-1080p", "youtube-4k", "shorts", "instagram-square", "prores-master", "web-gif"):
            ext = {"prores-master": "mov", "web-gif": "gif"}.get(name, "mp4")
            doc = {"preset": name, "output": {"preset": "ultrafast"} if ext == "mp4" else {},
                   "tracks": [video_track(clip(media["counter"], 0, 0.2))]}
            if name == "prores-master":
                doc["settings"] = {"width": 320, "height": 180}
            outs[name] = (await render(k, doc, tmp_path / f"{name}.{ext}")).output
        # the document overrides what the preset sets
        over = await render(k, {"preset": "shorts", "settings": {"width": 540, "height": 960}, "output": {"crf": 30,
                                "preset": "ultrafast"}, "tracks": [video_track(clip(media["counter"], 0, 0.2))]},
                            tmp_path / "over.mp4")
        bad = await k.invoke("compiler.validate", {"project": {"preset": "nope", "tracks": []}})
    for name, path in outs.items():
        want = {**PRESETS[name]["settings"]}
        with av.open(path) as c:
            v = c.streams.video[0]
            if name == "prores-master":
                assert v.codec_context.name == "prores" and v.format.name == "yuv422p10le" and \
                    c.streams.audio[0].codec_context.name == "pcm_s16le"
                continue
            assert (v.width, v.height) == (want["width"], want["height"]), name
            if name == "web-gif":
                assert v.codec_context.name == "gif" and not c.streams.audio
                # GIF delays are centiseconds: 1/15 s is stored as 6 cs (16.7 fps)
                assert abs(float(v.average_rate or v.guessed_rate) - 15) < 2
            else:
                assert v.codec_context.name == "h264" and v.format.name == "yuv420p"
                assert c.streams.audio[0].codec_context.name == "aac"
    with av.open(over.output) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (540, 960)
    assert not bad.valid and "unknown preset 'nope'" in bad.problems[0].message
