"""examples/thirdparty_plugin and examples/broken_plugin, installed into a throwaway directory and found by
the kernel through their real `reelkit.plugins` entry-point metadata (in a subprocess, so that this
process's sys.path and entry-point caches stay untouched)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

KERNEL_SCRIPT = r"""
import asyncio, json
from reelkit import Kernel, KernelError

async def main():
    out = {}
    async with Kernel(builtins=["language"], entry_points=True) as k:
        out["plugins"] = {p.name: p.model_dump(mode="json") for p in k.plugins.states()}
        await k.invoke("language.set", {"locale": "de"})
        await k.bus.drain()
        out["greet"] = (await k.invoke("hello.greet", {"name": "Ada"})).model_dump(mode="json")
        try:
            await k.invoke("hello.greet", {"name": ""})
        except KernelError as e:
            out["bad_input"] = e.code
        out["health"] = (await k.invoke("kernel.health", {})).model_dump(mode="json")
    print(json.dumps(out))

asyncio.run(main())
"""


def pip_can_build() -> bool:
    """True when this environment's setuptools can build a wheel offline (>= 70.1, or with `wheel`)."""
    import importlib.util

    try:
        import setuptools
    except ImportError:
        return False
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def install(project: Path, target: Path) -> None:
    """Install an example project into `target`, offline, as `pip install --target` lays it out.

    With a setuptools that can build wheels, pip does it. Otherwise (the setuptools 65 that Python
    3.11's venv ships, without `wheel`) setuptools' own egg_info command writes the same metadata
    (PKG-INFO, entry_points.txt) from the same pyproject.toml, and the package is copied beside it.
    """
    # Build from a copy: setuptools writes build/ and *.egg-info into the source tree otherwise,
    # which parallel test workers would trip over.
    build = target.parent / f"build-{project.name}"
    shutil.copytree(project, build, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    if pip_can_build():
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
             "--target", str(target), str(build)],
            capture_output=True, text=True, timeout=120,
        )
        assert pip.returncode == 0, pip.stderr
        return
    egg = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info", "--egg-base", str(target)],
        cwd=build, capture_output=True, text=True, timeout=120,
    )
    assert egg.returncode == 0, egg.stderr
    for package in (p for p in build.iterdir() if (p / "__init__.py").exists()):
        shutil.copytree(package, target / package.name)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site-packages")
    install(EXAMPLES / "thirdparty_plugin", target)
    install(EXAMPLES / "broken_plugin", target)
    return target


def run_kernel(site: Path, tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
        "REELKIT_DATA_DIR": str(tmp_path / "data"),
        "REELKIT_CACHE_DIR": str(tmp_path / "cache"),
        "REELKIT_CONFIG_DIR": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),  # stevedore's entry-point cache
    }
    proc = subprocess.run([sys.executable, "-c", KERNEL_SCRIPT], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_installed_metadata_declares_the_entry_points(site):
    from importlib.metadata import distributions

    dists = {d.metadata["Name"]: d for d in distributions(path=[str(site)])}
    assert set(dists) == {"reelkit-example-plugin", "reelkit-broken-plugin"}
    [hello] = dists["reelkit-example-plugin"].entry_points
    assert (hello.group, hello.name, hello.value) == ("reelkit.plugins", "hello", "reelkit_example_plugin")


def test_kernel_loads_the_plugin_and_reports_the_broken_one(site, tmp_path):
    out = run_kernel(site, tmp_path)
    hello, broken = out["plugins"]["hello"], out["plugins"]["broken"]
    assert (hello["state"], hello["source"], hello["version"]) == ("active", "entry_point", "0.1.0")
    assert hello["commands"] == ["hello.greet"] and hello["requires"] == ["language"]
    assert (broken["state"], broken["source"]) == ("failed", "entry_point")
    assert "reelkit_example_dependency_that_is_not_installed" in broken["error"]["message"]
    # the plugin's command works, translated through its own catalog, and its subscription got the event
    assert out["greet"] == {"greeting": "Hallo, Ada!", "locale": "de", "locale_changes_seen": ["de"]}
    assert out["bad_input"] == "input.invalid"
    health = out["health"]
    assert health["checks"]["plugin.broken"]["state"] == "error"
    assert health["checks"]["language.catalogs"]["state"] == "ok"
    assert health["plugins"]["hello"] == "active" and health["plugins"]["language"] == "active"


def test_without_entry_points_nothing_third_party_loads(site, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
           "REELKIT_CONFIG_DIR": str(tmp_path / "config"), "REELKIT_DATA_DIR": str(tmp_path / "data"),
           "REELKIT_CACHE_DIR": str(tmp_path / "cache")}
    script = (
        "import asyncio\nfrom reelkit import Kernel\n"
        "async def main():\n"
        "    async with Kernel(builtins=['language'], entry_points=False) as k:\n"
        "        print(sorted(p.name for p in k.plugins.states()))\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "['kernel', 'language']"


def test_the_examples_own_tests_pass(tmp_path):
    """The example's tests (written as a plugin author would, with reelkit's pytest plugin) keep working."""
    project = EXAMPLES / "thirdparty_plugin"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), str(REPO)])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "--rootdir", str(project), str(project / "tests")],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
