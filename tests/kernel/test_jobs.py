"""Jobs: states, progress with ETA, results and errors, cancel, queueing by kind, job commands."""

from __future__ import annotations

import asyncio

import pytest

from reelkit.kernel.errors import JobNotFound
from reelkit.kernel.jobs import JobState
from tests.kernel.plugins_for_tests import WAITERS, DemoPlugin


async def test_job_command_answers_at_once_and_reports_progress_and_result(make_kernel, events):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        rec = events(k, "job.*")
        ref = await k.invoke("demo.count", {"text": "x", "times": 5})
        assert ref.kind == "demo.count"
        result = await k.wait(ref)
        assert result.text == "counted 5"
        await rec.wait_for("job.succeeded")
        topics = rec.topics()
        assert topics[0] == "job.queued" and topics[1] == "job.started" and topics[-1] == "job.succeeded"
        progressed = rec.of("job.progressed")
        assert [e.job.progress.fraction for e in progressed] == [0.2, 0.4, 0.6, 0.8, 1.0]
        assert progressed[0].job.progress.eta_seconds is not None
        assert progressed[-1].job.progress.stage == "count"
        status = await k.invoke("kernel.job_status", {"job_id": ref.job_id})
        assert status.state == JobState.succeeded and status.result == {"text": "counted 5"}


async def test_cancel_runs_callbacks_and_ends_cancelled(make_kernel, events):
    WAITERS.clear()
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        rec = events(k, "job.*")
        ref = await k.invoke("demo.stuck")
        await rec.wait_for("job.progressed")
        info = await k.invoke("kernel.job_cancel", {"job_id": ref.job_id})
        assert info.job_id == ref.job_id
        final = await k.invoke("kernel.job_wait", {"job_id": ref.job_id, "timeout": 5})
        assert final.state == JobState.cancelled
        assert final.error["code"] == "job.cancelled"
        assert WAITERS["on_cancel_ran"] is True
        await rec.wait_for("job.cancelled")


async def test_sync_job_sees_the_cancel_flag(make_kernel):
    WAITERS.clear()
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        ref = await k.invoke("demo.sync_job")
        await asyncio.sleep(0.05)
        k.jobs.cancel(ref.job_id)
        info = await k.jobs.wait(ref.job_id, 5)
        assert info.state == JobState.cancelled
        # "cancelled" is reported only once the worker thread has stopped
        assert WAITERS["sync_job_saw_cancel"] is True


async def test_failed_job_keeps_its_error_code(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        ref = await k.invoke("demo.fail_job")
        info = await k.jobs.wait(ref.job_id, 5)
        assert info.state == JobState.failed
        assert info.error["code"] == "demo.broken"
        from reelkit.kernel.errors import KernelError

        with pytest.raises(KernelError) as e:
            await k.wait(ref)
        assert e.value.code == "demo.broken"


async def test_a_kind_limit_queues_the_rest(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        k.jobs.set_limit("demo.count", 1)
        a = await k.invoke("demo.count", {"text": "a", "times": 5})
        b = await k.invoke("demo.count", {"text": "b", "times": 5})
        await asyncio.sleep(0.02)
        states = {j.job_id: j.state for j in (await k.invoke("kernel.jobs", {"kind": "demo.count"})).jobs}
        assert states[a.job_id] == JobState.running and states[b.job_id] == JobState.queued
        await k.wait(b)
        ja, jb = k.jobs.get(a.job_id), k.jobs.get(b.job_id)
        assert ja.finished_at <= jb.started_at


async def test_unknown_job_is_job_not_found(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        with pytest.raises(JobNotFound):
            await k.invoke("kernel.job_status", {"job_id": "nope"})


async def test_shutdown_leaves_running_jobs_cancelled(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        ref = await k.invoke("demo.stuck")
        await asyncio.sleep(0.02)
    assert k.jobs.get(ref.job_id).state == JobState.cancelled


async def test_a_job_cancelled_before_it_started_still_ends_cancelled(make_kernel, events):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        rec = events(k, "job.*")
        ref = await k.invoke("demo.count", {"text": "x", "times": 3})
        k.jobs.cancel(ref.job_id)  # before the job's task ran at all
        info = await k.jobs.wait(ref.job_id, 5)
        assert info.state == JobState.cancelled and info.error["code"] == "job.cancelled"
        await rec.wait_for("job.cancelled")
