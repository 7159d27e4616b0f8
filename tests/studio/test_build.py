"""Studio's committed assets: a fresh build from the sources reproduces them byte for byte, the sources
type-check, the generated client in src/ is what the generator writes today, and the shipped assets stay
small. Node is needed for the build checks only; `make demo` and the runtime never need it."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

STUDIO = Path(__file__).resolve().parents[2] / "kernel" / "studio"
BIN = STUDIO / "node_modules" / ".bin"


def _tools() -> None:
    if not shutil.which("node") or not (BIN / "esbuild").exists() or not (BIN / "tsc").exists():
        pytest.fail("Node and kernel/studio/node_modules are needed: run `make node-deps` (npm ci in kernel/studio)")


def test_a_fresh_build_reproduces_the_committed_assets(tmp_path: Path) -> None:
    _tools()
    out = tmp_path / "studio.js"
    build = subprocess.run(["npm", "run", "--silent", "build", "--", f"--outfile={out}"], cwd=STUDIO,
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    for name in ("studio.js", "studio.css"):
        fresh, committed = (tmp_path / name).read_bytes(), (STUDIO / "dist" / name).read_bytes()
        assert fresh == committed, f"kernel/studio/dist/{name} is stale: run `make studio` and commit it"


def test_the_sources_type_check() -> None:
    _tools()
    check = subprocess.run([str(BIN / "tsc"), "--noEmit", "-p", "."], cwd=STUDIO, capture_output=True, text=True,
                           timeout=180)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_bundled_client_is_the_generated_one(tmp_path: Path) -> None:
    import asyncio

    from reelkit import Kernel
    from reelkit.kernel import __version__
    from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
    from reelkit.kernel.ipc.typescript import generate

    async def main() -> str:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, entry_points=False) as k:
            d = KernelDispatcher(k)
            return generate(d.methods(), d.events(), version=__version__)

    fresh = asyncio.run(main())
    assert fresh == (STUDIO / "src" / "reelkit.ts").read_text(), \
        "kernel/studio/src/reelkit.ts differs from the generator's output: run `make studio` and commit it"


def test_shipped_assets_are_local_and_small() -> None:
    files = [p for p in (STUDIO / "dist").iterdir() if p.is_file()]
    assert {p.name for p in files} == {"index.html", "studio.js", "studio.css"}
    html = (STUDIO / "dist" / "index.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # no CDN, no external fonts
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP forbids it
    for p in files:
        assert not re.search(rb"https?://(?!www\.w3\.org/2000/svg)", p.read_bytes()), f"{p.name} names a remote URL"
    gzipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    assert gzipped < 500 * 1024, gzipped
