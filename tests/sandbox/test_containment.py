"""The hostile suite of issue 13: every attack is contained, with its own code, while a probe keeps
calling ``kernel.health`` and a benign WASM plugin and records its worst latency.

Modules are real WebAssembly: the C ``hostile`` fixture (zig) and the WAT modules in hostile_wat.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reelkit.kernel.errors import KernelError

from . import hostile_wat as H
from .conftest import consent_for, install, wat, write_plugin

pytestmark = pytest.mark.timeout(120)

#: the probe's worst round trip (kernel.health + a benign call). The loop's own worst stall is
#: held to < 50 ms by the benchmark; on this shared 2-core test machine a round trip of a few
#: hundred ms happens under load without any guest, while the failures fixed here held it for seconds
PROBE_BOUND_S = 0.75


class Probe:
    """Calls kernel.health and benign.ping in a loop while an attack runs; ``worst`` round trip."""

    def __init__(self, k) -> None:
        self.k, self.worst, self.rounds, self.gap = k, 0.0, 0, 0.0

    async def __aenter__(self) -> "Probe":
        async def run() -> None:
            while True:
                t0 = time.perf_counter()
                assert (await self.k.invoke("kernel.health", {})).state in ("ok", "warn", "error")
                assert await self.k.invoke("benign.ping", {}) == {"pong": 1}
                self.worst = max(self.worst, time.perf_counter() - t0)
                self.rounds += 1
                await asyncio.sleep(0.005)

        async def tick() -> None:
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                self.gap, last = max(self.gap, now - last), now

        self.tasks = [asyncio.create_task(run()), asyncio.create_task(tick())]
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for _ in range(500):  # at least one full round while (or right after) the attack ran
            if self.rounds or self.tasks[0].done():
                break
            await asyncio.sleep(0.01)
        for t in self.tasks:
            t.cancel()
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        if exc[0] is None:
            for r in results:
                if not isinstance(r, asyncio.CancelledError):
                    raise AssertionError(f"the probe failed: {r!r}")
            assert self.rounds >= 1
            assert self.worst < PROBE_BOUND_S, f"probe round trip {self.worst:.3f} s (loop gap {self.gap:.3f} s)"


async def kernel(make_kernel, tmp_path: Path, **sandbox):
    k = make_kernel(builtins=["sandbox"], settings={"sandbox": sandbox})
    await k.start()
    await install(k, write_plugin(tmp_path / "benign", wat(H.BENIGN), {"id": "benign", "exports": [{"function": "ping"}]}))
    return k


async def contained(k, coro, code: str) -> KernelError:
    """Run the attack under the probe; it must fail with ``code``."""
    async with Probe(k):
        with pytest.raises(KernelError) as info:
            await coro
    assert info.value.code == code, f"{info.value.code}: {info.value.message}"
    assert info.value.message
    return info.value


def plugins_dir(k) -> Path:
    return Path(k.paths.data_dir) / "wasm-plugins"


def on_disk(k) -> list[str]:
    return sorted(p.name for p in plugins_dir(k).iterdir() if p.name != "state.json")


def wat_plugin(tmp_path: Path, name: str, src: str, **manifest: Any) -> Path:
    manifest.setdefault("exports", [{"function": "run"}])
    return write_plugin(tmp_path / f"{name}-{time.monotonic_ns()}", wat(src), {"id": name, **manifest})


# -- 1. start-up code ------------------------------------------------------------------------------

@pytest.mark.parametrize("src", [H.START_LOOP, H.INITIALIZE_LOOP, H.CTORS_LOOP], ids=["start", "_initialize", "ctors"])
async def test_start_up_code_that_spins_is_stopped_on_time_and_nothing_is_installed(make_kernel, tmp_path, src):
    k = await kernel(make_kernel, tmp_path)
    try:
        t0 = time.perf_counter()
        d = wat_plugin(tmp_path, "spinup", src, limits={"time_ms": 300})
        err = await contained(k, install(k, d), "sandbox.start_timeout")
        assert time.perf_counter() - t0 < 3 and "300 ms" in err.message
        assert on_disk(k) == ["benign"]
    finally:
        await k.stop()


async def test_start_function_that_works_runs_before_the_first_call(make_kernel, tmp_path):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, wat_plugin(tmp_path, "starter", H.START_OK))
        assert await k.invoke("starter.run", {}) == {"pong": 1}
    finally:
        await k.stop()


async def test_reload_and_remove_never_wait_on_another_plugins_start_up(make_kernel, tmp_path, built):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, built("hostile"))
        slow = asyncio.create_task(install(k, wat_plugin(tmp_path, "slowstart", H.START_LOOP, limits={"time_ms": 3000})))
        await asyncio.sleep(0.3)  # its start function is spinning now
        t0 = time.perf_counter()
        await k.invoke("sandbox.reload", {"id": "hostile"})
        await k.invoke("sandbox.reload", {"id": "benign"})
        await k.invoke("sandbox.remove", {"id": "hostile"})
        assert time.perf_counter() - t0 < 1.5
        assert not slow.done()
        with pytest.raises(KernelError) as info:
            await slow
        assert info.value.code == "sandbox.start_timeout"
    finally:
        await k.stop()


# -- 2. the event loop is never held ---------------------------------------------------------------

@pytest.mark.parametrize("src, code", [
    (H.LOG_FLOOD, "sandbox.log_limit"), (H.EMIT_FLOOD, "sandbox.event_limit"),
    (H.CONFIG_FLOOD, "sandbox.timeout"), (H.EMPTY_LOG_FLOOD, "sandbox.timeout"),
], ids=["log", "emit", "config_get", "empty_log"])
async def test_host_call_floods_are_bounded_by_the_call_budget(make_kernel, tmp_path, src, code):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, wat_plugin(tmp_path, "flood", src, limits={"time_ms": 500}))
        t0 = time.perf_counter()
        await contained(k, k.invoke("flood.run", {}), code)
        assert time.perf_counter() - t0 < 2.5  # 500 ms limit; was 2.6–3.5 s against 1 s
    finally:
        await k.stop()


async def test_a_huge_log_block_is_read_as_one_line(make_kernel, tmp_path):
    import logging

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    guest_log = logging.getLogger("reelkit.sandbox.guest")
    handler, level = Keep(), guest_log.level
    guest_log.addHandler(handler)
    guest_log.setLevel(logging.DEBUG)
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, wat_plugin(tmp_path, "biglog", H.HUGE_LOG, limits={"memory_mb": 16}))
        async with Probe(k):
            assert await k.invoke("biglog.run", {}) == {"pong": 1}
        mine = [x for x in lines if x.startswith("biglog:")]
        assert mine and max(len(x) for x in mine) < 4200
    finally:
        guest_log.removeHandler(handler)
        guest_log.setLevel(level)
        await k.stop()


async def test_outputs_past_the_cap_and_big_outputs_leave_the_loop_alone(make_kernel, tmp_path, plugin_copy):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile", limits={"memory_mb": 64, "time_ms": 5000,
                                                         "max_output_bytes": 8 << 20, "max_instances": 4}))
        err = await contained(k, k.invoke("hostile.big_output", {"bytes": 9 << 20}), "sandbox.output_too_large")
        assert str(9 << 20) in err.message
        # 4 MiB that is not JSON: copied and decoded on the worker thread, the loop stays free
        err = await contained(k, k.invoke("hostile.big_output", {"bytes": 4 << 20}), "sandbox.trap")
        assert "not JSON" in err.message
    finally:
        await k.stop()


@pytest.mark.parametrize("export, payload, code", [
    ("spin", {}, "sandbox.timeout"), ("grow", {}, "sandbox.memory_exceeded"), ("recurse", {}, "sandbox.trap"),
    ("hoard", {}, "sandbox.quota_exceeded"),
])
async def test_already_contained_attacks_stay_contained(make_kernel, tmp_path, built, export, payload, code):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, built("hostile"))
        await contained(k, k.invoke(f"hostile.{export}", payload), code)
        if export == "hoard":  # the quota is bytes on disk
            kv = plugins_dir(k) / "hostile" / "storage" / "kv.sqlite"
            assert kv.stat().st_size <= 8192
        assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == 500500
    finally:
        await k.stop()


async def test_input_the_guest_cannot_hold_is_input_too_large(make_kernel, tmp_path):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, wat_plugin(tmp_path, "reader", H.READS_INPUT, limits={"memory_mb": 2}))
        err = await contained(k, k.invoke("reader.run", {"blob": "x" * (3 << 20)}), "sandbox.input_too_large")
        assert "2 MiB" in err.message
        assert await k.invoke("reader.run", {"blob": "small"}) == {"pong": 1}
    finally:
        await k.stop()


# -- 3. grants narrow along the chain; recursion -----------------------------------------------------

async def test_nested_calls_cannot_launder_grants(make_kernel, tmp_path, plugin_copy):
    """A caller granted only ["hostile"] cannot reach sandbox.disable through hostile.call → hostile.call,
    though hostile itself is granted every command."""
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile", permissions={**base["permissions"], "commands": [
            {"pattern": "*", "reason": "test: everything"}]}))
        inner = {"command": "sandbox.disable", "payload": {"id": "benign"}}
        for payload in (inner, {"command": "hostile.call", "payload": inner}):
            err = await contained(k, k.invoke("hostile.call", payload, grants=["hostile"]),
                                  "permission.denied")
            assert "sandbox.disable" in err.message
        assert (await k.invoke("sandbox.list", {})).plugins[0].state == "active"
        # the embedding app (all grants) may, through the same chain
        out = await k.invoke("hostile.call", {"command": "hostile.call", "payload": {"command": "kernel.health", "payload": {}}})
        assert "state" in out["result"]["result"]
    finally:
        await k.stop()


async def test_self_recursion_is_bounded_and_others_keep_their_threads(make_kernel, tmp_path, plugin_copy):
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile", limits={**base["limits"], "time_ms": 5000, "max_instances": 64}))
        payload: dict = {"command": "kernel.health", "payload": {}}
        for _ in range(12):
            payload = {"command": "hostile.call", "payload": payload}
        t0 = time.perf_counter()
        err = await contained(k, k.invoke("hostile.call", payload), "sandbox.recursion_limit")
        assert time.perf_counter() - t0 < 3 and "nest" in err.message
    finally:
        await k.stop()


async def test_a_nested_call_that_outlives_the_caller_ends_as_a_timeout_with_a_message(make_kernel, tmp_path, plugin_copy):
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile", permissions={**base["permissions"], "commands": [
            {"pattern": "slowpoke.*", "reason": "test: a slow plugin"}]}))
        slow = plugin_copy("hostile", id="slowpoke", limits={**base["limits"], "time_ms": 5000})
        await install(k, slow)
        err = await contained(k, k.invoke("hostile.call", {"command": "slowpoke.spin", "payload": {}}), "sandbox.timeout")
        assert "slowpoke.spin" in err.message and "time limit" in err.message
    finally:
        await k.stop()


# -- 4. files -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["{data}/..", "{data}/../..", "{data}/files/../../plugin.json", "/tmp/../etc", "{cache}/x", "files"])
async def test_filesystem_grants_that_leave_the_plugin_are_refused(make_kernel, tmp_path, plugin_copy, host):
    k = await kernel(make_kernel, tmp_path)
    try:
        base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
        fs = [{"host": host, "guest": "/up", "mode": "rw", "reason": "test: escape"}]
        d = plugin_copy("hostile", permissions={**base["permissions"], "filesystem": fs})
        await contained(k, install(k, d), "sandbox.manifest_invalid")
        assert on_disk(k) == ["benign"]
    finally:
        await k.stop()


async def test_a_mapping_over_the_installed_plugins_is_refused(make_kernel, tmp_path, plugin_copy):
    k = await kernel(make_kernel, tmp_path)
    try:
        base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
        fs = [{"host": str(k.paths.data_dir), "guest": "/all", "mode": "rw", "reason": "test: everything"}]
        err = await contained(k, install(k, plugin_copy("hostile", permissions={**base["permissions"], "filesystem": fs})),
                              "sandbox.manifest_invalid")
        assert "installed plugins" in err.message and on_disk(k) == ["benign"]
    finally:
        await k.stop()


async def test_a_hand_edited_installed_manifest_grants_nothing(make_kernel, tmp_path, built):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, built("hostile"))
        path = plugins_dir(k) / "hostile" / "plugin.json"
        man = json.loads(path.read_text())
        man["permissions"]["commands"] = [{"pattern": "*", "reason": "granted by myself"}]
        path.write_text(json.dumps(man))
        await contained(k, k.invoke("sandbox.reload", {"id": "hostile"}), "sandbox.consent_required")
        with pytest.raises(KernelError):  # unloaded: its commands are gone
            await k.invoke("hostile.work", {"n": 1})
        assert (await k.invoke("sandbox.info", {"id": "hostile"})).plugin["state"] == "failed"
    finally:
        await k.stop()


async def test_modules_that_create_symlinks_are_refused(make_kernel, tmp_path):
    k = await kernel(make_kernel, tmp_path)
    try:
        err = await contained(k, install(k, wat_plugin(tmp_path, "linker", H.SYMLINKER)), "sandbox.module_invalid")
        assert "path_symlink" in err.message and on_disk(k) == ["benign"]
    finally:
        await k.stop()


# -- 5. consent ----------------------------------------------------------------------------------------

async def test_an_update_that_escalates_needs_consent_and_leaves_the_old_version_running(make_kernel, tmp_path, plugin_copy):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile"))
        base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
        greedy = plugin_copy("hostile", version="2.0.0", permissions={
            **base["permissions"], "commands": [{"pattern": "*", "reason": "everything"}],
            "http": [{"host": "*", "schemes": ["http", "https"], "reason": "anywhere"}],
            "filesystem": [{"host": "/", "guest": "/", "mode": "rw", "reason": "the disk"}]})
        for consent in (None, consent_for(plugin_copy("hostile"))):
            payload = {"path": str(greedy), "replace": True, "consent": consent}
            err = await contained(k, k.invoke("sandbox.install", payload), "sandbox.consent_required")
            diff = err.details["diff"]
            assert {p["value"] for p in diff["added"]} >= {"*", "/ -> / (rw)"}
            assert [w["new"]["value"] for w in diff["widened"]] == []  # http '*' is another host: added
            assert err.details["digest"] == consent_for(greedy)
        info = (await k.invoke("sandbox.info", {"id": "hostile"})).plugin
        assert (info["version"], info["state"]) == ("1.0.0", "active")
        assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == 500500
        # a narrower update needs no new consent
        narrow = plugin_copy("hostile", version="1.1.0", permissions={
            **base["permissions"], "storage": {"quota_bytes": 4096, "reason": "less"}})
        await k.invoke("sandbox.install", {"path": str(narrow), "replace": True})
        assert (await k.invoke("sandbox.info", {"id": "hostile"})).plugin["version"] == "1.1.0"
    finally:
        await k.stop()


# -- 6. atomic installs -------------------------------------------------------------------------------

async def test_failed_replaces_leave_the_previous_version_active(make_kernel, tmp_path, plugin_copy):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile"))
        (plugins_dir(k) / "hostile" / "data" / "files" / "keep.txt").write_text("mine")
        before = {p.name: p.read_bytes() for p in (plugins_dir(k) / "hostile").iterdir() if p.is_file()}
        tampered = plugin_copy("hostile", version="2.0.0")
        (tampered / "plugin.wasm").write_bytes((tampered / "plugin.wasm").read_bytes() + b"\0")
        await contained(k, install(k, tampered, replace=True), "sandbox.hash_mismatch")
        cases = [(H.WRONG_IMPORT_TYPE, "sandbox.module_invalid"), (H.START_LOOP, "sandbox.start_timeout"),
                 (H.WRONG_EXPORT_SIGNATURE, "sandbox.export_invalid")]
        for src, code in cases:
            bad = write_plugin(tmp_path / f"bad-{code}", wat(src), {"id": "hostile", "version": "2.0.0",
                                                                      "exports": [{"function": "run"}],
                                                                      "limits": {"time_ms": 200}})
            await contained(k, install(k, bad, replace=True), code)
        info = (await k.invoke("sandbox.info", {"id": "hostile"})).plugin
        assert (info["version"], info["state"]) == ("1.0.0", "active")
        assert {p.name: p.read_bytes() for p in (plugins_dir(k) / "hostile").iterdir() if p.is_file()} == before
        assert (plugins_dir(k) / "hostile" / "data" / "files" / "keep.txt").read_text() == "mine"
        assert sorted(on_disk(k)) == ["benign", "hostile"]  # no staging or backup folder left
        assert (await k.invoke("hostile.work", {"n": 1}))["sum"] == 500500
    finally:
        await k.stop()


@pytest.mark.parametrize("src, code, limits", [
    (H.WRONG_IMPORT_TYPE, "sandbox.module_invalid", {}),
    (H.BIG_INITIAL_MEMORY, "sandbox.initial_memory_too_large", {"memory_mb": 8}),
    (H.WRONG_EXPORT_SIGNATURE, "sandbox.export_invalid", {}),
], ids=["link", "memory", "signature"])
async def test_refused_installs_leave_nothing_on_disk(make_kernel, tmp_path, src, code, limits):
    k = await kernel(make_kernel, tmp_path)
    try:
        await contained(k, install(k, wat_plugin(tmp_path, "refused", src, limits=limits)), code)
        assert on_disk(k) == ["benign"]
        assert "refused" not in json.loads((plugins_dir(k) / "state.json").read_text())
    finally:
        await k.stop()


async def test_zip_slip_package_is_refused(make_kernel, tmp_path, built):
    k = await kernel(make_kernel, tmp_path)
    try:
        evil = tmp_path / "evil.rkp"
        with zipfile.ZipFile(evil, "w") as z:
            z.writestr("plugin.json", (built("hostile") / "plugin.json").read_text())
            z.writestr("../../escaped.txt", "x")
        err = await contained(k, k.invoke("sandbox.install", {"path": str(evil)}), "sandbox.package_invalid")
        assert "escaped" in err.message
        assert on_disk(k) == ["benign"] and not (tmp_path / "escaped.txt").exists()
    finally:
        await k.stop()


# -- 7. HTTP -------------------------------------------------------------------------------------------

class _Drip:
    """A loopback server that answers one byte every 0.3 s, forever (an allowed host holding a call)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(4096)
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000:
                if self.stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([b]))
                except OSError:
                    return


