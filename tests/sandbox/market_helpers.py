"""Helpers of the marketplace tests: real packages, a real index, a real (sometimes hostile) HTTP mirror."""

from __future__ import annotations

import json
import time
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from reelkit.sandbox.market_index import Index
from reelkit.sandbox.market_serve import StaticServer
from reelkit.sandbox.package import pack

from .conftest import wat, write_plugin

HELLO_WAT = r"""
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "TEXT")
  (func (export "hello") (result i32) (local $off i64) (local $i i32)
    (local.set $off (call $alloc (i64.const LEN)))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (i32.const LEN)))
      (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
                      (i32.load8_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (call $output_set (local.get $off) (i64.const LEN))
    (i32.const 0))
  PAD
  START)
"""


def module(version: str, *, trap_at_start: bool = False, pad: int = 0) -> bytes:
    """A module whose ``hello`` answers ``{"version": …}``; optionally one that traps when instantiated."""
    text = json.dumps({"version": version})
    src = HELLO_WAT.replace('"TEXT"', json.dumps(text)).replace("LEN", str(len(text)))
    src = src.replace("PAD", f'(data (i32.const 1024) "{"x" * pad}")' if pad else "")
    src = src.replace("START", "(func $boom unreachable) (start $boom)" if trap_at_start else "")
    if pad:
        src = src.replace("(memory (export \"memory\") 1)", f"(memory (export \"memory\") {pad // 65536 + 2})")
    return wat(src)


def make_package(where: Path, plugin_id: str, version: str, publisher: str, *,
                 permissions: dict[str, Any] | None = None, trap_at_start: bool = False, pad: int = 0,
                 description: str = "") -> Path:
    """A real ``.rkp`` of a plugin exporting ``hello``."""
    d = where / f"{plugin_id}-{version}-src"
    write_plugin(d, module(version, trap_at_start=trap_at_start, pad=pad), {
        "id": plugin_id, "name": plugin_id.replace("_", " ").title(), "version": version,
        "publisher": publisher, "description": description or f"{plugin_id} says hello",
        "exports": [{"function": "hello", "summary": "Say hello"}],
        "permissions": permissions or {}})
    return pack(d, where / f"{plugin_id}-{version}.rkp")


KV = {"storage": {"quota_bytes": 4096, "reason": "Remembers greetings"}}
KV_AND_HEALTH = {**KV, "commands": [{"pattern": "kernel.health", "reason": "Checks the kernel is well"}]}


class Mirror(SimpleHTTPRequestHandler):
    """The static server, plus per-test hostility: ``overrides[path] = bytes | callable(handler)``."""

    overrides: dict[str, Any] = {}
    drip: dict[str, float] = {}   # path → seconds between bytes

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = self.path.split("?", 1)[0]
        o = self.overrides.get(path)
        if o is None and path in self.drip:
            body = Path(self.directory, path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                try:
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(self.drip[path])
            return
        if o is None:
            return super().do_GET()
        if callable(o):
            return o(self)
        self.send_response(200)
        self.send_header("Content-Length", str(len(o)))
        self.end_headers()
        self.wfile.write(o)


def mirror(index_dir: Path) -> tuple[StaticServer, type[Mirror]]:
    """A started server for ``index_dir`` with its own override tables."""
    handler = type("TestMirror", (Mirror,), {"overrides": {}, "drip": {}})
    return StaticServer(index_dir, handler=handler).start(), handler


def new_index(tmp: Path, **expiry: float) -> Index:
    return Index.init(tmp / "index", tmp / "operator.keys", "test passphrase", root_keys=3, threshold=2,
                      expiry=expiry or None)


async def add_source(k: Any, srv: StaticServer, index: Index) -> str:
    out = await k.invoke("sandbox.market_source_add",
                         {"url": srv.url, "root": str(index.meta_dir / "1.root.json"), "name": "test"})
    return out.sources[0]["name"]


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


async def wait_job(k: Any, ref: Any) -> Any:
    return await k.wait(ref, timeout=60)

