"""The kernel: boots plugins, routes commands through the middleware chain, owns bus, jobs and services."""

from __future__ import annotations

import asyncio
import contextlib
import os
import contextvars
import functools
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, final

from pydantic import BaseModel

from . import commands as _cmd
from .commands import ALL, CallContext, CancelToken, CommandRegistry, CommandSpec, current_call
from .grants import Grants
from .errors import CallDepthExceeded, CommandNotFound, KernelError, ServiceMissing, error_codes
from .events import Bus
from .jobs import JOB_EVENTS, JobContext, JobRef, Jobs
from .paths import PathPolicy, PathsSettings
from .plugins import PLUGIN_EVENTS, HealthResult, Plugins, await_maybe, builtin_name
from .services import ServiceRegistry, factory_dependencies, type_name
from .settings import KernelSettings, Paths, load_settings
from .telemetry import Telemetry, configure_logging
from .logs import get_logger

__all__ = ["Kernel", "Invoker", "EventTypes"]

log = get_logger("reelkit.kernel")
SYNC_CANCEL_GRACE = 30.0  # seconds a cancelled sync handler gets to notice its token


class EventTypes:
    """The event models plugins declared (for schemas, TypeScript bindings, docs)."""

    def __init__(self) -> None:
        self._types: dict[str, type] = {}

    def add(self, t: type) -> Callable[[], None]:
        self._types[t.topic] = t  # type: ignore[attr-defined]
        return lambda: self._types.pop(t.topic, None)  # type: ignore[attr-defined]

    def list(self) -> list[type]:
        return [self._types[k] for k in sorted(self._types)]


class Invoker:
    """Call commands from inside a plugin (injectable). Nested calls keep the caller's grants."""

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    async def invoke(self, command_id: str, payload: Any = None, *, grants: Iterable[str] | None = None,
                     roots: Iterable[str] | None = None) -> Any:
        return await self._kernel.invoke(command_id, payload, grants=grants, roots=roots)

    def invoke_sync(self, command_id: str, payload: Any = None, *, grants: Iterable[str] | None = None,
                    timeout: float | None = None, roots: Iterable[str] | None = None) -> Any:
        """From a worker thread (a sync handler): run ``invoke`` on the kernel's loop and wait."""
        loop = self._kernel.loop
        ctx = contextvars.copy_context()
        coro = self._kernel.invoke(command_id, payload, grants=grants, roots=roots)
        fut = asyncio.run_coroutine_threadsafe(_in_context(ctx, coro), loop)
        return fut.result(timeout)

    async def wait(self, job: str | JobRef, timeout: float | None = None) -> Any:
        """Follow a job to its end; return its result model or raise its error."""
        return await self._kernel.jobs.result(job.job_id if isinstance(job, JobRef) else job, timeout)


async def _in_context(ctx: contextvars.Context, coro: Any) -> Any:
    call = ctx.get(current_call)
    token = current_call.set(call)
    try:
        return await coro
    finally:
        current_call.reset(token)


