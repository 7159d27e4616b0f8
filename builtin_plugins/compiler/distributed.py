"""``compiler.render`` over a Dask cluster: segments rendered on workers, audio mixed once, joined here.

Wraps the pipeline's ``encode`` stage when ``[cluster] address`` is set, so callers see the same command,
the same result and the same events. The stages before it (validate, probe, plan) run as usual; this
stage then

1. splits the timeline into windows (:mod:`.segments`: clean cuts first, else equal lengths);
2. checks the storage assumption on every worker — sources readable and the parts folder (beside the
   output) visible at the caller's paths — and fails with ``cluster.storage_unreachable`` if not;
3. submits one task per window (:func:`.remote.render_segment`) and one for the audio mix
   (:func:`.remote.render_audio`); Dask reruns a task elsewhere when its worker dies;
4. reports frames done over total frames for the job, from every worker's progress events;
5. joins the parts into the pipeline's temporary output (video copied by the concat demuxer, audio
   encoded once), which ``finalize`` renames into place as in a local render.

A cancel stops every FFmpeg on every worker (``cancel_job`` broadcast) and the parts folder is removed
whatever happens, so no partial output is left anywhere. Renders this path cannot do exactly (previews,
containers other than MP4/MOV, audio codecs other than AAC/FLAC/PCM, hardware encoders, subtitle
tracks) run in one process as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import threading
import time
import uuid
from typing import Any

import structlog

from .executor import FFmpegRun, Progress

log = structlog.get_logger("reelkit.compiler.cluster")

# audio codecs the join supports, with the encoder's priming delay in samples for an audio part encoded at
# the join (FLAC, PCM): a single-process render stamps the first audio packet at 0, a separate encode at
# -delay, so the join offsets that input. AAC is encoded by the audio task into MP4, which starts at 0.
ENCODER_DELAY = {"aac": 1024, "flac": 0, "pcm": 0}


def not_distributable(st: Any) -> str | None:
    """Why this render runs in one process, or None."""
    from .encoders import SOFTWARE, container_for

    out = st.project.output
    container = container_for(st.output, out)
    acodec = None if out.audio_codec == "none" else (out.audio_codec or "aac")
    if st.preview:
        return "previews render in one process"
    if container not in ("mp4", "mov") or not st.vcodec:
        return f"the {container} container is joined only in one process"
    if acodec is not None and acodec not in ENCODER_DELAY:
        return f"{acodec} audio is joined only in one process"
    if st.encoder not in SOFTWARE.values():
        return f"the hardware encoder {st.encoder} may not exist on the workers"
    if any(t.kind == "subtitle" for t in st.project.tracks):
        return "subtitle tracks render in one process"
    return None


async def encode_stage(st: Any, inner: Any) -> None:
    """The ``encode`` stage: on the cluster when one is configured and the render allows it."""
    import asyncio

    cluster = st.extra.get("cluster")
    reason = not_distributable(st) if cluster is not None and cluster.enabled else "no cluster"
    if reason is None:
        job = ClusterRender(st, cluster)
        if st.on_process is not None:
            st.on_process(job)  # the job's cancel reaches every worker through job.cancel
        work = asyncio.ensure_future(asyncio.to_thread(job.run))
        try:
            done = await asyncio.shield(work)
        except asyncio.CancelledError:
            # the job was cancelled: stop the workers and wait for the thread, so the parts folder is gone
            # before the job reports its end
            job.cancel()
            with contextlib.suppress(BaseException):
                await work
            raise
        if done:
            return
        reason = "the timeline is too short to split"
    if cluster is not None and cluster.enabled:
        log.info("rendering in one process", output=st.output, reason=reason)
        st.stats["cluster"] = {"segments": 0, "reason": reason}
    await inner(st)


class ClusterRender:
    """One render's work on the cluster (blocking; runs in a thread)."""

    def __init__(self, st: Any, cluster: Any):
        self.st, self.cluster = st, cluster
        self.job_id = uuid.uuid4().hex[:12]
        self.cancelled = threading.Event()
        self.futures: list[Any] = []
        self.done: dict[int, int] = {}
        self._client: Any = None

    def cancel(self) -> None:
        """Stop every segment on every worker now (safe from any thread)."""
        self.cancelled.set()
        join = getattr(self, "_join_run", None)
        if join is not None:
            join.cancel()
        client = self._client
        if client is not None:
            from reelkit.kernel.cluster_worker import cancel_job

            threading.Thread(target=_quiet, args=(client.run, cancel_job, self.job_id), daemon=True).start()

    def run(self) -> bool:
        """Render into ``st.temp``; False when the timeline is too short for more than one segment."""
        from reelkit.kernel.cluster import ClusterUnavailable

        from .segments import every, split

        st, s = self.st, self.cluster.settings
        tl = st.timeline
        client = self.cluster.client()
        threads = self.cluster.workers()
        if threads == 0:
            raise ClusterUnavailable(f"the cluster at {s.address!r} has no workers; start some "
                                     "(reelkit cluster worker ADDRESS)")
        count = every(tl, s.segment_seconds) if s.segment_seconds else threads
        windows = split(tl, count, max(1, round(s.min_segment_seconds * tl.rate)))
        if len(windows) < 2:
            return False
        t0 = time.perf_counter()
        parts = tempfile.mkdtemp(prefix=".reelkit-parts-", dir=os.path.dirname(os.path.abspath(st.output)))
        try:
            self._client = client
            if self.cancelled.is_set():
                self.cancel()
            t1 = time.perf_counter()
            self._check_storage(client, parts)
            t2 = time.perf_counter()
            results, audio = self._render(client, parts, windows)
            t3 = time.perf_counter()
            self._join(results, audio, parts)
            t4 = time.perf_counter()
        finally:
            for f in self.futures:
                f.cancel()
            _remove(parts)
        st.stats.update(frames=tl.frames, encode_wall=round(time.perf_counter() - t0, 3), cluster={
            "segments": len(windows), "workers": threads, "windows": [[w.start, w.end] for w in windows],
            "segment_walls": [r["wall"] for r in results], "on": sorted({r["worker"] for r in results}),
            "audio_wall": audio["wall"] if audio else None, "check_wall": round(t2 - t1, 3),
            "segments_wall": round(t3 - t2, 3), "join_wall": round(t4 - t3, 3)})
        return True

    def _check_storage(self, client: Any, parts: str) -> None:
        from reelkit.kernel.cluster import StorageUnreachable
        from reelkit.kernel.cluster_worker import check_paths

        token = f"reelkit-{self.job_id}.marker"
        with open(os.path.join(parts, token), "w", encoding="utf-8") as fh:
            fh.write(self.job_id)
        sources = sorted({rc.clip.source for clips in self.st.timeline.tracks for rc in clips
                          if getattr(rc.clip, "source", None)})
        answers = client.run(check_paths, sources, parts, token, on_error="return")
        bad = {w: (p if isinstance(p, list) else [f"failed the check: {p!r}"]) for w, p in answers.items() if p}
        if bad:
            lines = "; ".join(f"worker {w}: {', '.join(p[:3])}" for w, p in sorted(bad.items()))
            raise StorageUnreachable(
                f"the cluster's workers must reach the sources and the output folder at the same paths as this "
                f"process (one machine, or a shared filesystem mounted alike): {lines}",
                details={"workers": bad, "parts": parts})

    def _spec(self, parts: str) -> dict[str, Any]:
        from .encoders import container_for
        from .segments import audio_part

        st = self.st
        probes = {}
        for clips in st.timeline.tracks:
            for rc in clips:
                if getattr(rc.clip, "source", None):
                    probes[rc.clip.source] = dataclasses.asdict(rc.source) if rc.source else None
        return {"project": st.project.model_dump(mode="json"), "probes": probes, "parts": parts,
                "container": container_for(st.output, st.project.output), "ext": container_for(st.output, st.project.output),
                "audio_ext": audio_part(st.project.output), "encoder": st.encoder, "job_id": self.job_id, "topic": f"reelkit-render-{self.job_id}"}

    def _render(self, client: Any, parts: str, windows: list[Any]) -> tuple[list[dict], dict | None]:
        import distributed

        from reelkit.sdk import JobCancelled

        from .remote import render_audio, render_segment

        spec = self._spec(parts)
        total = sum(w.frames for w in windows)
        started = time.monotonic()

        def on_event(event: Any) -> None:
            msg = event[1]
            self.done[msg["segment"]] = msg["frame"]
            frames = sum(self.done.values())
            if self.st.on_progress is not None:
                elapsed = time.monotonic() - started
                fraction = min(frames / total, 0.999)
                eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
                self.st.on_progress(Progress(frame=frames, fps=frames / elapsed if elapsed else 0.0,
                                             out_time=frames / float(self.st.timeline.rate), fraction=fraction,
                                             eta=eta, elapsed=elapsed))

        client.subscribe_topic(spec["topic"], on_event)
        try:
            tag = self.job_id
            self.futures = [client.submit(render_segment, spec, w.index, w.start, w.end, pure=False, retries=1,
                                          key=f"reelkit-segment-{tag}-{w.index}") for w in windows]
            afut = None
            if self.st.project.output.audio_codec != "none":
                afut = client.submit(render_audio, spec, pure=False, retries=1, priority=10,
                                     key=f"reelkit-audio-{tag}")
                self.futures.append(afut)
            pending = set(self.futures)
            while pending:
                if self.cancelled.is_set():
                    from reelkit.kernel.cluster_worker import cancel_job

                    _quiet(client.run, cancel_job, self.job_id)  # every worker, now: queued parts never start
                    _quiet(distributed.wait, list(pending), 5)  # let workers remove their temporary files
                    raise JobCancelled("the render was cancelled; every segment was stopped on its worker and "
                                       "the parts removed")
                try:
                    done, pending = distributed.wait(list(pending), timeout=0.2, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for f in done:
                    if f.status == "error":
                        self.cancel()
                        f.result()  # raises the worker's error (a KernelError keeps its code)
            results = [f.result() for f in self.futures if f is not afut]
            audio = afut.result() if afut is not None else None
        finally:
            _quiet(client.unsubscribe_topic, spec["topic"])
        for r in results:
            if r["frames"] != r["expected"]:
                from .errors import RenderFailed

                raise RenderFailed(f"segment {r['index']} has {r['frames']} frames, not {r['expected']}")
        return sorted(results, key=lambda r: r["index"]), audio

    def _join(self, results: list[dict], audio: dict | None, parts: str) -> None:
        from reelkit.sdk import JobCancelled

        from .encoders import container_for
        from .segments import join_command, write_list

        st = self.st
        out = st.project.output
        listing = os.path.join(parts, "segments.txt")
        write_list(listing, [r["path"] for r in results])
        container = container_for(st.output, out)
        args = join_command(st.service.exe(), listing, audio and audio["path"], out, container, st.temp)
        if audio and not audio["path"].endswith(".m4a"):  # an MP4 audio part already starts at 0
            acodec = out.audio_codec or "aac"
            delay = ENCODER_DELAY[acodec] / st.project.settings.sample_rate
            i = args.index(audio["path"])
            args[i - 1:i - 1] = ["-itsoffset", f"{delay:.9f}"]
        run = FFmpegRun(args, st.plan.duration, None, grace=st.service.cancel_grace(), stall=st.service.stall_seconds())
        self._join_run = run
        if self.cancelled.is_set():
            raise JobCancelled("the render was cancelled before the join")
        run.run()


def _remove(folder: str, seconds: float = 3.0) -> None:
    """Remove the parts folder; again while a stopping FFmpeg may still create a file in it."""
    deadline = time.monotonic() + seconds
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.exists(folder) or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def _quiet(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - best effort (cancel broadcast, unsubscribe on a closing client)
        log.debug("cluster call failed", error=str(e))
