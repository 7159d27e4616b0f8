"""The sandbox service: installed WASM plugins on disk, and their life in a running kernel.

Layout under ``Paths.data_dir / "wasm-plugins"``::

    state.json                 {"<id>": {"enabled": bool, "consent": "sha256:…"}}   (atomic rewrite)
    <id>/plugin.json           the manifest as installed (never inside a guest-mapped directory)
    <id>/<module>.wasm         the module (sha256 checked on every load)
    <id>/README.md, LICENSE
    <id>/data/                 '{data}': the only place '{data}…' filesystem grants resolve to
    <id>/storage/kv.sqlite     its key-value storage (not guest-mapped: the quota holds)

Removing a plugin unregisters it from the kernel, deletes ``<id>/`` (its data included), its
state entry, and its compiled modules in memory and in the cache dir: nothing is left behind.

Installs are atomic: the package is read, checked, consented to and instantiated once (start-up
code included) before anything is written; the files are staged in a temporary folder and swapped
in; if the new version then fails to load, the previous one is put back and loaded again. A
refused or failed install leaves the disk as it was. Operations on one plugin hold that plugin's
lock only: nothing waits on another plugin's guest code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
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
from .consent import ConsentRequired, check_consent, permissions_digest
from .errors import (GuestTimeout, ManifestInvalid, ModuleInvalid, PackageInvalid, PluginExists,
                     PluginNotInstalled)
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


def _error_text(e: BaseException) -> str:
    return f"{getattr(e, 'code', type(e).__name__)}: {e}"


async def _in_context(ctx: contextvars.Context, coro: Any) -> Any:
    """Run ``coro`` on the loop with the calling thread's call context (grants, depth, plugin chain)."""
    from reelkit.kernel.commands import current_call

    token = current_call.set(ctx.get(current_call))
    try:
        return await coro
    finally:
        current_call.reset(token)


