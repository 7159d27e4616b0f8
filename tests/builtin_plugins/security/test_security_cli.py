"""`reelkit security …`: values from stdin or a hidden prompt, never from arguments; `get` prints the value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner

from reelkit.builtin_plugins.security.cli import security

VALUE = "sk-cli-0123456789abcdefghij"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for k, v in {"DATA_DIR": "d", "CACHE_DIR": "c", "CONFIG_DIR": "cfg"}.items():
        monkeypatch.setenv(f"REELKIT_{k}", str(tmp_path / v))
    monkeypatch.setenv("REELKIT_SECURITY__PASSPHRASE", "cli pass")
    monkeypatch.setenv("REELKIT_SECURITY__KDF_MEMORY_KIB", "1024")
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)  # the kernel bound structlog to CliRunner's stderr


def test_set_get_list_delete(env: None) -> None:
    r = CliRunner()
    out = r.invoke(security, ["set", "apikey.google", "--stdin"], input=VALUE + "\n")
    assert out.exit_code == 0, out.output
    got = r.invoke(security, ["get", "apikey.google"])
    assert got.exit_code == 0 and json.loads(got.stdout)["value"] == VALUE
    listed = r.invoke(security, ["list"])
    assert VALUE not in listed.stdout and json.loads(listed.stdout)["secrets"][0]["masked"] == "****ghij"
    assert json.loads(r.invoke(security, ["delete", "apikey.google"]).stdout)["deleted"] is True


def test_prompted_value_and_locked_error(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    r = CliRunner()
    out = r.invoke(security, ["set", "a"], input=VALUE + "\n")
    assert out.exit_code == 0 and VALUE not in out.output  # hidden input is not echoed
    monkeypatch.setenv("REELKIT_SECURITY__PASSPHRASE", "wrong")
    bad = r.invoke(security, ["get", "a"])
    assert bad.exit_code == 1 and "security.locked" in bad.output and VALUE not in bad.output
