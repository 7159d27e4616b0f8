"""Benchmark E2 (issue 19): animation. reelkit vs a hand-written FFmpeg graph vs MoviePy 2.

E2: 20 s at 1280x720 30 fps: a base track of three clips, the middle one a speed ramp (1x → 2x over
6 s, muted); a keyframed picture-in-picture (x and scale move over 10 s); an ellipse-masked,
feathered clip in the lower right for 8 s; a title that slides in (0.8 s) over the first 4 s; the
clips' audio and a music bed at 0.3; libx264 veryfast CRF 23 + AAC 128k. MoviePy 2 does the same
with its per-frame Python (position/size functions, a numpy mask, a time transform).

Each render runs in a fresh child process (bench_compiler's ``measure``): wall, CPU and peak memory.
Usage: .venv/bin/python bench/bench_compiler_e2.py [--skip-moviepy] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compiler import FONT, ffmpeg, make_media, measure  # noqa: E402

TITLE = "E2 animated"


def e2_project(m: dict) -> dict:
    c = m["clips"]
    return {
        "settings": {"width": 1280, "height": 720, "fps": 30},
        "output": {"preset": "veryfast", "crf": 23, "audio_bitrate": "128k"},
        "tracks": [
            {"id": "base", "kind": "video", "clips": [
                {"type": "media", "source": c[0], "start": 0, "duration": 10},
                {"type": "media", "source": c[1], "start": 10, "duration": 6, "mute": True,
                 "speed": [{"time": 0, "value": 1}, {"time": 6, "value": 2}]},
                {"type": "media", "source": c[2], "start": 16, "duration": 4},
            ]},
            {"id": "pip", "kind": "video", "clips": [
                {"type": "media", "source": c[3], "start": 2, "duration": 10, "mute": True, "transform": {
                    "x": [{"time": 0, "value": 0.8}, {"time": 10, "value": 0.2}],
                    "y": 0.25, "scale": [{"time": 0, "value": 0.25}, {"time": 10, "value": 0.4}]}},
            ]},
            {"id": "masked", "kind": "video", "clips": [
                {"type": "media", "source": c[2], "start": 12, "duration": 8, "source_in": 1, "mute": True,
                 "transform": {"x": 0.75, "y": 0.7, "scale": 0.4},
                 "mask": {"shape": "ellipse", "width": 1, "height": 1, "feather": 20}},
            ]},
            {"id": "title", "kind": "text", "clips": [
                {"type": "text", "text": TITLE, "start": 0, "duration": 4, "size": 64, "font": FONT,
                 "animation": {"type": "slide-left", "duration": 0.8}},
            ]},
            {"id": "music", "kind": "audio", "clips": [
                {"type": "media", "source": m["music"], "start": 0, "duration": 20, "volume": 0.3}]},
        ],
    }


def handwritten(m: dict, out: str) -> list[str]:
    """The same edit as one graph, written by hand (closed forms where a person would use them)."""
    c = m["clips"]
    e = "(1-(1-clip(t/0.8,0,1))*(1-clip(t/0.8,0,1)))"  # ease-out of the slide
    graph = ";".join([
        "[0:v]trim=end=10,setpts=PTS-STARTPTS[b0]",
        # speed v(t) = 1 + t/6 → source s(t) = t + t²/12 → t(s) = -6 + sqrt(36 + 12 s)
        "[1:v]trim=end=9,setpts='(-6+sqrt(36+12*(T-STARTT)))/TB',fps=30,trim=end_frame=180[b1]",
        "[2:v]trim=end=4,setpts=PTS-STARTPTS[b2]",
        "[b0][b1][b2]concat=n=3:v=1:a=0[base]",
        "[3:v]trim=end=10,setpts=PTS-STARTPTS,scale=w='trunc(1280*(0.25+0.015*t)/2)*2':"
        "h='trunc(720*(0.25+0.015*t)/2)*2':eval=frame,setpts=PTS+2/TB[pip]",
        "[base][pip]overlay=x='W*(0.8-0.06*(t-2))-w/2':y='H*0.25-h/2':eof_action=pass[v1]",
        "color=black:s=512x288:r=30:d=0.04,format=gray,geq=lum='255*clip(((1-hypot((X-256)/256,(Y-144)/144))"
        "*144)/20+0.5,0,1)',loop=-1:size=1,trim=end_frame=240[mask]",
        "[4:v]trim=start=1:end=9,setpts=PTS-STARTPTS,scale=512:288,format=yuva420p[mc]",
        "[mc][mask]alphamerge,setpts=PTS+12/TB[masked]",
        "[v1][masked]overlay=x='W*0.75-w/2':y='H*0.7-h/2':eof_action=pass[v2]",
        f"[v2]drawtext=fontfile={FONT}:text='{TITLE}':fontsize=64:fontcolor=white:"
        f"x='((w-text_w)/2)-(1-{e})*(((w-text_w)/2)+text_w)':y=(h-text_h)/2:enable='between(t,0,4)'[v]",
        "[0:a]atrim=end=10[a0]",
        "[2:a]atrim=end=4,adelay=16000:all=1[a2]",
        "[5:a]volume=0.3[mu]",
        "[a0][a2][mu]amix=inputs=3:normalize=0:duration=longest[a]",
    ])
    return [ffmpeg(), "-v", "error", "-y", "-i", c[0], "-i", c[1], "-i", c[2], "-i", c[3], "-i", c[2],
            "-i", m["music"], "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
            "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-t", "20",
            out]


MOVIEPY = r'''
import json, sys
import numpy as np
from moviepy import (AudioFileClip, CompositeAudioClip, CompositeVideoClip, ImageClip, TextClip, VideoFileClip,
                     concatenate_videoclips)
m = json.loads(open(sys.argv[4]).read())
c = m["clips"]
b0 = VideoFileClip(c[0]).subclipped(0, 10)
ramp = VideoFileClip(c[1]).without_audio()
b1 = ramp.time_transform(lambda t: t + t * t / 12, apply_to=[]).with_duration(6)
b2 = VideoFileClip(c[2]).subclipped(0, 4)
base = concatenate_videoclips([b0, b1, b2])
pip = (VideoFileClip(c[3]).without_audio().subclipped(0, 10)
       .resized(lambda t: 0.25 + 0.015 * t)
       .with_position(lambda t: (1280 * (0.8 - 0.06 * t) - 1280 * (0.25 + 0.015 * t) / 2,
                                 720 * 0.25 - 720 * (0.25 + 0.015 * t) / 2))
       .with_start(2))
yy, xx = np.mgrid[0:288, 0:512]
d = (1 - np.hypot((xx - 256) / 256, (yy - 144) / 144)) * 144
mask = ImageClip(np.clip(d / 20 + 0.5, 0, 1), is_mask=True).with_duration(8)
masked = (VideoFileClip(c[2]).without_audio().subclipped(1, 9).resized((512, 288)).with_mask(mask)
          .with_position((1280 * 0.75 - 256, 720 * 0.7 - 144)).with_start(12))
title = TextClip(text="E2 animated", font="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", font_size=64,
                 color="white").with_duration(4)
tw, th = title.size
def slide(t):
    u = min(max(t / 0.8, 0), 1)
    x = (1280 - tw) / 2
    return (x - (1 - (1 - (1 - u) ** 2)) * (x + tw), (720 - th) / 2)
title = title.with_position(slide)
video = CompositeVideoClip([base, pip, masked, title], size=(1280, 720)).with_duration(20)
music = AudioFileClip(m["music"]).subclipped(0, 20).with_volume_scaled(0.3)
video = video.with_audio(CompositeAudioClip([b0.audio, b2.audio.with_start(16), music]))
video.write_videofile(out, codec="libx264", preset="veryfast", ffmpeg_params=["-crf", "23"], audio_codec="aac",
                      audio_bitrate="128k", fps=30, logger=None)
'''


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved renders per contender (median)")
    args = ap.parse_args()
    m = make_media()
    tmp = tempfile.mkdtemp(prefix="reelkit-bench-e2-")
    rows: dict[str, list[dict]] = {}
    for _ in range(args.repeat):
        rows.setdefault("hand-written ffmpeg", []).append(
            measure("cmd", json.dumps(handwritten(m, f"{tmp}/hand.mp4")), f"{tmp}/hand.mp4"))
        rows.setdefault("reelkit", []).append(measure("reelkit", json.dumps(e2_project(m)), f"{tmp}/reelkit.mp4"))
    if not args.skip_moviepy:
        media_file = os.path.join(tmp, "media.json")
        Path(media_file).write_text(json.dumps(m))
        script = os.path.join(tmp, "moviepy_e2.py")
        Path(script).write_text(MOVIEPY.replace("open(sys.argv[4])", f"open({media_file!r})"))
        rows["MoviePy 2"] = [measure("moviepy", script, f"{tmp}/moviepy.mp4")]
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall", "cpu", "peak_mb")} for k, v in rows.items()}
    print(f"\nE2 on {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, {args.repeat} interleaved runs "
          "(MoviePy once); fresh processes\n")
    print(f"{'contender':<22}{'wall':>9}{'CPU':>9}{'peak MB':>9}")
    for k, v in med.items():
        print(f"{k:<22}{v['wall']:>9.2f}{v['cpu']:>9.2f}{v['peak_mb']:>9.0f}")
    hand, rk = med["hand-written ffmpeg"], med["reelkit"]
    print(f"\nreelkit / hand-written: wall {rk['wall'] / hand['wall']:.3f}x, CPU {rk['cpu'] / hand['cpu']:.3f}x, "
          f"peak memory {rk['peak_mb'] / hand['peak_mb']:.3f}x")
    if "MoviePy 2" in med:
        mp = med["MoviePy 2"]
        print(f"MoviePy 2 / reelkit: wall {mp['wall'] / rk['wall']:.2f}x, CPU {mp['cpu'] / rk['cpu']:.2f}x, "
              f"peak memory {mp['peak_mb'] / rk['peak_mb']:.2f}x")
    import av

    for name in ("hand", "reelkit", "moviepy"):
        path = f"{tmp}/{name}.mp4"
        if os.path.exists(path):
            with av.open(path) as c:
                v = c.streams.video[0]
                print(f"output {name}: {c.duration / 1e6:.3f} s, {v.frames} frames, {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