@pytest.mark.parametrize("http_timeout_s, time_ms", [(2.0, 5000), (10.0, 800)], ids=["http_timeout", "call_limit"])
async def test_a_slow_allowed_host_is_cut_off_by_one_deadline(make_kernel, tmp_path, plugin_copy, http_timeout_s, time_ms):
    drip = _Drip()
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    grant = {"host": "127.0.0.1", "schemes": ["http"], "ports": [drip.port], "allow_private": True, "reason": "test"}
    k = await kernel(make_kernel, tmp_path, http_timeout_s=http_timeout_s)
    try:
        await install(k, plugin_copy("hostile", permissions={**base["permissions"], "http": [grant]},
                                     limits={**base["limits"], "time_ms": time_ms}))
        t0 = time.perf_counter()
        err = await contained(k, k.invoke("hostile.http", {"request": {"url": f"http://127.0.0.1:{drip.port}/"}}),
                              "sandbox.http_timeout")
        elapsed = time.perf_counter() - t0
        assert elapsed < min(http_timeout_s, time_ms / 1000) + 1.0, elapsed
        assert "did not complete" in err.message
    finally:
        drip.stop.set()
        drip.sock.close()
        await k.stop()


async def test_http_to_hosts_not_granted_and_redirects_stay_refused(make_kernel, tmp_path, plugin_copy):
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile"))
        await contained(k, k.invoke("hostile.http", {"request": {"url": "http://localhost:1/"}}), "permission.denied")
        await contained(k, k.invoke("hostile.http", {"request": {"url": "http://169.254.169.254/latest"}}), "permission.denied")
        assert base["permissions"]["http"][0]["ports"] == [1]
    finally:
        await k.stop()


