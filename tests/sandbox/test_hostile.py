"""Hostile plugins: each misbehaviour is contained, reported with a stable code, and the kernel
keeps serving other commands while it happens."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from reelkit.kernel.errors import KernelError

from .conftest import install, wat, write_plugin

pytestmark = pytest.mark.timeout(60)


async def _kernel_with(make_kernel, path: Path, **sandbox_settings):
    k = make_kernel(builtins=["sandbox"], settings={"sandbox": sandbox_settings})
    await k.start()
    await install(k, path)
    return k


async def _misbehave(k, command: str, payload: dict) -> KernelError:
    """Run the hostile call; meanwhile the kernel must answer other commands. Returns its error."""
    task = asyncio.create_task(k.invoke(command, payload))
    await asyncio.sleep(0)
    t0 = time.perf_counter()
    canary = await asyncio.wait_for(k.invoke("hostile.work", {"n": 2}), 5)
    assert canary == {"n": 2, "sum": 2000 * 2001 // 2}
    health = await asyncio.wait_for(k.invoke("kernel.health", {}), 5)
    assert health is not None
    assert time.perf_counter() - t0 < 3
    with pytest.raises(KernelError) as info:
        await task
    # the plugin is still usable afterwards (a fresh instance replaced the failed one)
    assert await k.invoke("hostile.work", {"n": 1}) == {"n": 1, "sum": 500500}
    return info.value


async def _discarded(k) -> int:
    info = await k.invoke("sandbox.info", {"id": "hostile"})
    return info.plugin["stats"]["discarded"]


async def test_infinite_loop_is_stopped_on_time(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        t0 = time.perf_counter()
        err = await _misbehave(k, "hostile.spin", {})
        assert err.code == "sandbox.timeout"
        assert "400 ms" in err.message
        assert time.perf_counter() - t0 < 3
        assert await _discarded(k) == 1
    finally:
        await k.stop()


async def test_memory_growth_past_limit_traps(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        err = await _misbehave(k, "hostile.grow", {})
        assert err.code == "sandbox.memory_exceeded", err
        assert "8 MiB" in err.message
    finally:
        await k.stop()


async def test_deep_recursion_traps(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        err = await _misbehave(k, "hostile.recurse", {})
        assert err.code == "sandbox.trap"
        assert "recursion" in err.message
    finally:
        await k.stop()


async def test_output_past_cap_is_refused(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        err = await _misbehave(k, "hostile.big_output", {"bytes": 100_000})
        assert err.code == "sandbox.output_too_large"
        assert "100000 bytes" in err.message and "65536" in err.message
    finally:
        await k.stop()


def _files(k) -> Path:
    return Path(k.paths.data_dir) / "wasm-plugins" / "hostile" / "data" / "files"


async def test_reading_outside_mapped_paths_fails(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        (_files(k) / "inside.txt").write_text("granted")
        (_files(k).parent / "secret.txt").write_text("not for plugins")
        ok = await k.invoke("hostile.read_file", {"path": "inside.txt"})
        assert ok == {"errno": 0, "content": "granted"}
        for path in ("../secret.txt", "/etc/passwd", "../../../../../../etc/passwd"):
            out = await k.invoke("hostile.read_file", {"path": path})
            assert out["errno"] != 0 and out["content"] == "", path
        assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == 500500
    finally:
        await k.stop()


async def test_writing_to_read_only_path_fails(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        (_files(k) / "inside.txt").write_text("granted")
        out = await k.invoke("hostile.write_file", {"path": "new.txt", "text": "pwned"})
        assert out["errno"] != 0
        out = await k.invoke("hostile.write_file", {"path": "inside.txt", "text": "pwned"})
        assert out["errno"] != 0
        assert not (_files(k) / "new.txt").exists()
        assert (_files(k) / "inside.txt").read_text() == "granted"
    finally:
        await k.stop()


class _Server:
    """A real HTTP server on 127.0.0.1 with /ok, /redirect (to a host not granted), /big."""

    def __init__(self) -> None:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):
                server.hits.append(self.path)
                if self.path == "/ok":
                    body = b"hello from the host side"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://localhost:{server.port}/ok")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/big":
                    body = b"y" * (1 << 20)
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.hits: list[str] = []
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _http_grant(port: int, allow_private: bool = True, host: str = "127.0.0.1") -> dict:
    return {"host": host, "schemes": ["http"], "ports": [port], "allow_private": allow_private,
            "reason": "test server"}


def _hostile_with_http(plugin_copy, grant: dict) -> Path:
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    return plugin_copy("hostile", permissions={**base["permissions"], "http": [grant]})


async def test_http_to_granted_host_works_through_the_host(make_kernel, plugin_copy, server):
    k = await _kernel_with(make_kernel, _hostile_with_http(plugin_copy, _http_grant(server.port)),
                           http_max_bytes=50_000)
    try:
        out = await k.invoke("hostile.http", {"request": {"url": f"http://127.0.0.1:{server.port}/ok"}})
        assert out["status"] == 200 and out["body"] == "hello from the host side"
        err = await _misbehave(k, "hostile.http", {"request": {"url": f"http://127.0.0.1:{server.port}/big"}})
        assert err.code == "sandbox.http_failed" and "cap" in err.message
    finally:
        await k.stop()


async def test_http_to_host_not_granted_is_refused(make_kernel, plugin_copy, server):
    k = await _kernel_with(make_kernel, _hostile_with_http(plugin_copy, _http_grant(server.port)))
    try:
        err = await _misbehave(k, "hostile.http", {"request": {"url": f"http://localhost:{server.port}/ok"}})
        assert err.code == "permission.denied"
        assert "'localhost' is not granted" in err.message
        err = await _misbehave(k, "hostile.http", {"request": {"url": f"http://127.0.0.1:{server.port + 1}/ok"}})
        assert err.code == "permission.denied" and "port" in err.message
        err = await _misbehave(k, "hostile.http", {"request": {"url": f"file:///etc/passwd"}})
        assert err.code == "permission.denied"
        assert server.hits == []
    finally:
        await k.stop()


async def test_redirect_to_host_not_granted_is_refused(make_kernel, plugin_copy, server):
    k = await _kernel_with(make_kernel, _hostile_with_http(plugin_copy, _http_grant(server.port)))
    try:
        err = await _misbehave(k, "hostile.http", {"request": {"url": f"http://127.0.0.1:{server.port}/redirect"}})
        assert err.code == "permission.denied"
        assert "localhost" in err.message
        assert server.hits == ["/redirect"]  # the redirect target was never fetched
    finally:
        await k.stop()


async def test_loopback_address_refused_unless_granted(make_kernel, plugin_copy, server):
    k = await _kernel_with(make_kernel, _hostile_with_http(plugin_copy, _http_grant(server.port, allow_private=False)))
    try:
        err = await _misbehave(k, "hostile.http", {"request": {"url": f"http://127.0.0.1:{server.port}/ok"}})
        assert err.code == "permission.denied"
        assert "non-public address 127.0.0.1" in err.message
        assert server.hits == []
    finally:
        await k.stop()


async def test_invoking_a_command_not_granted_is_denied(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        ok = await k.invoke("hostile.call", {"command": "kernel.health", "payload": {}})
        assert "state" in ok["result"]
        err = await _misbehave(k, "hostile.call", {"command": "sandbox.remove", "payload": {"id": "hostile"}})
        assert err.code == "permission.denied"
        assert (await k.invoke("sandbox.list", {})).plugins[0].state == "active"
    finally:
        await k.stop()


async def test_emitting_outside_its_namespace_is_denied(make_kernel, built, events):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        rec = events(k, "*")
        assert await k.invoke("hostile.emit", {"topic": "hostile.pinged"}) == {"emitted": True}
        await rec.wait_for("hostile.pinged")
        err = await _misbehave(k, "hostile.emit", {"topic": "media.file.discovered"})
        assert err.code == "permission.denied" and "media.file.discovered" in err.message
        await asyncio.sleep(0.05)
        assert "media.file.discovered" not in rec.topics()
    finally:
        await k.stop()


async def test_a_host_function_that_raises_fails_the_call(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        err = await _misbehave(k, "hostile.call", {"command": "kernel.health", "raw_payload": "{not json"})
        assert err.code == "sandbox.host_error"
        assert "invoke" in err.message and "JSONDecodeError" in err.message
    finally:
        await k.stop()


async def test_storage_past_quota_is_refused(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        err = await _misbehave(k, "hostile.hoard", {})
        assert err.code == "sandbox.quota_exceeded" and "8192" in err.message
    finally:
        await k.stop()


async def test_a_hundred_concurrent_calls_all_correct(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        results = await asyncio.gather(*(k.invoke("hostile.work", {"n": n}) for n in range(100)))
        for n, out in enumerate(results):
            assert out == {"n": n, "sum": (n * 1000) * (n * 1000 + 1) // 2}
        info = (await k.invoke("sandbox.info", {"id": "hostile"})).plugin
        assert info["stats"]["created"] <= 4  # the pool's limit: instances reused, never shared
        assert info["stats"]["failures"] == 0
    finally:
        await k.stop()


async def test_cancelling_the_task_stops_the_guest(make_kernel, built):
    k = await _kernel_with(make_kernel, built("hostile"))
    try:
        task = asyncio.create_task(k.invoke("hostile.spin", {}))
        await asyncio.sleep(0.1)
        t0 = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the guest stops long before its 400 ms limit; its instance is thrown away
        for _ in range(100):
            info = (await k.invoke("sandbox.info", {"id": "hostile"})).plugin
            if info["stats"]["discarded"] == 1:
                break
            await asyncio.sleep(0.005)
        assert time.perf_counter() - t0 < 0.25  # its time limit would have struck 0.3 s after the cancel
        assert "sandbox.cancelled" in info["stats"]["last_error"]
        assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == 500500
    finally:
        await k.stop()


async def test_fuel_limit_stops_a_busy_guest(make_kernel, plugin_copy):
    k = await _kernel_with(make_kernel, plugin_copy("hostile", limits={"time_ms": 5000, "fuel": 2_000_000}))
    try:
        err = await _misbehave(k, "hostile.spin", {})
        assert err.code == "sandbox.fuel_exhausted"
    finally:
        await k.stop()


# -- refused at install: nothing is installed, the kernel keeps serving -------------------------

_LOOP_WAT = """(module
  (import "extism:host/env" "output_set" (func $out (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))"""


async def _refused(make_kernel, path: Path) -> KernelError:
    k = make_kernel(builtins=["sandbox"])
    async with k:
        with pytest.raises(KernelError) as info:
            await install(k, path)
        assert (await k.invoke("sandbox.list", {})).plugins == []
        assert list((Path(k.paths.data_dir) / "wasm-plugins").iterdir()) == []
        assert await k.invoke("kernel.health", {}) is not None
    return info.value


async def test_corrupt_module_is_refused(make_kernel, tmp_path):
    good = wat(_LOOP_WAT)
    corrupt = good[:8] + b"\x01\xff\xff\xff\x0f" + good[8:]
    err = await _refused(make_kernel, write_plugin(tmp_path / "c", corrupt, {"id": "corrupt", "exports": [{"function": "run"}]}))
    assert err.code == "sandbox.module_invalid"
    err = await _refused(make_kernel, write_plugin(tmp_path / "d", b"MZ\x90\x00 not wasm", {"id": "corrupt", "exports": [{"function": "run"}]}))
    assert err.code == "sandbox.module_invalid" and "not a WebAssembly binary" in err.message


async def test_hash_mismatch_is_refused(make_kernel, tmp_path):
    d = write_plugin(tmp_path / "h", wat(_LOOP_WAT), {"id": "tampered", "exports": [{"function": "run"}]})
    (d / "plugin.wasm").write_bytes(wat(_LOOP_WAT.replace("i32.const 0", "i32.const 1")))
    err = await _refused(make_kernel, d)
    assert err.code == "sandbox.hash_mismatch" and "rebuild" in err.message


async def test_missing_export_is_refused(make_kernel, tmp_path):
    d = write_plugin(tmp_path / "m", wat(_LOOP_WAT), {"id": "missing", "exports": [{"function": "run"}, {"function": "absent"}]})
    err = await _refused(make_kernel, d)
    assert err.code == "sandbox.export_missing" and "absent" in err.message


async def test_manifest_with_unknown_fields_is_refused(make_kernel, tmp_path):
    d = write_plugin(tmp_path / "u", wat(_LOOP_WAT), {"id": "unknown", "exports": [{"function": "run"}],
                                                      "permissions": {"network": ["*"]}})
    err = await _refused(make_kernel, d)
    assert err.code == "sandbox.manifest_invalid" and "unknown field 'permissions.network'" in err.message


async def test_manifest_with_incompatible_api_is_refused(make_kernel, tmp_path):
    d = write_plugin(tmp_path / "a", wat(_LOOP_WAT), {"id": "future", "api": ">=2.0", "exports": [{"function": "run"}]})
    err = await _refused(make_kernel, d)
    assert err.code == "sandbox.api_incompatible" and ">=2.0" in err.message


async def test_module_calling_an_ungranted_host_function_is_refused(make_kernel, tmp_path):
    src = """(module
      (import "reelkit:host/v1" "http_request" (func $h (param i64) (result i64)))
      (memory (export "memory") 1)
      (func (export "run") (result i32) (drop (call $h (i64.const 0))) (i32.const 0)))"""
    err = await _refused(make_kernel, write_plugin(tmp_path / "g", wat(src), {"id": "sneaky", "exports": [{"function": "run"}]}))
    assert err.code == "sandbox.manifest_invalid" and "http_request" in err.message and "permissions.http" in err.message


async def test_stopping_one_call_leaves_concurrent_calls_of_the_same_plugin_alone(make_kernel, plugin_copy):
    """Extism interrupts by engine epoch; sibling instances must not share an engine."""
    k = await _kernel_with(make_kernel, plugin_copy("hostile", limits={"time_ms": 5000, "max_instances": 4}))
    try:
        t0 = time.perf_counter()
        await k.invoke("hostile.work", {"n": 20_000})
        n = max(20_000, int(20_000 * 0.4 / max(time.perf_counter() - t0, 1e-3)))  # ~0.4 s of work
        work = asyncio.create_task(k.invoke("hostile.work", {"n": n}))
        spin = asyncio.create_task(k.invoke("hostile.spin", {}))
        await asyncio.sleep(0.1)
        spin.cancel()
        with pytest.raises(asyncio.CancelledError):
            await spin
        out = await work
        assert out == {"n": n, "sum": (n * 1000) * (n * 1000 + 1) // 2}
    finally:
        await k.stop()


_STDOUT_WAT = r"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store (param i64 i32)))
  (import "extism:host/env" "output_set" (func $out (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 100) "LEAKED-TO-THE-HOST\n")
  (func (export "shout") (result i32) (local $b i64)
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 19))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $b (call $alloc (i64.const 2)))
    (call $store (local.get $b) (i32.const 123)) (call $store (i64.add (local.get $b) (i64.const 1)) (i32.const 125))
    (call $out (local.get $b) (i64.const 2))
    (i32.const 0)))"""


async def test_writing_to_stdout_or_stderr_never_reaches_the_host(make_kernel, tmp_path, capfd):
    """A guest's stdout would corrupt the JSON-RPC stdio transport: WASI stdio is not inherited."""
    d = write_plugin(tmp_path / "loud", wat(_STDOUT_WAT), {"id": "loud", "exports": [{"function": "shout"}]})
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, d)
        assert await k.invoke("loud.shout", {}) == {}
    out, err = capfd.readouterr()
    assert "LEAKED" not in out and "LEAKED" not in err


async def test_a_subscriber_that_hangs_is_stopped_and_counted(make_kernel, tmp_path):
    src = """(module (memory (export "memory") 1)
      (func (export "on_event") (result i32) (loop $l (br $l)) (i32.const 0)))"""
    d = write_plugin(tmp_path / "hang", wat(src), {
        "id": "hang", "subscriptions": [{"topic": "storm.*", "function": "on_event"}], "limits": {"time_ms": 100}})
    from reelkit.kernel.events import DynamicEvent

    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, d)
        t0 = time.perf_counter()
        for i in range(3):
            k.bus.publish(DynamicEvent(topic="storm.hit", data={"i": i}))
        assert await asyncio.wait_for(k.invoke("sandbox.list", {}), 1)  # served while the guest spins
        for _ in range(200):
            detail = (await k.health())["checks"]["hang.wasm"]["detail"]
            if "3 failed" in detail:
                break
            await asyncio.sleep(0.01)
        assert "3 calls, 3 failed" in detail and "sandbox.timeout" in detail
        assert time.perf_counter() - t0 < 2


async def test_output_that_breaks_its_schema_is_refused_with_the_path(make_kernel, plugin_copy):
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    exports = [dict(e, output_schema={"type": "object", "properties": {"sum": {"type": "string"}}})
               if e["function"] == "work" else e for e in base["exports"]]
    k = make_kernel(builtins=["sandbox"])
    async with k:
        await install(k, plugin_copy("hostile", exports=exports))
        with pytest.raises(KernelError) as info:
            await k.invoke("hostile.work", {"n": 3})
        assert info.value.code == "sandbox.trap"
        assert "output does not match its output_schema: sum: 4501500 is not of type \"string\"" in info.value.message
        assert info.value.details["errors"] == [{"path": "sum", "message": '4501500 is not of type "string"'}]
