"""The .rkp package format: deterministic, flat, checksummed; anything else is refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from reelkit.sandbox.errors import PackageInvalid
from reelkit.sandbox.package import CHECKSUMS, pack, read_package

from .conftest import wat, write_plugin

WASM = wat('(module (memory (export "memory") 1) (func (export "run") (result i32) (i32.const 0)))')


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    return write_plugin(tmp_path / "src", WASM, {"id": "packme", "exports": [{"function": "run"}]})


def test_pack_is_deterministic_and_reads_back(plugin_dir: Path, tmp_path: Path):
    a = pack(plugin_dir, tmp_path / "a.rkp")
    b = pack(plugin_dir, tmp_path / "b.rkp")
    assert a.read_bytes() == b.read_bytes()
    man, files = read_package(a)
    assert man.id == "packme"
    assert sorted(files) == [CHECKSUMS, "README.md", "plugin.json", "plugin.wasm"]
    assert files["plugin.wasm"] == WASM
    assert pack(plugin_dir).name == "packme-1.0.0.rkp"


def test_pack_needs_a_readme(plugin_dir: Path):
    (plugin_dir / "README.md").unlink()
    with pytest.raises(PackageInvalid, match="README.md"):
        pack(plugin_dir)


def _rewrite(src: Path, dest: Path, change) -> Path:
    with zipfile.ZipFile(src) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    change(entries)
    with zipfile.ZipFile(dest, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return dest


@pytest.mark.parametrize("change, needle", [
    (lambda e: e.__setitem__("README.md", b"changed"), "does not match"),
    (lambda e: e.__setitem__("../evil.sh", b"x"), "unexpected entry"),
    (lambda e: e.__setitem__("extra.txt", b"x"), "unexpected entries"),
    (lambda e: e.update({f"x{i}.txt": b"" for i in range(10)}), "at most 5"),
    (lambda e: e.pop("README.md"), "no README.md"),
])
def test_tampered_packages_are_refused(plugin_dir: Path, tmp_path: Path, change, needle):
    bad = _rewrite(pack(plugin_dir, tmp_path / "ok.rkp"), tmp_path / "bad.rkp", change)
    with pytest.raises(PackageInvalid, match=needle):
        read_package(bad)


def test_not_a_zip_is_refused(tmp_path: Path):
    p = tmp_path / "x.rkp"
    p.write_bytes(b"nope")
    with pytest.raises(PackageInvalid, match="not a reelkit package"):
        read_package(p)