# -- 8. events, subscribers, concurrency ---------------------------------------------------------------

async def test_spoofed_events_are_refused(make_kernel, tmp_path, built, events):
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, built("hostile"))
        rec = events(k, "*")
        await contained(k, k.invoke("hostile.emit", {"topic": "sandbox.plugin.installed"}), "permission.denied")
        await contained(k, k.invoke("hostile.emit", {"topic": "benign.pinged"}), "permission.denied")
        await asyncio.sleep(0.05)
        assert not {"sandbox.plugin.installed", "benign.pinged"} & set(rec.topics())
    finally:
        await k.stop()


async def test_a_subscriber_failing_in_a_row_is_disabled_shown_and_re_enabled(make_kernel, tmp_path):
    from reelkit.kernel.events import DynamicEvent

    k = await kernel(make_kernel, tmp_path, subscriber_max_failures=3)
    try:
        await install(k, wat_plugin(tmp_path, "trapper", H.TRAPS, exports=[{"function": "ping"}],
                                    subscriptions=[{"topic": "storm.*", "function": "on_event"}]))
        async with Probe(k):
            for i in range(6):
                k.bus.publish(DynamicEvent(topic="storm.hit", data={"i": i}))
            for _ in range(300):
                detail = (await k.health())["checks"]["trapper.wasm"]["detail"]
                if "disabled" in detail:
                    break
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        health = (await k.health())["checks"]["trapper.wasm"]
        assert health["state"] == "warn" and "on_event disabled after 3 failures in a row" in health["detail"]
        stats = (await k.invoke("sandbox.info", {"id": "trapper"})).plugin
        assert stats["stats"]["failures"] == 3 and "on_event" in stats["disabled_subscriptions"]
        await k.invoke("sandbox.enable_subscriptions", {"id": "trapper"})
        k.bus.publish(DynamicEvent(topic="storm.hit", data={}))
        for _ in range(300):
            if (await k.invoke("sandbox.info", {"id": "trapper"})).plugin["stats"]["failures"] == 4:
                break
            await asyncio.sleep(0.01)
        assert (await k.invoke("sandbox.info", {"id": "trapper"})).plugin["stats"]["failures"] == 4
    finally:
        await k.stop()


async def test_reload_and_remove_while_calls_run(make_kernel, tmp_path, plugin_copy):
    base = json.loads((plugin_copy("hostile") / "plugin.json").read_text())
    k = await kernel(make_kernel, tmp_path)
    try:
        await install(k, plugin_copy("hostile", limits={**base["limits"], "time_ms": 3000}))
        async with Probe(k):
            calls = [asyncio.create_task(k.invoke("hostile.work", {"n": 2000})) for _ in range(6)]
            await asyncio.sleep(0.05)
            await k.invoke("sandbox.reload", {"id": "hostile"})
            more = [asyncio.create_task(k.invoke("hostile.work", {"n": 2000})) for _ in range(3)]
            await asyncio.sleep(0.05)
            await k.invoke("sandbox.remove", {"id": "hostile"})
            results = await asyncio.wait_for(asyncio.gather(*calls, *more, return_exceptions=True), 10)
        for r in results:
            assert isinstance(r, dict) or (isinstance(r, KernelError) and r.code.startswith(("sandbox.", "command."))), r
        assert on_disk(k) == ["benign"]
    finally:
        await k.stop()
