"""Command manifests: commands registered at boot from JSON, their module imported on first call."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reelkit.kernel.manifest import builtin_command_modules, build_manifest, manifest_path, read_manifest


@pytest.mark.parametrize("module", builtin_command_modules())
def test_every_builtin_manifest_is_current(module):
    assert read_manifest(module) == json.loads(json.dumps(build_manifest(module))), (
        f"{manifest_path(module)} is stale: run `make manifests`")


def test_boot_imports_no_command_module_and_a_first_call_does():
    code = """
import asyncio, json, sys
from reelkit import Kernel
async def main():
    async with Kernel(entry_points=False) as k:
        before = sorted(m for m in sys.modules if m.endswith('.commands') and m != 'reelkit.kernel.commands')
        schemas = {s.id: s.describe() for s in k.commands.list()}
        formats = await k.invoke('media.formats', {})
        after = 'reelkit.builtin_plugins.media.commands' in sys.modules
        print(json.dumps({"before": before, "after": after, "n": len(schemas),
                          "probe_input": schemas['media.probe']['input']['required'],
                          "formats": type(formats).__name__}))
asyncio.run(main())
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["before"] == [], f"boot imported command modules: {out['before']}"
    assert out["after"] and out["formats"] == "FormatsResult" and out["n"] > 60
    assert out["probe_input"] == ["path"]


async def test_a_lazy_command_validates_its_input_and_injects_services(make_kernel):
    from reelkit.kernel.errors import InputInvalid

    async with make_kernel(builtins=["media"]) as k:
        spec = k.commands.get("media.probe")
        assert spec.module == "reelkit.builtin_plugins.media.commands" and not spec.loaded
        with pytest.raises(InputInvalid):
            await k.invoke("media.probe", {"nope": 1})
        assert spec.loaded and spec.input_model.__name__ == "ProbeInput"
        assert (await k.invoke("media.formats", {})).formats


def test_the_cli_manifest_is_current():
    from reelkit.kernel.cli import CLI_MANIFEST, cli_manifest

    assert json.loads(CLI_MANIFEST.read_text()) == cli_manifest(), "kernel/cli.manifest.json is stale: make manifests"


def test_help_imports_no_plugin_and_a_plugin_command_still_works(tmp_path):
    code = ("import sys\nfrom reelkit.kernel.cli import cli, _add_plugin_commands\n_add_plugin_commands()\n"
            "try:\n    cli(['--help'], prog_name='reelkit')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('reelkit.builtin_plugins.') or m in "
            "('pydantic', 'reelkit.kernel.kernel')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "probe" in r.stdout and "subtitles" in r.stdout and r.stdout.strip().splitlines()[-1] == "[]"
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    r = subprocess.run([sys.executable, "-m", "reelkit.kernel", "subtitles", "shift", str(srt), "-500"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "00:00:00,500 --> 00:00:01,500" in r.stdout, r.stderr
