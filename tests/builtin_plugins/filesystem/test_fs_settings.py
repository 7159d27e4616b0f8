"""Settings of the filesystem plugin from the environment, and what booting it imports."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reelkit.sdk import KernelError

REPO = Path(__file__).resolve().parents[3]


async def test_roots_from_the_environment(make_kernel, tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    monkeypatch.setenv("REELKIT_FILESYSTEM__ROOTS", json.dumps([str(a), str(b)]))
    async with make_kernel(builtins=["filesystem"]) as k:
        out = await k.invoke("filesystem.roots", {})
        assert [r.path for r in out.roots] == [str(a.resolve()), str(b.resolve())]
        with pytest.raises(KernelError) as e:
            await k.invoke("filesystem.list", {"path": str(tmp_path)})
        assert e.value.code == "permission.denied"


def test_boot_imports_neither_watchfiles_nor_babel(tmp_path):
    script = (
        "import asyncio, sys\n"
        "from reelkit import Kernel\n"
        "async def main():\n"
        f"    s = {{'data_dir': {str(tmp_path)!r}, 'cache_dir': {str(tmp_path)!r}, 'config_dir': {str(tmp_path)!r}}}\n"
        "    async with Kernel(settings=s, builtins=['filesystem', 'language'], entry_points=False) as k:\n"
        "        print(sorted(m for m in ('watchfiles', 'babel') if m in sys.modules))\n"
        "        await k.invoke('filesystem.watch', {'path': " + repr(str(tmp_path)) + "})\n"
        "        await k.invoke('language.translate', {'key': 'filesystem.files', 'params': {'count': 2}})\n"
        "        print(sorted(m for m in ('watchfiles', 'babel') if m in sys.modules))\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "REELKIT_FILESYSTEM__ROOTS": json.dumps([str(tmp_path)])}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["[]", "['babel', 'watchfiles']"]
