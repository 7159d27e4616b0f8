"""The marketplace end to end: a real index on a loopback server, installs through the kernel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelkit.kernel.errors import KernelError

from .market_helpers import KV, KV_AND_HEALTH, add_source, make_package, mirror, new_index

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def market(tmp_path: Path):
    """An index with publisher 'acme' holding greeter 1.0.0 and 'other' holding nothing, served on loopback."""
    idx = new_index(tmp_path)
    acme = idx.add_publisher("acme")
    other = idx.add_publisher("other")
    idx.publish([make_package(tmp_path, "greeter", "1.0.0", "acme", permissions=KV)], acme)
    srv, handler = mirror(idx.dir)
    yield {"index": idx, "acme": acme, "other": other, "srv": srv, "handler": handler, "tmp": tmp_path}
    srv.close()


async def _install(k, name, **kw):
    ref = await k.invoke("sandbox.market_install", {"name": name, **kw})
    return await k.wait(ref, timeout=60)


async def test_search_install_update_with_consent_and_rollback(make_kernel, market, events):
    idx, tmp = market["index"], market["tmp"]
    async with make_kernel(builtins=["sandbox"]) as k:
        rec = events(k, "sandbox.market.*")
        await add_source(k, market["srv"], idx)
        hits = (await k.invoke("sandbox.market_search", {"query": "greeter"})).results
        assert [(h["name"], h["version"], h["publisher"]) for h in hits] == [("greeter", "1.0.0", "acme")]
        assert hits[0]["permissions"]["storage"]["reason"] == "Remembers greetings"
        assert (await k.invoke("sandbox.market_search", {"query": "nothing-like-it"})).results == []

        # a first install still asks: everything it asks for is new
        with pytest.raises(KernelError) as err:
            await _install(k, "greeter")
        assert err.value.code == "sandbox.consent_required"
        assert "greeter" not in k.plugins
        digest = err.value.details["digest"]
        progress = events(k, "job.progressed")
        out = await _install(k, "greeter", consent=digest)
        assert (out.version, out.previous) == ("1.0.0", None)
        stages = [(e.job.progress.stage, e.job.progress.fraction) for e in await progress.wait_for("job.progressed", count=2)]
        assert ("download", 1.0) in stages and stages[-1][0] == "install"
        assert await k.invoke("greeter.hello", {}) == {"version": "1.0.0"}
        # the plugin's data, to see it travel with its version
        data = Path(k.paths.data_dir) / "wasm-plugins" / "greeter" / "data"
        data.mkdir(exist_ok=True)
        (data / "note.txt").write_text("written by 1.0.0")

        # 1.1.0 asks for one more permission: shown as a diff, refused without consent
        idx.publish([make_package(tmp, "greeter", "1.1.0", "acme", permissions=KV_AND_HEALTH)], market["acme"])
        await k.invoke("sandbox.market_refresh", {})
        assert [(p["name"], p["installed"], p["latest"], p["outdated"])
                for p in (await k.invoke("sandbox.market_outdated", {})).plugins] == [("greeter", "1.0.0", "1.1.0", True)]
        with pytest.raises(KernelError) as err:
            await k.wait(await k.invoke("sandbox.market_update", {"name": "greeter"}), timeout=60)
        assert err.value.code == "sandbox.consent_required"
        diff = err.value.details["diff"]
        assert [a["value"] for a in diff["added"]] == ["kernel.health"] and diff["unchanged"]
        assert await k.invoke("greeter.hello", {}) == {"version": "1.0.0"}

        up = await k.wait(await k.invoke("sandbox.market_update",
                                         {"name": "greeter", "consent": err.value.details["digest"]}), timeout=60)
        assert [(u.version, u.previous) for u in up.updated] == [("1.1.0", "1.0.0")]
        assert await k.invoke("greeter.hello", {}) == {"version": "1.1.0"}
        assert (data / "note.txt").read_text() == "written by 1.0.0"  # data kept across the update
        (data / "note.txt").write_text("written by 1.1.0")

        back = await k.invoke("sandbox.market_rollback", {"name": "greeter"})
        assert (back.version, back.previous) == ("1.0.0", "1.1.0")
        assert await k.invoke("greeter.hello", {}) == {"version": "1.0.0"}
        assert (data / "note.txt").read_text() == "written by 1.0.0"  # the previous version's own data
        await rec.wait_for("sandbox.market.rolled_back")
        assert {"sandbox.market.installed", "sandbox.market.updated", "sandbox.market.rolled_back"} <= set(rec.topics())


async def test_failed_update_rolls_back_by_itself(make_kernel, market, events):
    idx, tmp = market["index"], market["tmp"]
    async with make_kernel(builtins=["sandbox"]) as k:
        rec = events(k, "sandbox.market.rolled_back")
        await add_source(k, market["srv"], idx)
        await _install(k, "greeter", consent=[{"kind": "storage", "value": "4096 bytes"}])
        idx.publish([make_package(tmp, "greeter", "2.0.0", "acme", permissions=KV, trap_at_start=True)],
                    market["acme"])
        with pytest.raises(KernelError) as err:
            await k.wait(await k.invoke("sandbox.market_update", {"name": "greeter"}), timeout=60)
        assert err.value.code == "market.update_rolled_back"
        assert "1.0.0 is active again" in err.value.message
        assert await k.invoke("greeter.hello", {}) == {"version": "1.0.0"}
        assert (await k.invoke("sandbox.info", {"id": "greeter"})).plugin["state"] == "active"
        ev = await rec.wait_for("sandbox.market.rolled_back")
        assert ev[0].automatic is True


async def test_yanked_versions_are_not_offered(make_kernel, market):
    idx, tmp = market["index"], market["tmp"]
    idx.publish([make_package(tmp, "greeter", "1.1.0", "acme", permissions=KV)], market["acme"])
    idx.yank("greeter", "1.1.0", "crashes on start")
    async with make_kernel(builtins=["sandbox"]) as k:
        await add_source(k, market["srv"], idx)
        info = (await k.invoke("sandbox.market_info", {"name": "greeter"})).package
        assert (info["version"], info["versions"], info["yanked"]) == ("1.0.0", ["1.0.0"], ["1.1.0"])
        with pytest.raises(KernelError) as err:
            await _install(k, "greeter", version="1.1.0", consent=[{"kind": "storage", "value": "4096 bytes"}])
        assert err.value.code == "market.yanked" and "crashes on start" in err.value.message
        assert "greeter" not in k.plugins
        out = await _install(k, "greeter", consent=[{"kind": "storage", "value": "4096 bytes"}])
        assert out.version == "1.0.0"


async def test_revoked_publisher_is_refused_and_flagged(make_kernel, market):
    idx, tmp = market["index"], market["tmp"]
    async with make_kernel(builtins=["sandbox"]) as k:
        await add_source(k, market["srv"], idx)
        await _install(k, "greeter", consent=[{"kind": "storage", "value": "4096 bytes"}])
        idx.publish([make_package(tmp, "greeter", "1.2.0", "acme", permissions=KV),
                     make_package(tmp, "sidekick", "1.0.0", "acme")], market["acme"])
        await k.invoke("sandbox.market_refresh", {})  # sidekick seen, not installed
        idx.revoke_publisher("acme", "key leaked")
        await k.invoke("sandbox.market_refresh", {})
        [row] = (await k.invoke("sandbox.market_outdated", {})).plugins
        assert row["revoked"] is True and row["outdated"] is False
        with pytest.raises(KernelError) as err:
            await k.wait(await k.invoke("sandbox.market_update", {"name": "greeter"}), timeout=60)
        assert err.value.code == "market.publisher_revoked" and "key leaked" in err.value.message
        assert (await k.invoke("sandbox.market_search", {"query": "greeter"})).results == []
        assert await k.invoke("greeter.hello", {}) == {"version": "1.0.0"}
        with pytest.raises(KernelError) as err:
            await _install(k, "sidekick")
        assert err.value.code == "market.publisher_revoked" and "sidekick" not in k.plugins


def test_publish_checks_like_install_and_owns_names(market):
    idx, tmp = market["index"], market["tmp"]
    with pytest.raises(KernelError) as err:  # a publisher cannot take another's plugin id
        idx.publish([make_package(tmp, "greeter", "9.0.0", "other")], market["other"])
    assert err.value.code == "market.name_taken"
    with pytest.raises(KernelError) as err:  # nor publish under another's name
        idx.publish([make_package(tmp, "sneaky", "1.0.0", "acme")], market["other"])
    assert err.value.code == "market.package_mismatch"
    with pytest.raises(KernelError) as err:  # versions are immutable
        idx.publish([make_package(tmp / "again", "greeter", "1.0.0", "acme")], market["acme"])
    assert err.value.code == "market.name_taken"
    broken = make_package(tmp, "broken", "1.0.0", "other")
    man = json.loads((tmp / "broken-1.0.0-src" / "plugin.json").read_text())
    man["exports"].append({"function": "missing"})
    (tmp / "broken-1.0.0-src" / "plugin.json").write_text(json.dumps(man))
    from reelkit.sandbox.package import pack

    with pytest.raises(KernelError) as err:
        idx.publish([pack(tmp / "broken-1.0.0-src", broken)], market["other"])
    assert err.value.code == "sandbox.export_missing"


async def test_offline_searches_from_cache_then_refresh_fails_with_a_code(make_kernel, market, events):
    async with make_kernel(builtins=["sandbox"]) as k:
        rec = events(k, "sandbox.market.refresh_failed")
        await add_source(k, market["srv"], market["index"])
        await k.invoke("sandbox.market_refresh", {})
        market["srv"].close()  # the network is gone
        hits = (await k.invoke("sandbox.market_search", {"query": "greeter"})).results
        assert [h["name"] for h in hits] == ["greeter"]  # cached metadata, not yet expired
        with pytest.raises(KernelError) as err:
            await k.invoke("sandbox.market_refresh", {"source": "test"})
        assert err.value.code == "market.unreachable"
        [ev] = await rec.wait_for("sandbox.market.refresh_failed")
        assert (ev.source, ev.code) == ("test", "market.unreachable")
        with pytest.raises(KernelError) as err:
            await _install(k, "greeter", consent=[{"kind": "storage", "value": "4096 bytes"}])
        assert err.value.code == "market.unreachable"
        assert "greeter" not in k.plugins


async def test_capabilities_guard_the_commands(make_kernel, market):
    async with make_kernel(builtins=["sandbox"]) as k:
        await add_source(k, market["srv"], market["index"])
        found = await k.invoke("sandbox.market_search", {"query": "greeter"}, grants=["sandbox.market"])
        assert [h["name"] for h in found.results] == ["greeter"]
        for command, payload, grants in [
                ("sandbox.market_install", {"name": "greeter"}, ["sandbox.market"]),
                ("sandbox.market_search", {"query": "x"}, ["sandbox"]),
                ("sandbox.market_source_add", {"url": "http://127.0.0.1:9", "root": "x"}, ["sandbox.market", "sandbox.market_install"])]:
            with pytest.raises(KernelError) as err:
                await k.invoke(command, payload, grants=grants)
            assert err.value.code == "permission.denied", command
        assert "greeter" not in k.plugins


async def test_key_rotations_old_keys_refused_clients_follow(make_kernel, market):
    idx, tmp = market["index"], market["tmp"]
    async with make_kernel(builtins=["sandbox"]) as k:
        await add_source(k, market["srv"], idx)
        await _install(k, "greeter", consent=[{"kind": "storage", "value": "4096 bytes"}])
        again = await _install(k, "greeter")  # the same version: nothing downloaded or replaced
        assert (again.version, again.changed) == ("1.0.0", False)
        old_key = market["acme"]
        import shutil as _sh

        stolen = tmp / "stolen.pem"
        _sh.copy(old_key, stolen)
        _sh.copy(old_key.with_suffix(".pub.json"), tmp / "stolen.pub.json")
        for role in ("targets", "snapshot", "acme"):
            idx.rotate(role)
        with pytest.raises(KernelError) as err:  # the rotated-out publisher key publishes nothing
            idx.publish([make_package(tmp, "greeter", "1.1.0", "acme", permissions=KV)], stolen)
        assert err.value.code == "market.key_invalid"
        idx.publish([make_package(tmp / "new", "greeter", "1.1.0", "acme", permissions=KV)], old_key)  # new key
        with pytest.raises(KernelError) as err:
            idx.publish([make_package(tmp, "later", "1.0.0", "acme")], market["acme"], min_reelkit="soon")
        assert err.value.code == "market.index_invalid"
        idx.publish([make_package(tmp, "future", "1.0.0", "acme")], market["acme"], min_reelkit="99.0")
        up = await k.wait(await k.invoke("sandbox.market_update", {"name": "greeter"}), timeout=60)
        assert [u.version for u in up.updated] == ["1.1.0"]
        with pytest.raises(KernelError) as err:
            await _install(k, "future")
        assert err.value.code == "market.incompatible" and "99.0" in err.value.message
        assert "future" not in k.plugins


async def test_bad_input_gets_specific_codes(make_kernel, market, tmp_path):
    async with make_kernel(builtins=["sandbox"]) as k:
        for command, payload, code in [
                ("sandbox.market_search", {"query": "x"}, "market.source_not_found"),
                ("sandbox.market_source_add", {"url": market["srv"].url, "root": str(tmp_path / "nope.json")},
                 "path.not_found"),  # the root file is a path input: the shared OS-error codes
                ("sandbox.market_source_add", {"url": "ftp://example.org", "root": str(market["index"].meta_dir / "1.root.json")},
                 "market.index_invalid")]:
            with pytest.raises(KernelError) as err:
                await k.invoke(command, payload)
            assert err.value.code == code, (command, err.value)
        (tmp_path / "garbage.json").write_text('{"signed": {"_type": "root"}}')
        with pytest.raises(KernelError) as err:
            await k.invoke("sandbox.market_source_add", {"url": market["srv"].url, "root": str(tmp_path / "garbage.json")})
        assert err.value.code == "market.index_invalid"
        await add_source(k, market["srv"], market["index"])
        with pytest.raises(KernelError) as err:
            await add_source(k, market["srv"], market["index"])
        assert err.value.code == "market.source_exists"
        for command, payload, code in [
                ("sandbox.market_info", {"name": "nothing"}, "market.not_found"),
                ("sandbox.market_rollback", {"name": "greeter"}, "market.no_previous"),
                ("sandbox.market_update", {"name": "greeter"}, "market.not_found"),
                ("sandbox.market_refresh", {"source": "elsewhere"}, "market.source_not_found")]:
            with pytest.raises(KernelError) as err:
                out = await k.invoke(command, payload)
                if hasattr(out, "job_id"):
                    await k.wait(out, timeout=60)
            assert err.value.code == code, (command, err.value)
        with pytest.raises(KernelError) as err:
            await _install(k, "nothing")
        assert err.value.code == "market.not_found"

    # a source pinned to another index's root: its metadata does not verify
    other = new_index(tmp_path / "elsewhere")
    async with make_kernel(builtins=["sandbox"], settings={"data_dir": str(tmp_path / "d2")}) as k:
        await k.invoke("sandbox.market_source_add", {"url": market["srv"].url, "root": str(other.meta_dir / "1.root.json")})
        with pytest.raises(KernelError) as err:
            await k.invoke("sandbox.market_refresh", {"source": (await k.invoke("sandbox.market_sources", {})).sources[0]["name"]})
        assert err.value.code == "market.untrusted"


async def test_a_source_root_that_is_not_a_regular_file_is_refused_with_a_code(make_kernel, tmp_path):
    """The trust anchor is read bounded, through the path policy: a FIFO is refused, never read."""
    import os

    from reelkit.kernel.errors import KernelError

    fifo = tmp_path / "root.json"
    os.mkfifo(fifo)
    async with make_kernel(builtins=["sandbox"]) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("sandbox.market_source_add", {"url": "http://127.0.0.1:9/", "root": str(fifo)})
        assert e.value.code.endswith(".input_invalid"), e.value
        assert (await k.invoke("sandbox.market_sources", {})).sources == []
