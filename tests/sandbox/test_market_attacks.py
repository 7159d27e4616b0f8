"""TUF's classic attacks against a real index on a loopback mirror; each ends in a coded error.

Every test installs greeter 1.0.0, publishes 1.1.0, then lets a hostile mirror or a compromised key
interfere with the update. Afterwards: the error has a specific code, 1.0.0 still answers, and
nothing is half-written (no download, no staging directory, no kept "previous" copy).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from reelkit.kernel.errors import KernelError

from .market_helpers import KV, add_source, make_package, mirror, new_index, tree

pytestmark = pytest.mark.timeout(180)
CONSENT = [{"kind": "storage", "value": "4096 bytes"}]


class Scene:
    """An index, its mirror, a kernel with greeter 1.0.0 installed from it, and 1.1.0 published."""

    def __init__(self, tmp: Path, k, **expiry: float):
        self.tmp, self.k = tmp, k
        self.index = new_index(tmp, **expiry)
        self.acme = self.index.add_publisher("acme")
        self.other = self.index.add_publisher("other")
        self.index.publish([make_package(tmp, "greeter", "1.0.0", "acme", permissions=KV)], self.acme)
        self.srv, self.handler = mirror(self.index.dir)

    async def start(self) -> "Scene":
        await add_source(self.k, self.srv, self.index)
        ref = await self.k.invoke("sandbox.market_install", {"name": "greeter", "consent": CONSENT})
        await self.k.wait(ref, timeout=60)
        self.data = Path(self.k.paths.data_dir)
        self.plugins_before = tree(self.data / "wasm-plugins")
        return self

    def publish_next(self, version: str = "1.1.0") -> str:
        self.index.publish([make_package(self.tmp, "greeter", version, "acme", permissions=KV)], self.acme)
        return self.url_of(f"acme/greeter/greeter-{version}.rkp")

    def url_of(self, path: str) -> str:
        tf = self.index.load(path.split("/")[0]).signed.targets[path]
        d, _, base = path.rpartition("/")
        return f"/targets/{d}/{tf.hashes['sha256']}.{base}"

    def saved(self, name: str) -> bytes:
        return (self.index.meta_dir / name).read_bytes()

    async def update_fails(self, code: str, **payload) -> KernelError:
        with pytest.raises(KernelError) as err:
            ref = await self.k.invoke("sandbox.market_update", {"name": "greeter", **payload})
            await self.k.wait(ref, timeout=60)
        assert err.value.code == code, err.value
        await self.assert_untouched()
        return err.value

    async def assert_untouched(self) -> None:
        assert await self.k.invoke("greeter.hello", {}) == {"version": "1.0.0"}
        assert tree(self.data / "market" / "downloads") == []
        assert tree(self.data / "wasm-plugins") == self.plugins_before
        assert not (self.data / "market" / "previous" / "greeter").exists()

    def close(self) -> None:
        self.srv.close()


@contextlib.asynccontextmanager
async def _scene(make_kernel, tmp_path, **expiry):
    async with make_kernel(builtins=["sandbox"], settings={"market": {"download_timeout_s": 1.5}}) as k:
        s = await Scene(tmp_path, k, **expiry).start()
        try:
            yield s
        finally:
            s.close()


@pytest.fixture
def scene(make_kernel, tmp_path):
    """``async with scene() as s`` → a started :class:`Scene`."""
    return lambda **expiry: _scene(make_kernel, tmp_path, **expiry)


async def test_tampered_package(scene):
    async with scene() as s:
        url = s.publish_next()
        good = (s.index.dir / url.lstrip("/")).read_bytes()
        s.handler.overrides[url] = good[:-1] + bytes([good[-1] ^ 1])  # same length, one bit flipped
        err = await s.update_fails("market.tampered")
        assert "greeter-1.1.0.rkp" in err.message


async def test_rollback_to_older_metadata(scene):
    async with scene() as s:
        old_ts = s.saved("timestamp.json")
        s.publish_next()
        await s.k.invoke("sandbox.market_refresh", {})  # the client has seen the newer index
        s.handler.overrides["/metadata/timestamp.json"] = old_ts
        await s.update_fails("market.rollback")


async def test_rollback_to_older_package_version(scene):
    async with scene() as s:
        s.publish_next()
        await s.k.invoke("sandbox.market_refresh", {})
        s.publish_next("1.2.0")
        # the mirror hides 1.2.0 by serving the publisher's previous metadata under the new name
        v = s.index.load("acme").signed.version
        s.handler.overrides[f"/metadata/{v}.acme.json"] = s.saved(f"{v - 1}.acme.json")
        await s.update_fails("market.rollback")


async def test_indefinite_freeze(scene):
    async with scene(timestamp=2) as s:
        k = s.k
        s.publish_next()  # … but the mirror keeps serving what it had, and nobody renews
        frozen = s.saved("timestamp.json")
        s.handler.overrides["/metadata/timestamp.json"] = frozen
        await asyncio.sleep(2.5)
        await s.update_fails("market.expired")
        with pytest.raises(KernelError) as err:  # cached metadata no longer serves searches either
            await k.invoke("sandbox.market_search", {"query": "greeter"})
        assert err.value.code == "market.expired"


async def test_endless_package(scene):
    async with scene() as s:
        url = s.publish_next()
        good = (s.index.dir / url.lstrip("/")).read_bytes()
        s.handler.overrides[url] = good + b"\0" * (1 << 20)
        await s.update_fails("market.too_large")


async def test_endless_metadata(scene):
    async with scene() as s:
        s.publish_next()
        s.handler.overrides["/metadata/timestamp.json"] = b'{"signed": "' + b"x" * (1 << 20) + b'"}'
        await s.update_fails("market.too_large")


async def test_mix_and_match(scene):
    async with scene() as s:
        s.publish_next()
        snap_v = s.index.load("snapshot").signed.version
        # the current timestamp, with a snapshot from another moment of the index under its name
        s.handler.overrides[f"/metadata/{snap_v}.snapshot.json"] = s.saved(f"{snap_v - 2}.snapshot.json")
        await s.update_fails("market.rollback")




def _sign_outside(s, path: str, claimed: str, custom: dict | None = None) -> None:
    """Publisher 'other' signs a target of its choosing into its own role (with its own key)."""
    from tuf.api.metadata import TargetFile

    from reelkit.sandbox import market_keys

    version = path.rsplit("-", 1)[1][:-4]
    pkg = make_package(s.tmp / "evil", "greeter", version, claimed, permissions=KV)
    md = s.index.load("other")
    tf = TargetFile.from_data(path, pkg.read_bytes(), ["sha256"])
    tf.unrecognized_fields["custom"] = custom or {"name": "greeter", "version": version, "publisher": claimed,
                                                  "permissions": {"storage": KV["storage"]}}
    md.signed.targets[path] = tf
    dest = s.index.targets_dir / path.rsplit("/", 1)[0]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{tf.hashes['sha256']}.{path.rsplit('/', 1)[1]}").write_bytes(pkg.read_bytes())
    s.index.bump(md, "publisher")
    s.index.sign(md, [market_keys.load_signer(s.other, s.index.passphrase)])
    s.index.write("other", md)
    s.index.renew()


async def test_publisher_signing_outside_its_delegation(scene):
    async with scene() as s:
        _sign_outside(s, "acme/greeter/greeter-6.6.6.rkp", "acme")  # in acme's namespace
        _sign_outside(s, "other/greeter/greeter-6.6.7.rkp", "other")  # acme's plugin id in its own
        await s.k.invoke("sandbox.market_refresh", {})
        [row] = (await s.k.invoke("sandbox.market_outdated", {})).plugins
        assert (row["latest"], row["outdated"]) == ("1.0.0", False)
        with pytest.raises(KernelError) as err:
            ref = await s.k.invoke("sandbox.market_install", {"name": "greeter", "version": "6.6.6", "consent": CONSENT})
            await s.k.wait(ref, timeout=60)
        assert err.value.code == "market.not_found"
        await s.assert_untouched()


async def test_compromised_publisher_key_after_revocation(scene):
    async with scene() as s:
        from reelkit.sandbox import market_keys

        s.index.revoke_publisher("acme", "key compromised")
        # the thief signs a newer acme role with the stolen key and a hostile mirror serves it
        # the index tools refuse a revoked key
        with pytest.raises(KernelError) as err:
            s.index.publish([make_package(s.tmp, "greeter", "1.1.0", "acme", permissions=KV)], s.acme)
        assert err.value.code == "market.key_invalid"
        md = s.index.load("acme")
        from tuf.api.metadata import TargetFile

        pkg = make_package(s.tmp / "thief", "greeter", "1.1.0", "acme", permissions=KV)
        path = "acme/greeter/greeter-1.1.0.rkp"
        tf = TargetFile.from_data(path, pkg.read_bytes(), ["sha256"])
        tf.unrecognized_fields["custom"] = {"name": "greeter", "version": "1.1.0", "publisher": "acme",
                                            "permissions": {"storage": KV["storage"]}}
        md.signed.targets[path] = tf
        md.signed.version += 1
        s.index.sign(md, [market_keys.load_signer(s.acme, s.index.passphrase)])
        s.handler.overrides[f"/metadata/{md.signed.version}.acme.json"] = md.to_bytes()
        s.handler.overrides["/metadata/acme.json"] = md.to_bytes()
        err = await s.update_fails("market.publisher_revoked")
        assert "key compromised" in err.message
        [row] = (await s.k.invoke("sandbox.market_outdated", {})).plugins
        assert row["revoked"] is True


async def test_root_rotation_with_client_offline_across_it(scene):
    async with scene() as s:
        from tuf.api.metadata import Metadata

        from reelkit.sandbox import market_keys

        old_timestamp_key = market_keys.load_signer(s.index.keys_dir / "timestamp.pem", s.index.passphrase)
        s.index.rotate("timestamp")   # root v2
        s.index.rotate("root")        # root v3, new root keys
        s.publish_next()
        # the old timestamp key, stolen, signs a fresh timestamp for a hostile mirror
        ts = Metadata.from_bytes(s.saved("timestamp.json"))
        ts.signed.version += 1
        ts.sign(old_timestamp_key)
        s.handler.overrides["/metadata/timestamp.json"] = ts.to_bytes()
        await s.update_fails("market.untrusted")
        # the honest mirror: the client, offline across both rotations, walks the root chain and updates
        s.handler.overrides.clear()
        ref = await s.k.invoke("sandbox.market_update", {"name": "greeter"})
        out = await s.k.wait(ref, timeout=60)
        assert [u.version for u in out.updated] == ["1.1.0"]
        assert await s.k.invoke("greeter.hello", {}) == {"version": "1.1.0"}
        assert (await s.k.invoke("sandbox.market_sources", {})).sources[0]["root_version"] == 3


async def test_slow_retrieval(scene):
    async with scene() as s:
        url = s.publish_next()
        s.handler.drip[url] = 0.01  # ~100 bytes a second: never a socket timeout, never done
        t0 = time.monotonic()
        await s.update_fails("market.slow_retrieval")
        assert time.monotonic() - t0 < 6


async def test_malformed_catalogue_fields_from_a_publisher_are_ignored(scene):
    async with scene() as s:
        _sign_outside(s, "other/odd/odd-1.0.0.rkp", "other",
                      {"name": "odd", "version": 5, "publisher": "other", "permissions": "everything"})
        _sign_outside(s, "other/odder/odder-1.0.0.rkp", "other",
                      {"name": "odder", "version": "1.0.0", "publisher": "other", "permissions": {"root": True}})
        await s.k.invoke("sandbox.market_refresh", {})
        names = [h["name"] for h in (await s.k.invoke("sandbox.market_search", {"query": ""})).results]
        assert names == ["greeter"]
        with pytest.raises(KernelError) as err:
            ref = await s.k.invoke("sandbox.market_install", {"name": "odd", "consent": CONSENT})
            await s.k.wait(ref, timeout=60)
        assert err.value.code == "market.not_found"
        await s.assert_untouched()


async def test_stalled_mirror(scene):
    async with scene() as s:
        url = s.publish_next()

        def stall(handler) -> None:  # headers, then nothing
            handler.send_response(200)
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            handler.wfile.flush()
            time.sleep(8)

        s.handler.overrides[url] = stall
        t0 = time.monotonic()
        await s.update_fails("market.slow_retrieval")
        assert time.monotonic() - t0 < 1.5 * 1.25 + 2  # the deadline (1.5 s) and its margin, plus the refresh
