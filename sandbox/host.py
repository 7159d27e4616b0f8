"""reelkit's host functions (import module ``reelkit:host/v1``) and the per-call context.

Every value crossing the boundary is bytes or JSON text in an Extism memory block. A plugin
gets only the functions its grants call for (:func:`functions_for`); each one re-checks the
grant on every call. Any failure inside a host function — a denial, a kernel error, a bug —
is recorded on the :class:`HostCall`, the guest is stopped at once, and the call raises that
error afterwards: never a silent zero.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable

from . import engine
from .errors import (EventLimit, GuestTimeout, HostFunctionFailed, KernelError, LogLimit, MemoryExceeded,
                     PermissionDenied)
from .kv import KvStore
from .manifest import Manifest

NAMESPACE = "reelkit:host/v1"
EXTISM_NAMESPACE = "extism:host/env"
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
log = logging.getLogger("reelkit.sandbox.guest")


@dataclass(eq=False)
class PluginHost:
    """What one installed plugin may reach on the host; shared by all its instances."""

    manifest: Manifest
    invoke: Callable[[str, dict, list[str], float], Any] | None = None
    publish: Callable[[str, dict], None] | None = None
    settings_get: Callable[[str], Any] | None = None
    kv: KvStore | None = None
    config: dict[str, str] = field(default_factory=dict)
    http_timeout_s: float = 10.0
    http_max_bytes: int = 4 << 20
    max_log_bytes: int = 64 << 10  # per call
    max_events: int = 256  # per call

    @property
    def id(self) -> str:
        return self.manifest.id

    def command_grants(self) -> list[str]:
        return [g.pattern for g in self.manifest.permissions.commands] + [self.id]

    def may_publish(self, topic: str) -> bool:
        if topic.startswith(self.id + "."):
            return True
        return any(fnmatchcase(topic, g.pattern) for g in self.manifest.permissions.events)


class NeedsWorker(Exception):
    """A try on the event loop must move to a worker: it reached a host function with effects that
    cannot be taken back, used up its budget, or hands the host a block too big to move on the loop."""


#: the largest block a host function reads or writes during a try on the loop (the time to copy it
#: is not fuel; bigger ones move the call to a worker)
LOOP_BLOCK_MAX = 1 << 20
#: host calls a try on the loop may make before it moves to a worker (each one is host time that
#: fuel does not count)
LOOP_HOST_CALLS = 64
#: on a worker, every this many host calls of one call the thread sleeps a moment: each host call
#: takes the GIL, and a guest calling the host in a tight loop would otherwise keep the event
#: loop's thread waiting for it (a convoy: 70 ms stalls measured); costs < 5% of such a flood
YIELD_EVERY = 256
YIELD_S = 0.0001


class _Stopped(Exception):
    """A host call after the call already failed: do nothing, the guest is being stopped."""


class HostCall:
    """Context of one guest call: its deadline and the first host-side failure.

    With ``held`` (a try on the event loop that may be dropped and re-run on a worker), logs and
    events wait in :attr:`held` until :meth:`release_held`, and host functions whose effects
    cannot be held back stop the try with :class:`NeedsWorker`.
    """

    __slots__ = ("host", "instance", "deadline", "timeout_s", "error", "error_fn", "held", "loop_end",
                 "host_calls", "log_bytes", "events")

    def __init__(self, host: PluginHost, instance: Any, timeout_s: float, held: bool = False,
                 loop_budget_s: float = 0.0):
        self.host, self.instance = host, instance
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.error: BaseException | None = None
        self.error_fn = ""
        self.held: list[Callable[[], Any]] | None = [] if held else None
        self.loop_end = time.perf_counter() + loop_budget_s if held else 0.0
        self.host_calls = self.log_bytes = self.events = 0

    def enter(self, fn_name: str) -> None:
        """Charge one host call to this call's budget (the trampoline calls it before every host function).

        Host code is not fuel and Extism's timer only interrupts guest code, so the budget is checked
        here: a call that already failed does nothing more; past the call's deadline it fails as
        ``sandbox.timeout``; a try on the loop moves to a worker after a few calls or its time.
        """
        if self.error is not None:
            raise _Stopped
        self.host_calls += 1
        if self.held is not None:
            if self.host_calls > LOOP_HOST_CALLS or time.perf_counter() > self.loop_end:
                raise NeedsWorker("budget")
        else:
            if not self.host_calls % YIELD_EVERY:
                time.sleep(YIELD_S)  # let the event loop's thread have the GIL
            if time.monotonic() <= self.deadline:
                return
            raise GuestTimeout(
                f"plugin '{self.host.id}': the call ran past its {self.timeout_s * 1000:.0f} ms time limit "
                f"(in host function {fn_name}) and was stopped; raise limits.time_ms or call the host less",
                details={"plugin": self.host.id, "function": fn_name})

    def on_loop(self, nbytes: int = 0) -> None:
        """On a try on the loop: move it to a worker once its budget is spent or for a big block.

        Host functions are not fuel: without this check a guest calling one in a loop would
        run on the event loop well past its budget.
        """
        if self.held is not None and (nbytes > LOOP_BLOCK_MAX or time.perf_counter() > self.loop_end):
            raise NeedsWorker("budget")

    def later(self, effect: Callable[[], Any]) -> None:
        """Do ``effect`` now, or when the call is kept if this is a try that may be dropped."""
        if self.held is None:
            effect()
        else:
            self.held.append(effect)

    def needs_worker(self, fn_name: str) -> None:
        if self.held is not None:
            raise NeedsWorker(fn_name)

    def release_held(self) -> None:
        held, self.held = self.held, None
        for effect in held or ():
            effect()

    def fail(self, exc: BaseException, fn_name: str) -> None:
        if self.error is None:
            self.error, self.error_fn = exc, fn_name
            self.instance.cancel()  # stop the guest now; the call raises ``error`` afterwards

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def raise_error(self) -> None:
        exc = self.error
        if exc is None:
            return
        if isinstance(exc, KernelError):
            raise exc
        raise HostFunctionFailed(
            f"plugin '{self.host.id}': host function {self.error_fn} failed: "
            f"{type(exc).__name__}: {exc}", details={"plugin": self.host.id, "function": self.error_fn}
        ) from exc


def _read(call: HostCall, current, offset: int) -> bytes:
    if call.held is not None:  # (spares workers the length lookup)
        call.on_loop(engine.block_length(current, offset))
    return engine.read_block(current, offset)


def _write(call: HostCall, current, data: bytes) -> int:
    call.on_loop(len(data))
    try:
        return engine.write_block(current, data)
    except MemoryError:
        if call.held is not None:
            raise  # a try on the loop: maybe its fuel ran out in the allocator; the worker re-run decides
        lim = call.host.manifest.limits.memory_mb
        raise MemoryExceeded(f"plugin '{call.host.id}': the host's answer ({len(data)} bytes) does not fit "
                             f"in the guest's memory under its {lim} MiB limit (limits.memory_mb)",
                             details={"plugin": call.host.id, "bytes": len(data)}) from None


def _text(call: HostCall, current, offset: int) -> str:
    return _read(call, current, offset).decode("utf-8")


def _json(call: HostCall, current, offset: int) -> Any:
    raw = _read(call, current, offset)
    return json.loads(raw) if raw else {}


def _to_json(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


# Implementations: impl(call, current, args) -> result ------------------------------------------


def _log(call: HostCall, cur, args):
    level, msg = args
    text = engine.read_block(cur, msg, 4096).decode("utf-8", errors="replace")  # a line, not a dump
    call.log_bytes += len(text)
    if call.log_bytes > call.host.max_log_bytes:
        raise LogLimit(f"plugin '{call.host.id}': wrote more than {call.host.max_log_bytes} bytes of log in one "
                       f"call ([sandbox] max_log_bytes_per_call); log less", details={"plugin": call.host.id})
    call.later(lambda: log.log(_LEVELS.get(level, logging.INFO), "%s: %s", call.host.id, text))


def _config_get(call: HostCall, cur, args):
    key = _text(call, cur, args[0])
    host = call.host
    if key in host.config:
        value: Any = host.config[key]
    elif key in host.manifest.config:
        value = host.manifest.config[key]
    elif any(fnmatchcase(key, g.pattern) for g in host.manifest.permissions.settings):
        value = host.settings_get(key) if host.settings_get else None
        if value is None:
            return 0
        value = value if isinstance(value, str) else json.dumps(_to_json(value))
    else:
        return 0
    return _write(call, cur, str(value).encode())


def _kv_get(call: HostCall, cur, args):
    value = call.host.kv.get(_text(call, cur, args[0]))
    return 0 if value is None else _write(call, cur, value)


def _kv_set(call: HostCall, cur, args):
    call.needs_worker("kv_set")
    call.host.kv.set(_text(call, cur, args[0]), _read(call, cur, args[1]))


def _kv_delete(call: HostCall, cur, args):
    call.needs_worker("kv_delete")
    call.host.kv.delete(_text(call, cur, args[0]))


def _invoke(call: HostCall, cur, args):
    call.needs_worker("invoke")  # it waits on the loop: never from the loop itself
    command, payload = _text(call, cur, args[0]), _json(call, cur, args[1])
    host = call.host
    if host.invoke is None:
        raise RuntimeError("no kernel bound to the sandbox host")
    # runs on the kernel's loop, in the caller's context (its grants narrow ours further)
    result = host.invoke(command, payload, host.command_grants(), call.remaining())
    return _write(call, cur, json.dumps(_to_json(result)).encode())


def _emit(call: HostCall, cur, args):
    topic, data = _text(call, cur, args[0]), _json(call, cur, args[1])
    host = call.host
    if not host.may_publish(topic):
        raise PermissionDenied(
            f"plugin '{host.id}' may not publish '{topic}': it may publish under '{host.id}.' "
            f"and topics granted in permissions.events", details={"plugin": host.id, "topic": topic})
    if not isinstance(data, dict):
        raise ValueError("event data must be a JSON object")
    if host.publish is None:
        raise RuntimeError("no bus bound to the sandbox host")
    call.events += 1
    if call.events > host.max_events:
        raise EventLimit(f"plugin '{host.id}': emitted more than {host.max_events} events in one call "
                         f"([sandbox] max_events_per_call); emit fewer", details={"plugin": host.id})
    publish = host.publish
    call.later(lambda: publish(topic, data))


def _http_request(call: HostCall, cur, args):
    call.needs_worker("http_request")
    host = call.host
    request = _json(call, cur, args[0])
    from . import net  # http.client and ssl load with a plugin's first request, not at boot

    response = net.fetch(host.id, request, host.manifest.permissions.http,
                         max_bytes=host.http_max_bytes, timeout_s=host.http_timeout_s,
                         call_remaining_s=call.remaining())
    return _write(call, cur, json.dumps(response).encode())


_I32, _I64 = engine.I32, engine.I64
_SIGNATURES: dict[str, tuple[list[int], list[int], Callable]] = {
    "log": ([_I32, _I64], [], _log),
    "config_get": ([_I64], [_I64], _config_get),
    "kv_get": ([_I64], [_I64], _kv_get),
    "kv_set": ([_I64, _I64], [], _kv_set),
    "kv_delete": ([_I64], [], _kv_delete),
    "invoke": ([_I64, _I64], [_I64], _invoke),
    "emit": ([_I64, _I64], [], _emit),
    "http_request": ([_I64], [_I64], _http_request),
}
#: One HostFunction object per name for the whole process (no per-plugin registry growth).
HOST_FUNCTIONS = {name: engine.HostFunction(NAMESPACE, name, p, r, impl)
                  for name, (p, r, impl) in _SIGNATURES.items()}


def granted_functions(man: Manifest) -> dict[str, str]:
    """Host function name → why it is (or is not) offered: '' when granted, else the fix."""
    perms = man.permissions
    needs = {
        "log": "", "config_get": "", "emit": "",
        "kv_get": "" if perms.storage else "grant permissions.storage",
        "kv_set": "" if perms.storage else "grant permissions.storage",
        "kv_delete": "" if perms.storage else "grant permissions.storage",
        "invoke": "" if perms.commands else "grant permissions.commands",
        "http_request": "" if perms.http else "grant permissions.http",
    }
    return needs


def functions_for(man: Manifest) -> list[engine.HostFunction]:
    """Exactly the host functions this manifest's grants call for (always an explicit list)."""
    return [HOST_FUNCTIONS[name] for name, fix in granted_functions(man).items() if not fix]
