"""Jobs: one registry for all long work.

A job has an id, a kind, a state (queued → running → succeeded | failed | cancelled), progress (fraction,
stage, message, ETA), and a result or an error. Every change is an event (``job.*``). Cancelling sets the
job's flag, runs its cancel callbacks (kill FFmpeg …) and cancels its task. A limit per kind queues jobs
beyond it (the render queue).
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import JobCancelled, JobNotFound, KernelError
from .events import Event, ProgressEvent
from .logs import get_logger

__all__ = ["JobState", "JobProgress", "JobInfo", "JobRef", "JobContext", "Jobs",
           "JobQueued", "JobStarted", "JobProgressed", "JobSucceeded", "JobFailed", "JobCancelledEvent"]

log = get_logger("reelkit.jobs")


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.succeeded, JobState.failed, JobState.cancelled)


class JobProgress(BaseModel):
    model_config = ConfigDict(defer_build=True)

    fraction: float | None = Field(None, ge=0, le=1, description="Done so far, 0..1, when known")
    stage: str | None = Field(None, description="Current stage (probe, plan, encode …)")
    message: str | None = Field(None, description="Human-readable detail")
    eta_seconds: float | None = Field(None, ge=0, description="Estimated seconds left")


class JobInfo(BaseModel):
    """A snapshot of a job."""

    model_config = ConfigDict(defer_build=True)
    job_id: str = Field(description="Job id")
    kind: str = Field(description="What kind of work (usually the command id)")
    state: JobState = Field(description="queued, running, succeeded, failed or cancelled")
    progress: JobProgress = Field(default_factory=JobProgress, description="Latest progress")
    created_at: float = Field(description="Unix time")
    started_at: float | None = Field(None, description="Unix time")
    finished_at: float | None = Field(None, description="Unix time")
    result: dict[str, Any] | None = Field(None, description="The output, when succeeded")
    error: dict[str, Any] | None = Field(None, description="{code, message, details} when failed or cancelled")


class JobRef(BaseModel):
    """What a job command answers at once."""

    model_config = ConfigDict(defer_build=True)
    job_id: str = Field(description="Follow it with kernel.job_status or job.* events")
    kind: str = Field(description="The job's kind")


class JobQueued(Event, topic="job.queued"):
    job: JobInfo


class JobStarted(Event, topic="job.started"):
    job: JobInfo


class JobProgressed(ProgressEvent, topic="job.progressed"):
    job_id: str
    job: JobInfo


class JobSucceeded(Event, topic="job.succeeded"):
    job: JobInfo


class JobFailed(Event, topic="job.failed"):
    job: JobInfo


class JobCancelledEvent(Event, topic="job.cancelled"):
    job: JobInfo


JOB_EVENTS = (JobQueued, JobStarted, JobProgressed, JobSucceeded, JobFailed, JobCancelledEvent)


class _Job:
    __slots__ = ("info", "task", "ctx", "result", "done")

    def __init__(self, info: JobInfo) -> None:
        self.info = info
        self.task: asyncio.Task[Any] | None = None
        self.ctx: JobContext | None = None
        self.result: Any = None
        self.done = asyncio.Event()


class JobContext:
    """Handed to the work of a job: report progress, learn of and react to cancellation.

    Every method is safe from worker threads.
    """

    def __init__(self, jobs: Jobs, job: _Job) -> None:
        self._jobs = jobs
        self._job = job
        self.job_id = job.info.job_id
        self.kind = job.info.kind
        self._cancelled = threading.Event()
        self._callbacks: list[Callable[[], Any]] = []
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def on_cancel(self, callback: Callable[[], Any]) -> Callable[[], None]:
        """Run ``callback`` when the job is cancelled (at once if it already is). Returns a disposer."""
        with self._lock:
            run_now = self._cancelled.is_set()
            if not run_now:
                self._callbacks.append(callback)
        if run_now:
            callback()

        def dispose() -> None:
            with self._lock, _suppress_value_error():
                self._callbacks.remove(callback)

        return dispose

    def progress(
        self, fraction: float | None = None, *, stage: str | None = None, message: str | None = None,
        eta: float | None = None,
    ) -> None:
        """Report progress; the ETA is extrapolated from the fraction when not given."""
        info = self._job.info
        if fraction is not None:
            fraction = min(max(float(fraction), 0.0), 1.0)
            if eta is None and info.started_at and fraction > 0:
                elapsed = time.time() - info.started_at
                eta = elapsed * (1 - fraction) / fraction
        prev = info.progress
        info.progress = JobProgress(
            fraction=fraction if fraction is not None else prev.fraction,
            stage=stage if stage is not None else prev.stage,
            message=message if message is not None else prev.message,
            eta_seconds=eta,
        )
        self._jobs._bus.publish(JobProgressed(job_id=self.job_id, job=info.model_copy()))

    def _cancel(self) -> None:
        with self._lock:
            if self._cancelled.is_set():
                return
            self._cancelled.set()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            try:
                cb()
            except Exception:
                log.exception("cancel callback failed", job_id=self.job_id)


class _suppress_value_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, et: Any, *_: Any) -> bool:
        return et is ValueError


JobWork = Callable[[JobContext], Awaitable[Any]]


class Jobs:
    """The job registry: submit, status, list, cancel, wait."""

    def __init__(self, bus: Any, telemetry: Any = None, *, history: int = 500) -> None:
        self._bus = bus
        self._telemetry = telemetry
        self._jobs: dict[str, _Job] = {}
        self._finished: collections.deque[str] = collections.deque()
        self._history = history
        self._limits: dict[str, int] = {}
        self._sems: dict[str, asyncio.Semaphore] = {}

    def set_limit(self, kind: str, n: int) -> Callable[[], None]:
        """At most ``n`` jobs of ``kind`` run at once; the rest wait queued."""
        self._limits[kind] = n
        self._sems.pop(kind, None)
        return lambda: self._limits.pop(kind, None)

    def submit(self, kind: str, work: JobWork) -> JobInfo:
        """Start ``work(ctx)`` as a job; returns its snapshot at once (state queued)."""
        info = JobInfo(job_id=uuid.uuid4().hex[:16], kind=kind, state=JobState.queued, created_at=time.time())
        job = _Job(info)
        job.ctx = JobContext(self, job)
        self._jobs[info.job_id] = job
        self._bus.publish(JobQueued(job=info.model_copy()))
        job.task = asyncio.get_running_loop().create_task(self._run(job, work), name=f"job:{kind}:{info.job_id}")
        job.task.add_done_callback(lambda _t, job=job: self._settle(job))
        return info.model_copy()

    def _settle(self, job: _Job) -> None:
        """A task cancelled before it ever ran never reaches ``_run``'s handlers: finish it here."""
        if not job.info.state.finished:
            job.info.error = JobCancelled(f"job {job.info.job_id} ({job.info.kind}) was cancelled").to_dict()
            self._finish(job, JobState.cancelled, JobCancelledEvent)

    async def _run(self, job: _Job, work: JobWork) -> None:
        info = job.info
        sem = self._semaphore(info.kind)
        tel = self._telemetry
        try:
            if sem is not None:
                await sem.acquire()
            try:
                info.state, info.started_at = JobState.running, time.time()
                self._bus.publish(JobStarted(job=info.model_copy()))
                if tel is not None and tel.enabled:
                    with tel.span(f"job {info.kind}", job_id=info.job_id, kind=info.kind):
                        result = await work(job.ctx)  # type: ignore[arg-type]
                else:
                    result = await work(job.ctx)  # type: ignore[arg-type]
            finally:
                if sem is not None:
                    sem.release()
            if job.ctx is not None and job.ctx.cancelled:
                raise asyncio.CancelledError
            job.result = result
            info.result = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            info.progress = info.progress.model_copy(update={"fraction": 1.0, "eta_seconds": 0.0})
            self._finish(job, JobState.succeeded, JobSucceeded)
        except (asyncio.CancelledError, JobCancelled):
            info.error = JobCancelled(f"job {info.job_id} ({info.kind}) was cancelled").to_dict()
            self._finish(job, JobState.cancelled, JobCancelledEvent)
        except KernelError as e:
            info.error = e.to_dict()
            self._finish(job, JobState.failed, JobFailed)
        except Exception as e:
            log.exception("job failed", job_id=info.job_id, kind=info.kind)
            info.error = {"code": "command.failed", "message": f"{info.kind} failed: {type(e).__name__}: {e}"}
            self._finish(job, JobState.failed, JobFailed)

    def _finish(self, job: _Job, state: JobState, event: type[Event]) -> None:
        info = job.info
        info.state, info.finished_at = state, time.time()
        if self._telemetry is not None and self._telemetry.enabled:
            self._telemetry.add("reelkit.job.runs", 1, kind=info.kind, state=state.value)
            if info.started_at:
                self._telemetry.histogram("reelkit.job.duration").record(
                    info.finished_at - info.started_at, {"kind": info.kind})
        self._bus.publish(event(job=info.model_copy()))  # type: ignore[call-arg]
        job.done.set()
        self._finished.append(info.job_id)
        while len(self._finished) > self._history:
            self._jobs.pop(self._finished.popleft(), None)

    def _semaphore(self, kind: str) -> asyncio.Semaphore | None:
        limit = self._limits.get(kind)
        if limit is None:
            return None
        sem = self._sems.get(kind)
        if sem is None:
            sem = self._sems[kind] = asyncio.Semaphore(limit)
        return sem

    def _get(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r} (finished jobs are kept for a while, then forgotten)",
                              details={"job_id": job_id})
        return job

    def get(self, job_id: str) -> JobInfo:
        return self._get(job_id).info.model_copy()

    def list(self, *, kind: str | None = None, state: JobState | None = None) -> list[JobInfo]:
        return [
            j.info.model_copy() for j in self._jobs.values()
            if (kind is None or j.info.kind == kind) and (state is None or j.info.state == state)
        ]

    def cancel(self, job_id: str) -> JobInfo:
        """Cancel a job (no effect on a finished one). Returns its snapshot."""
        job = self._get(job_id)
        if not job.info.state.finished:
            if job.ctx is not None:
                job.ctx._cancel()
            if job.task is not None:
                job.task.cancel()
        return job.info.model_copy()

    async def wait(self, job_id: str, timeout: float | None = None) -> JobInfo:
        job = self._get(job_id)
        await asyncio.wait_for(job.done.wait(), timeout)
        return job.info.model_copy()

    async def result(self, job_id: str, timeout: float | None = None) -> Any:
        """Wait for the job; return its output model, or raise its error."""
        info = await self.wait(job_id, timeout)
        if info.state is JobState.succeeded:
            return self._jobs[job_id].result
        err = info.error or {}
        raise KernelError(err.get("message", "job failed"), details=err.get("details"), code=err.get("code"))

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel every unfinished job and wait for them to settle (they end ``cancelled``)."""
        pending = [j for j in self._jobs.values() if not j.info.state.finished]
        for j in pending:
            self.cancel(j.info.job_id)
        tasks = [j.task for j in pending if j.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
