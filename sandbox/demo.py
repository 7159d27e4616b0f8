"""The sandbox's step of ``reelkit demo``: a WASM plugin installed, called, contained, removed.

The plugin is written in WebAssembly text and assembled with wasmtime (a runtime dependency), so
the demo needs no C or AssemblyScript toolchain.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

PLUGIN_ID = "demo_sandbox"
HELLO = '{"sandboxed":true,"written_in":"WebAssembly text"}'

WAT = r"""
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "reelkit:host/v1" "invoke" (func $invoke (param i64 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "HELLO")
  (data (i32.const 256) "sandbox.remove")
  (data (i32.const 512) "{\"id\":\"sandbox\"}")
  ;; copy linear memory [ptr, ptr+len) into a new Extism block
  (func $block (param $ptr i32) (param $len i32) (result i64) (local $off i64) (local $i i32)
    (local.set $off (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
                      (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (local.get $off))
  (func (export "hello") (result i32)
    (call $output_set (call $block (i32.const 0) (i32.const LEN)) (i64.const LEN))
    (i32.const 0))
  (func (export "runaway") (result i32) (loop $forever (br $forever)) (i32.const 0))
  (func (export "overreach") (result i32)
    (drop (call $invoke (call $block (i32.const 256) (i32.const 14)) (call $block (i32.const 512) (i32.const 16))))
    (i32.const 0)))
"""


def plugin_files() -> tuple[bytes, dict[str, Any]]:
    import wasmtime

    from .manifest import sha256_hex

    text = WAT.replace('"HELLO"', json.dumps(HELLO)).replace("LEN", str(len(HELLO)))
    wasm = bytes(wasmtime.wat2wasm(text))
    manifest = {
        "id": PLUGIN_ID, "name": "Sandbox demo", "version": "1.0.0", "api": ">=1.0,<2",
        "description": "Shows a WASM plugin's command, its time limit and a refused permission",
        "module": {"file": "plugin.wasm", "sha256": sha256_hex(wasm)},
        "exports": [{"function": "hello", "summary": "Say hello from the sandbox",
                     "output_schema": {"type": "object", "required": ["sandboxed"]}},
                    {"function": "runaway", "summary": "Loop forever (stopped by its time limit)"},
                    {"function": "overreach", "summary": "Try to remove the sandbox (not granted)"}],
        "permissions": {"commands": [{"pattern": "kernel.health", "reason": "Reads the kernel's health"}]},
        "limits": {"memory_mb": 2, "time_ms": 200},
    }
    return wasm, manifest


async def run(demo: Any) -> None:
    from reelkit.kernel.errors import KernelError

    wasm, manifest = plugin_files()
    d = demo.workdir / "wasm-plugin"
    d.mkdir(parents=True, exist_ok=True)
    (d / "plugin.wasm").write_bytes(wasm)
    (d / "plugin.json").write_text(json.dumps(manifest, indent=2))
    (d / "README.md").write_text("# Sandbox demo\n")
    from .consent import permissions_digest
    from .manifest import parse_manifest

    # the demo shows its permissions and consents to exactly those (see sandbox.consent)
    consent = permissions_digest(parse_manifest(manifest))
    out = await demo.invoke("sandbox.install", {"path": str(d), "replace": True, "consent": consent})
    try:
        demo.say(f"sandbox: installed WASM plugin [bold]{out.id}[/] → commands {', '.join(out.commands)}")
        hello = await demo.invoke(f"{PLUGIN_ID}.hello", {})
        demo.say(f"sandbox: {PLUGIN_ID}.hello → {json.dumps(hello)}")
        t0 = time.perf_counter()
        runaway = asyncio.ensure_future(demo.invoke(f"{PLUGIN_ID}.runaway", {}))
        health = await demo.invoke("kernel.health", {})  # the kernel keeps serving meanwhile
        try:
            await runaway
            raise AssertionError("the runaway call was not stopped")
        except KernelError as e:
            demo.say(f"sandbox: {PLUGIN_ID}.runaway stopped after {(time.perf_counter() - t0) * 1000:.0f} ms "
                     f"({e.code}) while kernel.health answered {health.state!r}")
        try:
            await demo.invoke(f"{PLUGIN_ID}.overreach", {})
            raise AssertionError("the ungranted invoke was allowed")
        except KernelError as e:
            demo.say(f"sandbox: {PLUGIN_ID}.overreach tried sandbox.remove → ({e.code})")
    finally:
        await demo.invoke("sandbox.remove", {"id": PLUGIN_ID})
        demo.say(f"sandbox: removed {PLUGIN_ID} (files, data and cached code)")
