"""Bad clients and faults against a real WebSocket server: each is refused or closed with a reason, and a
well-behaved client connected alongside keeps getting answers throughout."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .fakes import TOKEN, FakeDispatcher
from .helpers import call, connect, recv_json, run, serving
from reelkit.kernel.ipc.session import Limits


async def _still_serves(server) -> None:
    async with connect(server) as ws:
        assert (await call(ws, "subtract", [5, 3]))["result"] == 2


def test_no_token_is_refused_at_the_handshake() -> None:
    """Without a token the upgrade gets HTTP 401; no JSON-RPC is ever read."""

    async def main() -> None:
        async with serving() as server:
            with pytest.raises(InvalidStatus) as info:
                async with connect(server, token=None):
                    pass
            assert info.value.response.status_code == 401
            assert b"token" in info.value.response.body
            await _still_serves(server)

    run(main())


def test_wrong_token_is_refused() -> None:
    async def main() -> None:
        async with serving() as server:
            for bad in ("nope", TOKEN + "x", TOKEN[:-1]):
                with pytest.raises(InvalidStatus) as info:
                    async with connect(server, token=bad):
                        pass
                assert info.value.response.status_code == 401
            await _still_serves(server)

    run(main())


def test_token_in_query_string_for_browsers() -> None:
    async def main() -> None:
        from websockets.asyncio.client import connect as ws_connect

        async with serving() as server:
            async with ws_connect(server.url + f"?token={TOKEN}") as ws:
                assert (await call(ws, "subtract", [1, 1]))["result"] == 0
            with pytest.raises(InvalidStatus):
                async with ws_connect(server.url + "?token=wrong"):
                    pass

    run(main())


def test_foreign_origin_is_refused_even_with_the_token() -> None:
    """A web page on another site cannot drive the kernel through the user's browser."""

    async def main() -> None:
        async with serving() as server:
            with pytest.raises(InvalidStatus) as info:
                async with connect(server, headers={"Origin": "https://evil.example"}):
                    pass
            assert info.value.response.status_code == 403
            assert b"evil.example" in info.value.response.body
            async with connect(server, headers={"Origin": "http://localhost:5173"}) as ws:
                assert (await call(ws, "subtract", [2, 1]))["result"] == 1

    run(main())


def test_grants_limit_what_a_token_may_call() -> None:
    """A frontend token may call demo and math but not security.secret_get; discovery hides it."""
    front = "frontend-token-abcdefghijkl"

    async def main() -> None:
        async with serving(tokens={TOKEN: ["*"], front: ["demo", "math"]}) as server:
            async with connect(server, token=front) as ws:
                denied = await call(ws, "security.secret_get", {"name": "x"})
                assert denied["error"]["code"] == -32001
                assert denied["error"]["data"]["code"] == "permission.denied"
                assert (await call(ws, "demo.echo", {"value": 7}))["result"] == 7
                names = [m["name"] for m in (await call(ws, "rpc.discover"))["result"]["methods"]]
                assert "subtract" in names and "security.secret_get" not in names
            async with connect(server) as ws:
                assert (await call(ws, "security.secret_get", {"name": "x"}))["result"] == "hunter2"

    run(main())


def test_ten_mib_frame_closes_that_connection_only() -> None:
    """A frame over max_message_bytes closes the connection with 1009; others are unaffected."""

    async def main() -> None:
        async with serving(max_message_bytes=1 << 20) as server:
            async with connect(server) as bystander:
                ws = await connect(server, max_size=None)
                big = json.dumps({"jsonrpc": "2.0", "method": "demo.echo", "params": {"value": "x" * (10 << 20)}, "id": 1})
                try:  # the server may close while the frame is still being written
                    with pytest.raises(ConnectionClosed) as info:
                        await ws.send(big)
                        await recv_json(ws)
                finally:
                    with contextlib.suppress(Exception):  # the client library trips over its dead socket
                        await ws.close()
                rcvd = info.value.rcvd or getattr(ws.protocol, "close_rcvd", None)
                assert rcvd is not None and rcvd.code == 1009, info.value
                assert (await call(bystander, "subtract", [9, 3]))["result"] == 6

    run(main())


