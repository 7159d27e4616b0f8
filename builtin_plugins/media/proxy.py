"""Proxy files: a low-resolution H.264/AAC copy of a heavy source, made by the FFmpeg CLI.

The encode writes to a temporary name beside the target and is renamed only when FFmpeg exits
cleanly; a failure or a cancel removes the temporary file, so a proxy path either holds a complete
file or nothing. Progress comes from ``-progress pipe:1`` (``out_time_us``).
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from reelkit.sdk.files import atomic_output

from .errors import FFmpegFailed

__all__ = ["build_command", "make_proxy"]


def build_command(exe: str, src: str, dst: str, height: int, crf: int, threads: int = 2) -> list[str]:
    """The ffmpeg command line of a proxy encode (never upscales; keeps width even)."""
    scale = f"scale=-2:'trunc(min(ih,{int(height)})/2)*2'"
    return [
        exe, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-i", src,
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", scale, "-c:v", "libx264", "-preset", "veryfast", "-crf", str(int(crf)), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-threads", str(int(threads)),
        "-progress", "pipe:1", "-stats_period", "0.25", "-f", "mp4", dst,
    ]


def make_proxy(
    exe: str,
    src: str,
    dst: Path,
    *,
    height: int,
    crf: int,
    duration: float | None,
    on_progress: Callable[[float, float], None] | None = None,
    cancelled: threading.Event | None = None,
) -> bool:
    """Encode ``src`` into ``dst``; returns False if cancelled (nothing left behind).

    ``on_progress(fraction, seconds_done)`` is called from this thread about 4 times a second.
    Raises FFmpegFailed with FFmpeg's last words when the encode fails.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_output(dst, suffix=".part.mp4") as tmp:  # removed on failure or cancel, renamed on success
            _encode(exe, src, str(tmp), height, crf, duration, on_progress, cancelled)
    except _Cancelled:
        return False
    if on_progress:
        on_progress(1.0, duration or 0.0)
    return True


class _Cancelled(Exception):
    """Leaves the ``atomic_output`` block so that the partial file is removed."""


def _encode(exe: str, src: str, tmp: str, height: int, crf: int, duration: float | None,
            on_progress: Callable[[float, float], None] | None, cancelled: threading.Event | None) -> None:
    proc = subprocess.Popen(build_command(exe, src, tmp, height, crf), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    stderr_tail: deque[str] = deque(maxlen=20)
    drain = threading.Thread(target=lambda: stderr_tail.extend(proc.stderr), daemon=True)
    drain.start()
    if cancelled is not None:
        # SIGTERM lets FFmpeg exit in ~0.6 s; the partial temp file is removed by atomic_output
        watcher = threading.Thread(target=_stop_on, args=(cancelled, proc), daemon=True)
        watcher.start()
    try:
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit() and on_progress and duration:
                done = max(0, int(value)) / 1e6
                on_progress(min(done / duration, 0.999), done)
        rc = proc.wait()
        drain.join(timeout=5)
        if cancelled is not None and cancelled.is_set():
            raise _Cancelled
        if rc != 0:
            raise FFmpegFailed(f"proxy of {src} failed: ffmpeg exited with {rc}: {''.join(stderr_tail).strip()[-500:]}",
                               details={"path": src, "returncode": rc})
    finally:
        if proc.poll() is None:  # the file is deleted only once nothing writes it any more
            proc.kill()
            proc.wait()


def _stop_on(cancelled: threading.Event, proc: subprocess.Popen) -> None:
    while proc.poll() is None:
        if cancelled.wait(0.1):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            return
