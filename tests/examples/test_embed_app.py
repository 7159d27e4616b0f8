"""examples/embed_app.py, run as a user would run it: a subprocess, checked by its output and its effects."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_embed_app_invokes_commands_and_prints_events(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "clip.mp4").write_bytes(b"\0")
    env = {
        **os.environ,
        "REELKIT_DATA_DIR": str(tmp_path / "data"),
        "REELKIT_CACHE_DIR": str(tmp_path / "cache"),
        "REELKIT_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "embed_app.py"), str(work)],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = {}
    for line in proc.stdout.splitlines():
        label, _, payload = line.partition(" {")
        if payload:
            lines.setdefault(label.strip(), []).append(json.loads("{" + payload))

    assert [e["name"] for e in lines["filesystem.list"][0]["entries"]] == ["clip.mp4"]
    [plugins] = lines["plugins"]
    assert plugins["filesystem"] == "active" and plugins["language"] == "active"
    changed = lines["event filesystem.file.changed"]
    assert any(e["path"] == str(work.resolve() / "hello.srt") and e["media_type"] == "subtitle" for e in changed)
    assert (work / "hello.srt").read_text() == "1\n"  # the write really happened
    assert lines["translate de 3"][0]["text"] == "3 Dateien"
    assert lines["translate ru 5"][0]["text"] == "5 файлов"
    assert lines["refused"][0]["code"] == "permission.denied"
    health = lines["kernel.health"][0]
    assert health["checks"]["filesystem.roots"]["state"] == "ok"
    assert health["checks"]["language.catalogs"]["state"] == "ok"
    assert "events received: " in proc.stdout and "filesystem.file.changed" in proc.stdout.splitlines()[-1]
