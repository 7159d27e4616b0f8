"""One connected client, independent of its transport: calls, subscriptions, jobs and its send queue.

A transport feeds incoming texts to :meth:`Session.receive` and drains :attr:`Session.queue` into its
socket or pipe. Each request runs in its own task so a slow call never holds up the client's others;
:meth:`receive` waits for a free slot when ``max_in_flight`` calls are running, which stops the transport
reading and lets TCP (or the pipe) push back on a flooding client.

Built-in methods (the ``rpc.`` prefix is reserved for them by the JSON-RPC specification):

- ``rpc.discover`` → an OpenRPC document of the methods this client may call and the events it may see;
- ``rpc.subscribe {pattern}`` → ``{"subscription": id}``; events then arrive as ``rpc.event``
  notifications ``{"subscription", "topic", "event"}``;
- ``rpc.unsubscribe {subscription}`` → ``true``;
- ``rpc.cancel {job_id}`` → cancels a job this client started (another client's job is
  ``permission.denied``; a job the kernel does not know is ``job.not_found``).

Grants are one :class:`reelkit.kernel.grants.Grants`, the kernel's matcher, for calls, discovery, event
delivery and cancel alike. Nothing a client sends ends its connection: every message, however malformed,
is answered (or, for a notification, dropped) and the next one is read.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reelkit.kernel.grants import Grants

from . import eager
from . import protocol as p
from .discover import openrpc_document
from .dispatch import Dispatcher, Envelope
from .sendqueue import SendQueue

__all__ = ["Limits", "Session"]

log = logging.getLogger("reelkit.ipc")
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-client limits (see :class:`kernel.ipc.settings.IpcSettings` for their meaning)."""

    max_batch: int = 100
    max_depth: int = 64
    max_in_flight: int = 64
    send_queue_limit: int = 1000
    stall_seconds: float = 2.0
    cancel_jobs_on_disconnect: bool = True


def _param(params: Any, name: str) -> Any:
    if isinstance(params, dict) and name in params and len(params) == 1:
        return params[name]
    if isinstance(params, list) and len(params) == 1:
        return params[0]
    raise p.RpcError(p.INVALID_PARAMS, f'Invalid params: expected {{"{name}": …}} or [{name}]', kind="input.invalid")


def _encode_error(rid: Any, error: p.RpcError) -> str:
    try:
        return p.encode(p.error_response(rid, error))
    except (TypeError, ValueError):  # details that are not JSON: keep the code and message
        error.details = {}
        return p.encode(p.error_response(rid, error))


