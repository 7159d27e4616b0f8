"""Subscriptions, job progress, cancel, disconnects and shutdown, over a real WebSocket (fake dispatcher)."""

from __future__ import annotations

import asyncio
import json

from reelkit.kernel.ipc.sendqueue import SendQueue

from .fakes import FakeDispatcher
from .helpers import call, connect, recv_json, run, serving


def test_events_arrive_as_notifications_with_subscription_and_topic() -> None:
    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake) as server, connect(server) as ws:
            sid = (await call(ws, "rpc.subscribe", {"pattern": "demo.*"}))["result"]["subscription"]
            fake.publish("demo.ticked", {"i": 1})
            fake.publish("other.ticked", {"i": 2})  # does not match the pattern
            fake.publish("demo.ticked", {"i": 3})
            first, second = await recv_json(ws), await recv_json(ws)
            assert first == {"jsonrpc": "2.0", "method": "rpc.event",
                             "params": {"subscription": sid, "topic": "demo.ticked", "event": {"i": 1}}}
            assert second["params"]["event"] == {"i": 3}
            assert (await call(ws, "rpc.unsubscribe", [sid], rid=2))["result"] is True
            fake.publish("demo.ticked", {"i": 4})
            assert (await call(ws, "get_data", rid=3)) == {"jsonrpc": "2.0", "result": ["hello", 5], "id": 3}
            again = await call(ws, "rpc.unsubscribe", {"subscription": sid}, rid=4)
            assert again["error"]["data"]["code"] == "ipc.subscription_not_found"
            assert fake.subs == []

    run(main())


def test_events_outside_the_grants_are_not_delivered() -> None:
    front = "frontend-token-abcdefghijkl"

    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake, tokens={front: ["demo"]}) as server, connect(server, token=front) as ws:
            await call(ws, "rpc.subscribe", {"pattern": "*"})
            fake.publish("security.secret.read", {"name": "x"})
            fake.publish("demo.ticked", {"i": 1})
            assert (await recv_json(ws))["params"]["topic"] == "demo.ticked"

    run(main())


def test_job_progress_reaches_the_client_and_it_can_cancel_its_job() -> None:
    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake) as server, connect(server) as ws, connect(server) as other:
            await call(ws, "rpc.subscribe", {"pattern": "work.*"})
            job = (await call(ws, "work.run", {"steps": 1000, "delay": 0.005}, rid=2))["result"]
            progress = await recv_json(ws)
            assert progress["params"]["topic"] == "work.progressed"
            assert progress["params"]["event"]["job_id"] == job["job_id"]
            denied = await call(other, "rpc.cancel", {"job_id": job["job_id"]}, rid=3)
            assert denied["error"]["data"]["code"] == "permission.denied"
            assert fake.job_states[job["job_id"]] == "running"
            ok = await call(ws, "rpc.cancel", {"job_id": job["job_id"]}, rid=4)
            assert ok["result"]["cancel_requested"] is True
            assert fake.job_states[job["job_id"]] == "cancelled"

    run(main())


def test_a_client_disconnecting_mid_job_gets_its_job_cancelled_and_others_are_served() -> None:
    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake) as server, connect(server) as bystander:
            async with connect(server) as ws:
                await call(ws, "rpc.subscribe", {"pattern": "work.*"})
                job_id = (await call(ws, "work.run", {"steps": 10_000, "delay": 0.001}, rid=2))["result"]["job_id"]
                await recv_json(ws)  # it is running
            for _ in range(100):
                if fake.job_states[job_id] != "running":
                    break
                await asyncio.sleep(0.02)
            assert fake.job_states[job_id] == "cancelled"
            assert fake.subs == []  # its subscription was disposed
            assert (await call(bystander, "subtract", [10, 4]))["result"] == 6

    run(main())


