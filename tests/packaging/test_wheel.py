"""The wheel, installed as a user would: from the lock into a fresh virtualenv outside the checkout.

Run from a folder that holds its own ``sdk/`` and ``kernel/`` packages (which used to shadow reelkit's
top-level names and break every builtin), the installed reelkit still lists its commands, embeds, and
runs its demo; the base install without extras reports the missing extra instead of an ImportError.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

EMBED = """
import asyncio, json
from reelkit import Kernel

async def main():
    async with Kernel() as k:
        health = await k.invoke("kernel.health")
        listing = await k.invoke("kernel.commands", {"prefix": "media."})
        print(json.dumps({"state": health.state, "media": [c.id for c in listing.commands],
                          "plugins": health.plugins}))

asyncio.run(main())
"""


def _error(r: subprocess.CompletedProcess[str]) -> dict:
    """The CLI's error object on stderr (log lines may surround it)."""
    return next(json.loads(line) for line in r.stderr.splitlines() if line.startswith('{"code"'))


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (whl,) = out.glob("reelkit-*.whl")
    return whl


def _venv(where: Path, lock: str, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    r = subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(REPO / "requirements" / lock)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run([*pip, "--no-deps", str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return where / "bin"


@pytest.fixture
def user_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A user's project folder with its own ``sdk`` and ``kernel`` packages, and a clean environment."""
    proj = tmp_path / "project"
    for name in ("sdk", "kernel", "sandbox", "builtin_plugins"):
        (proj / name).mkdir(parents=True)
        (proj / name / "__init__.py").write_text(f"raise ImportError('the user\\'s own {name} package was imported')\n")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REELKIT_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(REELKIT_DATA_DIR=str(home / "data"), REELKIT_CACHE_DIR=str(home / "cache"),
               REELKIT_CONFIG_DIR=str(home / "config"), PYTHONPATH=str(proj))
    return proj, env


def test_the_wheel_installs_only_the_reelkit_namespace_and_every_promised_file(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"reelkit"}
    for promised in ("reelkit/__init__.py", "reelkit/py.typed", "reelkit/kernel/cli.py", "reelkit/sdk/testing.py",
                     "reelkit/sdk/wasm/c/reelkit.h", "reelkit/sdk/wasm/rust/src/lib.rs",
                     "reelkit/sdk/wasm/rust/Cargo.toml", "reelkit/sdk/wasm/assemblyscript/reelkit.ts",
                     "reelkit/sandbox/manifest.schema.json", "reelkit/builtin_plugins/language/catalogs/en.json",
                     "reelkit/kernel/studio/dist/index.html", "reelkit/kernel/studio/dist/studio.js",
                     "reelkit/kernel/cli.manifest.json", "reelkit/builtin_plugins/media/commands.manifest.json"):
        assert promised in names, promised
    meta = next(n for n in names if n.endswith("dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "License-Expression: Apache-2.0" in text and "Provides-Extra: gpu" in text and "Provides-Extra: cpu" in text
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)


def test_installed_from_the_lock_it_runs_outside_the_checkout(wheel: Path, tmp_path: Path, user_folder):
    proj, env = user_folder
    bin_ = _venv(tmp_path / "venv", "all.txt", wheel)
    r = _run([str(bin_ / "reelkit"), "commands", "--json"], proj, env, timeout=120)
    assert r.returncode == 0, r.stderr
    ids = {c["id"] for c in json.loads(r.stdout)}
    assert {"media.probe", "compiler.render", "recognition.detect_video", "sandbox.install"} <= ids
    r = _run([str(bin_ / "python"), "-c", EMBED], proj, env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "media.probe" in out["media"] and all(s == "active" for s in out["plugins"].values()), out
    models = REPO.parent / "shared" / "models"
    if models.is_dir():
        env = dict(env, REELKIT_RECOGNITION__MODELS_DIR=str(models))
    r = _run([str(bin_ / "reelkit"), "demo"], proj, env, timeout=600)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    assert (proj / "reelkit-demo" / "compiler" / "demo.mp4").stat().st_size > 10_000


def test_the_base_install_names_the_missing_extras(wheel: Path, tmp_path: Path, user_folder):
    proj, env = user_folder
    bin_ = _venv(tmp_path / "venv", "base.txt", wheel)
    reelkit = str(bin_ / "reelkit")
    r = _run([reelkit, "invoke", "media.formats", "{}"], proj, env, timeout=120)
    assert r.returncode == 0, r.stderr  # the base install works for everything but the extras
    r = _run([reelkit, "invoke", "sandbox.list", "{}"], proj, env, timeout=120)
    err = _error(r)
    assert r.returncode != 0 and err["code"] == "plugin.disabled" and "reelkit[sandbox]" in err["message"], err
    r = _run([reelkit, "invoke", "recognition.models", "{}"], proj, env, timeout=120)
    err = _error(r)
    assert r.returncode != 0 and err["code"] == "extra.missing" and "reelkit[cpu]" in err["message"], err
    r = _run([reelkit, "health", "--json"], proj, env, timeout=120)
    health = json.loads(r.stdout)
    assert "reelkit[cpu]" in json.dumps(health["checks"]), health["checks"]
    assert "ImportError" not in r.stdout + r.stderr
