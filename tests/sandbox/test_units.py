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


def test_kv_quota_counts_bytes_on_disk_and_writes_nothing_past_it(tmp_path: Path):
    path = tmp_path / "kv.sqlite"
    kv = KvStore(path, "p", quota=8192)
    kv.set("a", b"x" * 500)
    kv.set("a", b"y" * 900)  # replacing frees the old value's pages
    assert kv.used() == path.stat().st_size <= 8192
    with pytest.raises(QuotaExceeded, match="8192-byte"):
        kv.set("b", b"z" * 9000)
    for i in range(200):  # many small keys: page overhead counts too, the file never passes the quota
        try:
            kv.set(f"k{i}", b"v" * 40)
        except QuotaExceeded:
            break
    else:
        raise AssertionError("200 keys of 40 bytes fit in 8 KiB on disk")
    assert path.stat().st_size <= 8192 and not any(p.name.endswith(("-wal", "-journal")) for p in tmp_path.iterdir())
    assert kv.get("b") is None and kv.get("a") == b"y" * 900
    before = kv.used()
    kv.delete("a")
    assert kv.used() < before  # auto_vacuum gives the space back
    kv.close()
    with pytest.raises(RuntimeError, match="unloaded"):
        kv.get("a")  # a late call after unload must not recreate the store
    assert KvStore(path, "p", quota=8192).get("a") is None


def test_kv_is_safe_from_many_threads(tmp_path: Path):
    kv = KvStore(tmp_path / "kv.sqlite", "p", quota=1 << 20)
    threads = [threading.Thread(target=lambda i=i: [kv.set(f"{i}-{j}", b"v") for j in range(50)]) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(kv.get(f"{i}-{j}") == b"v" for i in range(4) for j in range(50))
    assert kv.used() == (tmp_path / "kv.sqlite").stat().st_size


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


def test_worker_slots_get_a_fuel_backstop_and_running_it_out_reads_as_a_timeout(tmp_path: Path, monkeypatch):
    """Extism's timer can lose a deadline; fuel far beyond the time limit then ends the call."""
    # compiled here without the service's cache: a cache config left by an earlier test may name a
    # folder that test removed (Extism then fails to compile)
    monkeypatch.setenv("EXTISM_CACHE_CONFIG", "")

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

    if True:  # (one plugin, its own worker thread)
        rt = PluginRuntime(PluginHost(parse_manifest({**base, "limits": {"time_ms": 5}})), compile, 1, 0)
        with pytest.raises(GuestTimeout) as info:
            rt.call_sync("spin", b"{}")
        assert seen == [(5, 5 * FUEL_PER_MS * BACKSTOP_FUEL_FACTOR)]
        assert "ran past its 5 ms time limit" in info.value.message
        # a plugin's own fuel limit is its fuel, and running out of it says so
        rt = PluginRuntime(PluginHost(parse_manifest({**base, "limits": {"time_ms": 5, "fuel": 1000}})),
                           compile, 1, 0)
        with pytest.raises(FuelExhausted):
            rt.call_sync("spin", b"{}")
        assert seen[-1] == (5, 1000)
