"""Sample media for the demo, tests and benchmarks, generated with the bundled FFmpeg (lavfi sources).

``generate(dirpath)`` makes, once (existing complete files are kept):

    clip1_testsrc2.mp4  clip2_smptebars.mp4  clip3_mandelbrot.mp4  clip4_color.mp4
                        4 s, 640x360, 30 fps, H.264 + AAC stereo sine tone (220/330/440/550 Hz)
    music.m4a           16 s C-major chord of sines, faded in and out (AAC stereo)
    still.png           640x360 gradient picture

and returns ``{"clips": [...], "music": ..., "image": ...}`` (absolute path strings).
Each file is written under a temporary name and renamed when FFmpeg succeeds.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reelkit.sdk.files import atomic_output

__all__ = ["CLIPS", "generate"]

_SIZE, _RATE, _SECONDS = "640x360", 30, 4
CLIPS = (
    ("clip1_testsrc2.mp4", f"testsrc2=s={_SIZE}:r={_RATE}:d={_SECONDS}", 220),
    ("clip2_smptebars.mp4", f"smptebars=s={_SIZE}:r={_RATE}:d={_SECONDS}", 330),
    ("clip3_mandelbrot.mp4", f"mandelbrot=s={_SIZE}:r={_RATE}:maxiter=100,trim=duration={_SECONDS}", 440),
    ("clip4_color.mp4", f"color=c=0x2a6fdb:s={_SIZE}:r={_RATE}:d={_SECONDS}", 550),
)
_CHORD = "+".join(f"0.15*sin(2*PI*{f}*t)" for f in (261.63, 329.63, 392.0))


def _clip_args(video: str, tone: int) -> list[str]:
    return [
        "-f", "lavfi", "-i", video,
        "-f", "lavfi", "-i", f"sine=f={tone}:d={_SECONDS}:sample_rate=48000",
        "-t", str(_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-g", str(_RATE), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-ac", "2", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4",
    ]


_MUSIC = [
    "-f", "lavfi", "-i", f"aevalsrc={_CHORD}|{_CHORD}:s=48000:d=16",
    "-af", "afade=t=in:d=1,afade=t=out:st=15:d=1", "-c:a", "aac", "-b:a", "128k", "-f", "mp4",
]
_IMAGE = ["-f", "lavfi", "-i", f"gradients=s={_SIZE}:seed=7", "-frames:v", "1", "-update", "1", "-f", "image2"]


def _make(exe: str, args: list[str], out: Path) -> str:
    if out.exists() and out.stat().st_size > 0:
        return str(out)
    with atomic_output(out) as tmp:  # renamed onto `out` only when FFmpeg succeeded
        cmd = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args, "-threads", "1", str(tmp)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"generating {out.name} failed: {proc.stderr.strip()[-400:]}")
    return str(out)


def generate(dirpath: str | os.PathLike, ffmpeg: str | None = None) -> dict:
    """Create the sample media in ``dirpath`` (made if missing); returns ``{"clips", "music", "image"}``."""
    if ffmpeg is None:
        from .ffmpeg import FFmpegFinder

        ffmpeg = FFmpegFinder().exe
    d = Path(dirpath).resolve()
    d.mkdir(parents=True, exist_ok=True)
    jobs = [(_clip_args(src, tone), d / name) for name, src, tone in CLIPS]
    jobs += [(_MUSIC, d / "music.m4a"), (_IMAGE, d / "still.png")]
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        paths = list(pool.map(lambda job: _make(ffmpeg, *job), jobs))
    return {"clips": paths[:4], "music": paths[4], "image": paths[5]}
