"""Compiling modules, with a cache keyed by the module's sha256.

Compiled modules are not shared between concurrently running instances (an interrupt is
engine-wide in Extism, see runtime._Slot), so each pool slot compiles its own; wasmtime's
machine-code cache on disk in reelkit's cache dir
(``<cache_dir>/wasm-modules/<sha256>/``, so removing a plugin can drop exactly its
entries), which turns a 10–90 ms compile into well under a millisecond
on the next start. Extism reads its cache configuration from ``EXTISM_CACHE_CONFIG`` at each
compile, so the variable is set under a lock around the compile.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from . import engine
from .errors import ModuleInvalid
from .host import functions_for
from .manifest import Manifest

_ENV_LOCK = threading.Lock()


class ModuleCache:
    """Compiles modules with wasmtime's machine-code cache in ``<cache_dir>/wasm-modules/<sha256>``."""

    def __init__(self, cache_dir: Path | None):
        self.dir = Path(cache_dir) / "wasm-modules" if cache_dir else None

    def _config_for(self, sha256: str) -> str:
        """Path of the wasmtime cache config for one module ('' turns the disk cache off)."""
        if self.dir is None:
            return ""
        d = self.dir / sha256
        d.mkdir(parents=True, exist_ok=True)
        config = d / "wasmtime-cache.toml"
        text = f'[cache]\ndirectory = "{(d / "wasmtime").as_posix()}"\n'
        if not config.exists() or config.read_text() != text:
            tmp = config.with_suffix(f".tmp{threading.get_ident()}")
            tmp.write_text(text)
            os.replace(tmp, config)
        return str(config)

    def compile(self, man: Manifest, wasm: bytes, *, wasi: bool, allowed_paths: dict[str, str],
                timeout_ms: int | None = None, fuel: int | None = None) -> engine.CompiledModule:
        """A new compiled module (its own engine) for ``man``; machine code from the disk cache.

        Its calls stop after ``timeout_ms`` or ``fuel`` instructions (default: the manifest's
        ``limits.time_ms`` and ``limits.fuel``; ``timeout_ms=0``: no Extism timer, for the loop's slot).
        """
        lim = man.limits
        manifest_json = engine.extism_manifest(
            wasm, max_pages=lim.memory_mb * 16, timeout_ms=lim.time_ms if timeout_ms is None else timeout_ms,
            allowed_paths=allowed_paths)
        with _ENV_LOCK:
            config = self._config_for(man.module.sha256)
            # setenv is not safe against a concurrent getenv in native threads: change it only
            # when it differs (slots of one plugin compile back to back with the same value)
            if os.environ.get("EXTISM_CACHE_CONFIG") != config:
                os.environ["EXTISM_CACHE_CONFIG"] = config
            try:
                return engine.CompiledModule(manifest_json, functions_for(man), wasi=wasi, fuel=fuel or lim.fuel)
            except ValueError as e:
                raise ModuleInvalid(
                    f"plugin '{man.id}': {man.module.file} does not compile or link: {e}; rebuild "
                    f"it against the reelkit SDK and check its imports are granted",
                    details={"plugin": man.id, "error": str(e)[:2000]}) from e

    def forget(self, sha256: str) -> None:
        """Drop the cached machine code of ``sha256`` (when its plugin is removed).

        wasmtime's cache worker thread writes usage counters (``*.stats``) a moment after each
        compile or cache hit, so a directory removed right after a load can come back: remove it
        until it has stayed gone for a while (at most ~0.5 s).
        """
        if self.dir is None:
            return
        d, gone = self.dir / sha256, 0
        for _ in range(25):
            if d.exists():
                shutil.rmtree(d, ignore_errors=True)
                gone = 0
            else:
                gone += 1
                if gone == 3:
                    return
            time.sleep(0.02)