def test_slow_subscriber_gets_coalesced_progress_latest_wins() -> None:
    """Progress events for one job replace each other while unsent; other events keep their order."""
    async def main() -> None:
        q = SendQueue(limit=10)
        q.put("a")
        for i in range(100):
            q.put(f"progress {i}", key="job1")
        q.put("b")
        q.put("other job", key="job2")
        q.put("progress final", key="job1")
        assert [await q.get() for _ in range(len(q))] == ["a", "progress final", "b", "other job"]
        q.put("progress again", key="job1")  # the earlier one was sent: this one queues anew
        assert await q.get() == "progress again"

    run(main())


def test_send_queue_overflow_reports_once_and_drops_after() -> None:
    """Over the limit with the writer stuck on the socket, or over the hard limit at all: overflow."""
    async def main() -> None:
        burst = SendQueue(limit=3, hard_limit=10)
        assert all(burst.put(str(i)) for i in range(10))  # a fast reader's burst: kept
        assert burst.put("10") is False and burst.overflowed
        calls = []
        q = SendQueue(limit=3, on_overflow=calls.append, stall_seconds=0.05)
        q.writing()  # the writer waits on a full socket …
        assert all(q.put(str(i)) for i in range(3))
        assert q.put("3") is True  # … but not for long yet
        await asyncio.sleep(0.06)
        assert q.put("4") is False and q.put("5") is False
        assert calls == [3] and q.overflowed
        assert await q.get() is None

    run(main())


def test_graceful_shutdown_finishes_short_calls_and_cancels_long_ones() -> None:
    """At shutdown a call that ends within the grace period gets its result; a longer one gets the
    ipc.shutting_down error; then the connection closes with 1001."""
    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake) as server:
            async with connect(server) as ws:
                for rid, secs in (("short", 0.1), ("long", 30)):
                    await ws.send(json.dumps({"jsonrpc": "2.0", "method": "demo.sleep",
                                              "params": {"seconds": secs}, "id": rid}))
                await asyncio.sleep(0.05)
                closing = asyncio.create_task(server.close(grace=0.5))
                replies = {}
                for _ in range(2):
                    r = await recv_json(ws)
                    replies[r["id"]] = r
                await closing
                assert replies["short"]["result"] == "slept"
                assert replies["long"]["error"]["data"]["code"] == "ipc.shutting_down"
                try:
                    await asyncio.wait_for(ws.recv(), 3)
                except Exception as exc:
                    assert getattr(exc, "rcvd", None) is not None and exc.rcvd.code == 1001
                else:
                    raise AssertionError("the connection stayed open")

    run(main())


def test_a_client_behind_on_progress_gets_the_latest_instead_of_a_backlog() -> None:
    """5,000 progress events of 16 KiB for one job to a client that is not reading: it is not closed;
    when it reads again it gets far fewer events, in order, ending with the final progress; the
    ordinary event published after them still arrives."""

    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake) as server, connect(server, max_queue=1) as ws:
            await call(ws, "rpc.subscribe", {"pattern": "work.*"})
            pad = "x" * 16384
            for i in range(5000):
                fake.publish("work.progressed", {"job_id": "j1", "fraction": (i + 1) / 5000, "pad": pad}, key="j1")
                if i % 50 == 0:
                    await asyncio.sleep(0)  # the writer runs and blocks on the full socket
            fake.publish("work.succeeded", {"job_id": "j1"})
            fractions = []
            while True:
                msg = await recv_json(ws)
                if msg["params"]["topic"] == "work.succeeded":
                    break
                fractions.append(msg["params"]["event"]["fraction"])
            assert fractions == sorted(fractions) and fractions[-1] == 1.0
            assert len(fractions) < 2500, len(fractions)
            assert sum(s.queue.coalesced for s in server.sessions.values()) > 2500

    run(main(), timeout=60)


def test_handlers_may_use_asyncio_timeout_and_task_groups() -> None:
    """A call runs in a task of its own: a timeout inside it cancels the call, not the connection."""

    async def main() -> None:
        async with serving() as server, connect(server) as ws:
            assert (await call(ws, "demo.timeout", {"seconds": 0.05}))["result"] == "timed out"
            assert (await call(ws, "subtract", [3, 2], rid=9))["result"] == 1

    run(main())
