"""Checking a module against its manifest before it is compiled (sync; runs in a worker thread)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ExportMissing, ManifestInvalid, ModuleInvalid
from .host import EXTISM_NAMESPACE, HOST_FUNCTIONS, NAMESPACE, granted_functions
from .manifest import Manifest
from .wasminfo import ModuleInfo, inspect_module


#: Extism's kernel: functions written in WebAssembly (so metered by fuel like the guest's own
#: code) or O(1) in the host. Its other imports (log_*, config_get, var_*, http_*) are host code
#: whose time grows with the bytes they are given, which fuel does not see.
METERED_EXTISM = frozenset({
    "alloc", "free", "length", "length_unsafe", "load_u8", "load_u64", "store_u8", "store_u64",
    "input_length", "input_offset", "input_load_u8", "input_load_u64", "input_set", "output_set",
    "output_length", "output_offset", "error_set", "error_get", "memory_bytes", "reset",
    "get_log_level", "http_status_code",
})


@dataclass
class Prepared:
    manifest: Manifest
    wasm: bytes
    wasi: bool
    allowed_paths: dict[str, str] = field(default_factory=dict)
    #: its calls may be tried on the event loop: everything it runs is bounded by fuel or by
    #: reelkit's own host functions (no WASI, no bulk-memory instructions, only metered Extism)
    loop_safe: bool = False


def loop_safe(info: ModuleInfo) -> bool:
    """Whether fuel and reelkit's host-side checks bound every step of the module's calls."""
    return (not info.uses_wasi and not info.bulk_memory
            and info.imports_from(EXTISM_NAMESPACE) <= METERED_EXTISM)



def check_module(man: Manifest, wasm: bytes, source: str) -> ModuleInfo:
    """Exports present, imports known and granted; returns what the module imports and holds."""
    info = inspect_module(wasm, source)
    missing = sorted(man.functions() - info.exports)
    if missing:
        raise ExportMissing(
            f"plugin '{man.id}': the manifest names function(s) {missing} but {man.module.file} does "
            f"not export them (it exports {sorted(info.exports) or 'nothing'}); export them or fix "
            f"the manifest", details={"plugin": man.id, "missing": missing})
    grants = granted_functions(man)
    for mod, name in sorted(info.imports):
        if mod == NAMESPACE:
            if name not in HOST_FUNCTIONS:
                raise ModuleInvalid(f"plugin '{man.id}': imports {mod}.{name}, which reelkit does not "
                                    f"offer (known: {sorted(HOST_FUNCTIONS)})",
                                    details={"plugin": man.id, "import": f"{mod}.{name}"})
            if grants[name]:
                raise ManifestInvalid(f"plugin '{man.id}': its module calls {name} but the manifest "
                                      f"does not allow it; {grants[name]} (with a reason) or drop the "
                                      f"call", details={"plugin": man.id, "import": name})
        elif mod != EXTISM_NAMESPACE and not mod.startswith("wasi_snapshot_preview1"):
            raise ModuleInvalid(f"plugin '{man.id}': imports {mod}.{name}, which no reelkit host "
                                f"provides; build against sdk/wasm", details={"plugin": man.id,
                                                                              "import": f"{mod}.{name}"})
    return info


def prepare(man: Manifest, wasm: bytes, data_dir: Path, source: str) -> Prepared:
    """Check a module against its manifest and resolve its filesystem grants."""
    info = check_module(man, wasm, source)
    wasi = info.uses_wasi or bool(man.permissions.filesystem)
    paths: dict[str, str] = {}
    for g in man.permissions.filesystem:
        host = Path(os.path.expanduser(g.host.replace("{data}", str(data_dir))))
        if not host.is_absolute():
            raise ManifestInvalid(f"plugin '{man.id}': filesystem grant '{g.host}' must be an "
                                  f"absolute path or start with {{data}}", details={"plugin": man.id})
        if "{data}" in g.host:
            host.mkdir(parents=True, exist_ok=True)
        elif not host.is_dir():
            raise ManifestInvalid(f"plugin '{man.id}': filesystem grant {host} is not an existing "
                                  f"directory; create it or change the grant", details={"plugin": man.id})
        paths[("ro:" if g.mode == "ro" else "") + str(host.resolve())] = g.guest
    return Prepared(man, wasm, wasi, paths, loop_safe=loop_safe(info) and not wasi)
