"""Plugins: discovery (builtins list, entry points, explicit objects), dependency order, isolation.

Each plugin gets a :class:`PluginContext` in ``reelkit_setup``; everything it adds goes through the
context, which keeps the disposers, so unloading a plugin removes exactly what it added (npe2's idea).
Each hook implementation is called on its own: one that raises disables its plugin, nothing else.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pluggy
from pydantic import BaseModel, ConfigDict, Field

from . import hookspecs
from .commands import CommandSpec, json_schema_validator, resolve_signature
from .errors import ExtraMissing, KernelError, NotFound, PluginDisabled, PluginFailed
from .events import Event, Subscription
from .services import type_name
from .logs import get_logger

if TYPE_CHECKING:
    from .kernel import Kernel
    from .settings import Paths, SettingsSection

__all__ = ["PluginInfo", "PluginState", "PluginContext", "Plugins", "HealthResult"]

log = get_logger("reelkit.plugins")
T = TypeVar("T")


def builtin_name(module: str) -> str:
    """``reelkit.builtin_plugins.media`` → ``media``; ``reelkit.sandbox.plugin`` → ``sandbox``."""
    return module.removeprefix("reelkit.").removeprefix("builtin_plugins.").split(".", 1)[0]


class PluginInfo(BaseModel):
    """What a plugin says of itself."""

    model_config = ConfigDict(defer_build=True)
    name: str = Field(description="Unique plugin name (the namespace of its commands)")
    version: str = Field("0.0.0", description="The plugin's version")
    summary: str = Field("", description="One line on what it does")
    requires: list[str] = Field(default_factory=list, description="Plugins that must be active first")
    after: list[str] = Field(default_factory=list, description="Plugins to set up first when present")


class PluginState(BaseModel):
    model_config = ConfigDict(defer_build=True)

    name: str
    version: str = "0.0.0"
    summary: str = ""
    source: Literal["builtin", "entry_point", "explicit", "runtime"] = "explicit"
    state: Literal["active", "disabled", "failed"] = "active"
    error: dict[str, Any] | None = None
    requires: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    health_checks: list[str] = Field(default_factory=list)


class PluginStarted(Event, topic="plugin.started"):
    """A plugin is active: its commands, services and subscriptions are in place."""

    plugin: PluginState


class PluginFailedEvent(Event, topic="plugin.failed"):
    """A plugin was disabled because it failed; ``plugin.error`` says why."""

    plugin: PluginState


class PluginStopped(Event, topic="plugin.stopped"):
    """A plugin was removed at run time; everything it added is gone."""

    plugin: PluginState


PLUGIN_EVENTS = (PluginStarted, PluginFailedEvent, PluginStopped)


class HealthResult(BaseModel):
    model_config = ConfigDict(defer_build=True)

    state: Literal["ok", "warn", "error"] = Field("ok", description="ok, warn or error")
    detail: str = Field("", description="What was checked, or what is wrong and how to fix it")


async def await_maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@dataclass(eq=False)
class _Plugin:
    name: str
    obj: Any
    source: str
    info: PluginInfo
    state: PluginState
    ctx: PluginContext | None = None
    pending_commands: list[CommandSpec] = field(default_factory=list)


class PluginContext:
    """What a plugin adds, and the way it adds it. Passed to ``reelkit_setup``/``start``/``stop``."""

    def __init__(self, kernel: Kernel, plugin: _Plugin) -> None:
        self._kernel = kernel
        self._plugin = plugin
        self.name = plugin.name
        self.info = plugin.info
        self._disposers: list[Callable[[], Any]] = []

    # -- read-only views -------------------------------------------------------------------------
    @property
    def paths(self) -> Paths:
        return self._kernel.paths

    @property
    def bus(self) -> Any:
        return self._kernel.bus

    # -- adding things ---------------------------------------------------------------------------
    def get(self, svc_type: type[T]) -> T:
        """A kernel-lifetime service instance (from ``reelkit_start`` on), e.g. the plugin's own."""
        try:
            return self._kernel.services.instances[svc_type]
        except KeyError:
            raise NotFound(f"no kernel service {type_name(svc_type)} exists (yet)",
                           details={"service": type_name(svc_type)}) from None

    def add_settings(self, cls: type[SettingsSection]) -> Any:
        """Validate the section ``cls.section`` now; inject it by type from then on."""
        value = self._kernel.settings.section(cls)
        self._kernel.services.add_value(cls, value, owner=self.name)
        self._disposers.append(lambda: self._kernel.services.specs.pop(cls, None))
        return value

    def add_service(self, svc_type: Any, factory: Callable[..., Any], lifetime: str = "kernel") -> None:
        if lifetime not in ("kernel", "invocation"):
            raise ValueError(f"lifetime must be 'kernel' or 'invocation', not {lifetime!r}")
        self._disposers.append(self._kernel.services.add(svc_type, factory, lifetime, self.name))  # type: ignore[arg-type]
        self._plugin.state.services.append(type_name(svc_type))

    def add_commands(self, *handlers: Callable[..., Any]) -> None:
        for h in handlers:
            self.add_command(h)

    def add_command(self, handler: Callable[..., Any]) -> None:
        spec: CommandSpec | None = getattr(handler, "__reelkit_command__", None)
        if spec is None:
            raise TypeError(f"{handler!r} is not a command: decorate it with @command(...)")
        spec = CommandSpec(id=spec.id, handler=spec.handler, summary=spec.summary, capability=spec.capability,
                           job=spec.job, is_async=spec.is_async, plugin=self.name)
        resolve_signature(spec)
        self._register(spec)

    def add_commands_from(self, module: str) -> None:
        """Register the commands of ``module`` from its manifest; import it on their first call.

        Without a manifest (see :mod:`kernel.manifest`) the module is imported now, as with
        :meth:`add_commands`.
        """
        from .manifest import commands_in, read_manifest

        self._kernel.command_modules.add(module)
        manifest = read_manifest(module)
        if manifest is None:
            import importlib

            for marked in commands_in(importlib.import_module(module)):
                self.add_command(marked.handler)
            return
        for entry in manifest["commands"]:
            self._register(CommandSpec(
                id=entry["id"], handler=None, summary=entry["summary"], capability=entry["capability"],  # type: ignore[arg-type]
                job=entry["job"], plugin=self.name, input_json_schema=entry["input"],
                output_json_schema=entry["result"], module=module))

    def add_dynamic_command(
        self, id: str, handler: Callable[..., Any], *, input_schema: dict[str, Any] | None = None,
        output_schema: dict[str, Any] | None = None, summary: str = "", capability: str | None = None,
    ) -> None:
        """A command validated by JSON Schema: ``async handler(payload: dict, call: CallContext) -> dict``."""
        schema = input_schema or {"type": "object"}
        validator = json_schema_validator(schema, f"{id}: input_schema")
        spec = CommandSpec(
            id=id, handler=handler, summary=summary, capability=capability or id.split(".", 1)[0],
            plugin=self.name, input_json_schema=schema, output_json_schema=output_schema,
            is_async=inspect.iscoroutinefunction(handler), input_param="payload",
        )
        spec.injections = {"call": "call"}
        spec._validator = validator
        self._register(spec)

    def _register(self, spec: CommandSpec) -> None:
        self._disposers.append(self._kernel.commands.add(spec))
        self._plugin.state.commands.append(spec.id)
        if self._kernel.running and self._plugin.state.state == "active" and self._plugin.ctx is self:
            self._kernel._activate_command(spec)
        else:
            self._plugin.pending_commands.append(spec)

    def add_events(self, *types: type) -> None:
        for t in types:
            self._disposers.append(self._kernel.events.add(t))
            self._plugin.state.events.append(getattr(t, "topic", type_name(t)))

    def add_health_check(self, name: str, check: Callable[..., Any]) -> None:
        key = f"{self.name}.{name}"
        self._kernel.health_checks[key] = check
        self._plugin.state.health_checks.append(key)
        self._disposers.append(lambda: self._kernel.health_checks.pop(key, None))

    def subscribe(self, pattern: str | type, handler: Callable[[Any], Any], **kw: Any) -> Subscription:
        sub = self._kernel.bus.subscribe(pattern, handler, name=f"{self.name}:{getattr(handler, '__name__', '')}", **kw)
        self._disposers.append(sub.dispose)
        return sub

    def set_job_limit(self, kind: str, n: int) -> None:
        self._disposers.append(self._kernel.jobs.set_limit(kind, n))

    def on_dispose(self, fn: Callable[[], Any]) -> None:
        self._disposers.append(fn)

    def call_hook(self, name: str, **kwargs: Any) -> list[Any]:
        """Call hook ``name`` on every active plugin implementing it, isolated; returns their results."""
        return self._kernel.plugins.call_each(name, **kwargs)

    def _dispose_now(self) -> list[Any]:
        """Run every disposer, newest first; returns the awaitables some of them gave back."""
        pending = []
        while self._disposers:
            fn = self._disposers.pop()
            try:
                result = fn()
                if inspect.isawaitable(result):
                    pending.append(result)
            except Exception:
                log.exception("disposer failed", plugin=self.name)
        return pending

    async def _dispose(self) -> None:
        for awaitable in self._dispose_now():
            try:
                await awaitable
            except Exception:
                log.exception("disposer failed", plugin=self.name)