class SandboxService:
    """Installs, loads and unloads WASM plugins; owns their module cache and worker threads."""

    def __init__(self, paths: Paths, plugins: Plugins, invoker: Invoker, bus: Bus,
                 settings: SandboxSettings, settings_get=None):
        self.root = Path(paths.data_dir) / "wasm-plugins"
        self.root.mkdir(parents=True, exist_ok=True)
        self.cache = ModuleCache(Path(paths.cache_dir))
        self.plugins, self.invoker, self.bus, self.settings = plugins, invoker, bus, settings
        self.settings_get = settings_get
        # install / load work (reading, checking, compiling); guest calls run on each plugin's own threads
        self.executor = ThreadPoolExecutor(4, thread_name_prefix="reelkit-wasm-admin")
        self.loaded: dict[str, Loaded] = {}
        self.errors: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # each plugin id's loading work (which runs its start-up code, up to its time limit) on a
        # thread of its own: one plugin's slow start never queues another's reload in a shared pool
        self._loaders: dict[str, ThreadPoolExecutor] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    async def _on_own_thread(self, plugin_id: str, fn, *args: Any) -> Any:
        ex = self._loaders.get(plugin_id)
        if ex is None:
            ex = self._loaders[plugin_id] = ThreadPoolExecutor(1, thread_name_prefix=f"reelkit-wasm-load-{plugin_id}")
        return await asyncio.get_running_loop().run_in_executor(ex, fn, *args)

    def _lock(self, plugin_id: str) -> asyncio.Lock:
        """One lock per plugin id: installing, reloading or removing one never waits on another."""
        lock = self._locks.get(plugin_id)
        if lock is None:
            lock = self._locks[plugin_id] = asyncio.Lock()
        return lock

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

    def _build_runtime(self, prep: Prepared, storage_dir: Path) -> tuple[PluginRuntime, PluginHost]:
        """A runtime with its first instance made (links checked, start-up code run under its limit)."""
        man = prep.manifest

        def compile_slot(timeout_ms: int, fuel: int | None):
            return self.cache.compile(man, prep.wasm, wasi=prep.wasi, allowed_paths=prep.allowed_paths,
                                      timeout_ms=timeout_ms, fuel=fuel)

        kv = KvStore(storage_dir / "kv.sqlite", man.id, man.permissions.storage.quota_bytes) \
            if man.permissions.storage else None
        st = self.settings
        host = PluginHost(man, invoke=self._invoke_sync, publish=self._publish,
                          settings_get=self.settings_get, kv=kv,
                          config=dict(st.plugin_config.get(man.id, {})),
                          http_timeout_s=st.http_timeout_s, http_max_bytes=st.http_max_bytes,
                          max_log_bytes=st.max_log_bytes_per_call, max_events=st.max_events_per_call)
        # only modules whose every step fuel or reelkit bounds may run tries on the loop
        budget = st.loop_budget_ms if prep.loop_safe else 0
        runtime = PluginRuntime(host, compile_slot, st.worker_threads, budget, startup=prep.startup)
        try:
            runtime.warm()  # instantiating links the imports: fail here, not on the first call
        except ValueError as e:
            runtime.close()
            if kv is not None:
                kv.close()
            raise ModuleInvalid(f"plugin '{man.id}': cannot instantiate {man.module.file}: {e}; its imports "
                                f"must have the reelkit SDK's exact types (rebuild it against sdk/wasm)",
                                details={"plugin": man.id}) from e
        except BaseException:
            runtime.close()
            if kv is not None:
                kv.close()
            raise
        return runtime, host

    def _invoke_sync(self, command: str, payload: dict, grants: list[str], timeout: float) -> Any:
        """A guest's ``invoke``, from its worker thread: runs on the kernel's loop with the calling
        call's context, so the call chain's grants and depth carry over and narrow further."""
        loop = self.loop
        if loop is None:
            raise RuntimeError("the sandbox service has no event loop")
        ctx = contextvars.copy_context()
        fut = asyncio.run_coroutine_threadsafe(
            _in_context(ctx, self.invoker.invoke(command, payload, grants=grants)), loop)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise GuestTimeout(f"invoke {command} did not finish within the {timeout * 1000:.0f} ms left of "
                               f"the calling plugin's time limit (limits.time_ms); it was cancelled",
                               details={"command": command, "timeout_s": timeout}) from None

    def _publish(self, topic: str, data: dict) -> None:
        self.bus.publish(DynamicEvent(topic=topic, data=data))

    # -- kernel registration -------------------------------------------------------------------
    def _check_consented(self, man: Manifest, where: Path) -> None:
        """The installed manifest asks for exactly what was consented to (a hand-edited one does not load)."""
        entry = self._state().get(man.id, {})
        consented = entry.get("consent")
        if consented is not None and consented != permissions_digest(man):
            raise ConsentRequired(
                f"{where / MANIFEST_NAME}: plugin '{man.id}' asks for permissions other than the ones consented "
                f"to at install ({consented}); the installed manifest was changed — reinstall the plugin "
                f"and consent again", details={"plugin": man.id, "consented": consented,
                                                "digest": permissions_digest(man)})

    async def _load(self, plugin_id: str) -> Loaded:
        d = self._dir(plugin_id)

        def prepare() -> tuple[PluginRuntime, PluginHost, Manifest]:
            man = load_manifest(d)
            if man.id != plugin_id:
                raise ManifestInvalid(f"{d / MANIFEST_NAME}: id '{man.id}' does not match its "
                                      f"directory '{plugin_id}'; reinstall the plugin")
            self._check_consented(man, d)
            old_kv = d / "data" / "kv.sqlite"  # where storage lived before it left the guest-mappable folder
            if old_kv.is_file() and not (d / "storage" / "kv.sqlite").exists():
                (d / "storage").mkdir(exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    if Path(f"{old_kv}{suffix}").exists():
                        os.replace(f"{old_kv}{suffix}", d / "storage" / f"kv.sqlite{suffix}")
            prep = prepare_module(man, read_module(man, d), d / "data", str(d / man.module.file),
                                  protected=self.root)
            runtime, host = self._build_runtime(prep, d / "storage")
            return runtime, host, man

        runtime, host, man = await self._on_own_thread(plugin_id, prepare)
        try:
            self._check_name_free(man)
        except PluginExists:
            runtime.close()
            raise
        kplugin = WasmKernelPlugin(man, runtime, max_failures=self.settings.subscriber_max_failures)
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
                async with self._lock(plugin_id):
                    await self._load(plugin_id)
            except Exception as e:
                self.errors[plugin_id] = _error_text(e)
                log.warning("WASM plugin %s failed to load: %s", plugin_id, e)

    async def close(self) -> None:
        """Unload every plugin (idempotent)."""
        for plugin_id in list(self.loaded):
            try:
                await self._unload(plugin_id)
            except Exception:
                log.exception("unloading WASM plugin %s failed", plugin_id)
        self.executor.shutdown(wait=False, cancel_futures=True)
        for ex in self._loaders.values():
            ex.shutdown(wait=False, cancel_futures=True)

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

    def _trial(self, man: Manifest, wasm: bytes, source: str) -> None:
        """Compile and instantiate the new version once, start-up code included, in a scratch folder.

        Link failures (imports with the right names but the wrong types), start-up code that loops
        or traps: all are found here, before the install touches the disk.
        """
        with tempfile.TemporaryDirectory(prefix=f"reelkit-trial-{man.id}-") as scratch:
            prep = prepare_module(man, wasm, Path(scratch) / "data", source)
            runtime, host = self._build_runtime(prep, Path(scratch) / "storage")
            runtime.close()
            if host.kv is not None:
                host.kv.close()

    async def install(self, path: Path, *, replace: bool = False,
                      consent: str | list[Any] | None = None) -> Manifest:
        """Validate, consent-check and install a plugin (directory, plugin.json or .rkp), then load it (hot).

        ``consent`` is the permission list (or its digest) a person agreed to; see
        :mod:`sandbox.consent`. Nothing is written unless every check passed; a failed replace leaves
        the previous version installed and active.
        """
        loop = asyncio.get_running_loop()
        man, files, source = await loop.run_in_executor(self.executor, self._read_source, path)
        wasm = files[man.module.file]
        parse_manifest(files[MANIFEST_NAME], source)
        await loop.run_in_executor(self.executor, check_module, man, wasm, source)
        self._check_name_free(man)
        async with self._lock(man.id):
            target = self.root / man.id
            old_man: Manifest | None = None
            exists = (target / MANIFEST_NAME).exists()
            if exists and not replace:
                raise PluginExists(f"WASM plugin '{man.id}' is already installed; remove it first or "
                                   f"install with replace (reelkit plugins install --replace)",
                                   details={"plugin": man.id})
            if exists:
                try:
                    old_man = load_manifest(target)
                    if self._state().get(man.id, {}).get("consent") not in (None, permissions_digest(old_man)):
                        old_man = None  # its manifest was altered after consent: consent to all again
                except Exception:  # a broken install is being replaced: nothing of it was consented
                    old_man = None
            check_consent(old_man, man, consent)
            await self._on_own_thread(man.id, self._trial, man, wasm, source)
            was_loaded = man.id in self.loaded
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{man.id}.install-"))
            backup = self.root / f".{man.id}.previous-{staging.name.rsplit('-', 1)[-1]}"
            try:
                for name, data in files.items():
                    if name != package.CHECKSUMS:
                        _atomic_write(staging / name, data)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            await self._unload(man.id)
            state = self._state()
            previous_state = state.get(man.id)
            fresh = not target.exists()
            try:
                if not fresh:
                    os.replace(target, backup)
                    for keep in ("data", "storage"):
                        if (backup / keep).is_dir():
                            shutil.move(str(backup / keep), staging / keep)
                os.replace(staging, target)
                state[man.id] = {"enabled": True, "consent": permissions_digest(man)}
                self._save_state(state)
                await self._load(man.id)
            except BaseException:
                # put the previous version back, data included, and load it again as it was
                if previous_state is None:
                    state.pop(man.id, None)
                else:
                    state[man.id] = previous_state
                self._save_state(state)
                await self._restore(man.id, target, backup, staging, was_loaded, fresh)
                raise
            shutil.rmtree(backup, ignore_errors=True)
            if old_man is not None and old_man.module.sha256 != man.module.sha256:
                await loop.run_in_executor(self.executor, self.cache.forget, old_man.module.sha256)
            self.errors.pop(man.id, None)
            return man

    async def _restore(self, plugin_id: str, target: Path, backup: Path, scratch: Path, reload: bool,
                       fresh: bool) -> None:
        """Undo a swap: the previous version (if any) back at ``target`` with its data."""
        await self._unload(plugin_id)
        if target.exists() and (backup.exists() or fresh):  # the new version is at target: take it out
            shutil.rmtree(scratch, ignore_errors=True)
            os.replace(target, scratch)
        if backup.exists():
            for keep in ("data", "storage"):
                if (scratch / keep).is_dir():
                    shutil.move(str(scratch / keep), backup / keep)
            os.replace(backup, target)
        shutil.rmtree(scratch, ignore_errors=True)
        if reload and (target / MANIFEST_NAME).exists():
            try:
                await self._load(plugin_id)
            except Exception as e:  # it loaded before: record why it no longer does
                self.errors[plugin_id] = _error_text(e)

    async def remove(self, plugin_id: str) -> None:
        async with self._lock(plugin_id):
            d = self._dir(plugin_id)
            sha = load_manifest(d).module.sha256 if (d / MANIFEST_NAME).is_file() else None
            await self._unload(plugin_id)
            shutil.rmtree(d)
            state = self._state()
            state.pop(plugin_id, None)
            self._save_state(state)
            self.errors.pop(plugin_id, None)
            loader = self._loaders.pop(plugin_id, None)
            if loader is not None:
                loader.shutdown(wait=False)
            if sha:
                await asyncio.get_running_loop().run_in_executor(self.executor, self.cache.forget, sha)

    async def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        async with self._lock(plugin_id):
            self._dir(plugin_id)
            state = self._state()
            state[plugin_id] = {**state.get(plugin_id, {}), "enabled": enabled}
            self._save_state(state)
            if enabled and plugin_id not in self.loaded:
                try:
                    await self._load(plugin_id)
                except Exception as e:
                    self.errors[plugin_id] = _error_text(e)
                    raise
            elif not enabled:
                await self._unload(plugin_id)
                self.errors.pop(plugin_id, None)

    async def reload(self, plugin_id: str) -> Manifest:
        """Re-read the installed files and swap the running plugin (hot)."""
        async with self._lock(plugin_id):
            self._dir(plugin_id)
            await self._unload(plugin_id)
            try:
                return (await self._load(plugin_id)).manifest
            except Exception as e:
                self.errors[plugin_id] = _error_text(e)
                raise

    async def consent_preview(self, path: Path) -> dict[str, Any]:
        """What installing ``path`` would ask for (nothing is written): for the CLI and marketplace."""
        from .consent import permission_diff, permissions

        man, _files, _source = await asyncio.get_running_loop().run_in_executor(self.executor, self._read_source, path)
        old = None
        if (self.root / man.id / MANIFEST_NAME).exists():
            try:
                old = load_manifest(self.root / man.id)
            except Exception:
                old = None
        return {"id": man.id, "version": man.version, "digest": permissions_digest(man),
                "permissions": [p.as_dict() for p in permissions(man)],
                "diff": permission_diff(old, man).as_dict()}

    def enable_subscriptions(self, plugin_id: str) -> list[str]:
        self._dir(plugin_id)
        loaded = self.loaded.get(plugin_id)
        return loaded.plugin.enable_subscriptions() if loaded else []

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
        from .consent import permissions as permission_list

        out["permission_list"] = [p.as_dict() for p in permission_list(man)]
        out["consent"] = self._state().get(plugin_id, {}).get("consent")
        if loaded:
            out["disabled_subscriptions"] = dict(loaded.plugin.disabled)
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
        svc.loop = asyncio.get_running_loop()
        holder["svc"] = svc
        try:
            yield svc
        finally:
            await svc.close()

    return create