def test_malformed_json_and_deep_nesting_get_errors_and_the_connection_lives() -> None:
    async def main() -> None:
        async with serving() as server, connect(server) as ws:
            for text in ("{", "\x00\xff", "[" * 100_000, '{"a": NaN}', '"just a string"', "null"):
                await ws.send(text)
                reply = await recv_json(ws)
                assert reply["error"]["code"] in (-32700, -32600), (text[:10], reply)
                assert reply["id"] is None
            deep = {"jsonrpc": "2.0", "method": "demo.echo", "id": 1, "params": {"value": []}}
            node = deep["params"]["value"]
            for _ in range(200):
                node.append([])
                node = node[0]
            reply = await call(ws, "demo.echo", deep["params"])
            assert reply["error"]["code"] == -32600 and reply["error"]["data"]["code"] == "ipc.too_deep"
            await ws.send(b'{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":"bin"}')  # binary frame
            assert (await recv_json(ws))["result"] == 2

    run(main())


def test_batch_over_the_limit_is_one_error() -> None:
    async def main() -> None:
        async with serving(limits=Limits(max_batch=10)) as server, connect(server) as ws:
            batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [i, 0], "id": i} for i in range(11)]
            await ws.send(json.dumps(batch))
            reply = await recv_json(ws)
            assert reply["error"]["data"]["code"] == "ipc.batch_too_large"
            await ws.send(json.dumps(batch[:10]))
            assert [r["result"] for r in await recv_json(ws)] == list(range(10))

    run(main())


def test_internal_errors_do_not_leak_details() -> None:
    async def main() -> None:
        async with serving() as server, connect(server) as ws:
            reply = await call(ws, "demo.crash")
            assert reply["error"]["code"] == -32603
            assert "secret internals" not in json.dumps(reply)
            assert "ZeroDivisionError" in reply["error"]["message"]

    run(main())


def test_flood_is_throttled_not_fatal() -> None:
    """1,000 pipelined slow calls with max_in_flight=8: all answered, never more than 8 running at once."""

    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake, limits=Limits(max_in_flight=8)) as server, connect(server) as ws:
            running = max_running = 0
            original = fake.call

            async def counting(method, params, grants):
                nonlocal running, max_running
                running += 1
                max_running = max(max_running, running)
                try:
                    return await original(method, params, grants)
                finally:
                    running -= 1

            fake.call = counting
            for i in range(1000):
                await ws.send(json.dumps({"jsonrpc": "2.0", "method": "demo.sleep", "params": {"seconds": 0.001}, "id": i}))
            ids = {(await recv_json(ws))["id"] for _ in range(1000)}
            assert ids == set(range(1000))
            assert 1 < max_running <= 8
            await _still_serves(server)

    run(main())


def test_a_client_that_stops_reading_is_closed_with_a_reason() -> None:
    """It subscribes to a firehose and never reads: the server closes it while another client keeps
    calling, and a subscriber that keeps up receives every event, in order."""

    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake, limits=Limits(send_queue_limit=500, stall_seconds=0.1)) as server:
            async with connect(server) as driver, connect(server) as good, connect(server, max_queue=1, close_timeout=1) as stalled:
                await call(stalled, "rpc.subscribe", {"pattern": "demo.*"})
                await call(good, "rpc.subscribe", {"pattern": "demo.*"})
                seen: list[int] = []

                async def read_good() -> None:
                    while len(seen) < 4000:
                        msg = await recv_json(good)
                        if msg.get("method") == "rpc.event":
                            seen.append(msg["params"]["event"]["i"])

                reader = asyncio.create_task(read_good())
                pad = "p" * 16384
                for burst in range(40):  # 40 × 100 events of 16 KiB: far past every socket buffer
                    reply = await call(driver, "demo.publish", {"count": 100, "pad": pad}, rid=burst)
                    assert reply["result"] == 100
                    while len(seen) < burst * 100 and not reader.done():  # pace to the reader that keeps up
                        await asyncio.sleep(0.001)
                await asyncio.wait_for(reader, 30)
                assert seen == [i for _ in range(40) for i in range(100)]
                for _ in range(200):  # the stalled one is dropped (close handshake times out, then abort)
                    if len(server.sessions) == 2:
                        break
                    await asyncio.sleep(0.05)
                assert len(server.sessions) == 2, "the stalled client was not closed"
                assert (await call(driver, "subtract", [4, 4]))["result"] == 0

    run(main(), timeout=60)


