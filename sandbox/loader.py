"""Checking a module against its manifest before it is compiled (sync; runs in a worker thread)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ExportInvalid, ExportMissing, InitialMemoryTooLarge, ManifestInvalid, ModuleInvalid
from .host import EXTISM_NAMESPACE, HOST_FUNCTIONS, NAMESPACE, granted_functions
from .manifest import Manifest
from .wasminfo import START_EXPORT, STARTUP_EXPORTS, ModuleInfo, defer_startup, inspect_module

#: WASI functions a guest never gets: a symbolic link it made could point outside its mapping
#: (the link itself is checked by nobody once the host, or another program, follows it)
REFUSED_WASI = frozenset({"path_symlink"})


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
    wasm: bytes  # as instantiated: start-up code deferred (wasminfo.defer_startup)
    wasi: bool
    allowed_paths: dict[str, str] = field(default_factory=dict)
    #: start-up exports the runtime calls, in order, on each new instance (under the time limit)
    startup: tuple[str, ...] = ()
    #: its calls may be tried on the event loop: everything it runs is bounded by fuel or by
    #: reelkit's own host functions (no WASI, no bulk-memory instructions, only metered Extism)
    loop_safe: bool = False


def loop_safe(info: ModuleInfo) -> bool:
    """Whether fuel and reelkit's host-side checks bound every step of the module's calls."""
    return (not info.uses_wasi and not info.bulk_memory and not info.has_startup
            and info.imports_from(EXTISM_NAMESPACE) <= METERED_EXTISM)


def startup_calls(info: ModuleInfo) -> tuple[str, ...]:
    """The renamed start-up exports to call on a new instance, in the order Extism and wasm would."""
    calls = [START_EXPORT] if info.start is not None else []
    if "_initialize" in info.startup:
        calls.append(STARTUP_EXPORTS["_initialize"])
    elif "hs_init" in info.startup:
        calls.append(STARTUP_EXPORTS["hs_init"])
    elif "__wasm_call_ctors" in info.startup:
        calls.append(STARTUP_EXPORTS["__wasm_call_ctors"])
    return tuple(calls)



def check_module(man: Manifest, wasm: bytes, source: str) -> ModuleInfo:
    """Exports present, imports known and granted; returns what the module imports and holds."""
    info = inspect_module(wasm, source)
    missing = sorted(man.functions() - info.exports)
    if missing:
        raise ExportMissing(
            f"plugin '{man.id}': the manifest names function(s) {missing} but {man.module.file} does "
            f"not export them (it exports {sorted(info.exports) or 'nothing'}); export them or fix "
            f"the manifest", details={"plugin": man.id, "missing": missing})
    reserved = sorted(man.functions() & (set(STARTUP_EXPORTS) | set(STARTUP_EXPORTS.values()) | {START_EXPORT}))
    if reserved:
        raise ManifestInvalid(f"plugin '{man.id}': {reserved} are start-up functions the host runs itself; "
                              f"they cannot be commands or subscribers — export another function",
                              details={"plugin": man.id, "functions": reserved})
    for fn in sorted(man.functions()):
        sig = info.signature(fn)
        if sig is not None and (sig[0] or sig[1] not in ((), ("i32",))):
            raise ExportInvalid(
                f"plugin '{man.id}': export '{fn}' has signature ({', '.join(sig[0])}) -> "
                f"({', '.join(sig[1])}), but an Extism export takes nothing and returns an i32 status "
                f"(read the input with the PDK); fix its declaration", details={"plugin": man.id, "function": fn,
                                                                              "params": list(sig[0]),
                                                                              "results": list(sig[1])})
    limit_pages = man.limits.memory_mb * 16
    if info.initial_pages > limit_pages:
        raise InitialMemoryTooLarge(
            f"plugin '{man.id}': {man.module.file} declares {info.initial_pages} pages "
            f"({info.initial_pages / 16:g} MiB) of initial memory, over its limits.memory_mb of "
            f"{man.limits.memory_mb} MiB; raise the limit or shrink the module's memory",
            details={"plugin": man.id, "initial_pages": info.initial_pages, "limit_pages": limit_pages})
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
        elif mod.startswith("wasi_snapshot_preview1") and name in REFUSED_WASI:
            raise ModuleInvalid(f"plugin '{man.id}': imports {mod}.{name}; reelkit guests may not create "
                                f"symbolic links (one could point outside the guest's mapping) — drop the call",
                                details={"plugin": man.id, "import": f"{mod}.{name}"})
        elif mod != EXTISM_NAMESPACE and not mod.startswith("wasi_snapshot_preview1"):
            raise ModuleInvalid(f"plugin '{man.id}': imports {mod}.{name}, which no reelkit host "
                                f"provides; build against sdk/wasm", details={"plugin": man.id,
                                                                              "import": f"{mod}.{name}"})
    return info


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_paths(man: Manifest, data_dir: Path, protected: Path | None = None,
                  create: bool = True) -> dict[str, str]:
    """The Extism ``allowed_paths`` of the filesystem grants.

    ``{data}`` grants resolve (symlinks followed) strictly inside ``data_dir``; no mapping may
    contain ``protected`` (the folder of installed plugins: manifests and modules are never
    guest-visible) or lie inside it outside ``data_dir``.
    """
    data_dir = Path(data_dir)
    paths: dict[str, str] = {}
    for g in man.permissions.filesystem:
        if g.host.startswith("{data}"):
            host = data_dir / g.host[len("{data}"):].lstrip("/")
            if create:
                host.mkdir(parents=True, exist_ok=True)
        else:
            host = Path(os.path.expanduser(g.host))
        if not host.is_absolute() or not host.is_dir():
            raise ManifestInvalid(f"plugin '{man.id}': filesystem grant {host} is not an existing "
                                  f"directory; create it or change the grant", details={"plugin": man.id})
        real = host.resolve()
        if g.host.startswith("{data}") and create and not _inside(real, data_dir.resolve()):
            raise ManifestInvalid(f"plugin '{man.id}': filesystem grant '{g.host}' resolves to {real}, "
                                  f"outside the plugin's data directory", details={"plugin": man.id})
        if protected is not None:
            prot = Path(protected).resolve()
            own = data_dir.resolve()
            if _inside(prot, real) or (_inside(real, prot) and not _inside(real, own)):
                raise ManifestInvalid(
                    f"plugin '{man.id}': filesystem grant '{g.host}' ({real}) would expose installed "
                    f"plugins (manifests, modules, other plugins' data) to the guest; grant a directory "
                    f"outside {prot}, or '{{data}}/…'", details={"plugin": man.id, "host": str(real)})
        paths[("ro:" if g.mode == "ro" else "") + str(real)] = g.guest
    return paths


def prepare(man: Manifest, wasm: bytes, data_dir: Path, source: str, protected: Path | None = None,
            create: bool = True) -> Prepared:
    """Check a module against its manifest, defer its start-up code, resolve its filesystem grants."""
    info = check_module(man, wasm, source)
    wasi = info.uses_wasi or bool(man.permissions.filesystem)
    paths = resolve_paths(man, data_dir, protected, create)
    return Prepared(man, defer_startup(wasm, info), wasi, paths, startup_calls(info),
                    loop_safe=loop_safe(info) and not wasi)
