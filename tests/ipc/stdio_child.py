"""A sidecar for the stdio tests: the fake dispatcher served on stdin/stdout (run as a child process)."""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from reelkit.kernel.ipc.session import Limits  # noqa: E402
from reelkit.kernel.ipc.stdio import serve_stdio  # noqa: E402
from tests.ipc.fakes import FakeDispatcher  # noqa: E402


class Noisy(FakeDispatcher):
    async def call(self, method, params, grants):
        print("stray output that must not reach the protocol stream")  # goes to stderr, not the framing
        return await super().call(method, params, grants)


async def main() -> None:
    reason = await serve_stdio(Noisy(), grants=["*"], limits=Limits(), max_message_bytes=1 << 16)
    print(f"ended: {reason}", file=sys.stderr)
    sys.exit(0 if reason == "end of input" else 3)


if __name__ == "__main__":
    asyncio.run(main())
