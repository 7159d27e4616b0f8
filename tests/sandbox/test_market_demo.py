"""The marketplace's demo step and the ``reelkit market`` CLI, end to end."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from reelkit.kernel.demo import DemoContext
from reelkit.sandbox.market_demo import run

from .market_helpers import KV, make_package

pytestmark = pytest.mark.timeout(240)


async def test_demo_installs_then_refuses_the_wider_update(make_kernel, tmp_path: Path):
    out = io.StringIO()
    async with make_kernel(builtins=["sandbox"]) as k:
        await run(DemoContext(k, tmp_path / "demo", Console(file=out, width=200)))
        text = out.getvalue()
        assert "installed subtitle_caps 1.0.0" in text or "installed demo_sandbox 1.0.0" in text
        assert "+ command kernel.health: Reports the kernel's health" in text
        assert "update refused without consent (sandbox.consent_required); still active: 1.0.0" in text
        assert (await k.invoke("sandbox.list", {})).plugins == []
        assert (await k.invoke("sandbox.market_sources", {})).sources == []


def _cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("reelkit")
    p = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=120)
    if check and p.returncode:
        raise AssertionError(f"reelkit {' '.join(args)} exited {p.returncode}: {p.stdout}{p.stderr}")
    return p


def test_cli_operator_publisher_and_user(tmp_path: Path):
    env = {**os.environ, "REELKIT_MARKET_PASSPHRASE": "cli test", "REELKIT_DATA_DIR": str(tmp_path / "data"),
           "REELKIT_CACHE_DIR": str(tmp_path / "cache"), "REELKIT_CONFIG_DIR": str(tmp_path / "config")}
    idx = tmp_path / "index"
    _cli("market", "init", str(idx), env=env)
    assert (tmp_path / "index.keys" / "root-1.pem").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY")
    assert not list(idx.rglob("*.pem"))  # no private key inside the index
    _cli("market", "add-publisher", str(idx), "acme", env=env)
    pkg = make_package(tmp_path, "greeter", "1.0.0", "acme", permissions=KV)
    key = tmp_path / "index.keys" / "publisher-acme.pem"
    _cli("market", "publish", str(idx), str(pkg), "--key", str(key), env=env)
    bad = _cli("market", "publish", str(idx), str(pkg), "--key", str(key), env={**env, "REELKIT_MARKET_PASSPHRASE": "wrong"},
               check=False)
    assert bad.returncode == 1 and "market.key_invalid" in bad.stderr

    from reelkit.sandbox.market_serve import StaticServer

    with StaticServer(idx) as srv:
        _cli("market", "source", "add", srv.url, "--root", str(idx / "metadata" / "1.root.json"), env=env)
        hits = json.loads(_cli("market", "search", "greet", "--json", env=env).stdout)
        assert [h["name"] for h in hits] == ["greeter"]
        refused = _cli("market", "install", "greeter", "--json", env=env, check=False)  # no tty, no --yes
        assert refused.returncode == 1 and refused.stdout == ""
        assert json.loads(refused.stderr.splitlines()[-1])["code"] == "sandbox.consent_required"
        assert "+ storage 4096 bytes: Remembers greetings" in refused.stderr
        done = json.loads(_cli("market", "install", "greeter", "--yes", "--json", env=env).stdout)
        assert (done["name"], done["version"]) == ("greeter", "1.0.0")
        _cli("market", "yank", str(idx), "greeter", "1.0.0", "--reason", "bad build", env=env)
        rows = json.loads(_cli("market", "outdated", "--json", env=env).stdout)
        assert rows[0]["yanked"] is True
        none = _cli("market", "rollback", "greeter", env=env, check=False)
        assert none.returncode == 1 and "market.no_previous" in none.stderr


def test_cli_reads_the_key_passphrase_from_the_security_plugin(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "REELKIT_MARKET_PASSPHRASE"}
    env.update({"REELKIT_DATA_DIR": str(tmp_path / "data"), "REELKIT_CACHE_DIR": str(tmp_path / "cache"),
                "REELKIT_CONFIG_DIR": str(tmp_path / "config"), "REELKIT_SECURITY__PASSPHRASE": "vault pass"})
    exe = Path(sys.executable).with_name("reelkit")
    subprocess.run([str(exe), "security", "set", "market.keys", "--stdin"], input="from the vault\n", env=env,
                   check=True, capture_output=True, text=True, timeout=120)
    env["REELKIT_MARKET_PASSPHRASE_SECRET"] = "market.keys"
    _cli("market", "init", str(tmp_path / "index"), env=env)
    from reelkit.sandbox.market_keys import load_signer

    load_signer(tmp_path / "index.keys" / "targets.pem", "from the vault")  # encrypted with the stored one
    with pytest.raises(Exception) as err:
        load_signer(tmp_path / "index.keys" / "targets.pem", "something else")
    assert getattr(err.value, "code", "") == "market.key_invalid"
