"""Run FFmpeg: parse ``-progress pipe:1``, keep stderr's tail, cancel for real, never leave partial files.

- stdout carries the ``key=value`` progress blocks (every 0.5 s); each block ending in ``progress=``
  becomes a :class:`Progress` for the callback.
- stderr is drained by its own thread into a bounded deque, so FFmpeg can print any amount without
  the pipe filling up (no deadlock); its last lines go into the error when FFmpeg fails.
- :meth:`FFmpegRun.cancel` sends SIGTERM, then SIGKILL after ``grace`` seconds.
- The caller renders to a temporary name (:func:`temp_target`) and :func:`commit` renames it into
  place after an fsync; on failure or cancel :func:`discard` removes it.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from reelkit.sdk import JobCancelled

from .errors import RenderFailed, RenderStalled


@dataclass
class Progress:
    """One progress report from FFmpeg."""

    frame: int = 0
    fps: float = 0.0
    speed: float | None = None
    out_time: float = 0.0  # seconds of output written
    fraction: float = 0.0
    eta: float | None = None  # seconds left
    elapsed: float = 0.0
    done: bool = False


@dataclass
class RunResult:
    """How a finished FFmpeg run went."""

    returncode: int
    wall: float
    cpu: float | None
    stderr_tail: list[str]
    last: Progress
    first_progress_after: float | None


def _f(value: str | None) -> float | None:
    try:
        return float(value.rstrip("x")) if value not in (None, "", "N/A") else None
    except ValueError:
        return None


class FFmpegRun:
    """One FFmpeg process with progress, stderr tail and cancel."""

    def __init__(self, args: list[str], total: float, on_progress: Callable[[Progress], None] | None = None,
                 grace: float = 0.5, tail: int = 40, stall: float | None = 30.0, rate: float | None = None):
        self.args = args
        #: frames per second of the output video; progress then follows the video (see _emit)
        self.rate = rate
        self.total = max(total, 1e-6)
        self.on_progress = on_progress
        self.grace = grace
        self.stderr: collections.deque[str] = collections.deque(maxlen=tail)
        self.proc: subprocess.Popen[bytes] | None = None
        self.cancelled = threading.Event()
        self._started = 0.0
        self._first: float | None = None
        self._last = Progress()
        self._cpu0: float | None = None
        self.stall = stall
        self.stalled = threading.Event()
        self._moved = 0.0  # monotonic time of the last advance of FFmpeg's output time or frame

    def start(self) -> None:
        """Spawn FFmpeg (its own process group, so a terminal's Ctrl-C reaches only us)."""
        self._started = time.monotonic()
        self._cpu0 = _child_cpu()
        kw = {"start_new_session": True} if os.name == "posix" else {}
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, **kw)
        except OSError as e:
            raise RenderFailed(f"cannot start FFmpeg ({self.args[0]}): {e}") from e
        self._stderr_reader = threading.Thread(target=self._drain_stderr, name="ffmpeg-stderr", daemon=True)
        self._stderr_reader.start()
        self._moved = self._started
        if self.stall:
            threading.Thread(target=self._watch, name="ffmpeg-watchdog", daemon=True).start()

    def _watch(self) -> None:
        """Kill FFmpeg when its output stops advancing for ``stall`` seconds.

        FFmpeg 9's threaded scheduler can deadlock on some graphs (an overlay fed by a trimmed,
        time-shifted clip, a filter after it, and an audio output: such commands hung in 10-35 % of
        their runs here, with lavfi inputs and ``-f null`` too). Progress blocks keep coming with the
        same out_time, so "no block" is not the signal; no advance is.
        """
        assert self.proc is not None and self.stall
        while self.proc.poll() is None and not self.cancelled.is_set():
            if time.monotonic() - self._moved > self.stall:
                self.stalled.set()
                self._kill()
                return
            time.sleep(min(1.0, self.stall / 4))

    def _drain_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.stderr.append(line)

    def _read_progress(self) -> None:
        assert self.proc and self.proc.stdout
        block: dict[str, str] = {}
        for raw in iter(self.proc.stdout.readline, b""):
            key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
            if key != "progress":
                block[key] = value
                continue
            self._emit(block, done=value == "end")
            block = {}

    def _emit(self, block: dict[str, str], done: bool) -> None:
        now = time.monotonic()
        elapsed = now - self._started
        us = _f(block.get("out_time_us")) or _f(block.get("out_time_ms"))
        out_time = max(0.0, us / 1e6) if us is not None else self._last.out_time
        text = block.get("frame", "")
        frame = int(text) if text.isdigit() else self._last.frame
        if self.rate and frame:
            # out_time is the muxer's, which the audio leads by the encoder's lookahead (~100 frames with
            # x264): report the video's own time so frame, out_time and fraction agree
            out_time = min(out_time, frame / self.rate) if us is not None else frame / self.rate
        elif self.rate and not done:
            out_time = 0.0
        fraction = 1.0 if done else min(out_time / self.total, 0.999)
        speed = _f(block.get("speed"))
        if self.rate and elapsed > 0 and out_time > 0:
            speed = out_time / elapsed
        eta = None
        if not done and fraction > 0:
            eta = (self.total - out_time) / speed if speed else elapsed * (1 - fraction) / fraction
        fps = _f(block.get("fps")) or 0.0
        if fps <= 0 and frame and elapsed > 0:  # FFmpeg 9 reports fps=0.00 with -nostats: measure it
            fps = frame / elapsed
        p = Progress(frame, round(fps, 2), speed, out_time, fraction, eta, elapsed, done)
        if p.out_time > self._last.out_time or p.frame > self._last.frame:
            self._moved = now
        self._last = p
        if self._first is None:
            self._first = elapsed
        if self.on_progress is not None:
            self.on_progress(p)

    def wait(self) -> RunResult:
        """Read progress until FFmpeg exits; raise on failure or cancel."""
        assert self.proc is not None
        try:
            self._read_progress()
            rc = self.proc.wait()
        finally:
            if self.proc.poll() is None:
                self._kill()
        # FFmpeg has exited, but its last stderr lines (the reason it failed) may still be in the
        # pipe: let the reader reach EOF before they are quoted (a failure read "(no message)")
        self._stderr_reader.join(timeout=5)
        cpu0, cpu1 = self._cpu0, _child_cpu()
        cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None  # approximate with concurrent children
        result = RunResult(rc, time.monotonic() - self._started, cpu, list(self.stderr), self._last, self._first)
        if self.cancelled.is_set():
            raise JobCancelled("the render was cancelled; FFmpeg was stopped and its partial output removed")
        if self.stalled.is_set():
            tail = "\n".join(list(self.stderr)[-12:]) or "(no message)"
            raise RenderStalled(
                f"FFmpeg made no progress for {self.stall:g} s (at {self._last.out_time:.2f} s of "
                f"{self.total:.2f} s) and was stopped; raise [compiler] stall_seconds if your renders "
                f"legitimately pause that long:\n{tail}",
                details={"out_time": self._last.out_time, "stderr_tail": list(self.stderr)})
        if rc != 0:
            tail = "\n".join(list(self.stderr)[-12:]) or "(no message)"
            raise RenderFailed(f"FFmpeg exited with status {rc}:\n{tail}",
                               details={"returncode": rc, "stderr_tail": list(self.stderr)})
        return result

    def run(self) -> RunResult:
        self.start()
        return self.wait()

    def cancel(self) -> None:
        """SIGTERM now, SIGKILL if FFmpeg is still there after the grace period. Safe from any thread."""
        self.cancelled.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.terminate()
        except ProcessLookupError:
            return
        threading.Thread(target=self._escalate, name="ffmpeg-kill", daemon=True).start()

    def _escalate(self) -> None:
        assert self.proc is not None
        try:
            self.proc.wait(self.grace)
        except subprocess.TimeoutExpired:
            self._kill()

    def _kill(self) -> None:
        assert self.proc is not None
        try:
            if os.name == "posix":
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()


def _child_cpu() -> float | None:
    try:
        import resource

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime
    except (ImportError, OSError):
        return None


def temp_target(output: str) -> str:
    """A temporary name next to ``output`` with the same extension (same filesystem: rename is atomic)."""
    d, name = os.path.split(os.path.abspath(output))
    stem, ext = os.path.splitext(name)
    return os.path.join(d, f".{stem}.reelkit-{uuid.uuid4().hex[:8]}.partial{ext}")


def commit(temp: str, output: str) -> None:
    """fsync ``temp`` and rename it onto ``output`` atomically."""
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, output)


def discard(path: str) -> None:
    """Remove a temporary output if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
