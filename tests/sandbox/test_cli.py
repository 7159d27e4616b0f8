"""`reelkit plugins …` for WASM plugins: new, build, install, info, disable, enable, reload, pack, remove."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reelkit.sandbox.cli import register

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("reelkit")
    register(group)
    return group


def run(cli, *args: str, ok: bool = True):
    result = CliRunner().invoke(cli, ["plugins", *args], catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_plugin_lifecycle_from_the_cli(cli, tmp_path: Path):
    out = run(cli, "new", "word_count", "--lang", "c", "--dir", str(tmp_path))
    src = tmp_path / "word_count"
    assert "created" in out and (src / "plugin.c").is_file() and (src / "test_plugin.py").is_file()
    assert "built" in run(cli, "build", str(src))
    out = run(cli, "install", str(src))  # asks for nothing: no consent needed
    assert "word_count.greet" in out and "permissions:\n    none" in out
    detail = json.loads(run(cli, "info", "word_count", "--json"))
    assert detail["state"] == "active" and detail["limits"]["time_ms"] == 1000
    assert "disabled" in run(cli, "disable", "word_count")
    listing = json.loads(run(cli, "installed", "--json"))
    assert [(p["id"], p["state"]) for p in listing] == [("word_count", "disabled")]
    assert "active" in run(cli, "enable", "word_count")
    assert "active" in run(cli, "reload", "word_count")
    assert "word_count-0.1.0.rkp" in run(cli, "pack", str(src), "-o", str(tmp_path))
    assert "removed" in run(cli, "remove", "word_count")
    out = run(cli, "info", "word_count", ok=False)
    assert "sandbox.not_installed" in out


def test_install_prints_permissions_with_reasons(cli, built):
    out = run(cli, "install", str(built("timeline_lint")), "--yes")
    assert "command media.probe: Reads each source's duration" in out
    assert "installed timeline_lint" in out


def test_install_without_a_terminal_refuses_unless_consented(cli, built):
    """No terminal, no --yes: refused with the digest; --consent with that digest installs it."""
    from reelkit.sandbox.consent import permissions_digest
    from reelkit.sandbox.manifest import load_manifest

    src = built("timeline_lint")
    out = run(cli, "install", str(src), ok=False)
    assert "sandbox.consent_required" in out and "command media.probe" in out
    assert "timeline_lint" not in run(cli, "installed")
    out = run(cli, "install", str(src), "--consent", "sha256:" + "0" * 64, ok=False)
    assert "sandbox.consent_required" in out
    out = run(cli, "install", str(src), "--consent", permissions_digest(load_manifest(src)))
    assert "installed timeline_lint" in out


def test_errors_exit_non_zero_with_a_code(cli, tmp_path: Path):
    (tmp_path / "plugin.json").write_text(json.dumps({"id": "x1", "bogus": 1}))
    out = run(cli, "install", str(tmp_path), ok=False)
    assert "sandbox.manifest_invalid" in out and "bogus" in out
    out = run(cli, "build", str(tmp_path), ok=False)
    assert "sandbox.build_failed" in out


def test_the_reelkit_cli_offers_the_subcommands():
    exe = Path(sys.executable).parent / "reelkit"
    out = subprocess.run([str(exe), "plugins", "--help"], capture_output=True, text=True, timeout=60).stdout
    for name in ("install", "installed", "info", "enable", "disable", "reload", "remove", "new", "build", "pack", "list"):
        assert f"  {name} " in out, out


def test_an_update_shows_what_changed(cli, built, tmp_path: Path):
    import shutil

    src = tmp_path / "lint"
    shutil.copytree(built("timeline_lint"), src)
    run(cli, "install", str(src), "--yes")
    man = json.loads((src / "plugin.json").read_text())
    man["version"] = "1.1.0"
    man["permissions"]["commands"].append({"pattern": "subtitles.*", "reason": "Reads subtitle tracks too"})
    (src / "plugin.json").write_text(json.dumps(man))
    out = run(cli, "install", str(src), "--replace", ok=False)  # no terminal, no --yes: refused
    assert "+ command subtitles.*: Reads subtitle tracks too" in out and "sandbox.consent_required" in out
    out = run(cli, "install", str(src), "--replace", "--yes")
    assert "+ command subtitles.*" in out and "installed timeline_lint 1.1.0" in out
