"""A thin, explicit binding over the Extism C API (``extism_sys``).

The official Python wrapper is not used for calls because of traps measured here
(see shared notes): it routes every host function through a process-global registry and
defaults ``functions=`` to every host function ever defined, its type inference returned
pointers for ``int``, and it offers neither the fuel limit nor a way to surface an exception
raised in a host function. This module exposes three nouns:

- :class:`HostFunction` — name, wasm signature and a Python implementation
  ``impl(call, current, args) -> int | None``; exceptions are caught by the trampoline
  and handed to ``call.fail(exc)`` — never swallowed.
- :class:`CompiledModule` — an Extism manifest compiled once (wasmtime caches the machine
  code on disk); instances are created from it in ~0.1 ms.
- :class:`Instance` — one guest instance. Never share one between threads.
"""

from __future__ import annotations

import json
import os
from base64 import b64encode
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

# Rust backtraces cost ~6 µs per guest call when RUST_BACKTRACE is set (measured); error
# backtraces are useless to us anyway, so turn library backtraces off before libextism loads.
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

try:
    from extism_sys import ffi, lib  # noqa: E402  (must follow the environment tweak)
except ImportError as _e:  # the base install has no WASM runtime: the sandbox plugin is disabled, saying why
    from reelkit.kernel.extras import missing_extra

    raise missing_extra("WASM plugins (the sandbox)", "sandbox", module="extism_sys") from _e

I32 = lib.ExtismValType_I32
I64 = lib.ExtismValType_I64


