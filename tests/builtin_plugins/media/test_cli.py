"""``reelkit probe``: the real command line, in a subprocess with temporary reelkit dirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REELKIT = Path(sys.executable).with_name("reelkit")


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, REELKIT_CACHE_DIR=str(tmp_path / "cache"), REELKIT_DATA_DIR=str(tmp_path / "data"),
               REELKIT_CONFIG_DIR=str(tmp_path / "config"), COLUMNS="200")
    return subprocess.run([str(REELKIT), "probe", *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(autouse=True)
def needs_cli():
    assert REELKIT.exists(), f"{REELKIT} missing: reinstall with `pip install -e .`"


def test_json_list_one_entry_per_file(tmp_path, media):
    """--json prints a list in argument order; a failing file gets {path, code, message}; exit 1."""
    missing = str(tmp_path / "nope.mp4")
    p = run(tmp_path, "--json", str(media / "clip.mp4"), missing, str(media / "tone.flac"))
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert [o.get("kind") for o in out] == ["video", None, "audio"]
    assert out[0]["streams"][0]["width"] == 160
    assert out[1] == {"path": missing, "code": "media.not_found", "message": f"{missing}: no such file; check the path"}


def test_table_for_people(tmp_path, media):
    p = run(tmp_path, str(media / "clip.mp4"), str(media / "still.png"))
    assert p.returncode == 0, p.stderr
    assert "clip.mp4" in p.stdout and "still.png" in p.stdout and "160x120" in p.stdout and "MP4" in p.stdout


def test_table_reports_errors_on_stderr(tmp_path, broken):
    p = run(tmp_path, str(broken / "notes.txt"))
    assert p.returncode == 1
    assert "media.unreadable" in p.stderr and "notes.txt" in p.stderr
