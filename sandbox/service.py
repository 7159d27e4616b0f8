"""The sandbox service: installed WASM plugins on disk, and their life in a running kernel.

Layout under ``Paths.data_dir / "wasm-plugins"``::

    state.json                 {"<id>": {"enabled": bool}}   (atomic rewrite)
    <id>/plugin.json           the manifest as installed
    <id>/<module>.wasm         the module (sha256 checked on every load)
    <id>/README.md, LICENSE
    <id>/data/                 the plugin's own data: kv.sqlite, '{data}' filesystem grants

Removing a plugin unregisters it from the kernel, deletes ``<id>/`` (its data included), its
state entry, and its compiled modules in memory and in the cache dir: nothing is left behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelkit.kernel.settings import KernelSettings  # injectable; raw values for granted settings keys
from reelkit.sdk import Bus, DynamicEvent, Invoker, Paths, Plugins
from reelkit.sdk import read_bounded
from reelkit.sdk.files import atomic_write

from . import package
from .compiler import ModuleCache
from .errors import ManifestInvalid, ModuleInvalid, PackageInvalid, PluginExists, PluginNotInstalled
from .host import PluginHost
from .kv import KvStore
from .loader import Prepared, check_module, prepare as prepare_module
from .manifest import MANIFEST_NAME, Manifest, load_manifest, parse_manifest, read_module
from .runtime import PluginRuntime
from .settings import SandboxSettings
from .wasmplugin import WasmKernelPlugin

log = logging.getLogger("reelkit.sandbox")


@dataclass
class Loaded:
    manifest: Manifest
    plugin: WasmKernelPlugin
    host: PluginHost


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data, mode=0o644)


class SandboxService:
    """Installs, loads and unloads WASM plugins; owns their module cache and worker threads."""

    def __init__(self, paths: Paths, plugins: Plugins, invoker: Invoker, bus: Bus,
                 settings: SandboxSettings, settings_get=None):
        self.root = Path(paths.data_dir) / "wasm-plugins"
        self.root.mkdir(parents=True, exist_ok=True)
        self.cache = ModuleCache(Path(paths.cache_dir))
        self.plugins, self.invoker, self.bus, self.settings = plugins, invoker, bus, settings
        self.settings_get = settings_get
        self.executor = ThreadPoolExecutor(settings.worker_threads, thread_name_prefix="reelkit-wasm")
        self.loaded: dict[str, Loaded] = {}
        self.errors: dict[str, str] = {}
        self._lock = asyncio.Lock()

    # -- state ---------------------------------------------------------------------------------
    def _state(self) -> dict[str, dict[str, Any]]:
        try:
            return json.loads((self.root / "state.json").read_text())
        except FileNotFoundError:
            return {}

    def _save_state(self, state: dict[str, dict[str, Any]]) -> None:
        _atomic_write(self.root / "state.json", json.dumps(state, indent=2, sort_keys=True).encode())

    def installed(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if (p / MANIFEST_NAME).is_file())

    def _dir(self, plugin_id: str) -> Path:
        d = self.root / plugin_id
        if not (d / MANIFEST_NAME).is_file():
            raise PluginNotInstalled(f"no WASM plugin '{plugin_id}' is installed; see `reelkit plugins "
                                     f"installed`", details={"plugin": plugin_id})
        return d

    def _build_runtime(self, prep: Prepared, data_dir: Path) -> tuple[PluginRuntime, PluginHost]:
        man = prep.manifest

        def compile_slot(timeout_ms: int, fuel: int | None):
            return self.cache.compile(man, prep.wasm, wasi=prep.wasi, allowed_paths=prep.allowed_paths,
                                      timeout_ms=timeout_ms, fuel=fuel)

        kv = KvStore(data_dir / "kv.sqlite", man.id, man.permissions.storage.quota_bytes) \
            if man.permissions.storage else None
        host = PluginHost(man, invoke=self._invoke_sync, publish=self._publish,
                          settings_get=self.settings_get, kv=kv,
                          config=dict(self.settings.plugin_config.get(man.id, {})),
                          http_timeout_s=self.settings.http_timeout_s,
                          http_max_bytes=self.settings.http_max_bytes)
        # only modules whose every step fuel or reelkit bounds may run tries on the loop
        budget = self.settings.loop_budget_ms if prep.loop_safe else 0
        runtime = PluginRuntime(host, compile_slot, self.executor, budget)
        try:
            runtime.warm()  # instantiating links the imports: fail here, not on the first call
        except ValueError as e:
            raise ModuleInvalid(f"plugin '{man.id}': cannot instantiate {man.module.file}: {e}",
                                details={"plugin": man.id}) from e
        return runtime, host

    def _invoke_sync(self, command: str, payload: dict, grants: list[str], timeout: float) -> Any:
        return self.invoker.invoke_sync(command, payload, grants=grants, timeout=timeout)

    def _publish(self, topic: str, data: dict) -> None:
        self.bus.publish(DynamicEvent(topic=topic, data=data))

    # -- kernel registration -------------------------------------------------------------------
    async def _load(self, plugin_id: str) -> Loaded:
        d = self._dir(plugin_id)
        loop = asyncio.get_running_loop()

        def prepare() -> tuple[PluginRuntime, PluginHost, Manifest]:
            man = load_manifest(d)
            if man.id != plugin_id:
                raise ManifestInvalid(f"{d / MANIFEST_NAME}: id '{man.id}' does not match its "
                                      f"directory '{plugin_id}'; reinstall the plugin")
            prep = prepare_module(man, read_module(man, d), d / "data", str(d / man.module.file))
            runtime, host = self._build_runtime(prep, d / "data")
            return runtime, host, man

        runtime, host, man = await loop.run_in_executor(self.executor, prepare)
        try:
            self._check_name_free(man)
        except PluginExists:
            runtime.close()
            raise
        kplugin = WasmKernelPlugin(man, runtime)
        try:
            await self.plugins.register(kplugin, info=kplugin.info())
        except BaseException:
            runtime.close()
            if man.id in self.plugins:
                await self.plugins.unregister(man.id)
            raise
        loaded = Loaded(man, kplugin, host)
        self.loaded[man.id] = loaded
        self.errors.pop(man.id, None)
        return loaded

    @staticmethod
    def _reserved() -> set[str]:
        """Names of every builtin (loaded in this kernel or not) and the kernel's namespaces."""
        from reelkit.builtin_plugins import BUILTIN_PLUGINS
        from reelkit.kernel.plugins import builtin_name

        return {builtin_name(m) for m in BUILTIN_PLUGINS} | {"kernel", "job", "plugin", "sdk", "reelkit"}

    def _check_name_free(self, man: Manifest) -> None:
        if man.id in self._reserved() or (man.id in self.plugins and man.id not in self.loaded):
            raise PluginExists(f"plugin '{man.id}': a kernel plugin with that name already exists; a "
                               f"WASM plugin id must not reuse a builtin's or another plugin's "
                               f"namespace — choose another id", details={"plugin": man.id})

    async def _unload(self, plugin_id: str) -> None:
        loaded = self.loaded.pop(plugin_id, None)
        if loaded is None:
            return  # never touch a kernel plugin that is not one of ours
        try:
            if plugin_id in self.plugins:
                await self.plugins.unregister(plugin_id)
        finally:
            runtime = loaded.plugin.runtime
            runtime.close()
            if runtime.building is not None and not runtime.building.done():
                # a slot still compiling would write its cache entry after a removal cleared it
                await asyncio.wait([asyncio.wrap_future(runtime.building)], timeout=30)
            if loaded.host.kv is not None:
                loaded.host.kv.close()

    async def start(self) -> None:
        """Load every installed, enabled plugin; one that fails is recorded, the rest load."""
        state = self._state()
        for plugin_id in self.installed():
            if not state.get(plugin_id, {}).get("enabled", True):
                continue
            try:
                async with self._lock:
                    await self._load(plugin_id)
            except Exception as e:
                self.errors[plugin_id] = f"{getattr(e, 'code', type(e).__name__)}: {e}"
                log.warning("WASM plugin %s failed to load: %s", plugin_id, e)

    async def close(self) -> None:
        """Unload every plugin (idempotent)."""
        for plugin_id in list(self.loaded):
            try:
                await self._unload(plugin_id)
            except Exception:
                log.exception("unloading WASM plugin %s failed", plugin_id)
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- operations ----------------------------------------------------------------------------
    def _read_source(self, path: Path) -> tuple[Manifest, dict[str, bytes], str]:
        path = Path(path).expanduser()
        if path.is_file() and path.suffix == package.SUFFIX:
            man, files = package.read_package(path)
            return man, files, str(path)
        if path.is_file() and path.name == MANIFEST_NAME:
            path = path.parent
        if not path.is_dir():
            raise PackageInvalid(f"{path}: not a plugin directory, {MANIFEST_NAME} or {package.SUFFIX} "
                                 f"package", details={"path": str(path)})
        man = load_manifest(path)
        files = {MANIFEST_NAME: read_bounded(path / MANIFEST_NAME), man.module.file: read_module(man, path)}
        for extra in (package.README, package.LICENSE):
            if (path / extra).is_file():
                files[extra] = read_bounded(path / extra)
        return man, files, str(path)

    async def install(self, path: Path, *, replace: bool = False) -> Manifest:
        """Validate and install a plugin (directory, plugin.json or .rkp), then load it (hot)."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            man, files, source = await loop.run_in_executor(self.executor, self._read_source, path)
            # verify the module before anything touches the install dir
            wasm = files[man.module.file]
            parse_manifest(files[MANIFEST_NAME], source)
            await loop.run_in_executor(self.executor, check_module, man, wasm, source)
            self._check_name_free(man)
            target = self.root / man.id
            old_sha = None
            if (target / MANIFEST_NAME).exists():
                try:
                    old_sha = load_manifest(target).module.sha256
                except Exception:  # a broken install is being replaced
                    old_sha = None
            if (target / MANIFEST_NAME).exists() and not replace:
                raise PluginExists(f"WASM plugin '{man.id}' is already installed; remove it first or "
                                   f"install with replace (reelkit plugins install --replace)",
                                   details={"plugin": man.id})
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{man.id}.install-"))
            try:
                for name, data in files.items():
                    if name != package.CHECKSUMS:
                        _atomic_write(staging / name, data)
                old_data = target / "data"
                if old_data.is_dir():
                    shutil.move(str(old_data), staging / "data")
                await self._unload(man.id)
                if target.exists():
                    shutil.rmtree(target)
                os.replace(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            if old_sha and old_sha != man.module.sha256:
                await asyncio.get_running_loop().run_in_executor(self.executor, self.cache.forget, old_sha)
            state = self._state()
            state[man.id] = {"enabled": True}
            self._save_state(state)
            try:
                await self._load(man.id)
            except Exception as e:
                self.errors[man.id] = f"{getattr(e, 'code', type(e).__name__)}: {e}"
                raise
            return man

    async def remove(self, plugin_id: str) -> None:
        async with self._lock:
            d = self._dir(plugin_id)
            sha = load_manifest(d).module.sha256 if (d / MANIFEST_NAME).is_file() else None
            await self._unload(plugin_id)
            shutil.rmtree(d)
            state = self._state()
            state.pop(plugin_id, None)
            self._save_state(state)
            self.errors.pop(plugin_id, None)
            if sha:
                await asyncio.get_running_loop().run_in_executor(self.executor, self.cache.forget, sha)

    async def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        async with self._lock:
            self._dir(plugin_id)
            state = self._state()
            state[plugin_id] = {**state.get(plugin_id, {}), "enabled": enabled}
            self._save_state(state)
            if enabled and plugin_id not in self.loaded:
                try:
                    await self._load(plugin_id)
                except Exception as e:
                    self.errors[plugin_id] = f"{getattr(e, 'code', type(e).__name__)}: {e}"
                    raise
            elif not enabled:
                await self._unload(plugin_id)
                self.errors.pop(plugin_id, None)

    async def reload(self, plugin_id: str) -> Manifest:
        """Re-read the installed files and swap the running plugin (hot)."""
        async with self._lock:
            self._dir(plugin_id)
            await self._unload(plugin_id)
            try:
                return (await self._load(plugin_id)).manifest
            except Exception as e:
                self.errors[plugin_id] = f"{getattr(e, 'code', type(e).__name__)}: {e}"
                raise

    def describe(self, plugin_id: str) -> dict[str, Any]:
        d = self._dir(plugin_id)
        enabled = self._state().get(plugin_id, {}).get("enabled", True)
        try:
            man = load_manifest(d)
        except Exception as e:
            return {"id": plugin_id, "state": "failed", "enabled": enabled, "error": str(e)}
        loaded = self.loaded.get(plugin_id)
        state = "active" if loaded else ("failed" if plugin_id in self.errors else "disabled")
        out: dict[str, Any] = {
            "id": man.id, "name": man.name, "version": man.version, "description": man.description,
            "publisher": man.publisher, "license": man.license, "authors": man.authors, "api": man.api,
            "enabled": enabled, "state": state, "error": self.errors.get(plugin_id),
            "commands": [man.command_id(e.function) for e in man.exports],
            "subscriptions": [s.topic for s in man.subscriptions],
            "permissions": man.permissions.model_dump(mode="json", exclude_none=True),
            "limits": man.limits.model_dump(mode="json"), "module": man.module.model_dump(),
        }
        if loaded:
            out["stats"] = vars(loaded.plugin.runtime.stats).copy()
            # 0: every call on a worker (budget 0, or a module fuel cannot bound: WASI, bulk memory …)
            out["loop_budget_ms"] = loaded.plugin.runtime.budget_ms
        return out


def service_factory(holder: dict[str, Any]):
    """The kernel-service factory; ``holder['svc']`` lets the plugin's start hook find it."""

    async def create(paths: Paths, plugins: Plugins, invoker: Invoker, bus: Bus,
                     settings: SandboxSettings, kernel_settings: KernelSettings):
        def settings_get(key: str) -> Any:
            section, _, name = key.partition(".")
            value = kernel_settings.raw.get(section, {})
            return value.get(name) if isinstance(value, dict) else None

        svc = SandboxService(paths, plugins, invoker, bus, settings, settings_get)
        holder["svc"] = svc
        try:
            yield svc
        finally:
            await svc.close()

    return create
