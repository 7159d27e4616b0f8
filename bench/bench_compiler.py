"""Benchmark E1 (issue 4): reelkit vs the same edit as one hand-written ffmpeg command vs MoviePy 2.

E1: four 10 s 1280x720 30 fps clips (lavfi testsrc2 + sine), three 1 s transitions, a title for the
first 3 s, crossfaded clip audio and a music bed at 0.3 volume, libx264 veryfast CRF 23 + AAC.

Each render runs in a fresh child process so wall time, CPU (the process and its FFmpeg children)
and peak memory (the largest child, i.e. FFmpeg; MoviePy's Python process is counted for MoviePy) are
measured alike. Also: planning time for E1 and a 50-cut project, first progress event latency and
cancel latency. Usage: .venv/bin/python bench/bench_compiler.py [--skip-moviepy] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MEDIA = Path(tempfile.gettempdir()) / "reelkit-bench-e1"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TITLE = "E1: reelkit benchmark"


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_media() -> dict:
    MEDIA.mkdir(exist_ok=True)
    clips = []
    for i, tone in enumerate((220, 330, 440, 550)):
        out = MEDIA / f"clip{i}.mp4"
        if not out.exists():
            subprocess.run([ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=10",
                            "-f", "lavfi", "-i", f"sine=f={tone}:d=10:sample_rate=48000", "-c:v", "libx264",
                            "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out) + ".tmp.mp4"],
                           check=True)
            os.replace(str(out) + ".tmp.mp4", out)
        clips.append(str(out))
    music = MEDIA / "music.m4a"
    if not music.exists():
        subprocess.run([ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=110:d=37:sample_rate=48000",
                        "-c:a", "aac", str(music) + ".tmp.m4a"], check=True)
        os.replace(str(music) + ".tmp.m4a", music)
    return {"clips": clips, "music": str(music)}


def e1_project(m: dict) -> dict:
    video = []
    for i, c in enumerate(m["clips"]):
        clip = {"type": "media", "source": c, "start": i * 9, "duration": 10}
        if i:
            clip["transition"] = {"type": "fade", "duration": 1}
        video.append(clip)
    return {
        "settings": {"width": 1280, "height": 720, "fps": 30},
        "output": {"preset": "veryfast", "crf": 23, "audio_bitrate": "128k"},  # 128k: FFmpeg's AAC default
        "tracks": [
            {"id": "v", "kind": "video", "clips": video},
            {"id": "t", "kind": "text", "clips": [{"type": "text", "text": TITLE, "start": 0, "duration": 3,
                                                   "size": 64, "font": FONT}]},
            {"id": "m", "kind": "audio", "clips": [{"type": "media", "source": m["music"], "start": 0,
                                                    "duration": 37, "volume": 0.3}]},
        ],
    }


def cuts_project(m: dict, n: int = 50) -> dict:
    clips = [{"type": "media", "source": m["clips"][i % 4], "start": i * 0.5, "duration": 0.5,
              "source_in": (i % 8) * 1.0} for i in range(n)]
    return {"settings": {"width": 1280, "height": 720, "fps": 30}, "tracks": [{"id": "v", "kind": "video",
                                                                                "clips": clips}]}


def handwritten(m: dict, out: str) -> list[str]:
    c = m["clips"]
    graph = ";".join([
        "[0:v][1:v]xfade=transition=fade:duration=1:offset=9[v01]",
        "[v01][2:v]xfade=transition=fade:duration=1:offset=18[v02]",
        "[v02][3:v]xfade=transition=fade:duration=1:offset=27[v03]",
        f"[v03]drawtext=fontfile={FONT}:text='{TITLE.replace(':', chr(92) + ':')}':fontsize=64:fontcolor=white:"
        "x=(w-text_w)/2:y=(h-text_h)/2:enable='between(t,0,3)'[v]",
        "[0:a]afade=t=out:st=9:d=1[a0]",
        "[1:a]afade=t=in:d=1,afade=t=out:st=9:d=1,adelay=9000:all=1[a1]",
        "[2:a]afade=t=in:d=1,afade=t=out:st=9:d=1,adelay=18000:all=1[a2]",
        "[3:a]afade=t=in:d=1,adelay=27000:all=1[a3]",
        "[4:a]volume=0.3[mu]",
        "[a0][a1][a2][a3][mu]amix=inputs=5:normalize=0:duration=longest[a]",
    ])
    return [ffmpeg(), "-v", "error", "-y", *sum((["-i", x] for x in c), []), "-i", m["music"],
            "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast",
            "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", "37", out]


# ---------------------------------------------------------------- measured children

CHILD = r'''
import json, os, resource, subprocess, sys, time
mode, arg, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if mode == "cmd":
    subprocess.run(json.loads(arg), check=True)
elif mode == "reelkit":
    import asyncio
    from reelkit import Kernel
    async def main():
        async with Kernel(entry_points=False, builtins=["media", "subtitles", "compiler"]) as k:
            t = time.perf_counter()
            ref = await k.invoke("compiler.render", {"project": json.loads(arg), "output": out})
            await k.wait(ref)
            return time.perf_counter() - t
    inner = asyncio.run(main())
elif mode == "moviepy":
    exec(open(arg).read())
wall = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall if mode != "reelkit" else inner, "process_wall": wall,
                  "cpu_children": kids.ru_utime + kids.ru_stime, "cpu_self": me.ru_utime + me.ru_stime,
                  "peak_child_mb": kids.ru_maxrss / 1024, "peak_self_mb": me.ru_maxrss / 1024}))
'''

MOVIEPY = r'''
from moviepy import AudioFileClip, CompositeAudioClip, CompositeVideoClip, TextClip, VideoFileClip, vfx, afx
import json, sys
m = json.loads(open(sys.argv[4]).read())
parts = []
for i, path in enumerate(m["clips"]):
    c = VideoFileClip(path)
    fx, afxs = [], []
    if i:
        fx.append(vfx.CrossFadeIn(1)); afxs.append(afx.AudioFadeIn(1))
    if i < 3:
        afxs.append(afx.AudioFadeOut(1))
    c = c.with_effects(fx).with_start(i * 9)
    c = c.with_audio(c.audio.with_effects(afxs))
    parts.append(c)
title = TextClip(text="E1: reelkit benchmark", font="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 font_size=64, color="white").with_duration(3).with_position("center")
video = CompositeVideoClip(parts + [title], size=(1280, 720)).with_duration(37)
music = AudioFileClip(m["music"]).with_effects([afx.MultiplyVolume(0.3)])
video = video.with_audio(CompositeAudioClip([p.audio for p in parts] + [music]))
video.write_videofile(out, codec="libx264", preset="veryfast", ffmpeg_params=["-crf", "23"], audio_codec="aac",
                      fps=30, logger=None)
'''


def measure(mode: str, arg: str, out: str, extra: list[str] | None = None) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, mode, arg, out, *(extra or [])], capture_output=True, text=True,
                       cwd=REPO)
    if r.returncode:
        raise RuntimeError(f"{mode} failed:\n{r.stderr[-3000:]}")
    data = json.loads(r.stdout.strip().splitlines()[-1])
    data["cpu"] = data["cpu_children"] + (data["cpu_self"] if mode == "moviepy" else 0)
    data["peak_mb"] = max(data["peak_child_mb"], data["peak_self_mb"] if mode == "moviepy" else 0)
    return data


# ---------------------------------------------------------------- in-process figures

def planning(m: dict, repeat: int = 30) -> dict:
    from reelkit.builtin_plugins.compiler.effects import Catalog
    from reelkit.builtin_plugins.compiler.encoders import output_plan
    from reelkit.builtin_plugins.compiler.planner import PlanOptions, plan
    from reelkit.builtin_plugins.compiler.project import Project
    from reelkit.builtin_plugins.compiler.sources import local_probe
    from reelkit.builtin_plugins.compiler.timeline import resolve

    out = {}
    work = tempfile.mkdtemp()
    for name, doc in (("E1", e1_project(m)), ("50 cuts", cuts_project(m))):
        project = Project.model_validate(doc)
        probes = {c.source: local_probe(c.source) for t in project.tracks for c in t.clips if hasattr(c, "source")}
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            tl, problems = resolve(project, probes.get, Catalog())
            assert not problems, problems
            plan(tl, PlanOptions(ffmpeg(), output_plan(project.output, "x.mp4", "mp4", None), work))
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = statistics.median(times)
    return out


def latencies(m: dict, tmp: str) -> dict:
    import asyncio

    import psutil

    from reelkit import Kernel

    async def main() -> dict:
        async with Kernel(entry_points=False, builtins=["media", "subtitles", "compiler"]) as k:
            seen: list[tuple[float, object]] = []
            k.bus.subscribe("compiler.render.progressed", lambda e: seen.append((time.perf_counter(), e)))
            out = os.path.join(tmp, "cancel.mp4")
            t0 = time.perf_counter()
            ref = await k.invoke("compiler.render", {"project": e1_project(m), "output": out})
            while not any(e.frame > 0 for _, e in seen) and time.perf_counter() - t0 < 30:
                await asyncio.sleep(0.005)
            first_any = seen[0][0] - t0
            first_ffmpeg = next(t for t, e in seen if e.frame > 0) - t0
            kids = [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]
            t1 = time.perf_counter()
            k.jobs.cancel(ref.job_id)
            while (any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in kids)
                   or [f for f in os.listdir(tmp) if f.startswith((".cancel", "cancel"))]):
                await asyncio.sleep(0.005)
                if time.perf_counter() - t1 > 10:
                    break
            gone = time.perf_counter() - t1
            info = await k.jobs.wait(ref.job_id, timeout=10)
            return {"first_event": first_any, "first_ffmpeg_progress": first_ffmpeg, "cancel": gone,
                    "state": info.state.value, "leftovers": os.listdir(tmp)}

    return asyncio.run(main())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved renders per contender (median and min)")
    args = ap.parse_args()
    m = make_media()
    tmp = tempfile.mkdtemp(prefix="reelkit-bench-")
    rows: dict[str, dict] = {}
    for _ in range(args.repeat):
        for name, fn in (("hand-written ffmpeg", lambda: measure("cmd", json.dumps(handwritten(m, f"{tmp}/hand.mp4")),
                                                                 f"{tmp}/hand.mp4")),
                         ("reelkit", lambda: measure("reelkit", json.dumps(e1_project(m)), f"{tmp}/reelkit.mp4"))):
            rows.setdefault(name, []).append(fn())
    if not args.skip_moviepy:
        media_file = os.path.join(tmp, "media.json")
        Path(media_file).write_text(json.dumps(m))
        script = os.path.join(tmp, "moviepy_e1.py")
        Path(script).write_text(MOVIEPY.replace('open(sys.argv[4])', f'open({media_file!r})'))
        rows["MoviePy 2"] = [measure("moviepy", script, f"{tmp}/moviepy.mp4")]
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall", "cpu", "peak_mb")} for k, v in rows.items()}
    best = {k: {f: min(r[f] for r in v) for f in ("wall", "cpu", "peak_mb")} for k, v in rows.items()}
    plan_ms = planning(m)
    lat = latencies(m, tempfile.mkdtemp(prefix="reelkit-cancel-"))

    hand, rk = med["hand-written ffmpeg"], med["reelkit"]
    hand_b, rk_b = best["hand-written ffmpeg"], best["reelkit"]
    print(f"\nE1 on {os.cpu_count()} cores, {args.repeat} interleaved runs each (MoviePy once); fresh processes\n")
    print(f"{'contender':<22}{'wall med':>9}{'wall min':>9}{'CPU med':>9}{'CPU min':>9}{'peak MB':>9}")
    for k in med:
        print(f"{k:<22}{med[k]['wall']:>9.2f}{best[k]['wall']:>9.2f}{med[k]['cpu']:>9.2f}{best[k]['cpu']:>9.2f}"
              f"{med[k]['peak_mb']:>9.0f}")
    rr = rows["reelkit"]
    print(f"(reelkit's own Python process, kernel boot included: {statistics.median(r['cpu_self'] for r in rr):.2f} s "
          f"CPU; wall with boot {statistics.median(r['process_wall'] for r in rr):.2f} s; not in the figures above)")
    print("(targets are judged on medians; the machine is shared, so single runs vary by up to ±30 %)")
    print(f"\n{'figure':<44}{'value':>16}  {'target':<12}{'ok'}")

    def row(name, value, target, ok):
        print(f"{name:<44}{value:>16}  {target:<12}{'yes' if ok else 'NO'}")

    def ratio(a, b):
        return a / b

    row("reelkit wall / hand-written (median, min)", f"{ratio(rk['wall'], hand['wall']):.3f}x "
        f"{ratio(rk_b['wall'], hand_b['wall']):.3f}x", "<= 1.05x", rk["wall"] <= 1.05 * hand["wall"])
    row("reelkit CPU / hand-written (median, min)", f"{ratio(rk['cpu'], hand['cpu']):.3f}x "
        f"{ratio(rk_b['cpu'], hand_b['cpu']):.3f}x", "<= 1.05x", rk["cpu"] <= 1.05 * hand["cpu"])
    row("reelkit peak memory / hand-written", f"{rk['peak_mb'] / hand['peak_mb']:.3f}x", "<= 1.1x",
        rk["peak_mb"] <= 1.1 * hand["peak_mb"])
    if "MoviePy 2" in med:
        mp = med["MoviePy 2"]
        row("MoviePy wall / reelkit (median, min)", f"{mp['wall'] / rk['wall']:.2f}x {mp['wall'] / rk_b['wall']:.2f}x",
            ">= 4x", mp["wall"] >= 4 * rk["wall"])
    row("planning E1 (resolve + plan), ms", f"{plan_ms['E1']:.2f}", "< 10", plan_ms["E1"] < 10)
    row("planning 50 cuts, ms", f"{plan_ms['50 cuts']:.2f}", "< 100", plan_ms["50 cuts"] < 100)
    row("first progress event, s", f"{lat['first_event']:.3f}", "< 2", lat["first_event"] < 2)
    row("first FFmpeg-reported progress, s", f"{lat['first_ffmpeg_progress']:.3f}", "(info)", True)
    row("cancel: FFmpeg gone + no file, s", f"{lat['cancel']:.3f}", "< 1", lat["cancel"] < 1 and not lat["leftovers"])
    print(f"\ncancelled job state: {lat['state']}; files left: {lat['leftovers']}")
    import av

    for name in ("hand", "reelkit", "moviepy"):
        path = f"{tmp}/{name}.mp4"
        if os.path.exists(path):
            with av.open(path) as c:
                v = c.streams.video[0]
                print(f"output {name}: {c.duration / 1e6:.3f} s, {v.frames} frames, {v.codec_context.width}x"
                      f"{v.codec_context.height}, {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
