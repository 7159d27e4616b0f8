"""Small parts: module inspection, storage quota, HTTP URL checks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reelkit.sandbox.errors import ModuleInvalid, PermissionDenied, QuotaExceeded
from reelkit.sandbox.kv import KvStore
from reelkit.sandbox.manifest import HttpGrant
from reelkit.sandbox.net import check_url
from reelkit.sandbox.wasminfo import inspect_module

from .conftest import wat


def test_inspect_module_lists_function_imports_and_exports():
    info = inspect_module(wat("""(module
      (import "reelkit:host/v1" "log" (func (param i32 i64)))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "mem" (memory 1))
      (global (export "g") i32 (i32.const 0))
      (func (export "a")) (func (export "b")))"""))
    assert info.imports == {("reelkit:host/v1", "log"), ("wasi_snapshot_preview1", "fd_write")}
    assert info.exports == {"a", "b"} and info.uses_wasi


@pytest.mark.parametrize("data", [b"", b"\0asm", b"\0asm\2\0\0\0", b"\0asm\1\0\0\0\7\x05\x01\x09abc", b"ELF\0\1\0\0\0"])
def test_inspect_module_refuses_garbage(data: bytes):
    with pytest.raises(ModuleInvalid):
        inspect_module(data)


def test_kv_quota_counts_keys_and_values_and_writes_nothing_past_it(tmp_path: Path):
    kv = KvStore(tmp_path / "kv.sqlite", "p", quota=100)
    kv.set("a", b"x" * 50)
    kv.set("a", b"y" * 90)  # replacing counts only the new value
    assert kv.used() == 91
    with pytest.raises(QuotaExceeded, match="100-byte"):
        kv.set("b", b"z" * 20)
    assert kv.get("b") is None and kv.get("a") == b"y" * 90
    kv.delete("a")
    assert kv.used() == 0
    kv.close()
    with pytest.raises(RuntimeError, match="unloaded"):
        kv.get("a")  # a late call after unload must not recreate the store
    assert KvStore(tmp_path / "kv.sqlite", "p", quota=100).get("a") is None


def test_kv_is_safe_from_many_threads(tmp_path: Path):
    kv = KvStore(tmp_path / "kv.sqlite", "p", quota=1 << 20)
    threads = [threading.Thread(target=lambda i=i: [kv.set(f"{i}-{j}", b"v") for j in range(50)]) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kv.used() == sum(len(f"{i}-{j}") + 1 for i in range(4) for j in range(50))


GRANTS = [HttpGrant(host="127.0.0.1", schemes=["http"], ports=[8080], allow_private=True, reason="local svc"),
          HttpGrant(host="localhost", schemes=["http"], ports=[8080], reason="no private")]


@pytest.mark.parametrize("url, needle", [
    ("ftp://127.0.0.1:8080/", "scheme 'ftp'"),
    ("https://127.0.0.1:8080/", "scheme 'https' is not granted"),
    ("http://127.0.0.1:9090/", "port 9090"),
    ("http://127.0.0.1/", "port 80"),
    ("http://user:pw@127.0.0.1:8080/", "credentials"),
    ("http://example.org:8080/", "'example.org' is not granted"),
    ("http://localhost:8080/", "non-public address"),
    ("http://[::1]:8080/", "'::1' is not granted"),
    ("/relative", "is not HTTP(S)"),
    ("http:///nohost", "no host"),
])
def test_check_url_refusals(url: str, needle: str):
    with pytest.raises(PermissionDenied) as err:
        check_url("p", url, GRANTS)
    assert needle in err.value.message


def test_check_url_pins_the_checked_address():
    scheme, host, port, ip, path = check_url("p", "http://127.0.0.1:8080/a?b=1", GRANTS)
    assert (scheme, host, port, ip, path) == ("http", "127.0.0.1", 8080, "127.0.0.1", "/a?b=1")


def test_worker_slots_get_a_fuel_backstop_and_running_it_out_reads_as_a_timeout(tmp_path: Path):
    """Extism's timer can lose a deadline; fuel far beyond the time limit then ends the call."""
    from concurrent.futures import ThreadPoolExecutor

    from reelkit.sandbox import engine
    from reelkit.sandbox.errors import FuelExhausted, GuestTimeout
    from reelkit.sandbox.host import PluginHost
    from reelkit.sandbox.manifest import parse_manifest
    from reelkit.sandbox.runtime import BACKSTOP_FUEL_FACTOR, FUEL_PER_MS, PluginRuntime

    spin = wat("""(module (memory (export "memory") 1)
      (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))""")
    base = {"id": "demo", "name": "Demo", "version": "1.0.0", "api": ">=1.0,<2",
            "module": {"file": "demo.wasm", "sha256": "a" * 64}, "exports": [{"function": "spin"}]}
    seen: list[tuple[int, int | None]] = []

    def compile(timeout_ms: int, fuel: int | None):
        seen.append((timeout_ms, fuel))
        # the timer is left out on purpose (one minute), as when it loses its deadline
        man_json = engine.extism_manifest(spin, max_pages=16, timeout_ms=60_000)
        return engine.CompiledModule(man_json, [], wasi=False, fuel=fuel)

    with ThreadPoolExecutor(1) as pool:
        rt = PluginRuntime(PluginHost(parse_manifest({**base, "limits": {"time_ms": 5}})), compile, pool, 0)
        with pytest.raises(GuestTimeout) as info:
            rt.call_sync("spin", b"{}")
        assert seen == [(5, 5 * FUEL_PER_MS * BACKSTOP_FUEL_FACTOR)]
        assert "ran past its 5 ms time limit" in info.value.message
        # a plugin's own fuel limit is its fuel, and running out of it says so
        rt = PluginRuntime(PluginHost(parse_manifest({**base, "limits": {"time_ms": 5, "fuel": 1000}})),
                           compile, pool, 0)
        with pytest.raises(FuelExhausted):
            rt.call_sync("spin", b"{}")
        assert seen[-1] == (5, 1000)
