"""Titles: CJK glyphs through font fallback, word wrap in a box, animated presets, lower thirds, news bands.

The glyph tests need fonts installed where fontconfig finds them: CJK glyphs (the Debian package
fonts-wqy-zenhei, or fonts-noto-cjk) and monochrome emoji (fonts-symbola); they install nothing.
"""

from __future__ import annotations

import hashlib
import subprocess

import numpy as np
import pytest

from reelkit.builtin_plugins.compiler.fonts import covering_font, find_font

from .conftest import frame_at, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]
CJK = "日本語のテキスト"


async def render(k, doc, out):
    return await k.wait(await k.invoke("compiler.render", {"project": doc, "output": str(out)}))


def title(text, duration=1.0, **kw):
    return {"id": "t", "kind": "text", "clips": [{"type": "text", "text": text, "start": 0, "duration": duration,
                                                  "size": 28, **kw}]}


def doc(*tracks, duration=1.0, w=320, h=180):
    return project(video_track({"type": "color", "color": "black", "start": 0, "duration": duration}), *tracks,
                   settings={"width": w, "height": h})


def lit(frame, threshold=128):
    return frame.max(axis=-1) > threshold


@pytest.mark.parametrize("text,package", [(CJK, "fonts-wqy-zenhei (or fonts-noto-cjk)"),
                                          ("Party \U0001F389\U0001F680\u2603", "fonts-symbola")])
async def test_cjk_and_emoji_are_drawn_with_real_glyphs(make_kernel, tmp_path, ffmpeg_exe, text, package):
    if covering_font(text, None) is None:
        pytest.fail(f"no installed font has the glyphs of {text!r}: install the Debian package {package}")
    async with make_kernel(builtins=BUILTINS) as k:
        out = (await render(k, doc(title(text)), tmp_path / "glyphs.mp4")).output
    drawn = frame_at(out, 0.5)
    txt = tmp_path / "t.txt"
    txt.write_text(text, encoding="utf-8")

    def reference(font: str):
        png = tmp_path / "ref.png"
        subprocess.run([ffmpeg_exe, "-v", "error", "-y", "-f", "lavfi", "-i", "color=black:s=320x180", "-vf",
                        f"drawtext=textfile={txt}:fontfile={font}:fontsize=28:fontcolor=white:"
                        "x=(w-text_w)/2:y=(h-text_h)/2", "-frames:v", "1", str(png)], check=True)
        import av

        with av.open(str(png)) as c:
            return lit(next(c.decode(video=0)).to_ndarray(format="rgb24"))

    # the default Latin font draws a box (.notdef) for each character it lacks
    tofu, real = reference(find_font(None)), reference(covering_font(text, None))
    region = (slice(60, 120), slice(20, 300))
    shown = lit(drawn)[region]
    assert shown.sum() > 200
    assert hashlib.sha256(shown.tobytes()).hexdigest() != hashlib.sha256(tofu[region].tobytes()).hexdigest()
    # what was drawn is the covering font's glyphs (up to the encoder's blur), not the boxes
    assert (shown != real[region]).mean() < 0.02 < (shown != tofu[region]).mean()


