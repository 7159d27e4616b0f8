"""The reelkit CLI, run as a real process: JSON on stdout, errors as {code, message} on stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REELKIT = [sys.executable, "-m", "reelkit.kernel"]


def run(*args: str, env_extra: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([*REELKIT, *args], capture_output=True, text=True, env=env, input=input, timeout=120)


def test_help_lists_the_kernel_commands():
    r = run("--help")
    assert r.returncode == 0
    for name in ("demo", "commands", "invoke", "health", "plugins"):
        assert name in r.stdout


def error_of(r: subprocess.CompletedProcess[str]) -> dict:
    """The one error line on stderr (log lines may surround it)."""
    (line,) = [ln for ln in r.stderr.splitlines() if ln.startswith('{"code"')]
    return json.loads(line)


def test_invoke_prints_json_and_errors_exit_1():
    r = run("invoke", "kernel.jobs", '{"state": "running"}')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"jobs": []}
    r = run("invoke", "kernel.job_status", '{"job_id": "missing"}')
    assert r.returncode == 1
    err = error_of(r)
    assert r.stdout == "" and err["code"] == "job.not_found" and "missing" in err["message"]
    r = run("invoke", "kernel.jobz")
    assert r.returncode == 1 and error_of(r)["code"] == "command.not_found"
    r = run("invoke", "kernel.jobs", "{not json")
    assert r.returncode == 1 and error_of(r)["code"] == "input.invalid"
    r = run("invoke", "kernel.jobs", "-", input='{"kind": "x"}')
    assert r.returncode == 0 and json.loads(r.stdout) == {"jobs": []}


def test_invoke_with_grants_is_denied():
    r = run("invoke", "kernel.jobs", "--grant", "media")
    assert r.returncode == 1 and error_of(r)["code"] == "permission.denied"


def test_commands_json_has_schemas():
    r = run("commands", "--json")
    assert r.returncode == 0, r.stderr
    specs = {s["id"]: s for s in json.loads(r.stdout)}
    assert specs["kernel.job_status"]["input"]["required"] == ["job_id"]
    assert "state" in specs["kernel.job_status"]["output"]["properties"]


def test_a_malformed_settings_file_is_reported_with_its_line(tmp_path):
    cfg = tmp_path / "reelkit.toml"
    cfg.write_text("[media\nx = 1\n")
    r = run("--config", str(cfg), "invoke", "kernel.jobs")
    assert r.returncode == 1
    err = error_of(r)
    assert err["code"] == "settings.invalid" and str(cfg) in err["message"] and "line 1" in err["message"]


def test_health_json_and_plugins_list():
    r = run("health", "--json")
    report = json.loads(r.stdout)
    assert report["plugins"]["kernel"] == "active"
    assert r.returncode == (1 if report["state"] == "error" else 0)
    r = run("plugins", "list", "--json")
    assert r.returncode == 0
    assert any(p["name"] == "kernel" for p in json.loads(r.stdout))


def test_generated_command_reference_is_current(repo_root: Path):
    r = run("commands", "--markdown")
    assert r.returncode == 0, r.stderr
    doc = repo_root / "docs" / "commands.md"
    assert doc.read_text() == r.stdout, "docs/commands.md is stale: run `make docs`"


def test_negative_numbers_are_values_and_failed_results_exit_non_zero(tmp_path):
    srt = tmp_path / "talk.srt"
    srt.write_text("1\n00:00:02,000 --> 00:00:03,000\nhello\n\n2\n00:00:02,500 --> 00:00:04,000\nworld\n")
    out = tmp_path / "earlier.srt"
    r = run("subtitles", "shift", str(srt), "-1500", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "00:00:00,500 --> 00:00:01,500" in out.read_text()
    r = run("subtitles", "validate", str(srt))  # the cues overlap: an error, so the status says failure
    assert r.returncode == 1 and json.loads(r.stdout)["ok"] is False


def test_a_job_command_is_followed_to_its_end_by_default(tmp_path, media_dir):
    r = run("invoke", "media.import", json.dumps({"paths": [str(media_dir)], "thumbnails": False}))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"] >= 3  # the result, not a job id
    r = run("invoke", "media.import", json.dumps({"paths": [str(media_dir)]}), "--no-wait")
    assert r.returncode == 0 and "job_id" in json.loads(r.stdout) and "stops when it exits" in r.stderr


def test_import_command_imports_and_reports(tmp_path, media_dir):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    r = run("import", str(media_dir), str(bad), "--json")
    result = json.loads(r.stdout)
    assert r.returncode == 1 and len(result["files"]) >= 3 and result["failed"][0]["code"].startswith("media.")