@final
class Kernel:
    """The reelkit kernel. ``async with Kernel() as k: await k.invoke("media.probe", {...})``.

    * ``settings``: a loaded :class:`KernelSettings`, or a dict of overrides (sections, and
      ``data_dir``/``cache_dir``/``config_dir``) on top of file and environment;
    * ``builtins``: True for every builtin, False for none, or the names to load (``["media"]``);
    * ``plugins``: extra plugin objects (modules or instances with hook implementations);
    * ``entry_points``: load third-party plugins (default: the ``[plugins] entry_points`` setting).
    """

    def __init__(
        self, *, settings: KernelSettings | dict[str, Any] | None = None, config_file: str | None = None,
        builtins: bool | Sequence[str] = True, plugins: Sequence[Any] | None = (), entry_points: bool | None = None,
    ) -> None:
        self.settings = settings if isinstance(settings, KernelSettings) else load_settings(settings, config_file=config_file)
        self.paths: Paths = self.settings.paths
        tel = self.settings.telemetry
        configure_logging(tel.log_level, tel.log_format)
        self.telemetry = Telemetry(tel.exporter, otlp_endpoint=tel.otlp_endpoint)
        self.bus = Bus(default_maxsize=self.settings.kernel.bus_queue_size)
        self._max_call_depth = self.settings.kernel.max_call_depth
        self.command_modules: set[str] = set()  # modules registered through manifests (kernel.manifest)
        self._paths_settings = self.settings.section(PathsSettings)
        self._confined = self.confined_policy()
        self._cache_real = os.path.realpath(self.paths.cache_dir)
        self._app_policy = self._confined if self._paths_settings.confine_app else PathPolicy(
            max_read_bytes=self._paths_settings.max_read_bytes)
        self.jobs = Jobs(self.bus, self.telemetry, history=self.settings.kernel.job_history)
        self.commands = CommandRegistry()
        self.events = EventTypes()
        self.services = ServiceRegistry()
        self.plugins = Plugins(self)
        self.health_checks: dict[str, Callable[..., Any]] = {}
        self.invoker = Invoker(self)
        self.running = False
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._executor = ThreadPoolExecutor(self.settings.kernel.worker_threads, thread_name_prefix="reelkit")
        self._background: set[asyncio.Task[Any]] = set()
        # Outermost first. Telemetry wraps everything so denied and invalid calls are counted too;
        # error mapping sits right around the handler, so every layer above sees KernelErrors only.
        self._layers: list[Callable[..., Any]] = [_cmd.telemetry_layer(self.telemetry)] if self.telemetry.enabled else []
        self._layers += [_cmd.permission, _cmd.validation, _cmd.error_mapping]
        self._builtins = builtins
        self._extra = list(plugins or ())
        self._entry_points = self.settings.plugins.entry_points if entry_points is None else entry_points
        from .cluster import Cluster, ClusterSettings  # light: distributed loads only when a cluster is used

        self.cluster = Cluster(self.settings.section(ClusterSettings), worker_settings=self._worker_settings())
        for t, v in ((Bus, self.bus), (Jobs, self.jobs), (Paths, self.paths), (Telemetry, self.telemetry),
                     (Invoker, self.invoker), (Plugins, self.plugins), (KernelSettings, self.settings),
                     (Cluster, self.cluster)):
            self.services.add_value(t, v)
        for ev in (*JOB_EVENTS, *PLUGIN_EVENTS):
            self.events.add(ev)

    def _worker_settings(self) -> dict[str, Any]:
        """What a local cluster's workers boot their kernels with: this kernel's settings and folders."""
        p = self.settings.paths
        return {**self.settings.raw, "data_dir": str(p.data_dir), "cache_dir": str(p.cache_dir),
                "config_dir": str(p.config_dir)}

    # -- lifecycle -------------------------------------------------------------------------------
    async def __aenter__(self) -> Kernel:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Discover plugins, set them up in dependency order, create services, start them."""
        t0 = time.perf_counter()
        self.loop = asyncio.get_running_loop()
        self.bus.bind(self.loop)
        self.paths.ensure()
        from . import builtin_commands

        self.plugins.add(builtin_commands, source="builtin", info=builtin_commands.INFO)
        if self._builtins:
            from reelkit.builtin_plugins import BUILTIN_PLUGINS

            wanted = None if self._builtins is True else set(self._builtins)
            self.plugins.load_builtins(m for m in BUILTIN_PLUGINS if wanted is None or builtin_name(m) in wanted)
        for obj in self._extra:
            self.plugins.add(obj, source="explicit")
        if self._entry_points:
            self.plugins.load_entry_points()
        self.plugins.addhooks()
        ordered = self.plugins.order()
        for p in ordered:
            self.plugins.setup(p)
        self.running = True
        for p in ordered:
            if p.state.state == "active":
                await self.plugins.activate(p)
        from reelkit.builtin_plugins import BUILTIN_PLUGINS  # a builtin not loaded here still owns its section

        known = ({cls.section for cls in self.settings._cache} | {s.name for s in self.plugins.states()}
                 | {builtin_name(m) for m in BUILTIN_PLUGINS})
        for section in self.settings.unknown_sections(known):
            log.warning("unknown settings section: nothing reads it", section=section,
                        source=str(self.settings.source or "environment"))
        log.info("kernel started", seconds=round(time.perf_counter() - t0, 4),
                 plugins=[s.name for s in self.plugins.states() if s.state == "active"])

    async def stop(self) -> None:
        """Cancel jobs, stop plugins in reverse order, close services, flush telemetry."""
        if not self.running:
            return
        await self.jobs.shutdown()
        await self.plugins.stop_all()
        await self.services.close()
        if self.cluster._client is not None:
            await asyncio.to_thread(self.cluster.close)
        for task in list(self._background):
            task.cancel()
        self.bus.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.telemetry.shutdown()
        self.running = False

    def _spawn(self, coro: Any) -> None:
        task = self.loop.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- commands --------------------------------------------------------------------------------
    def _activate_command(self, spec: CommandSpec) -> None:
        """Check the handler's injections and build its call chain.

        A manifest command (not loaded yet) gets a first step that imports its module, completes
        the spec and builds the real chain, then passes the call on.
        """
        if not spec.loaded:
            async def first_call(call: CallContext, payload: Any) -> Any:
                if not spec.loaded:
                    from .manifest import load_lazy

                    load_lazy(spec)
                    self._activate_command(spec)
                return await spec._call(call, payload)  # type: ignore[misc]

            spec._call = first_call
            return
        static: dict[str, Any] = {}
        per_call: list[tuple[str, str]] = []
        invocation: dict[str, Any] = {}
        for name, t in spec.injections.items():
            if t in ("call", CallContext):
                per_call.append((name, "call"))
            elif t is CancelToken:
                per_call.append((name, "cancel"))
            elif t is JobContext:
                if not spec.job:
                    raise TypeError(f"command {spec.id}: JobContext is only given to job=True commands")
                per_call.append((name, "job"))
            elif t in self.services.instances:
                static[name] = self.services.instances[t]
            elif t in self.services.specs:
                if self.services.specs[t].lifetime == "kernel":
                    static[name] = self.services.instances.get(t)
                else:
                    invocation[name] = t
            else:
                raise ServiceMissing(
                    f"command {spec.id} (plugin {spec.plugin}) needs {type_name(t)} (parameter {name!r}), "
                    "which no plugin provides", details={"command": spec.id, "needs": type_name(t)})
        handler, is_async, executor = spec.handler, spec.is_async, self._executor
        input_param, out_model = spec.input_param, spec.output_model
        services = self.services
        for name, t in invocation.items():
            services.check(t)

        async def run_handler(call: CallContext, payload: Any) -> Any:
            kwargs = dict(static)
            if input_param:
                kwargs[input_param] = payload
            for name, what in per_call:
                kwargs[name] = call if what == "call" else call.cancel if what == "cancel" else call.job
            token = current_call.set(call)
            try:
                if invocation:
                    async with contextlib.AsyncExitStack() as stack:
                        kwargs.update(await services.resolve(invocation, stack))
                        result = await _call(kwargs, call)
                else:
                    result = await _call(kwargs, call)
            finally:
                current_call.reset(token)
            if out_model is not None and type(result) is not out_model:
                result = out_model.model_validate(
                    result.model_dump() if isinstance(result, BaseModel) else ({} if result is None else result))
            return result

        async def _call(kwargs: dict[str, Any], call: CallContext) -> Any:
            if is_async:
                return await handler(**kwargs)
            ctx = contextvars.copy_context()
            fut = self.loop.run_in_executor(executor, functools.partial(ctx.run, handler, **kwargs))
            try:
                return await asyncio.shield(fut)
            except asyncio.CancelledError:
                # Cancel is passed through: the handler sees its token, and the call (or the job) ends
                # only once the worker thread has stopped, so "cancelled" means nothing runs any more.
                call.cancel.set()
                done, _ = await asyncio.wait({fut}, timeout=SYNC_CANCEL_GRACE)
                if not done:
                    log.warning("sync handler ignored its cancel token", command=spec.id,
                                grace_seconds=SYNC_CANCEL_GRACE)
                raise

        if spec.job:
            jobs = self.jobs

            async def start_job(call: CallContext, payload: Any) -> JobRef:
                opened, call.opened = call.opened, None  # the job keeps the validated path handles

                async def work(job: JobContext) -> Any:
                    job_call = CallContext(command=call.command, grants=call.grants, job=job, depth=call.depth,
                                           paths=call.paths, opened=opened)
                    job.on_cancel(job_call.cancel.set)
                    try:
                        return await run_handler(job_call, payload)
                    except (OSError, UnicodeEncodeError, OverflowError) as e:  # as error_mapping does
                        mapped = _cmd.translate_foreign(e, spec.id)
                        if mapped is None:
                            raise
                        raise mapped from e
                    finally:
                        if opened is not None:
                            opened.close()

                info = jobs.submit(spec.id, work)
                return JobRef(job_id=info.job_id, kind=info.kind)

            innermost = start_job
        else:
            innermost = run_handler
        spec._call = _cmd.build_chain(self._layers, innermost)

    def confined_policy(self, roots: Iterable[str] | None = None) -> PathPolicy:
        """The path policy of a caller confined to ``roots`` (default ``[paths] roots``, else the user's
        home and reelkit's data dir)."""
        s = self._paths_settings
        if roots is None and getattr(self, "_confined", None) is not None:
            return self._confined  # immutable: built once (realpath of each root costs µs per call)
        if roots is None:
            roots = s.roots or [os.path.expanduser("~"), str(self.paths.data_dir)]
        return PathPolicy([list(roots)], max_read_bytes=s.max_read_bytes)

    async def invoke(self, command_id: str, payload: Any = None, *, grants: Iterable[str] | None = None,
                     roots: Iterable[str] | None = None) -> Any:
        """Run a command and return its output model (a ``JobRef`` for job commands).

        ``grants`` are the caller's capabilities (default: everything for the embedding app). A nested
        call is checked against every caller's grants on its chain (``grants`` narrow them further,
        never widen them) and may nest at most ``[kernel] max_call_depth`` deep.
        ``roots`` confine the paths the call may name (kernel.paths). A caller with grants other than
        everything (an IPC client, a WASM plugin) is confined to ``[paths] roots`` when it names none; a
        nested call keeps its caller's roots, and ``roots`` narrow them.
        Raises :class:`KernelError` subclasses.
        """
        try:
            spec = self.commands.get(command_id)
        except CommandNotFound:
            self.plugins.raise_if_unavailable(command_id)
            raise
        parent = current_call.get()
        if parent is None:
            g = Grants.of(grants)
            if isinstance(roots, PathPolicy):  # a transport's own, built once (IPC: always confined)
                policy = roots
            else:
                policy = self.confined_policy(roots) if roots is not None or g.levels else self._app_policy
            call = CallContext(command=spec, grants=g, paths=policy)
        else:
            depth = parent.depth + 1
            if depth > self._max_call_depth:
                raise CallDepthExceeded(
                    f"{command_id} would nest {depth} commands deep (limit [kernel] max_call_depth = "
                    f"{self._max_call_depth}); a command is calling itself or a cycle of commands",
                    details={"command": command_id, "depth": depth})
            policy = parent.paths.with_internal(self._cache_real)
            if grants is not None and not policy.confined and Grants.of(grants).levels:
                policy = self.confined_policy()
            call = CallContext(command=spec, grants=parent.grants.narrow(grants), depth=depth,
                               paths=policy.narrow(roots))
        if spec._call is None:
            raise KernelError(f"command {command_id} is not active (its plugin {spec.plugin} is starting or failed)",
                              code="command.inactive")
        return await spec._call(call, payload)

    async def wait(self, job: str | JobRef, timeout: float | None = None) -> Any:
        """Follow a job to its end; return its result model or raise its error."""
        return await self.invoker.wait(job, timeout)

    # -- health ----------------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        checks: dict[str, dict[str, Any]] = {}
        for name, fn in list(self.health_checks.items()):
            try:
                kwargs = {n: self.services.instances.get(t) for n, t in factory_dependencies(fn).items()}
                res = _as_health(await await_maybe(fn(**kwargs)))
            except Exception as e:
                res = HealthResult(state="error", detail=f"{type(e).__name__}: {e}")
            checks[name] = res.model_dump()
        plugins = self.plugins.states()
        for p in plugins:
            if p.state == "failed":
                checks[f"plugin.{p.name}"] = {"state": "error", "detail": (p.error or {}).get("message", "failed")}
        if self.bus.failures:
            checks["kernel.bus"] = {"state": "warn", "detail": f"{self.bus.failures} subscriber failures (see logs)"}
        states = {c["state"] for c in checks.values()}
        overall = "error" if "error" in states else "warn" if "warn" in states else "ok"
        return {"state": overall, "checks": checks,
                "plugins": {p.name: p.state for p in plugins}}

    # -- misc ------------------------------------------------------------------------------------
    @staticmethod
    def error_codes() -> list[str]:
        return list(error_codes())


def _as_health(value: Any) -> HealthResult:
    if isinstance(value, HealthResult):
        return value
    if isinstance(value, BaseModel):
        return HealthResult.model_validate(value.model_dump())
    if value is None or value is True:
        return HealthResult(state="ok")
    if value is False:
        return HealthResult(state="error", detail="check failed")
    if isinstance(value, str):
        return HealthResult(state="ok", detail=value)
    if isinstance(value, tuple):
        return HealthResult(state=value[0], detail=value[1] if len(value) > 1 else "")
    if isinstance(value, dict):
        return HealthResult.model_validate(value)
    return HealthResult(state="ok", detail=str(value))

