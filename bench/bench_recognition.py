"""Recognition benchmark: the video pipeline vs raw session.run vs a naive sequential loop.

    .venv/bin/python bench/bench_recognition.py [--seconds 20] [--long 60] [--threads 2]

Measured side by side in one run, on generated 640x360 H.264 clips, with YOLOX-Nano from
../shared/models (or REELKIT_RECOGNITION__MODELS_DIR):

- raw:      ``session.run`` back to back on the same frames, already decoded and letterboxed
            (nothing else runs), in four configurations: one caller on --threads threads with
            spinning off and on, one caller on one thread, and as many one-thread callers as the
            pipeline has workers. Single stream = the best one-caller figure; best = the best of all
            (the inference limit of this machine)
- pipeline: ``detect_video`` on every frame, as the plugin configures it: decode thread → pooled
            buffers → inference workers → in-order NMS
- naive:    one frame at a time: decode, convert, letterbox (Pillow), infer (a session with ONNX
            Runtime's defaults), decode + NMS
- memory:   RSS sampled while ``RecognitionService.detect_video`` (pipeline and aggregation) runs
            over a long clip, every frame; flat = the peak stays within a few MB of the level reached
            after the first tenth of the video (the per-frame results it keeps are included)

Targets (issue 6): pipeline ≥ 0.85 × raw, ≥ 1.3 × naive on 2 cores; memory flat over a long video.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_clip(path: Path, seconds: int, fps: int = 30) -> Path:
    """A 640x360 clip with motion and detail (testsrc2 + a moving photo-like noise band)."""
    import imageio_ffmpeg

    if path.exists():
        return path
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
         "-i", f"testsrc2=s=640x360:r={fps}:d={seconds}", "-c:v", "libx264", "-preset", "veryfast",
         "-pix_fmt", "yuv420p", "-g", str(fps * 2), str(path)],
        check=True,
    )
    return path


def prepared_frames(path: Path, card):
    """Decode every frame and letterbox it exactly as the pipeline does; returns float tensors."""
    import av
    import numpy as np
    from av.video.reformatter import VideoReformatter

    from reelkit.builtin_plugins.recognition.letterbox import Letterbox, fill_frame

    out, sws = [], VideoReformatter()
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        box = Letterbox.for_card(s.codec_context.width, s.codec_context.height, card)
        for frame in c.decode(s):
            t = np.empty((1, 3, *card.input_size), np.float32)
            fill_frame(t[0], frame, box, card, sws)
            out.append(t)
    return out


def timed(fn) -> tuple[float, float]:
    """Run ``fn() -> frames``; returns (frames per wall second, CPU ms per frame over all threads)."""
    w0, c0 = time.perf_counter(), time.process_time()
    n = fn()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return n / wall, cpu / n * 1000


def bench_raw(det, frames, callers: int = 1) -> tuple[float, float]:
    """``session.run`` back to back over ``frames``, from ``callers`` threads at once."""
    session, name, outs = det.model.session, det.model.input_name, det.model.output_names

    def part(chunk):
        for t in chunk:
            session.run(outs, {name: t})

    def go():
        if callers == 1:
            part(frames)
        else:
            ths = [threading.Thread(target=part, args=(frames[i::callers],)) for i in range(callers)]
            for t in ths:
                t.start()
            for t in ths:
                t.join()
        return len(frames)

    return timed(go)


def bench_pipeline(det, path: Path, fps=None) -> tuple[float, float]:
    from reelkit.builtin_plugins.recognition.pipeline import detect_video

    return timed(lambda: sum(1 for _ in detect_video(det, path, fps=fps)))


def bench_naive(det, path: Path) -> tuple[float, float]:
    import av

    def go():
        n = 0
        with av.open(str(path)) as c:
            for frame in c.decode(c.streams.video[0]):
                det.detect_rgb(frame.to_ndarray(format="rgb24"))
                n += 1
        return n

    return timed(go)


def bench_memory(models_dir: Path, model: str, path: Path) -> dict:
    """RSS over a whole ``RecognitionService.detect_video`` run (pipeline + aggregation), every frame."""
    import psutil

    from reelkit.builtin_plugins.recognition.service import RecognitionService
    from reelkit.builtin_plugins.recognition.settings import RecognitionSettings

    svc = RecognitionService(RecognitionSettings(models_dir=str(models_dir), model=model), Path(tempfile.gettempdir()))
    svc.detector()  # load outside the measurement
    proc = psutil.Process()
    samples: list[tuple[float, int]] = []  # (fraction of the video done, rss)
    progress = [0.0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append((progress[0], proc.memory_info().rss))
            time.sleep(0.05)

    def on_frame(frames, t, fraction, count):
        progress[0] = fraction

    th = threading.Thread(target=sample, daemon=True)
    start_rss = proc.memory_info().rss
    th.start()
    t0 = time.perf_counter()
    report = svc.detect_video(path, fps=0, on_frame=on_frame)
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    warm = [rss for f, rss in samples if 0.08 <= f <= 0.12] or [samples[len(samples) // 10][1]]
    late = [rss for f, rss in samples if f >= 0.9] or [samples[-1][1]]
    return {
        "frames": report.frames_analysed, "decoded": report.frames_decoded, "wall": wall, "start": start_rss,
        "warm": max(warm), "peak": max(r for _, r in samples), "late": max(late),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # 600 frames: long enough that starting and draining the pipeline (a few ms) stays near 1 % of
    # the run, as on real footage; the raw runs hold the same 600 frames prepared (1.2 GB).
    ap.add_argument("--seconds", type=int, default=20, help="Length of the speed clip (30 fps)")
    ap.add_argument("--long", type=int, default=60, help="Length of the memory clip (seconds)")
    ap.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    ap.add_argument("--model", default="yolox_nano")
    ap.add_argument("--rounds", type=int, default=3, help="Interleaved rounds; each method keeps its best")
    ap.add_argument("--memory-only", metavar="CLIP", help=argparse.SUPPRESS)  # the child process of the memory run
    args = ap.parse_args()
    models_dir = Path(os.environ.get("REELKIT_RECOGNITION__MODELS_DIR") or ROOT.parent / "shared" / "models")
    if args.memory_only:
        import json

        print(json.dumps(bench_memory(models_dir, args.model, Path(args.memory_only))))
        return 0

    from reelkit.builtin_plugins.recognition.detector import Detector
    from reelkit.builtin_plugins.recognition.runtime import load_model
    from reelkit.builtin_plugins.recognition.service import RecognitionService
    from reelkit.builtin_plugins.recognition.settings import RecognitionSettings

    path = models_dir / f"{args.model}.onnx"
    # The pipeline as the plugin configures it by default (inference workers and threads from the machine).
    svc = RecognitionService(RecognitionSettings(models_dir=str(models_dir), model=args.model), Path(tempfile.gettempdir()))
    plugin = svc.detector()
    # Raw inference gets every configuration and keeps the fastest as the limit: one caller on
    # --threads threads (spinning on and off), one caller on one thread, and as many single-threaded
    # callers as the pipeline has workers.
    multi = Detector(load_model(path, threads=args.threads))
    multi_spin = Detector(load_model(path, threads=args.threads, spinning=True))
    single = Detector(load_model(path, threads=1))
    defaults = Detector(load_model(path, threads=0, spinning=True))  # ONNX Runtime's own defaults
    raw_variants = {
        f"1 caller × {args.threads} threads": lambda: bench_raw(multi, frames),
        f"1 caller × {args.threads} threads, spinning": lambda: bench_raw(multi_spin, frames),
        "1 caller × 1 thread": lambda: bench_raw(single, frames),
        f"{plugin.workers} callers × 1 thread": lambda: bench_raw(single, frames, plugin.workers),
    }
    work = Path(tempfile.gettempdir()) / "reelkit-bench-recognition"
    work.mkdir(exist_ok=True)
    clip = make_clip(work / f"speed_{args.seconds}s_30fps.mp4", args.seconds)
    long_clip = make_clip(work / f"long_{args.long}s.mp4", args.long)
    print(f"model {args.model} on {plugin.model.provider}, {os.cpu_count()} CPUs; pipeline: {plugin.workers} "
          f"inference workers; load average {os.getloadavg()[0]:.1f}")

    frames = prepared_frames(clip, plugin.card)
    bench_raw(single, frames[:10])  # warm caches
    # Interleave the runs and keep each one's best, so background load hits all alike.
    raws: dict[str, list] = {k: [] for k in raw_variants}
    pipe, naive = [], []
    for _ in range(args.rounds):
        for k, fn in raw_variants.items():
            raws[k].append(fn())
        pipe.append(bench_pipeline(plugin, clip))
        naive.append(bench_naive(defaults, clip))  # one frame at a time, a session with ORT's defaults
    best_raw = {k: max(v) for k, v in raws.items()}
    raw_name = max(best_raw, key=lambda k: best_raw[k])
    # The usual way to call a session: one caller, one run at a time (best of its thread settings).
    std_name = max((k for k in best_raw if k.startswith("1 caller")), key=lambda k: best_raw[k])
    (raw_fps, raw_cpu), (std_fps, _) = best_raw[raw_name], best_raw[std_name]
    (pipe_fps, pipe_cpu), (naive_fps, naive_cpu) = max(pipe), max(naive)
    del frames

    # In a fresh process, so the figures are the plugin's own footprint, not this benchmark's.
    import json

    child = subprocess.run([sys.executable, __file__, "--model", args.model, "--memory-only", str(long_clip)],
                           capture_output=True, text=True, check=True)
    mem = json.loads(child.stdout.strip().splitlines()[-1])
    mb = 1 / 2**20
    growth = (mem["peak"] - mem["warm"]) * mb
    rows = [
        (f"raw session.run, single stream: {std_name}", f"{std_fps:7.1f} fps", "1.00", "one run at a time"),
        (f"raw session.run, best: {raw_name}", f"{raw_fps:7.1f} fps", f"{raw_fps / std_fps:.2f}",
         "the limit on this machine"),
        ("pipeline (decode ∥ infer ∥ NMS)", f"{pipe_fps:7.1f} fps",
         f"{pipe_fps / std_fps:.2f} × single-stream raw, {pipe_fps / raw_fps:.2f} × best raw",
         f"≥ 0.85 × raw: {'PASS' if pipe_fps / std_fps >= 0.85 else 'FAIL'} (single-stream), "
         f"{'PASS' if pipe_fps / raw_fps >= 0.85 else 'FAIL'} (best)"),
        ("naive sequential loop", f"{naive_fps:7.1f} fps", f"pipeline = {pipe_fps / naive_fps:.2f} × naive",
         f"≥ 1.3 × naive: {'PASS' if pipe_fps / naive_fps >= 1.3 else 'FAIL'}"),
        (f"memory, {args.long} s 640x360 clip, {mem['frames']} frames", f"{mem['peak'] * mb:7.0f} MB peak",
         f"+{growth:.1f} MB after the first 10 %",
         f"flat (< 20 MB growth): {'PASS' if growth < 20 else 'FAIL'}"),
    ]
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"\n{'what':<{w[0]}}  {'rate':>{w[1]}}  {'ratio':<{w[2]}}  target")
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    print("\nruns (fps, CPU ms per frame over all threads):")
    for k, v in raws.items():
        print(f"  raw {k}: {', '.join(f'{x:.1f} ({c:.1f})' for x, c in v)}")
    print(f"  pipeline: {', '.join(f'{x:.1f} ({c:.1f})' for x, c in pipe)}")
    print(f"  naive: {', '.join(f'{x:.1f} ({c:.1f})' for x, c in naive)}")
    print(f"CPU per frame (all threads, best run): raw {raw_cpu:.1f} ms, pipeline {pipe_cpu:.1f} ms, naive {naive_cpu:.1f} ms")
    print(f"memory: start {mem['start'] * mb:.0f} MB, after 10 % {mem['warm'] * mb:.0f} MB, "
          f"last 10 % {mem['late'] * mb:.0f} MB, peak {mem['peak'] * mb:.0f} MB; "
          f"{mem['decoded']} frames decoded in {mem['wall']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
