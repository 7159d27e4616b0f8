"""``reelkit subtitles …`` through click."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reelkit.builtin_plugins.subtitles.cli import subtitles


def test_convert_prints_and_writes(tmp_path):
    src = tmp_path / "a.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:02,000\nHi <i>there</i>\n")
    runner = CliRunner()
    res = runner.invoke(subtitles, ["convert", str(src), "--to", "vtt"])
    assert res.exit_code == 0, res.output
    assert res.output == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi <i>there</i>\n"
    res = runner.invoke(subtitles, ["shift", str(src), "500", "-o", str(tmp_path / "b.srt")])
    assert res.exit_code == 0 and json.loads(res.output)["output"] == str(tmp_path / "b.srt")
    assert "00:00:01,500 --> 00:00:02,500" in (tmp_path / "b.srt").read_text()


def test_errors_exit_1_with_the_code(tmp_path):
    res = CliRunner().invoke(subtitles, ["validate", str(tmp_path / "missing.srt")])
    assert res.exit_code == 1
    assert json.loads(res.output)["code"] == "subtitles.file_not_found"


def test_every_command_exports_its_schemas():
    import dataclasses

    from reelkit.builtin_plugins.subtitles.commands import COMMANDS
    from reelkit.kernel.commands import resolve_signature

    for fn in COMMANDS:
        spec = dataclasses.replace(fn.__reelkit_command__, injections={})  # leave the shared spec alone
        resolve_signature(spec)
        described = spec.describe()
        assert described["input"]["type"] == "object" and described["output"]["type"] == "object"
        assert all("description" in p for p in described["input"].get("properties", {}).values()), spec.id
