"""The FFmpeg runner on its own: progress parsing, stderr draining, errors, cancel, atomic outputs."""

from __future__ import annotations

import os
import threading
import time

import pytest

from reelkit.builtin_plugins.compiler.errors import RenderFailed, RenderStalled
from reelkit.builtin_plugins.compiler.executor import FFmpegRun, commit, discard, temp_target
from reelkit.builtin_plugins.compiler.encoders import PROGRESS_ARGS
from reelkit.sdk import JobCancelled


def test_floods_of_stderr_never_block(ffmpeg_exe):
    """-v debug prints megabytes to stderr; the run still finishes and keeps only a tail."""
    args = [ffmpeg_exe, "-v", "debug", *PROGRESS_ARGS, "-f", "lavfi", "-i", "testsrc2=s=64x64:r=25:d=4",
            "-f", "null", "-"]
    seen = []
    run = FFmpegRun(args, total=4.0, on_progress=seen.append)
    done = threading.Event()
    result = {}

    def go():
        result["r"] = run.run()
        done.set()

    threading.Thread(target=go, daemon=True).start()
    assert done.wait(60), "FFmpeg blocked on a full pipe"
    r = result["r"]
    assert r.returncode == 0 and len(r.stderr_tail) == 40
    assert seen[-1].done and seen[-1].fraction == 1.0 and seen[-1].frame == 100


def test_failure_carries_the_last_lines(ffmpeg_exe, tmp_path):
    args = [ffmpeg_exe, "-v", "error", "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"]
    with pytest.raises(RenderFailed) as e:
        FFmpegRun(args, total=1).run()
    assert "missing.mp4" in e.value.message and e.value.details["returncode"] != 0


def test_progress_blocks_are_parsed_with_na_values():
    seen = []
    run = FFmpegRun(["ffmpeg"], total=10.0, on_progress=seen.append)
    run._started = time.monotonic() - 2
    run._emit({"frame": "60", "fps": "30.0", "out_time_us": "2000000", "speed": "1.0x"}, done=False)
    run._emit({"frame": "N/A", "fps": "N/A", "out_time_us": "N/A", "speed": "N/A"}, done=False)
    a, b = seen
    assert (a.frame, a.out_time, a.fraction, a.speed) == (60, 2.0, 0.2, 1.0)
    assert a.eta == pytest.approx(8.0)
    assert (b.frame, b.out_time) == (60, 2.0) and b.speed is None


def test_cancel_terminates_ffmpeg(ffmpeg_exe):
    args = [ffmpeg_exe, "-v", "error", *PROGRESS_ARGS, "-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:d=600",
            "-f", "null", "-"]
    run = FFmpegRun(args, total=600, grace=5)
    run.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    threading.Timer(0, run.cancel).start()
    with pytest.raises(JobCancelled):
        run.wait()
    assert time.monotonic() - t0 < 1.0 and run.proc.returncode is not None


def test_cancel_kills_what_ignores_sigterm():
    """A process that ignores SIGTERM is killed (with its process group) once the grace period is over."""
    run = FFmpegRun(["sh", "-c", "trap '' TERM; sleep 30; echo never"], total=30, grace=0.3)
    run.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    run.cancel()
    with pytest.raises(JobCancelled):
        run.wait()
    took = time.monotonic() - t0
    assert 0.25 < took < 2.0 and run.proc.returncode == -9


STUCK = """
echo 'frame=1'; echo 'out_time_us=100000'; echo 'progress=continue'
echo 'frame=2'; echo 'out_time_us=200000'; echo 'progress=continue'
while true; do echo 'frame=2'; echo 'out_time_us=200000'; echo 'progress=continue'; sleep 0.1; done
"""


def test_a_stalled_ffmpeg_is_killed_and_reported():
    """Progress blocks that stop advancing (FFmpeg 9's scheduler deadlock) end in RenderStalled, process gone."""
    run = FFmpegRun(["sh", "-c", STUCK], total=5, stall=1.0)
    t0 = time.monotonic()
    with pytest.raises(RenderStalled) as e:
        run.run()
    assert 1.0 <= time.monotonic() - t0 < 4.0
    assert run.proc.returncode == -9
    assert e.value.code == "compiler.render_stalled" and "no progress for 1 s" in e.value.message
    assert e.value.details["out_time"] == pytest.approx(0.2)


def test_a_slow_but_moving_ffmpeg_is_not_a_stall():
    moving = "for i in $(seq 1 12); do echo frame=$i; echo out_time_us=${i}00000; echo progress=continue; sleep 0.1; done"
    run = FFmpegRun(["sh", "-c", moving], total=2, stall=0.5)
    result = run.run()
    assert result.returncode == 0 and result.last.frame == 12


def test_temp_target_commit_and_discard(tmp_path):
    out = tmp_path / "final.mp4"
    tmp = temp_target(str(out))
    assert os.path.dirname(tmp) == str(tmp_path) and tmp.endswith(".mp4") and os.path.basename(tmp).startswith(".")
    with open(tmp, "wb") as fh:
        fh.write(b"data")
    commit(tmp, str(out))
    assert out.read_bytes() == b"data" and not os.path.exists(tmp)
    tmp2 = temp_target(str(out))
    open(tmp2, "wb").close()
    discard(tmp2)
    discard(tmp2)  # twice is fine
    assert sorted(os.listdir(tmp_path)) == ["final.mp4"]