class Session:
    """The server side of one client connection."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        grants: Grants | Sequence[str],
        limits: Limits = Limits(),
        *,
        on_overflow: Callable[[int], None] | None = None,
        peer: str = "?",
    ) -> None:
        self.dispatcher = dispatcher
        self.grants = Grants.of(grants)
        self.limits = limits
        self.peer = peer
        self.queue = SendQueue(limits.send_queue_limit, on_overflow, stall_seconds=limits.stall_seconds)
        self.jobs: set[str] = set()
        self.subscriptions: dict[str, Callable[[], None]] = {}
        self._slots = asyncio.Semaphore(limits.max_in_flight)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    # -- incoming ---------------------------------------------------------------------------------------

    async def receive(self, text: str | bytes) -> None:
        """Handle one incoming message (a request, a notification or a batch)."""
        if self._closed:
            return
        try:
            await self._receive(text)
        except Exception as exc:  # a bug of ours on one message must not cost the client its connection
            log.error("ipc message from %s could not be handled", self.peer, exc_info=exc)
            self._send(p.error_response(None, p.error_from_exception(exc)))

    async def _receive(self, text: str | bytes) -> None:
        parsed = p.parse(text, max_batch=self.limits.max_batch, max_depth=self.limits.max_depth)
        if not parsed.batch:
            item = parsed.items[0]
            if isinstance(item, p.Invalid):
                self._send(p.error_response(item.id, item.error))
                return
            await self._slots.acquire()
            task = eager.start(self._reply_one(item))  # no Task at all when the call never waits
            if task is not None:
                self._track(task)
            return
        answers: list[asyncio.Future[Any]] = []
        loop = asyncio.get_running_loop()
        for item in parsed.items:
            if isinstance(item, p.Invalid):
                done = loop.create_future()
                done.set_result(p.encode(p.error_response(item.id, item.error)))
                answers.append(done)
            else:
                await self._slots.acquire()
                answers.append(self._spawn(self._execute(item)))
        self._spawn(self._reply_batch(answers))

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        return self._track(asyncio.get_running_loop().create_task(coro))

    def _track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _reply_one(self, req: p.Request) -> None:
        response = await self._execute(req)
        if response is not None:
            self.queue.put(response)

    async def _reply_batch(self, answers: list[asyncio.Future[Any]]) -> None:
        responses = [r for r in await asyncio.gather(*answers) if r is not None]
        if responses:
            self.queue.put("[" + ",".join(responses) + "]")

    async def _execute(self, req: p.Request) -> str | None:
        """Run one request; its encoded response (None for a notification)."""
        try:
            response = p.encode_result(req.id, await self._call(req.method, req.params))
        except asyncio.CancelledError:
            if not self._closed:
                raise
            error = p.RpcError.of("ipc.shutting_down", "the call was cancelled: the connection is closing")
            response = _encode_error(req.id, error)
        except Exception as exc:  # every failure becomes this request's error object
            error = p.error_from_exception(exc)
            if error.code == p.INTERNAL_ERROR:
                log.error("ipc call %s from %s failed", req.method, self.peer, exc_info=exc)
            response = _encode_error(req.id, error)
        finally:
            self._slots.release()
        return None if req.notification else response

    def _send(self, message: Any) -> None:
        self.queue.put(p.encode(message))

    # -- methods ----------------------------------------------------------------------------------------

    async def _call(self, method: str, params: Any) -> Any:
        if method == "rpc.discover":
            return openrpc_document(self.dispatcher, self.grants)
        if method == "rpc.subscribe":
            return {"subscription": self.subscribe(str(_param(params, "pattern")))}
        if method == "rpc.unsubscribe":
            return self.unsubscribe(str(_param(params, "subscription")))
        if method == "rpc.cancel":
            return await self.cancel(str(_param(params, "job_id")))
        if method.startswith("rpc."):
            raise p.RpcError.of("command.not_found", f"unknown method {method!r}: rpc.discover lists the methods")
        result = await self.dispatcher.call(method, params, self.grants)
        if self.dispatcher.is_job(method):
            ref = json.loads(result) if isinstance(result, p.RawJSON) else result
            if isinstance(ref, dict) and isinstance(ref.get("job_id"), str):
                self.jobs.add(ref["job_id"])
        return result

    def subscribe(self, pattern: str) -> str:
        """Start delivering events matching ``pattern``; returns the subscription id."""
        sid = f"s{next(_ids)}"
        grants, queue = self.grants, self.queue
        head = f'{{"jsonrpc":"2.0","method":"rpc.event","params":{{"subscription":"{sid}","topic":'

        def sink(env: Envelope) -> None:
            if not grants.allows_topic(env.topic, env.capability):
                return
            key = None if env.coalesce_key is None else (sid, env.coalesce_key)
            # spliced by hand: the event's JSON is encoded once for every client that gets it
            queue.put(f'{head}{p.encode(env.topic)},"event":{env.payload_json}}}}}', key)

        self.subscriptions[sid] = self.dispatcher.subscribe(pattern, sink)
        return sid

    def unsubscribe(self, sid: str) -> bool:
        """Stop a subscription of this client."""
        dispose = self.subscriptions.pop(sid, None)
        if dispose is None:
            raise p.RpcError.of("ipc.subscription_not_found", f"no subscription {sid!r} on this connection")
        dispose()
        return True

    async def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a job this client started (``job.not_found`` for a job the kernel does not know)."""
        lookup = getattr(self.dispatcher, "job_capability", None)
        if job_id not in self.jobs:
            if lookup is not None:
                lookup(job_id)  # raises job.not_found for an unknown job
                raise p.RpcError.of(
                    "permission.denied",
                    f"job {job_id!r} was started by another client; only its starter may cancel it over "
                    "rpc.cancel (kernel.job_cancel cancels any job, for a client granted it)",
                    {"job_id": job_id},
                )
            raise p.RpcError.of("job.not_found", f"no job {job_id!r} was started by this client", {"job_id": job_id})
        if lookup is not None and not self.grants.allows(lookup(job_id)):
            raise p.RpcError.of("permission.denied", f"job {job_id!r}: this client's grants no longer allow it",
                                {"job_id": job_id})
        await self.dispatcher.cancel_job(job_id)
        return {"job_id": job_id, "cancel_requested": True}

    # -- lifecycle --------------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> None:
        """Let in-flight calls finish for up to ``timeout`` seconds."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self, *, cancel_jobs: bool | None = None) -> None:
        """Cancel in-flight calls and (by default) this client's jobs, then dispose its subscriptions.

        Jobs are cancelled first and their last events flushed, so a client still connected (a graceful
        shutdown) sees its jobs end in the ``cancelled`` state before the connection closes.
        """
        if self._closed:
            return
        self._closed = True
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if self.jobs and (self.limits.cancel_jobs_on_disconnect if cancel_jobs is None else cancel_jobs):
            for job_id in sorted(self.jobs):
                try:
                    await self.dispatcher.cancel_job(job_id)
                except Exception:  # a job that already ended is fine; anything else is only logged
                    log.debug("cancel of job %s on disconnect failed", job_id, exc_info=True)
            flush = getattr(self.dispatcher, "flush", None)
            if flush is not None and self.subscriptions:
                try:
                    await asyncio.wait_for(flush(), 1.0)
                except Exception:
                    log.debug("flushing events at close failed", exc_info=True)
        for dispose in self.subscriptions.values():
            dispose()
        self.subscriptions.clear()
        self.queue.close()