class Plugins:
    """The plugin manager of one kernel: pluggy underneath, with per-plugin isolation."""

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self.pm = pluggy.PluginManager("reelkit")
        self.pm.add_hookspecs(hookspecs)
        self._plugins: dict[str, _Plugin] = {}

    # -- discovery -------------------------------------------------------------------------------
    def load_builtins(self, names: Iterable[str]) -> None:
        for modname in names:
            short = builtin_name(modname)
            try:
                module = importlib.import_module(modname)
            except Exception as e:
                self._failed_import(short, "builtin", e)
                continue
            self.add(module, source="builtin", default_name=short)

    def load_entry_points(self, group: str = "reelkit.plugins") -> None:
        from stevedore import ExtensionManager

        def on_failure(_mgr: Any, ep: Any, err: BaseException) -> None:
            self._failed_import(ep.name, "entry_point", err)

        mgr = ExtensionManager(namespace=group, invoke_on_load=False, on_load_failure_callback=on_failure)
        for ext in mgr.extensions:
            self.add(ext.plugin, source="entry_point", default_name=ext.name)

    def _failed_import(self, name: str, source: str, err: BaseException) -> None:
        log.error("plugin failed to load", plugin=name, error=f"{type(err).__name__}: {err}")
        state = PluginState(name=name, source=source, state="failed",  # type: ignore[arg-type]
                            error=PluginFailed(f"plugin {name} failed to load: {type(err).__name__}: {err}").to_dict())
        self._plugins[name] = _Plugin(name, None, source, PluginInfo(name=name), state)

    def add(self, obj: Any, *, source: str = "explicit", default_name: str | None = None,
            info: PluginInfo | None = None) -> str:
        """Register a plugin object (module or instance with hookimpls); returns its name."""
        name = info.name if info else default_name or getattr(obj, "__name__", type(obj).__name__).rsplit(".", 1)[-1]
        if info is None:
            try:
                impl = getattr(obj, "reelkit_plugin_info", None)
                if impl is not None:
                    info = impl()
                    name = info.name  # type: ignore[union-attr]
            except Exception as e:
                self._failed_import(name, source, e)
                return name
        info = info or PluginInfo(name=name)
        if name in self._plugins and self._plugins[name].state.state != "failed":
            raise PluginFailed(f"a plugin named {name!r} is already registered; rename one of them")
        disabled = name in self._kernel.settings.plugins.disabled
        state = PluginState(name=name, version=info.version, summary=info.summary, source=source,  # type: ignore[arg-type]
                            requires=list(info.requires), state="disabled" if disabled else "active")
        self._plugins[name] = _Plugin(name, obj, source, info, state)
        if not disabled:
            self.pm.register(obj, name=name)
        return name

    # -- isolation -------------------------------------------------------------------------------
    def _impls(self, hook: str) -> list[Any]:
        caller = getattr(self.pm.hook, hook, None)
        return [] if caller is None else caller.get_hookimpls()

    def call_one(self, plugin: str, hook: str, **kwargs: Any) -> Any:
        """Call ``plugin``'s implementation of ``hook`` (None if it has none). Exceptions propagate."""
        for impl in self._impls(hook):
            if impl.plugin_name == plugin:
                return impl.function(*[kwargs[a] for a in impl.argnames])
        return None

    def call_each(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call every active implementation of ``hook``; a failing one disables its plugin."""
        results = []
        for impl in self._impls(hook):
            p = self._plugins.get(impl.plugin_name)
            if p is None or p.state.state != "active":
                continue
            try:
                results.append(impl.function(*[kwargs[a] for a in impl.argnames]))
            except Exception as e:
                self.fail(impl.plugin_name, e, hook=hook)
        return results

    def raise_if_unavailable(self, command_id: str) -> None:
        """``plugin.disabled`` for a command of a plugin that is disabled or failed (it may never have
        registered its commands), with the reason; nothing for an unknown namespace."""
        p = self._plugins.get(command_id.split(".", 1)[0])
        if p is None or p.state.state == "active":
            return
        why = (p.state.error or {}).get("message") or "disabled in settings ([plugins] disabled)"
        raise PluginDisabled(f"{command_id} is unavailable: plugin {p.name} is {p.state.state}: {why}",
                             details={"command": command_id, "plugin": p.name, "state": p.state.state,
                                      "reason": p.state.error})

    def fail(self, name: str, err: BaseException, *, hook: str = "") -> None:
        """Disable plugin ``name`` for ``err``: remove all it added, schedule its cleanup, report it."""
        p = self._plugins.get(name)
        if p is None or p.state.state == "failed":
            return
        where = f" in {hook}" if hook else ""
        error = err.to_dict() if isinstance(err, KernelError) else {
            "code": "plugin.failed", "message": f"plugin {name} failed{where}: {type(err).__name__}: {err}"}
        # a missing optional extra is a choice of install, not a fault: say it without alarm
        (log.warning if isinstance(err, ExtraMissing) else log.error)(
            "plugin disabled", plugin=name, hook=hook, error=error["message"])
        p.state.state, p.state.error = "failed", error
        self._kernel.bus.publish(PluginFailedEvent(plugin=p.state.model_copy()))
        if self.pm.is_registered(p.obj):
            self.pm.unregister(p.obj)
        if p.ctx is not None:  # commands, subscriptions, checks go now; async cleanups right after
            pending = p.ctx._dispose_now()
            if self._kernel.running or pending:
                self._kernel._spawn(self._teardown(p, pending))

    async def _teardown(self, p: _Plugin, pending: list[Any] = ()) -> None:  # type: ignore[assignment]
        for awaitable in pending:
            try:
                await awaitable
            except Exception:
                log.exception("disposer failed", plugin=p.name)
        if p.ctx is not None:
            await p.ctx._dispose()
        await self._kernel.services.close(owner=p.name)

    # -- lifecycle -------------------------------------------------------------------------------
    def order(self) -> list[_Plugin]:
        """Active plugins, each after the plugins it requires; missing requirements fail the dependent."""
        out: list[_Plugin] = []
        visiting: set[str] = set()

        def visit(p: _Plugin) -> bool:
            if p in out:
                return True
            if p.state.state != "active" or p.name in visiting:
                return False
            visiting.add(p.name)
            for req in p.info.requires:
                dep = self._plugins.get(req)
                if dep is None or not visit(dep):
                    why = "is not installed" if dep is None else f"is {dep.state.state}"
                    self.fail(p.name, PluginFailed(f"plugin {p.name} requires plugin {req}, which {why}"))
                    return False
            for soft in p.info.after:
                if soft in self._plugins:
                    visit(self._plugins[soft])
            out.append(p)
            return True

        for p in list(self._plugins.values()):
            visit(p)
        return [p for p in out if p.state.state == "active"]

    def addhooks(self) -> None:
        for p in self.order():
            try:
                self.call_one(p.name, "reelkit_addhooks", pluginmanager=self.pm)
            except Exception as e:
                self.fail(p.name, e, hook="reelkit_addhooks")

    def setup(self, p: _Plugin) -> bool:
        p.ctx = PluginContext(self._kernel, p)
        try:
            self.call_one(p.name, "reelkit_setup", ctx=p.ctx)
        except Exception as e:
            self.fail(p.name, e, hook="reelkit_setup")
            return False
        return True

    async def activate(self, p: _Plugin) -> bool:
        """Create the plugin's kernel services, arm its commands, run its start hook."""
        services = self._kernel.services
        try:
            mine = [t for t, s in services.specs.items() if s.owner == p.name and s.lifetime == "kernel"]
            for t in services.specs:
                if services.specs[t].owner == p.name:
                    services.check(t)
            for t in services.order(mine):
                await services.create(t)
            for spec in p.pending_commands:
                self._kernel._activate_command(spec)
            p.pending_commands.clear()
            await await_maybe(self.call_one(p.name, "reelkit_start", ctx=p.ctx))
        except Exception as e:
            self.fail(p.name, e, hook="start")
            return False
        self._kernel.bus.publish(PluginStarted(plugin=p.state.model_copy()))
        return True

    async def register(self, obj: Any, *, info: PluginInfo | None = None) -> str:
        """Add a plugin while the kernel runs (hot): set it up and start it now."""
        name = self.add(obj, source="runtime", info=info)
        p = self._plugins[name]
        if p.state.state == "active":
            self.call_one(name, "reelkit_addhooks", pluginmanager=self.pm)
            for req in p.info.requires:
                if self._plugins.get(req) is None or self._plugins[req].state.state != "active":
                    self.fail(name, PluginFailed(f"plugin {name} requires plugin {req}, which is not active"))
            if p.state.state == "active" and self.setup(p):
                await self.activate(p)
        if p.state.state == "failed":
            raise PluginFailed(p.state.error["message"] if p.state.error else f"plugin {name} failed",
                               details={"plugin": name})
        return name

    async def unregister(self, name: str) -> None:
        """Stop and remove a plugin: every command, service, subscription and check it added."""
        p = self._plugins.get(name)
        if p is None:
            raise NotFound(f"no plugin named {name!r}", details={"plugin": name})
        if p.state.state == "active" and p.ctx is not None:
            try:
                await await_maybe(self.call_one(name, "reelkit_stop", ctx=p.ctx))
            except Exception:
                log.exception("plugin stop failed", plugin=name)
        if p.obj is not None and self.pm.is_registered(p.obj):
            self.pm.unregister(p.obj)
        await self._teardown(p)
        del self._plugins[name]
        self._kernel.bus.publish(PluginStopped(plugin=p.state.model_copy(update={"state": "disabled"})))

    async def stop_all(self) -> None:
        for p in reversed(self.order()):
            try:
                await await_maybe(self.call_one(p.name, "reelkit_stop", ctx=p.ctx))
            except Exception:
                log.exception("plugin stop failed", plugin=p.name)
        for p in reversed(list(self._plugins.values())):
            if p.ctx is not None:
                await p.ctx._dispose()

    # -- queries ---------------------------------------------------------------------------------
    def states(self) -> list[PluginState]:
        return [p.state.model_copy() for p in self._plugins.values()]

    def get(self, name: str) -> PluginState:
        p = self._plugins.get(name)
        if p is None:
            raise NotFound(f"no plugin named {name!r}", details={"plugin": name})
        return p.state.model_copy()

    def __contains__(self, name: str) -> bool:
        return name in self._plugins