class GuestFailure(Exception):
    """A guest call failed. ``kind`` is one of: trap, timeout, oom, fuel, guest."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def classify(message: str) -> str:
    """Map Extism/wasmtime error text to a failure kind."""
    low = message.lower()
    if "fuel" in low:
        return "fuel"
    if "timeout" in low or "interrupt" in low:
        return "timeout"
    if low == "oom" or "out of memory" in low or "memory limit" in low:
        return "oom"
    if "wasm backtrace" in low or "wasm trap" in low or "error while executing" in low:
        return "trap"
    return "guest"  # text the guest set itself with error_set


@dataclass(eq=False)
class HostFunction:
    """A host function offered to guests under ``namespace``/``name``.

    ``params``/``results`` are lists of ``I32``/``I64``. ``impl(call, current, args)``
    receives the per-call host context object, the ``ExtismCurrentPlugin*`` and the
    argument values; it returns the single result value (or ``None``).
    """

    namespace: str
    name: str
    params: Sequence[int]
    results: Sequence[int]
    impl: Callable[[Any, Any, list[int]], int | None]
    _handle: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._handle = ffi.new_handle(self)


@ffi.callback("void(ExtismCurrentPlugin*, const ExtismVal*, ExtismSize, ExtismVal*, ExtismSize, void*)")
def _trampoline(current, inputs, n_inputs, outputs, n_outputs, user_data):
    fn: HostFunction = ffi.from_handle(user_data)
    ctx_ptr = lib.extism_current_plugin_host_context(current)
    call = ffi.from_handle(ctx_ptr) if ctx_ptr != ffi.NULL else None
    for i in range(n_outputs):
        if outputs[i].t == I32:
            outputs[i].v.i32 = 0
        else:
            outputs[i].v.i64 = 0
    try:
        if call is None:
            raise RuntimeError(f"host function {fn.name} called without a host context")
        call.enter(fn.name)  # every host function charges the call's budget first
        args = [inputs[i].v.i32 if inputs[i].t == I32 else inputs[i].v.i64 for i in range(n_inputs)]
        result = fn.impl(call, current, args)
        if n_outputs and result is not None:
            if outputs[0].t == I32:
                outputs[0].v.i32 = int(result)
            else:
                outputs[0].v.i64 = int(result)
    except BaseException as exc:  # noqa: BLE001 - an exception must never cross the FFI boundary
        if call is not None:
            call.fail(exc, fn.name)


# Memory helpers for host function implementations ------------------------------------------


def block_length(current, offset: int) -> int:
    """Length of the Extism memory block at ``offset`` (0 for offset 0)."""
    return lib.extism_current_plugin_memory_length(current, offset) if offset else 0


def read_block(current, offset: int, limit: int | None = None) -> bytes:
    """Bytes of the Extism memory block at ``offset`` (empty for offset 0), at most ``limit``."""
    if not offset:
        return b""
    length = lib.extism_current_plugin_memory_length(current, offset)
    if limit is not None:
        length = min(length, limit)
    base = lib.extism_current_plugin_memory(current)
    return bytes(ffi.buffer(base + offset, length))


def write_block(current, data: bytes) -> int:
    """Allocate an Extism memory block holding ``data``; returns its offset."""
    offset = lib.extism_current_plugin_memory_alloc(current, len(data))
    if not offset and data:
        raise MemoryError("the guest's memory limit does not leave room for the host's answer")
    base = lib.extism_current_plugin_memory(current)
    ffi.memmove(base + offset, data, len(data))
    return offset


# Compiled modules and instances ---------------------------------------------------------------


def extism_manifest(wasm: bytes, *, max_pages: int, timeout_ms: int | None,
                    allowed_paths: dict[str, str] | None = None,
                    config: dict[str, str] | None = None) -> bytes:
    """The Extism JSON manifest: one module, hard limits, no Extism-side HTTP, no vars."""
    man: dict[str, Any] = {
        "wasm": [{"data": b64encode(wasm).decode()}],
        "memory": {"max_pages": max_pages, "max_var_bytes": 0, "max_http_response_bytes": 0},
        # Extism's own HTTP follows redirects to hosts that are not allowed; ours is host-side.
        "allowed_hosts": [],
        "allowed_paths": allowed_paths or {},
        "config": config or {},
    }
    if timeout_ms:
        man["timeout_ms"] = int(timeout_ms)
    return json.dumps(man).encode()


class CompiledModule:
    """A compiled Extism plugin (module + kernel + host functions + limits)."""

    def __init__(self, manifest_json: bytes, functions: Sequence[HostFunction], *,
                 wasi: bool, fuel: int | None = None):
        self.functions = list(functions)  # keep handles alive as long as the module
        ptrs = []
        for f in self.functions:
            params = ffi.new("ExtismValType[]", list(f.params) or [0])
            results = ffi.new("ExtismValType[]", list(f.results) or [0])
            p = lib.extism_function_new(f.name.encode(), params, len(f.params), results,
                                        len(f.results), _trampoline, f._handle, ffi.NULL)
            lib.extism_function_set_namespace(p, f.namespace.encode())
            ptrs.append(p)
        arr = ffi.new("ExtismFunction*[]", ptrs) if ptrs else ffi.NULL
        err = ffi.new("char**")
        try:
            if fuel:
                self.pointer = lib.extism_compiled_plugin_new_with_fuel_limit(
                    manifest_json, len(manifest_json), arr, len(ptrs), wasi, int(fuel), err)
            else:
                self.pointer = lib.extism_compiled_plugin_new(
                    manifest_json, len(manifest_json), arr, len(ptrs), wasi, err)
        finally:
            for p in ptrs:  # the compiled plugin holds its own references
                lib.extism_function_free(p)
        if self.pointer == ffi.NULL:
            msg = ffi.string(err[0]).decode(errors="replace") if err[0] != ffi.NULL else "unknown"
            if err[0] != ffi.NULL:
                lib.extism_plugin_new_error_free(err[0])
            raise ValueError(msg)

    def instantiate(self) -> "Instance":
        return Instance(self)

    def close(self) -> None:
        if getattr(self, "pointer", None) not in (None, ffi.NULL):
            lib.extism_compiled_plugin_free(self.pointer)
            self.pointer = None

    __del__ = close


class Instance:
    """One live guest. Not thread-safe: one thread at a time, discard after any failure."""

    def __init__(self, compiled: CompiledModule):
        self._compiled = compiled  # the instance must not outlive its compiled module
        err = ffi.new("char**")
        self.pointer = lib.extism_plugin_new_from_compiled(compiled.pointer, err)
        if self.pointer == ffi.NULL:
            msg = ffi.string(err[0]).decode(errors="replace")
            lib.extism_plugin_new_error_free(err[0])
            raise ValueError(msg)
        self._cancel = lib.extism_plugin_cancel_handle(self.pointer)

    def has_function(self, name: str) -> bool:
        return bool(lib.extism_plugin_function_exists(self.pointer, name.encode()))

    def cancel(self) -> None:
        """Stop a running call (safe from any thread)."""
        if self.pointer is not None:
            lib.extism_plugin_cancel(self._cancel)

    def call(self, name: str, data: bytes, host_context: Any, max_output: int) -> bytes:
        """Run export ``name``; raises :class:`GuestFailure` or ``OverflowError`` (output cap)."""
        handle = ffi.new_handle(host_context)
        rc = lib.extism_plugin_call_with_host_context(self.pointer, name.encode(), data,
                                                      len(data), handle)
        error = lib.extism_plugin_error(self.pointer)
        if error != ffi.NULL:
            msg = ffi.string(error).decode(errors="replace")
            raise GuestFailure(classify(msg), msg)
        if rc != 0:
            raise GuestFailure("trap", f"the guest returned status {rc} without an error message")
        n = lib.extism_plugin_output_length(self.pointer)
        if n > max_output:
            raise OverflowError(n)
        return bytes(ffi.buffer(lib.extism_plugin_output_data(self.pointer), n))

    def close(self) -> None:
        if getattr(self, "pointer", None) not in (None, ffi.NULL):
            lib.extism_plugin_free(self.pointer)
            self.pointer = None

    __del__ = close