def test_close_reason_reaches_a_slow_client() -> None:
    """The stalled client, once it reads again, finds the close code 1008 and the reason."""

    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake, limits=Limits(send_queue_limit=50, stall_seconds=0.1), close_timeout=5) as server:
            async with connect(server, max_queue=1, close_timeout=1) as stalled:
                await call(stalled, "rpc.subscribe", {"pattern": "demo.*"})
                for _ in range(300):  # ~20 MB: more than the socket buffers hold
                    fake.publish("demo.ticked", {"pad": "q" * 65536})
                    await asyncio.sleep(0.001)
                with pytest.raises(ConnectionClosed) as info:
                    while True:
                        await asyncio.wait_for(stalled.recv(), 10)
                assert info.value.rcvd.code == 1008
                assert "too far behind" in info.value.rcvd.reason

    run(main(), timeout=60)


def test_a_port_in_use_is_a_clear_error() -> None:
    from reelkit.kernel.errors import Unavailable
    from reelkit.kernel.ipc.auth import TokenTable
    from reelkit.kernel.ipc.websocket import WebSocketServer

    async def main() -> None:
        async with serving() as server:
            with pytest.raises(Unavailable, match=f"127.0.0.1:{server.port}.*another --port"):
                await WebSocketServer(FakeDispatcher(), TokenTable({}), port=server.port).start()
            await _still_serves(server)

    run(main())


def test_a_reading_client_survives_a_burst_larger_than_the_queue_limit() -> None:
    """500 events published at once with send_queue_limit=100: the client reads, so it is not 'behind'."""

    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake, limits=Limits(send_queue_limit=100)) as server, connect(server) as ws:
            await call(ws, "rpc.subscribe", {"pattern": "demo.*"})
            for i in range(500):
                fake.publish("demo.ticked", {"i": i})
            got = [(await recv_json(ws))["params"]["event"]["i"] for _ in range(500)]
            assert got == list(range(500))
            assert (await call(ws, "subtract", [1, 1], rid=2))["result"] == 0

    run(main())


def test_many_hostile_clients_at_once_leave_the_server_serving() -> None:
    """60 clients at once — half without a token, half sending garbage and vanishing — then a normal call."""

    async def main() -> None:
        async with serving() as server:
            async def intruder() -> None:
                with pytest.raises(InvalidStatus):
                    async with connect(server, token=None):
                        pass

            async def vandal(i: int) -> None:
                async with connect(server) as ws:
                    for _ in range(20):
                        await ws.send("{" * (i + 1))
                    await ws.send(json.dumps({"jsonrpc": "2.0", "method": "demo.sleep", "params": {"seconds": 5}, "id": 1}))
                # gone without reading, a call still running

            await asyncio.gather(*(intruder() for _ in range(30)), *(vandal(i) for i in range(30)))
            await _still_serves(server)
            for _ in range(100):
                if not server.sessions:
                    break
                await asyncio.sleep(0.02)
            assert not server.sessions

    run(main())


def test_shutdown_is_bounded_with_a_client_that_does_not_read() -> None:
    async def main() -> None:
        fake = FakeDispatcher()
        async with serving(fake, close_timeout=0.5) as server:
            async with connect(server, max_queue=1, close_timeout=1) as stalled:
                await call(stalled, "rpc.subscribe", {"pattern": "demo.*"})
                for _ in range(400):  # ~25 MB the client never reads: its socket and queue stay full
                    fake.publish("demo.ticked", {"pad": "z" * 65536})
                    await asyncio.sleep(0)
                t0 = asyncio.get_running_loop().time()
                await asyncio.wait_for(server.close(grace=0.1), 15)
                assert asyncio.get_running_loop().time() - t0 < 5
                assert not server.sessions

    run(main(), timeout=60)
