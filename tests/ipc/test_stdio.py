"""The stdio transport with a real child process: Content-Length framing both ways."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from reelkit.kernel.ipc.stdio import frame, read_frame

from .helpers import run

CHILD = Path(__file__).with_name("stdio_child.py")


async def _spawn() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def _send(proc: asyncio.subprocess.Process, obj: object) -> None:
    proc.stdin.write(frame(obj if isinstance(obj, str) else json.dumps(obj)))
    await proc.stdin.drain()


async def _recv(proc: asyncio.subprocess.Process) -> object:
    body = await asyncio.wait_for(read_frame(proc.stdout, 1 << 24), 10)
    assert body is not None, "the child closed stdout"
    return json.loads(body)


def test_calls_batches_and_events_over_stdio() -> None:
    async def main() -> None:
        proc = await _spawn()
        await _send(proc, {"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})
        assert await _recv(proc) == {"jsonrpc": "2.0", "result": 19, "id": 1}
        await _send(proc, [{"jsonrpc": "2.0", "method": "sum", "params": [1, 2, 4], "id": "a"},
                           {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}])
        assert await _recv(proc) == [{"jsonrpc": "2.0", "result": 7, "id": "a"}]
        await _send(proc, '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
        assert (await _recv(proc))["error"]["code"] == -32700
        await _send(proc, {"jsonrpc": "2.0", "method": "rpc.subscribe", "params": ["demo.*"], "id": 2})
        sid = (await _recv(proc))["result"]["subscription"]
        await _send(proc, {"jsonrpc": "2.0", "method": "demo.publish", "params": {"count": 2}, "id": 3})
        got = [await _recv(proc) for _ in range(3)]
        events = [m for m in got if m.get("method") == "rpc.event"]
        assert [e["params"]["event"]["i"] for e in events] == [0, 1]
        assert all(e["params"]["subscription"] == sid for e in events)
        assert {"jsonrpc": "2.0", "result": 2, "id": 3} in got
        # a message over max_message_bytes (64 KiB in the child) is skipped and answered; the stream goes on
        await _send(proc, {"jsonrpc": "2.0", "method": "demo.echo", "params": {"value": "x" * 100_000}, "id": 4})
        err = await _recv(proc)
        assert err["error"]["code"] == -32600 and err["error"]["data"]["code"] == "ipc.too_large"
        await _send(proc, {"jsonrpc": "2.0", "method": "get_data", "id": 5})
        assert (await _recv(proc))["result"] == ["hello", 5]
        proc.stdin.close()  # end of input: a clean exit
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        stderr = (await proc.stderr.read()).decode()
        assert "stray output" in stderr and "ended: end of input" in stderr

    run(main())


def test_broken_framing_ends_the_sidecar_with_an_error() -> None:
    async def main() -> None:
        proc = await _spawn()
        proc.stdin.write(b"this is not a header\r\n\r\n")
        await proc.stdin.drain()
        err = await _recv(proc)
        assert err["error"]["code"] == -32700 and "header" in err["error"]["message"]
        assert await asyncio.wait_for(proc.wait(), 10) == 3

    run(main())