async def test_text_no_single_font_covers_goes_through_libass(make_kernel, tmp_path):
    """CJK and emoji together: no font has both, so libass draws it with per-glyph fallback; the emoji
    half is drawn (a box from the CJK font would be a hollow rectangle), and the CJK half too."""
    text = "日本 \U0001F389\U0001F680"
    if covering_font("日本", None) is None or covering_font("\U0001F389", None) is None:
        pytest.fail("install the Debian packages fonts-wqy-zenhei and fonts-symbola")
    async with make_kernel(builtins=BUILTINS) as k:
        both = lit(frame_at((await render(k, doc(title(text, size=40)), tmp_path / "both.mp4")).output, 0.5))
        cjk = lit(frame_at((await render(k, doc(title("日本", size=40)), tmp_path / "cjk.mp4")).output, 0.5))
        emoji = lit(frame_at((await render(k, doc(title("\U0001F389\U0001F680", size=40)), tmp_path / "e.mp4")).output,
                             0.5))
    cols = np.nonzero(both.any(axis=0))[0]
    left, right = both[:, : (cols.min() + cols.max()) // 2], both[:, (cols.min() + cols.max()) // 2:]
    assert left.sum() > 0.6 * cjk.sum() and right.sum() > 0.6 * emoji.sum(), (left.sum(), cjk.sum(), right.sum(),
                                                                             emoji.sum())


async def test_long_text_wraps_inside_its_box(make_kernel, tmp_path):
    text = "This sentence is much too long to fit on a single line of a small frame"
    async with make_kernel(builtins=BUILTINS) as k:
        clipped = frame_at((await render(k, doc(title(text)), tmp_path / "c.mp4")).output, 0.5)
        wrapped = frame_at((await render(k, doc(title(text, wrap=True, box_width=0.8)), tmp_path / "w.mp4")).output,
                           0.5)
    ys, xs = np.nonzero(lit(wrapped))
    assert xs.min() >= 320 * 0.1 - 2 and xs.max() <= 320 * 0.9 + 2  # inside the 80 % box
    rows = np.nonzero(lit(wrapped).any(axis=1))[0]
    assert rows.max() - rows.min() > 3 * 28  # several lines
    cols = np.nonzero(lit(clipped))[1]
    assert cols.min() <= 1 or cols.max() >= 318  # without wrap it ran off the frame


async def test_animated_titles(make_kernel, tmp_path):
    async with make_kernel(builtins=BUILTINS) as k:
        outs = {}
        for kind in ("fade", "slide-left", "pop", "typewriter"):
            outs[kind] = (await render(k, doc(title("Hello reelkit", 3, animation={"type": kind, "duration": 1}),
                                              duration=3), tmp_path / f"{kind}.mp4")).output
    full = lit(frame_at(outs["fade"], 1.5)).sum()
    assert lit(frame_at(outs["fade"], 0.0), 60).sum() < 0.1 * full  # fading in
    assert frame_at(outs["fade"], 0.5).max() < frame_at(outs["fade"], 1.5).max() - 40
    assert frame_at(outs["fade"], 2.5).max() < frame_at(outs["fade"], 1.5).max() - 40  # and out
    # slide-left: comes in from the left edge, ends centred
    x_start = np.nonzero(lit(frame_at(outs["slide-left"], 0.1)))[1]
    x_end = np.nonzero(lit(frame_at(outs["slide-left"], 1.5)))[1]
    assert x_start.mean() < x_end.mean() - 40 and abs(x_end.mean() - 160) < 15
    # pop: small, then full size
    assert lit(frame_at(outs["pop"], 0.1)).sum() < 0.5 * lit(frame_at(outs["pop"], 1.5)).sum()
    # typewriter: more letters as time goes on
    counts = [lit(frame_at(outs["typewriter"], t)).sum() for t in (0.2, 0.6, 1.5)]
    assert counts[0] < counts[1] < counts[2], counts


async def test_lower_third_and_news_title(make_kernel, tmp_path):
    async with make_kernel(builtins=BUILTINS) as k:
        lower = frame_at((await render(k, doc(title("Jane Doe", style="lower-third", background="#2040C0", margin=20),
                                              w=640, h=360), tmp_path / "l.mp4")).output, 0.5)
        news = frame_at((await render(k, doc(title("Breaking: a title", style="news", background="#C00000",
                                                   margin=20), w=640, h=360), tmp_path / "n.mp4")).output, 0.5)
        boxed = frame_at((await render(k, doc(title("Boxed", background="#20A020")), tmp_path / "b.mp4")).output, 0.5)
    green = np.all(np.abs(boxed.astype(int) - (32, 160, 32)) < 40, axis=-1)
    gy, gx = np.nonzero(green)
    assert green.sum() > 500 and abs(gx.mean() - 160) < 10 and abs(gy.mean() - 90) < 10  # a box around the text
    blue = np.all(np.abs(lower.astype(int) - (32, 64, 192)) < 40, axis=-1)
    ys, xs = np.nonzero(blue)
    assert ys.min() > 360 * 0.6 and xs.min() < 40 and xs.max() < 640 * 0.6  # a bar at the bottom left
    red = np.all(np.abs(news.astype(int) - (192, 0, 0)) < 40, axis=-1)
    rows = np.nonzero(red.all(axis=1))[0]
    assert len(rows) > 20 and rows.min() > 360 * 0.6  # a full-width band at the bottom
