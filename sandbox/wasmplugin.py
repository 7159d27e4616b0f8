"""One installed WASM plugin as a kernel plugin: its exports become commands, its
subscriptions receive events, its state shows in ``kernel.health``.

A subscription whose function fails on ``max_failures`` events in a row is disabled (it stops
receiving events; ``kernel.health`` says so) until ``sandbox.enable_subscriptions`` or a reload.
Outputs are decoded and checked on the thread that ran the call, never on the event loop.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from reelkit.kernel.commands import json_schema_errors, json_schema_validator
from reelkit.kernel.errors import InputInvalid
from reelkit.sdk import CallContext, HealthResult, PluginContext, PluginInfo, hookimpl

from .errors import GuestTrap
from .manifest import Export, Manifest, Subscription
from .runtime import PluginRuntime

log = logging.getLogger("reelkit.sandbox")


def _event_json(event: Any) -> bytes:
    topic = getattr(event, "topic", None) or getattr(type(event), "topic", "")
    if hasattr(event, "data") and type(event).__name__ == "DynamicEvent":
        data = event.data
    elif hasattr(event, "model_dump"):
        data = event.model_dump(mode="json")
    else:
        data = event
    return json.dumps({"topic": topic, "data": data}, default=str).encode()


class WasmKernelPlugin:
    """The hook implementations registered for one WASM plugin (``Plugins.register``)."""

    def __init__(self, manifest: Manifest, runtime: PluginRuntime, max_failures: int = 5):
        self.manifest, self.runtime = manifest, runtime
        self.event_failures = 0
        self.max_failures = max_failures
        self.in_a_row: dict[str, int] = {}  # subscription function -> failures in a row
        self.disabled: dict[str, str] = {}  # subscription function -> the last error when it was disabled

    def enable_subscriptions(self) -> list[str]:
        """Re-enable every disabled subscription; returns their functions."""
        names = sorted(self.disabled)
        self.disabled.clear()
        self.in_a_row.clear()
        return names

    def info(self) -> PluginInfo:
        m = self.manifest
        return PluginInfo(name=m.id, version=m.version, summary=m.description or m.name)

    @hookimpl
    def reelkit_setup(self, ctx: PluginContext) -> None:
        for exp in self.manifest.exports:
            ctx.add_dynamic_command(self.manifest.command_id(exp.function), self._handler(exp),
                                    input_schema=exp.input_schema, output_schema=exp.output_schema,
                                    summary=exp.summary or f"{self.manifest.name}: {exp.function}",
                                    capability=self.manifest.id)
        for sub in self.manifest.subscriptions:
            ctx.subscribe(sub.topic, self._subscriber(sub))
        ctx.add_health_check("wasm", self.health)

    @hookimpl
    def reelkit_stop(self, ctx: PluginContext) -> None:
        self.runtime.close()

    def _handler(self, exp: Export):
        from orjson import dumps, loads  # ~0.3 µs each for a small object; json's are ~2 µs

        runtime, pid, function = self.runtime, self.manifest.id, exp.function
        check = self._output_check(exp)

        def decode(raw: bytes) -> dict:
            try:
                out = loads(raw)
            except ValueError:  # orjson.JSONDecodeError is a ValueError
                raise GuestTrap(f"plugin '{pid}': {function} returned output that is not JSON "
                                f"({raw[:80]!r}…); the export must write a JSON object",
                                details={"plugin": pid, "function": function}) from None
            if not isinstance(out, dict):
                raise GuestTrap(f"plugin '{pid}': {function} returned {type(out).__name__}, not a "
                                f"JSON object", details={"plugin": pid, "function": function})
            if check is not None and not check.is_valid(out):
                errors = json_schema_errors(check, out)
                raise GuestTrap(f"plugin '{pid}': {function} output does not match its output_schema: "
                                f"{errors[0]['path']}: {errors[0]['message']}",
                                details={"plugin": pid, "function": function, "errors": errors})
            return out

        async def handler(payload: dict, call: CallContext) -> dict:
            try:
                data = dumps(payload)
            except TypeError as e:  # orjson: an integer past 64 bits, a non-string key …
                raise InputInvalid(f"invalid input for {pid}.{function}: {e}; a WASM plugin takes "
                                   f"plain JSON", details={"command": f"{pid}.{function}"}) from None
            return await runtime.call(function, data, decode)

        handler.__name__ = f"{pid}_{function}"
        return handler

    def _output_check(self, exp: Export):
        if exp.output_schema in ({}, {"type": "object"}):
            return None  # nothing beyond "a JSON object", checked above
        return json_schema_validator(exp.output_schema, f"{self.manifest.command_id(exp.function)}: output_schema")

    def _subscriber(self, sub: Subscription):
        runtime, pid = self.runtime, self.manifest.id

        from reelkit.kernel.commands import current_call

        async def on_event(event: Any) -> None:
            if sub.function in self.disabled:
                return
            # an event is not a call: the guest's own grants only, whatever task delivers it
            token = current_call.set(None)
            try:
                await runtime.call(sub.function, _event_json(event))
                self.in_a_row[sub.function] = 0
            except Exception as e:  # a failing subscriber is logged and counted; the bus goes on
                self.event_failures += 1
                n = self.in_a_row[sub.function] = self.in_a_row.get(sub.function, 0) + 1
                log.warning("wasm subscriber %s.%s failed: %s", pid, sub.function, e)
                if n >= self.max_failures:
                    self.disabled[sub.function] = f"{getattr(e, 'code', type(e).__name__)}: {e}"[:300]
                    log.warning("wasm subscriber %s.%s disabled after %d failures in a row", pid, sub.function, n)
            finally:
                current_call.reset(token)

        on_event.__name__ = f"{pid}_{sub.function}"
        return on_event

    def health(self) -> HealthResult:
        s = self.runtime.stats
        detail = (f"{self.manifest.name} {self.manifest.version}: {s.calls} calls, {s.failures} failed, "
                  f"{s.discarded} instances discarded, {self.runtime.idle} idle")
        if s.last_error:
            detail += f"; last error: {s.last_error[:200]}"
        for fn, why in sorted(self.disabled.items()):
            detail += (f"; subscription {fn} disabled after {self.max_failures} failures in a row ({why[:120]}); "
                       f"re-enable with sandbox.enable_subscriptions")
        state = "warn" if self.disabled or (s.calls and s.failures * 2 > s.calls) else "ok"
        return HealthResult(state=state, detail=detail)
