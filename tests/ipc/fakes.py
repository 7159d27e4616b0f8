"""A tiny dispatcher behind the IPC seam: the JSON-RPC specification's example methods and a few more.

It lets the protocol and transport tests run a real server with real clients without booting a kernel.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from reelkit.kernel.grants import Grants
from reelkit.kernel.ipc.dispatch import Envelope, EventInfo, MethodInfo
from reelkit.kernel.ipc.protocol import RpcError

TOKEN = "test-token-0123456789abcdef"


class Fault(Exception):
    """A kernel-style error: a string code, a message, details."""

    def __init__(self, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


def _obj(props: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


class FakeDispatcher:
    """Methods: subtract, sum, update, notify_hello, get_data (the spec's), demo.echo, demo.sleep,
    demo.crash, work.run (a job with progress events), security.secret_get (capability security)."""

    def __init__(self) -> None:
        self.subs: list[tuple[str, Callable[[Envelope], None]]] = []
        self.notified: list[tuple[str, Any]] = []
        self.jobs: dict[str, asyncio.Task[Any]] = {}
        self.job_states: dict[str, str] = {}
        self._ids = itertools.count(1)

    def methods(self) -> Sequence[MethodInfo]:
        num = {"type": "number"}
        return [
            MethodInfo("subtract", "a - b", "math", _obj({"minuend": num, "subtrahend": num}, ["minuend", "subtrahend"]), num),
            MethodInfo("demo.echo", "echo", "demo", _obj({"value": {}}), {}),
            MethodInfo("work.run", "a job", "work", _obj({"steps": {"type": "integer"}}), _obj({"job_id": {"type": "string"}}), job=True),
            MethodInfo("security.secret_get", "a secret", "security", _obj({"name": {"type": "string"}}), {"type": "string"}),
        ]

    def events(self) -> Sequence[EventInfo]:
        return [EventInfo("work.progressed", _obj({"job_id": {"type": "string"}, "fraction": num}), True)
                for num in [{"type": "number"}]]

    def is_job(self, method: str) -> bool:
        return method == "work.run"

    def _allowed(self, method: str, grants: Sequence[str]) -> None:
        cap = method.split(".", 1)[0] if "." in method else "math"
        if not Grants.of(grants).allows(cap, method):
            raise Fault("permission.denied", f"{method} needs capability {cap!r}", {"command": method})

    async def call(self, method: str, params: Any, grants: Sequence[str]) -> Any:
        self._allowed(method, grants)
        if method == "subtract":
            if isinstance(params, dict):
                return params["minuend"] - params["subtrahend"]
            return params[0] - params[1]
        if method == "sum":
            return sum(params)
        if method in ("update", "notify_hello", "notify_sum"):
            self.notified.append((method, params))
            return None
        if method == "get_data":
            return ["hello", 5]
        if method == "demo.echo":
            return params.get("value") if isinstance(params, dict) else params
        if method == "demo.sleep":
            await asyncio.sleep(params["seconds"])
            return "slept"
        if method == "demo.timeout":  # asyncio.timeout and TaskGroup rely on current_task() being this call's
            try:
                async with asyncio.timeout(params["seconds"]):  # entered before the call first waits
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(asyncio.sleep(10))
            except TimeoutError:
                return "timed out"
        if method == "demo.crash":
            raise ZeroDivisionError("secret internals")
        if method == "demo.publish":
            for i in range(params["count"]):
                self.publish(params.get("topic", "demo.ticked"), {"i": i, "pad": params.get("pad", "")})
            return params["count"]
        if method == "work.run":
            return self._start_job(params.get("steps", 100), params.get("delay", 0.01))
        if method == "security.secret_get":
            return "hunter2"
        raise Fault("command.not_found", f"no command {method!r}", {"command": method})

    def _start_job(self, steps: int, delay: float) -> dict[str, str]:
        job_id = f"job{next(self._ids)}"
        self.job_states[job_id] = "running"

        async def work() -> None:
            try:
                for i in range(steps):
                    await asyncio.sleep(delay)
                    self.publish("work.progressed", {"job_id": job_id, "fraction": (i + 1) / steps}, key=job_id)
                self.job_states[job_id] = "succeeded"
                self.publish("work.succeeded", {"job_id": job_id})
            except asyncio.CancelledError:
                self.job_states[job_id] = "cancelled"
                self.publish("work.cancelled", {"job_id": job_id})

        self.jobs[job_id] = asyncio.get_running_loop().create_task(work())
        return {"job_id": job_id, "kind": "work.run"}

    def job_capability(self, job_id: str) -> str:
        if job_id not in self.jobs:
            raise Fault("job.not_found", f"no job {job_id!r}", {"job_id": job_id})
        return "work"

    async def cancel_job(self, job_id: str) -> None:
        task = self.jobs.get(job_id)
        if task is None:
            raise Fault("job.not_found", f"no job {job_id!r}")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    def subscribe(self, pattern: str, sink: Callable[[Envelope], None]) -> Callable[[], None]:
        entry = (pattern, sink)
        self.subs.append(entry)
        return lambda: self.subs.remove(entry) if entry in self.subs else None

    def publish(self, topic: str, payload: dict[str, Any], key: Any = None) -> None:
        env = Envelope(topic, payload, key, topic.split(".", 1)[0])
        for pattern, sink in list(self.subs):
            if fnmatch.fnmatchcase(topic, pattern):
                sink(env)


__all__ = ["FakeDispatcher", "Fault", "TOKEN", "RpcError"]
