"""Fixtures for the sandbox tests: plugins built from source with the dev toolchain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "wasm"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def write_plugin(dest: Path, wasm: bytes, manifest: dict[str, Any]) -> Path:
    """A plugin directory: the module, its manifest (sha256 filled in) and a README."""
    from reelkit.sandbox.manifest import sha256_hex

    dest.mkdir(parents=True, exist_ok=True)
    (dest / "plugin.wasm").write_bytes(wasm)
    man = {"name": manifest.get("id", "p"), "version": "1.0.0", "api": ">=1.0,<2", **manifest}
    man["module"] = {"file": "plugin.wasm", "sha256": sha256_hex(wasm), **manifest.get("module", {})}
    (dest / "plugin.json").write_text(json.dumps(man, indent=2))
    (dest / "README.md").write_text(f"# {man['id']}\n")
    return dest


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``built("subtitle_caps")`` → a fresh copy of that example, compiled (cached per session)."""
    from reelkit.sandbox.toolchain import build

    cache: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in cache:
            src = FIXTURES / name if (FIXTURES / name).is_dir() else EXAMPLES / name
            dest = tmp_path_factory.mktemp("built") / name
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.wasm", "node_modules", "dist"))
            build(dest)
            cache[name] = dest
        return cache[name]

    return make


@pytest.fixture
def plugin_copy(built: Callable[[str], Path], tmp_path: Path) -> Callable[..., Path]:
    """``plugin_copy("hostile", **manifest_changes)`` → a private copy with a changed manifest."""

    def make(name: str, **changes: Any) -> Path:
        src = built(name)
        dest = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(src, dest)
        if changes:
            man = json.loads((dest / "plugin.json").read_text())
            man.update(changes)
            (dest / "plugin.json").write_text(json.dumps(man, indent=2))
        return dest

    return make


def wat(text: str) -> bytes:
    import wasmtime

    return bytes(wasmtime.wat2wasm(text))


def consent_for(path: Path | str) -> str:
    """The digest of what the plugin at ``path`` asks for: what a person consents to when installing it."""
    from reelkit.sandbox.consent import permissions_digest
    from reelkit.sandbox.manifest import load_manifest
    from reelkit.sandbox.package import SUFFIX, read_package

    path = Path(path)
    if path.suffix == SUFFIX:
        return permissions_digest(read_package(path)[0])
    return permissions_digest(load_manifest(path.parent if path.is_file() else path))


async def install(k, path: Path | str, **options: Any):
    """``sandbox.install`` with the consent a person would give after reading the permissions."""
    return await k.invoke("sandbox.install", {"path": str(path), "consent": consent_for(path), **options})
