"""The package format: one ``.rkp`` archive per plugin version, ready for a marketplace.

A zip with a fixed, flat layout and fixed timestamps (the same input packs to the same bytes)::

    plugin.json           the manifest (module sha256 inside)
    <module>.wasm         the module named by the manifest
    README.md             required: shown before installing
    LICENSE               optional
    CHECKSUMS.sha256      sha256 of every other entry — the file a marketplace signs

Unpacking refuses anything else: other names, directories, links, oversize entries, and
checksums that do not match.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from reelkit.sdk import read_bounded
from reelkit.sdk.files import atomic_write

from .errors import PackageInvalid
from .manifest import MANIFEST_NAME, Manifest, load_manifest, parse_manifest, read_module

CHECKSUMS = "CHECKSUMS.sha256"
README = "README.md"
LICENSE = "LICENSE"
SUFFIX = ".rkp"
MAX_ENTRY = 64 << 20
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _checksums(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                   for name, data in sorted(files.items())).encode()


def pack(src: Path, out: Path | None = None) -> Path:
    """Pack the plugin in directory ``src`` into ``out`` (default ``<src>/dist/<id>-<version>.rkp``)."""
    src = Path(src)
    man = load_manifest(src)
    files = {MANIFEST_NAME: read_bounded(src / MANIFEST_NAME), man.module.file: read_module(man, src)}
    if not (src / README).is_file():
        raise PackageInvalid(f"{src}: no {README}; write one (what the plugin does, why it needs "
                             f"its permissions) before packing", details={"dir": str(src)})
    files[README] = read_bounded(src / README)
    if (src / LICENSE).is_file():
        files[LICENSE] = read_bounded(src / LICENSE)
    files[CHECKSUMS] = _checksums(files)
    out = Path(out) if out else src / "dist" / f"{man.id}-{man.version}{SUFFIX}"
    if out.is_dir():
        out = out / f"{man.id}-{man.version}{SUFFIX}"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in [MANIFEST_NAME, man.module.file, README, LICENSE, CHECKSUMS]:
            if name in files:
                info = zipfile.ZipInfo(name, _EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, files[name])
    return atomic_write(out, buf.getvalue(), mode=0o644)


def read_package(archive: Path) -> tuple[Manifest, dict[str, bytes]]:
    """Validate a ``.rkp`` and return its manifest and files (nothing written to disk)."""
    archive = Path(archive)

    def bad(why: str) -> PackageInvalid:
        return PackageInvalid(f"{archive}: {why}; repack it with `reelkit plugins pack`",
                              details={"package": str(archive)})

    try:
        z = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as e:
        raise bad(f"not a reelkit package ({e})") from e
    with z:
        files: dict[str, bytes] = {}
        infos = z.infolist()
        if len(infos) > 5:  # checked before reading anything: no zip bombs by entry count
            raise bad(f"{len(infos)} entries; a package holds at most 5")
        for info in infos:
            if info.is_dir() or "/" in info.filename or "\\" in info.filename or info.filename.startswith("."):
                raise bad(f"unexpected entry '{info.filename}' (the layout is flat)")
            if info.file_size > MAX_ENTRY:
                raise bad(f"entry '{info.filename}' is larger than {MAX_ENTRY >> 20} MiB")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise bad(f"entry '{info.filename}' is a symbolic link")
            files[info.filename] = z.read(info)
    if MANIFEST_NAME not in files:
        raise bad(f"no {MANIFEST_NAME}")
    man = parse_manifest(files[MANIFEST_NAME], f"{archive.name}:{MANIFEST_NAME}")
    allowed = {MANIFEST_NAME, man.module.file, README, LICENSE, CHECKSUMS}
    extra = set(files) - allowed
    if extra:
        raise bad(f"unexpected entries {sorted(extra)}")
    for needed in (man.module.file, README, CHECKSUMS):
        if needed not in files:
            raise bad(f"no {needed}")
    if _checksums({k: v for k, v in files.items() if k != CHECKSUMS}) != files[CHECKSUMS]:
        raise bad(f"{CHECKSUMS} does not match the contents (altered after packing)")
    return man, files
