"""The compiler step of ``reelkit demo``: a project from the media step's samples, rendered."""

from __future__ import annotations

import json
from pathlib import Path

SRT = """1
00:00:00,500 --> 00:00:02,500
Welcome to reelkit: rendered by FFmpeg

2
00:00:03,000 --> 00:00:05,500
Transitions, titles, music — and "quotes": 100% safe
"""


def demo_project(clips: list[str], music: str, subtitles: str, seconds: float = 3.0) -> dict:
    """Several clips joined by transitions, a title, subtitles and a ducked music bed (a project document)."""
    t = 0.75  # transition length
    video = []
    start = 0.0
    for i, clip in enumerate(clips[:3]):
        c = {"type": "media", "source": clip, "start": round(start, 3), "duration": seconds, "volume": 0.6}
        if i:
            c["transition"] = {"type": ["fade", "wipeleft", "circleopen"][i % 3], "duration": t}
        video.append(c)
        start += seconds - t
    total = start + t
    return {
        "version": 1,
        "name": "reelkit demo",
        "settings": {"width": 640, "height": 360, "fps": 25, "background": "#101018"},
        "output": {"preset": "veryfast", "crf": 26},
        "tracks": [
            {"id": "video", "kind": "video", "clips": video},
            {"id": "titles", "kind": "text", "clips": [
                {"type": "text", "text": "reelkit demo\nclips · transition · title · music", "start": 0, "duration": 2.5,
                 "size": 30, "box": True, "position": "top", "fade_in": 0.3, "fade_out": 0.5}]},
            {"id": "subs", "kind": "subtitle", "source": subtitles, "mode": "burn",
             "style": {"size": 18, "color": "#FFFF66"}},
            {"id": "music", "kind": "audio", "ducking": {"under": "video"}, "clips": [
                {"type": "media", "source": music, "start": 0, "duration": round(total, 3), "volume": 0.5,
                 "fade_in": 0.5, "fade_out": 1}]},
        ],
        "markers": [{"time": seconds - t, "name": "first transition"}],
    }


async def run(demo) -> None:
    clips = [str(c) for c in demo.artifacts.get("clips") or []]
    music = demo.artifacts.get("music")
    if len(clips) < 2 or not music:
        raise RuntimeError("the compiler demo needs the media step's clips and music (artifacts 'clips', 'music')")
    work = Path(demo.workdir) / "compiler"
    work.mkdir(parents=True, exist_ok=True)
    srt = work / "demo.srt"
    srt.write_text(SRT, encoding="utf-8")
    project = demo_project(clips, str(music), str(srt))
    project_file = work / "demo_project.json"
    project_file.write_text(json.dumps(project, indent=2), encoding="utf-8")
    report = await demo.invoke("compiler.validate", {"project": str(project_file)})
    if not report.valid:
        raise RuntimeError(f"demo project invalid: {[p.model_dump() for p in report.problems]}")
    demo.say(f"Rendering {project_file.name}: {len(clips[:3])} clips, 2 transitions, a title, subtitles, music "
             f"({report.duration:.2f} s) …")
    out = work / "demo.mp4"
    ref = await demo.invoke("compiler.render", {"project": str(project_file), "output": str(out)})
    result = await demo.wait(ref)
    demo.artifacts["video"] = result.output
    demo.say(f"Video: {result.output} ({result.duration:.2f} s, {result.bytes / 1e6:.2f} MB, {result.encoder}, "
             f"encoded in {result.stats.get('encode_wall', 0):.2f} s)")
