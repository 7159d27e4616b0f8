"""Media and readers for the cluster render tests (320x180, a few seconds, made with FFmpeg)."""

from __future__ import annotations

import os
import subprocess

import numpy as np

W, H, FPS = 320, 180, 30
BITS = 10  # the counter's bits: 16 px blocks across the overlay, frame numbers up to 1023


def make_media(exe: str, d: str) -> dict[str, str]:
    """Two moving sources with tones, and a frame counter: frame n shows n in binary as black/white
    blocks (geq on N), plus the number as text (drawtext %{frame_num}) for eyes."""
    def mk(name: str, args: list[str]) -> str:
        out = os.path.join(d, name)
        subprocess.run([exe, "-v", "error", "-y", *args, out], check=True)
        return out

    sources = {
        "a": mk("a.mp4", ["-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r={FPS}:d=8", "-f", "lavfi", "-i",
                          "sine=f=440:d=8:sample_rate=48000", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                          "yuv420p", "-c:a", "aac", "-shortest"]),
        "b": mk("b.mp4", ["-f", "lavfi", "-i", f"mandelbrot=s={W}x{H}:r={FPS}", "-f", "lavfi", "-i",
                          "sine=f=660:d=8:sample_rate=48000", "-t", "8", "-c:v", "libx264", "-preset", "ultrafast",
                          "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]),
        "counter": mk("counter.mp4", [
            "-f", "lavfi", "-i", f"color=c=black:s={W}x{H}:r={FPS}:d=20", "-vf",
            f"geq=lum='255*mod(floor(N/pow(2,floor(X/32))),2)':cb=128:cr=128,"
            f"drawtext=text='%{{frame_num}}':x=4:y=h-th-4:fontsize=40:fontcolor=red:box=1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]),
    }
    return sources


def seam_project(m: dict[str, str], crf: int = 0) -> dict:
    """9 s; at 3 s and 6 s (the boundaries of three segments) a transition between speed-changed clips
    is in progress, a text clip is fading, and the counter overlay runs across everything."""
    return {
        "settings": {"width": W, "height": H, "fps": FPS},
        "output": {"preset": "ultrafast", "crf": crf, "audio_codec": "aac"},
        "tracks": [
            {"id": "main", "kind": "video", "clips": [
                {"type": "media", "source": m["a"], "start": 0, "duration": 3.5},
                {"type": "media", "source": m["b"], "start": 2.5, "duration": 4, "speed": 1.5,
                 "transition": {"type": "dissolve", "duration": 1}},
                {"type": "media", "source": m["a"], "start": 5.5, "duration": 3.5, "speed": 0.75, "source_in": 1,
                 "transition": {"type": "wipeleft", "duration": 1}, "fade_out": 0.5}]},
            {"id": "counter", "kind": "video", "clips": [
                {"type": "media", "source": m["counter"], "start": 0, "duration": 9, "mute": True,
                 "transform": {"scale": 0.5, "y": 0.1}}]},
            {"id": "title", "kind": "text", "clips": [
                {"type": "text", "text": "across the seams", "start": 1, "duration": 7, "fade_in": 2.5,
                 "fade_out": 2.5, "size": 24, "box": True}]},
        ],
    }


def counter_values(path: str, full: bool = False) -> list[int]:
    """The counter read back from every decoded frame of ``path`` (row 20, block centres), as the
    half-size overlay of :func:`seam_project` or, with ``full``, as a full-frame clip."""
    x0, step = (0, 32) if full else (80, 16)
    out = []
    for frame in gray_frames(path):
        row = frame[20]
        out.append(sum((1 if row[x0 + step * i + step // 2] > 128 else 0) << i for i in range(BITS)))
    return out


def gray_frames(path: str) -> list[np.ndarray]:
    import av

    with av.open(path) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def rgb_frames(path: str) -> list[np.ndarray]:
    import av

    with av.open(path) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def facts(path: str) -> dict:
    """Frame count, stream durations and starts, decoded audio samples and the audio packets."""
    import av

    with av.open(path) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = {"v_duration": float(v.duration * v.time_base), "v_start": v.start_time,
                "a_duration": float(a.duration * a.time_base), "a_start": a.start_time}
        packets = [(p.pts, bytes(p)) for p in c.demux(a) if p.size]
    with av.open(path) as c:
        samples = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    with av.open(path) as c:
        pts = [f.pts for f in c.decode(video=0)]
    return {**info, "frames": len(pts), "pts": pts, "samples": samples, "packets": packets}
