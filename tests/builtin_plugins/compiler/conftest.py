"""Tiny generated media for the compiler tests (160x90, 2 s) and helpers that read outputs back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

W, H = 160, 90


def _make(exe: str, args: list[str], out: Path) -> str:
    subprocess.run([exe, "-v", "error", "-y", *args, str(out)], check=True)
    return str(out)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Solid-colour clips with distinct tones, a music bed, a still, a subtitle file."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    d = tmp_path_factory.mktemp("compiler-media")
    out: dict[str, str] = {}
    for name, colour, tone in (("red", "red", 440), ("blue", "blue", 660), ("green", "green", 880)):
        out[name] = _make(exe, ["-f", "lavfi", "-i", f"color=c={colour}:s={W}x{H}:r=30:d=2", "-f", "lavfi", "-i",
                                f"sine=f={tone}:d=2:sample_rate=48000", "-c:v", "libx264", "-preset", "ultrafast",
                                "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"], d / f"{name}.mp4")
    out["silent"] = _make(exe, ["-f", "lavfi", "-i", f"color=c=white:s={W}x{H}:r=30:d=2", "-c:v", "libx264",
                                "-preset", "ultrafast", "-pix_fmt", "yuv420p"], d / "silent.mp4")
    out["music"] = _make(exe, ["-f", "lavfi", "-i", "sine=f=220:d=6:sample_rate=48000", "-c:a", "aac"], d / "music.m4a")
    out["still"] = _make(exe, ["-f", "lavfi", "-i", f"color=c=yellow:s={W}x{H}", "-frames:v", "1", "-update", "1"],
                         d / "still.png")
    out["counter"] = _make(exe, ["-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r=30:d=20", "-c:v", "libx264", "-preset",
                                 "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"], d / "counter.mp4")
    out["square"] = _make(exe, ["-f", "lavfi", "-i", "color=c=magenta:s=90x90", "-frames:v", "1", "-update", "1"],
                          d / "square.png")
    srt = d / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,800\nHELLO WORLD\n", encoding="utf-8")
    out["srt"] = str(srt)
    out["dir"] = str(d)
    return out


def clip(source: str, start: float, duration: float, **kw) -> dict:
    return {"type": "media", "source": source, "start": start, "duration": duration, **kw}


def project(*tracks: dict, **kw) -> dict:
    doc = {"settings": {"width": W, "height": H, "fps": 30}, "output": {"preset": "ultrafast"}, "tracks": list(tracks)}
    for k, v in kw.items():
        doc[k] = {**doc.get(k, {}), **v} if isinstance(v, dict) else v
    return doc


def video_track(*clips: dict, id: str = "v", **kw) -> dict:
    return {"id": id, "kind": "video", "clips": list(clips), **kw}


def frame_at(path: str, t: float) -> np.ndarray:
    """The RGB frame shown at ``t`` seconds."""
    import av

    with av.open(path) as c:
        best = None
        for f in c.decode(video=0):
            ft = float(f.pts * f.time_base)
            if ft <= t + 1e-3:
                best = f
            else:
                break
        assert best is not None, f"no frame at {t}s in {path}"
        return best.to_ndarray(format="rgb24")


def video_facts(path: str) -> tuple[int, float]:
    """(decoded frame count, container duration) of ``path``."""
    import av

    with av.open(path) as c:
        n = sum(1 for _ in c.decode(video=0))
        return n, c.duration / 1e6


def audio_rms(path: str, a: float, b: float) -> float:
    """RMS level (linear) of the audio between ``a`` and ``b`` seconds."""
    import av

    chunks = []
    with av.open(path) as c:
        for f in c.decode(audio=0):
            t = float(f.pts * f.time_base)
            arr = f.to_ndarray()
            sr = f.sample_rate
            times = t + np.arange(arr.shape[-1]) / sr
            m = (times >= a) & (times < b)
            if m.any():
                chunks.append(arr[..., m].reshape(-1))
    data = np.concatenate(chunks) if chunks else np.zeros(1)
    return float(np.sqrt(np.mean(np.square(data.astype(np.float64)))))


def near(pixel, rgb, tol: int = 30) -> bool:
    return all(abs(int(p) - q) <= tol for p, q in zip(pixel, rgb))
