"""Render tasks that run on Dask workers: one segment's video, or the whole audio mix.

Each task rebuilds the timeline from the project document and the caller's probe results, using the
worker's own reelkit kernel (:func:`reelkit.kernel.cluster_worker.runtime`) for the effects catalog,
so effects that plugins contribute exist on the worker too. It writes to a temporary name in the
shared parts folder and renames at the end; a cancel (``cancel_job`` on every worker) stops FFmpeg
and removes the temporary file. FFmpeg dies with its worker (``PR_SET_PDEATHSIG`` on Linux), so a
killed worker leaves no orphan encoding behind while its segment reruns elsewhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from typing import Any

from .executor import FFmpegRun, commit, discard, temp_target


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the worker process dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.setsid()  # its own process group, as FFmpegRun does: a cancel kills the whole group


class WorkerFFmpegRun(FFmpegRun):
    """An :class:`FFmpegRun` whose FFmpeg does not outlive the worker process."""

    def start(self) -> None:
        self._started = time.monotonic()
        self._cpu0 = None
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE,
                                         preexec_fn=_die_with_parent if os.name == "posix" else None)
        except OSError as e:
            from .errors import RenderFailed

            raise RenderFailed(f"cannot start FFmpeg ({self.args[0]}) on the worker: {e}") from e
        self._stderr_reader = threading.Thread(target=self._drain_stderr, name="ffmpeg-stderr", daemon=True)
        self._stderr_reader.start()
        self._moved = self._started
        if self.stall:
            threading.Thread(target=self._watch, name="ffmpeg-watchdog", daemon=True).start()


def _timeline(spec: dict[str, Any]) -> tuple[Any, Any]:
    """(timeline, CompilerService) on this worker."""
    from reelkit.kernel.cluster_worker import runtime

    from .project import Project
    from .render import raise_problems
    from .service import CompilerService
    from .timeline import SourceInfo, resolve

    svc = runtime().service(CompilerService)
    project = Project.model_validate(spec["project"])
    probes = {p: (SourceInfo(**d) if d is not None else None) for p, d in spec["probes"].items()}
    tl, problems = resolve(project, probes.get, svc.catalog())
    raise_problems(problems)
    return tl, svc


def _run(spec: dict[str, Any], args_for: Any, target: str, total: float, on_frame: Any) -> dict[str, Any]:
    from reelkit.kernel.cluster_worker import tracked

    from .errors import RenderStalled

    tl, svc = _timeline(spec)
    workdir = tempfile.mkdtemp(prefix="reelkit-part-")
    temp = temp_target(target)
    try:
        plan = args_for(tl, svc.exe(), temp, workdir)
        for attempt in range(svc.stall_retries() + 1):
            run = WorkerFFmpegRun(plan.command.args, plan.duration, on_frame, grace=svc.cancel_grace(),
                                  stall=svc.stall_seconds())
            with tracked(spec["job_id"], run):
                run.start()
                try:
                    result = run.wait()
                    break
                except RenderStalled:
                    discard(temp)  # FFmpeg 9's random scheduler deadlock: the same command usually goes through
                    if attempt == svc.stall_retries():
                        raise
        commit(temp, target)
        return {"path": target, "frames": result.last.frame, "wall": round(result.wall, 3),
                "worker": _worker_address(), "pid": os.getpid()}
    finally:
        discard(temp)
        shutil.rmtree(workdir, ignore_errors=True)


def render_segment(spec: dict[str, Any], index: int, start: int, end: int) -> dict[str, Any]:
    """Render frames ``start`` … ``end`` of the composition's video into the parts folder."""
    from reelkit.kernel.cluster_worker import report

    from .segments import Window, plan_window

    win = Window(index, start, end)
    target = os.path.join(spec["parts"], f"seg{index:05d}.{spec['ext']}")
    topic = spec["topic"]

    def on_frame(p: Any) -> None:
        report(topic, {"segment": index, "frame": min(p.frame, win.frames)})

    def args_for(tl: Any, exe: str, temp: str, workdir: str) -> Any:
        return plan_window(tl, win, exe, temp, spec["container"], spec["encoder"], workdir)

    out = _run(spec, args_for, target, float(win.frames), on_frame)
    report(topic, {"segment": index, "frame": win.frames})
    return {**out, "index": index, "expected": win.frames}


def render_audio(spec: dict[str, Any]) -> dict[str, Any]:
    """Mix the whole timeline's audio once (encoded as AAC, or as float PCM) into the parts folder."""
    from .segments import plan_audio

    target = os.path.join(spec["parts"], f"audio.{spec['audio_ext']}")
    return _run(spec, lambda tl, exe, temp, workdir: plan_audio(tl, exe, temp, workdir, spec["container"]), target,
                1.0, None)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:
        return ""
