"""The one seam between the IPC transports and whatever executes calls.

:class:`Dispatcher` is all the protocol layer knows of the kernel: list methods and events, call a method
under grants, subscribe to topics, cancel a job. :class:`kernel.ipc.kernel_dispatch.KernelDispatcher`
implements it over a live :class:`kernel.Kernel`; tests may implement it with a few lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reelkit.kernel.grants import Grants

from .wire import dumps

__all__ = ["MethodInfo", "EventInfo", "Envelope", "Dispatcher"]


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """A callable method: its name (the command id), schemas and the capability it needs."""

    name: str
    summary: str = ""
    capability: str = ""
    params_schema: dict[str, Any] = field(default_factory=dict)
    result_schema: dict[str, Any] = field(default_factory=dict)
    job: bool = False
    #: True when every property of a result is always present on the wire (pydantic outputs are dumped
    #: whole), so generated types may mark them all required
    result_complete: bool = False
    #: for a job: the schema of the job's final result (``job.result`` in ``job.succeeded``)
    job_result_schema: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EventInfo:
    """An event a client may subscribe to: its topic and the JSON Schema of its payload."""

    topic: str
    schema: dict[str, Any] = field(default_factory=dict)
    coalesces: bool = False


@dataclass
class Envelope:
    """One published event, ready for the wire.

    ``coalesce_key`` is set for progress-like events: a newer envelope with the same key replaces an older
    one still waiting in a client's send queue. ``capability`` is what a client's grants must allow to see it.
    """

    topic: str
    payload: dict[str, Any]
    coalesce_key: Any = None
    capability: str | None = None
    _json: str | None = field(default=None, repr=False)

    @property
    def payload_json(self) -> str:
        """The payload as JSON text, encoded once however many clients receive it."""
        if self._json is None:
            self._json = dumps(self.payload)  # never unencodable: see kernel.ipc.wire
        return self._json


class Dispatcher(Protocol):
    """What the IPC server needs from the kernel."""

    def methods(self) -> Sequence[MethodInfo]:
        """Every callable method (before grant filtering)."""
        ...

    def events(self) -> Sequence[EventInfo]:
        """Every event type that may be published."""
        ...

    async def call(self, method: str, params: list[Any] | dict[str, Any] | None, grants: Grants) -> Any:
        """Run ``method`` under ``grants`` (the client's, as the kernel's matcher) and return a JSON-ready result.

        Raises an exception with a string ``code`` (a ``KernelError``) on failure: ``command.not_found``,
        ``input.invalid``, ``permission.denied`` …
        """
        ...

    def subscribe(self, pattern: str, sink: Callable[[Envelope], None]) -> Callable[[], None]:
        """Deliver every event whose topic matches the glob ``pattern`` to ``sink``; return a disposer."""
        ...

    def is_job(self, method: str) -> bool:
        """Whether ``method`` starts a job (its result is ``{"job_id", …}``; the caller may cancel it)."""
        ...

    async def cancel_job(self, job_id: str) -> None:
        """Stop a job and wait (briefly) until it has ended; no error when it already had."""
        ...

    # Optional: ``async def flush(self) -> None`` delivers the events published so far to the sinks
    # (used at close so a client sees its jobs' last events); ``def job_capability(job_id) -> str`` names
    # the capability of a job's command and raises ``job.not_found`` for an unknown job (rpc.cancel).
