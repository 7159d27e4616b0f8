"""The event bus: routing, per-subscriber order, isolation, coalescing, threads, streaming."""

from __future__ import annotations

import asyncio
import threading
import time

from reelkit.kernel.events import Bus, DynamicEvent
from tests.kernel.plugins_for_tests import Greeted, Ticked


async def _bus() -> Bus:
    bus = Bus(default_maxsize=1000)
    bus.bind(asyncio.get_running_loop())
    return bus


async def test_topic_globs_and_types_route_events():
    bus = await _bus()
    by_glob, by_type, other = [], [], []
    bus.subscribe("demo.*", by_glob.append)
    bus.subscribe(Greeted, by_type.append)
    bus.subscribe("media.*", other.append)
    bus.publish(Greeted(text="a"))
    bus.publish(Ticked(job_id="j", n=1))
    await bus.drain()
    assert [e.topic for e in by_glob] == ["demo.greeting.sent", "demo.tick.progressed"]
    assert [e.text for e in by_type] == ["a"]
    assert other == []


async def test_each_subscriber_keeps_order_and_a_slow_one_blocks_nobody():
    bus = await _bus()
    fast, slow = [], []

    async def slow_handler(e):
        await asyncio.sleep(0.002)
        slow.append(e.text)

    bus.subscribe("demo.*", lambda e: fast.append(e.text))
    bus.subscribe("demo.*", slow_handler)
    t0 = time.perf_counter()
    for i in range(50):
        bus.publish(Greeted(text=str(i)))
    publish_time = time.perf_counter() - t0
    await asyncio.sleep(0.01)
    assert fast == [str(i) for i in range(50)]  # the fast one is done long before the slow one
    assert len(slow) < 50
    assert publish_time < 0.05  # publishing never waited for the 0.1 s of slow handling
    await bus.drain()
    assert slow == [str(i) for i in range(50)]


async def test_a_failing_subscriber_is_contained_counted_and_logged(capsys):
    bus = await _bus()
    good = []

    def bad(e):
        raise ValueError("subscriber bug")

    sub = bus.subscribe("demo.*", bad, name="bad-subscriber")
    bus.subscribe("demo.*", good.append)
    for i in range(3):
        bus.publish(Greeted(text=str(i)))
    await bus.drain()
    assert len(good) == 3
    assert sub.failures == 3 and bus.failures == 3
    captured = capsys.readouterr()
    assert "subscriber failed" in captured.out + captured.err


async def test_progress_events_coalesce_in_a_full_queue_others_are_never_dropped():
    bus = Bus(default_maxsize=4)
    bus.bind(asyncio.get_running_loop())
    got = []
    gate = asyncio.Event()

    async def handler(e):
        await gate.wait()
        got.append(e)

    sub = bus.subscribe("demo.*", handler)
    for i in range(100):
        bus.publish(Ticked(job_id="j1", n=i))
        bus.publish(Ticked(job_id="j2", n=i))
    for i in range(20):
        bus.publish(Greeted(text=str(i)))
    gate.set()
    await bus.drain()
    ticks1 = [e.n for e in got if e.topic.endswith("tick.progressed") and e.job_id == "j1"]
    ticks2 = [e.n for e in got if e.topic.endswith("tick.progressed") and e.job_id == "j2"]
    greets = [e.text for e in got if e.topic == "demo.greeting.sent"]
    assert greets == [str(i) for i in range(20)]          # every plain event, in order
    assert ticks1[-1] == 99 and ticks2[-1] == 99          # the latest progress always arrives
    assert len(ticks1) < 100 and ticks1 == sorted(ticks1)  # coalesced, never reordered
    assert sub.coalesced > 0 and sub.overflowed == 20


async def test_publish_from_worker_threads():
    bus = await _bus()
    got = []
    bus.subscribe("demo.*", got.append)

    def worker(n):
        for i in range(200):
            bus.publish(Greeted(text=f"{n}:{i}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _ in range(100):
        await bus.drain()
        if len(got) == 800:
            break
        await asyncio.sleep(0.01)
    assert len(got) == 800
    for n in range(4):  # per-publisher order kept
        mine = [int(e.text.split(":")[1]) for e in got if e.text.startswith(f"{n}:")]
        assert mine == list(range(200))


async def test_stream_iterates_a_pattern_and_dispose_stops_delivery():
    bus = await _bus()
    async with bus.stream("dyn.*") as events:
        bus.publish(DynamicEvent(topic="dyn.a.done", data={"x": 1}))
        bus.publish(DynamicEvent(topic="other.b", data={}))
        bus.publish(DynamicEvent(topic="dyn.c.done", data={"x": 2}))
        got = [await events.next(1), await events.next(1)]
    assert [e.data["x"] for e in got] == [1, 2]
    seen = []
    sub = bus.subscribe("dyn.*", seen.append)
    sub.dispose()
    bus.publish(DynamicEvent(topic="dyn.z", data={}))
    await bus.drain()
    assert seen == [] and sub not in bus.subscriptions()
