"""Building plugins from source with the dev toolchains (no toolchain download).

- C (and Zig): ``zig cc`` from the ``ziglang`` wheel, target ``wasm32-freestanding``, with
  ``sdk/wasm/c/reelkit.h``.
- AssemblyScript: ``asc`` from npm (``assemblyscript`` + ``@extism/as-pdk``), run with ``npx``.

After a build the manifest's ``module.sha256`` is rewritten (atomically) to match.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

from reelkit.sdk.files import atomic_output, atomic_write

from .errors import BuildFailed, ToolchainMissing
from .manifest import MANIFEST_NAME, sha256_hex

SDK_WASM = Path(__file__).resolve().parent.parent / "sdk" / "wasm"
C_INCLUDE = SDK_WASM / "c"
AS_SDK = SDK_WASM / "assemblyscript"


def detect_language(src: Path) -> str:
    if (src / "package.json").is_file() and (src / "assembly").is_dir():
        return "assemblyscript"
    if list(src.glob("*.c")):
        return "c"
    raise BuildFailed(f"{src}: no sources found (expected *.c, or package.json with assembly/); "
                      f"scaffold one with `reelkit plugins new NAME --lang c`", details={"dir": str(src)})


def _run(cmd: list[str], cwd: Path, what: str, timeout: float = 300) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        raise ToolchainMissing(f"{what}: {cmd[0]} not found ({e})") from e
    except subprocess.TimeoutExpired as e:
        raise BuildFailed(f"{what} took longer than {timeout:.0f} s", details={"cmd": cmd}) from e
    if proc.returncode != 0:
        out = (proc.stderr or proc.stdout).strip()[-4000:]
        raise BuildFailed(f"{what} failed (exit {proc.returncode}):\n{out}", details={"cmd": cmd})


def _module_file(src: Path) -> str:
    try:
        return json.loads((src / MANIFEST_NAME).read_text())["module"]["file"]
    except (OSError, ValueError, KeyError, TypeError):
        return "plugin.wasm"


def build_c(src: Path, out: Path) -> None:
    if importlib.util.find_spec("ziglang") is None:
        raise ToolchainMissing("building C plugins needs Zig: pip install ziglang (the dev extra has it)")
    sources = sorted(str(p.name) for p in src.glob("*.c"))
    cmd = [sys.executable, "-m", "ziglang", "cc", "--target=wasm32-freestanding", "-O2", "-nostdlib",
           "-Wl,--no-entry", "-Wl,--strip-all", "-I", str(C_INCLUDE), *sources, "-o", str(out)]
    _run(cmd, src, "zig cc")


def npm_available() -> bool:
    return shutil.which("npm") is not None and shutil.which("npx") is not None


def build_assemblyscript(src: Path, out: Path) -> None:
    if not npm_available():
        raise ToolchainMissing("building AssemblyScript plugins needs Node.js with npm on PATH")
    if not (src / "node_modules" / "assemblyscript").is_dir():
        install = ["npm", "ci"] if (src / "package-lock.json").is_file() else ["npm", "install"]
        _run(install + ["--no-audit", "--no-fund", "--loglevel=error"], src, "npm install", timeout=600)
    # the default (incremental GC) runtime: instances live across calls, so "stub" would leak
    cmd = ["npx", "--no-install", "asc", "assembly/index.ts", "--outFile", str(out), "--optimize",
           "--use", "abort=assembly/index/abort"]
    _run(cmd, src, "asc (AssemblyScript)")


def build(src: Path) -> Path:
    """Compile the plugin in ``src``; write its module and fix the manifest's sha256."""
    src = Path(src).resolve()
    if not (src / MANIFEST_NAME).is_file():
        raise BuildFailed(f"{src}: no {MANIFEST_NAME}; run this in a plugin directory",
                          details={"dir": str(src)})
    lang = detect_language(src)
    target = src / _module_file(src)
    with atomic_output(target, durable=False) as tmp:  # a build product: remade, not precious
        (build_assemblyscript if lang == "assemblyscript" else build_c)(src, tmp)
    set_module_hash(src)
    return target


def set_module_hash(src: Path) -> str:
    """Rewrite ``module.sha256`` in ``src/plugin.json`` to the built module's hash."""
    manifest_path = Path(src) / MANIFEST_NAME
    data = json.loads(manifest_path.read_text())
    digest = sha256_hex((Path(src) / data["module"]["file"]).read_bytes())
    if data["module"].get("sha256") != digest:
        data["module"]["sha256"] = digest
        atomic_write(manifest_path, json.dumps(data, indent=2) + "\n")
    return digest
