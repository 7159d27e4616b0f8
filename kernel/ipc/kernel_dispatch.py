""":class:`KernelDispatcher`: the IPC seam implemented over a live :class:`kernel.Kernel`.

Calls go through ``Kernel.invoke`` with the client's grants, so the kernel's own middleware (validation,
permission check, telemetry, error mapping) applies exactly as for in-process callers. Positional params
are mapped onto the command's input fields in declaration order. Events are dumped to JSON once per
publication; ``job.*`` events are visible to a client whose grants allow the job's command.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Sequence
from typing import Any

from pydantic_core import PydanticSerializationError

from . import protocol as p
from .dispatch import Envelope, EventInfo, MethodInfo

__all__ = ["KernelDispatcher"]


class KernelDispatcher:
    """Adapts a running kernel to :class:`kernel.ipc.dispatch.Dispatcher`."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self._roots = kernel.confined_policy()  # [paths] roots (default: home and the data dir)
        self._subs: set[Any] = set()
        self._recent: collections.OrderedDict[int, tuple[Any, Envelope]] = collections.OrderedDict()

    def _specs(self) -> list[Any]:
        return list(self.kernel.commands.list())

    def methods(self) -> Sequence[MethodInfo]:
        return [
            MethodInfo(
                name=s.id,
                summary=s.summary or "",
                capability=s.capability,
                params_schema=s.input_schema(),
                result_schema=s.output_schema(),
                job=bool(getattr(s, "job", False)),
                result_complete=bool(getattr(s, "job", False)) or getattr(s, "output_model", None) is not None
                or getattr(s, "module", None) is not None,
                job_result_schema=s.result_schema() if getattr(s, "job", False) and hasattr(s, "result_schema") else None,
            )
            for s in self._specs()
        ]

    def events(self) -> Sequence[EventInfo]:
        out = []
        for cls in self._event_classes():
            topic = getattr(cls, "topic", "")
            if topic:
                out.append(EventInfo(topic, cls.model_json_schema(), bool(getattr(cls, "coalesce", False))))
        return out

    def _event_classes(self) -> list[Any]:
        events = getattr(self.kernel, "events", None)
        if events is not None and hasattr(events, "list"):
            return list(events.list())
        from reelkit.kernel.jobs import JOB_EVENTS  # the kernel's own events at least

        return list(JOB_EVENTS)

    def is_job(self, method: str) -> bool:
        try:
            return bool(getattr(self.kernel.commands.get(method), "job", False))
        except Exception:
            return False

    async def call(self, method: str, params: list[Any] | dict[str, Any] | None, grants: Any) -> Any:
        if isinstance(params, list):
            params = self._by_position(method, params)
        # IPC clients are strangers: confined to [paths] roots whatever their token's grants (even "*")
        out = await self.kernel.invoke(method, params or {}, grants=grants, roots=self._roots)
        if hasattr(out, "model_dump_json"):
            # pydantic-core writes the JSON, no dict in between; the caller passed the permission check,
            # so secrets it may read (security.secret_get) are revealed to it, and only to it.
            try:
                return p.RawJSON(out.model_dump_json(context={"reveal_secrets": True}))
            except PydanticSerializationError:
                # text pydantic cannot write as UTF-8: a file name that is not UTF-8 (surrogate escapes);
                # the dict goes through kernel.ipc.wire, which writes it losslessly
                return out.model_dump(mode="json", context={"reveal_secrets": True})
        return out

    def job_capability(self, job_id: str) -> str:
        """The capability of a job's command; raises ``job.not_found`` for a job the kernel does not know."""
        return self._capability_of(self.kernel.jobs.get(job_id).kind)

    def _by_position(self, method: str, params: list[Any]) -> dict[str, Any]:
        spec = self.kernel.commands.get(method)  # raises command.not_found
        names = list((spec.input_schema().get("properties") or {}).keys())
        if len(params) > len(names):
            raise p.RpcError.of(
                "input.invalid",
                f"{method} takes at most {len(names)} positional params ({', '.join(names) or 'none'}), "
                f"got {len(params)}; pass an object to name them",
            )
        return dict(zip(names, params))

    def subscribe(self, pattern: str, sink: Callable[[Envelope], None]) -> Callable[[], None]:
        def handler(event: Any) -> None:
            sink(self._envelope(event))

        sub = self.kernel.bus.subscribe(pattern, handler, name=f"ipc:{pattern}")
        self._subs.add(sub)

        def dispose() -> None:
            self._subs.discard(sub)
            sub.dispose()

        return dispose

    async def flush(self) -> None:
        """Let the bus hand what was published so far to this dispatcher's subscriptions."""
        for _ in range(3):
            await asyncio.sleep(0)
        for sub in list(self._subs):
            await sub.drain()

    def _envelope(self, event: Any) -> Envelope:
        # one Envelope per event object, shared by every client's subscription (JSON encoded once)
        hit = self._recent.get(id(event))
        if hit is not None and hit[0] is event:
            return hit[1]
        topic = event.topic
        payload = event.model_dump(mode="json")
        if type(event).__name__ == "DynamicEvent":
            payload = payload.get("data", {})
        key = event.coalesce_key() if getattr(event, "coalesce", False) else None
        capability = topic.split(".", 1)[0]
        job = getattr(event, "job", None)
        if topic.startswith("job.") and job is not None:
            capability = self._capability_of(job.kind)
        env = Envelope(topic, payload, key, capability)
        self._recent[id(event)] = (event, env)  # holds the event, so its id is not reused meanwhile
        if len(self._recent) > 256:
            self._recent.popitem(last=False)
        return env

    def _capability_of(self, kind: str) -> str:
        try:
            return self.kernel.commands.get(kind).capability
        except Exception:
            return kind

    async def cancel_job(self, job_id: str, timeout: float = 5.0) -> None:
        info = self.kernel.jobs.cancel(job_id)
        if not info.state.finished:
            try:
                await self.kernel.jobs.wait(job_id, timeout)
            except (TimeoutError, asyncio.TimeoutError):  # a handler slow to notice: it is still cancelled
                pass
