"""Services: dependency injection keyed by type, with two lifetimes.

* ``kernel`` — created once at boot, in dependency order, closed in reverse order at shutdown;
* ``invocation`` — created for one command call and closed after it.

A factory's parameters are injected by type; it may be ``async`` and may ``yield`` its instance (the
code after the ``yield`` is its cleanup). Missing services and cycles are found at boot and reported
naming both ends.

svcs was the first candidate: its containers and ``autowire`` fit invocation scope well, but it has no
notion of who owns a service (a hot-unloaded plugin must close exactly its own), no boot-time graph
check and no dependency-ordered start, which is most of what the kernel needs; this module is that part.
"""

from __future__ import annotations

import contextlib
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal


from .errors import ServiceCycle, ServiceMissing
from .logs import get_logger

__all__ = ["ServiceRegistry", "ServiceSpec", "factory_dependencies", "type_name"]

log = get_logger("reelkit.services")
Lifetime = Literal["kernel", "invocation"]


def type_name(t: Any) -> str:
    return getattr(t, "__qualname__", None) or repr(t)


def factory_dependencies(factory: Callable[..., Any]) -> dict[str, Any]:
    """Parameter name → annotated type, for injection."""
    target = factory.__init__ if inspect.isclass(factory) else factory  # type: ignore[misc]
    try:
        hints = typing.get_type_hints(target)
    except Exception as e:
        raise TypeError(f"cannot resolve the annotations of {type_name(factory)}: {e}") from e
    deps: dict[str, Any] = {}
    for name, p in inspect.signature(factory).parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if name not in hints:
            if p.default is p.empty:
                raise TypeError(f"factory {type_name(factory)}: parameter {name!r} needs a type annotation")
            continue
        deps[name] = hints[name]
    return deps


@dataclass(eq=False)
class ServiceSpec:
    type: Any
    factory: Callable[..., Any]
    lifetime: Lifetime
    owner: str
    deps: dict[str, Any] = field(default_factory=dict)


async def enter_factory(factory: Callable[..., Any], kwargs: dict[str, Any], stack: contextlib.AsyncExitStack) -> Any:
    """Call a factory of any shape; generator cleanups go on ``stack``."""
    if inspect.isasyncgenfunction(factory):
        return await stack.enter_async_context(contextlib.asynccontextmanager(factory)(**kwargs))
    if inspect.isgeneratorfunction(factory):
        return stack.enter_context(contextlib.contextmanager(factory)(**kwargs))
    value = factory(**kwargs)
    if inspect.isawaitable(value):
        value = await value
    return value


class ServiceRegistry:
    """Service specs, the kernel-lifetime instances, and their cleanups (per owner)."""

    def __init__(self) -> None:
        self.specs: dict[Any, ServiceSpec] = {}
        self.instances: dict[Any, Any] = {}
        self._stacks: list[tuple[Any, str, contextlib.AsyncExitStack]] = []  # creation order

    def add_value(self, svc_type: Any, value: Any, owner: str = "kernel") -> None:
        """A ready-made kernel service (the bus, the jobs …)."""
        self.specs[svc_type] = ServiceSpec(svc_type, lambda: value, "kernel", owner)
        self.instances[svc_type] = value

    def add(self, svc_type: Any, factory: Callable[..., Any], lifetime: Lifetime, owner: str) -> Callable[[], None]:
        if svc_type in self.specs:
            other = self.specs[svc_type].owner
            raise TypeError(f"service {type_name(svc_type)} of {owner} is already provided by {other}")
        spec = ServiceSpec(svc_type, factory, lifetime, owner, factory_dependencies(factory))
        self.specs[svc_type] = spec

        def dispose() -> None:
            if self.specs.get(svc_type) is spec:
                del self.specs[svc_type]
                self.instances.pop(svc_type, None)

        return dispose

    def check(self, svc_type: Any, seen: tuple[Any, ...] = ()) -> None:
        """Raise ServiceMissing / ServiceCycle for ``svc_type``'s dependency graph."""
        spec = self.specs[svc_type]
        for name, dep in spec.deps.items():
            if dep not in self.specs:
                raise ServiceMissing(
                    f"service {type_name(svc_type)} (plugin {spec.owner}) needs {type_name(dep)} "
                    f"(parameter {name!r}), which no plugin provides",
                    details={"service": type_name(svc_type), "needs": type_name(dep), "plugin": spec.owner},
                )
            if dep in seen or dep is svc_type:
                chain = " → ".join(type_name(t) for t in (*seen, svc_type, dep))
                raise ServiceCycle(f"services depend on each other in a cycle: {chain}",
                                   details={"cycle": chain, "plugin": spec.owner})
            if self.specs[dep].lifetime == "invocation" and spec.lifetime == "kernel":
                raise ServiceMissing(
                    f"kernel service {type_name(svc_type)} cannot depend on invocation service {type_name(dep)}",
                    details={"service": type_name(svc_type), "needs": type_name(dep), "plugin": spec.owner},
                )
            self.check(dep, (*seen, svc_type))

    def order(self, types: list[Any]) -> list[Any]:
        """``types`` with every dependency before its dependents."""
        out: list[Any] = []

        def visit(t: Any) -> None:
            if t in out:
                return
            for dep in self.specs[t].deps.values():
                visit(dep)
            out.append(t)

        for t in types:
            visit(t)
        return out

    async def create(self, svc_type: Any) -> Any:
        """Create a kernel service (and its missing dependencies) now."""
        if svc_type in self.instances:
            return self.instances[svc_type]
        spec = self.specs[svc_type]
        kwargs = {name: await self.create(dep) for name, dep in spec.deps.items()}
        stack = contextlib.AsyncExitStack()
        value = await enter_factory(spec.factory, kwargs, stack)
        self.instances[svc_type] = value
        self._stacks.append((svc_type, spec.owner, stack))
        return value

    async def close(self, owner: str | None = None) -> None:
        """Close kernel services in reverse creation order (only ``owner``'s if given)."""
        keep = []
        for svc_type, svc_owner, stack in reversed(self._stacks):
            if owner is not None and svc_owner != owner:
                keep.append((svc_type, svc_owner, stack))
                continue
            self.instances.pop(svc_type, None)
            try:
                await stack.aclose()
            except Exception:
                log.exception("service cleanup failed", service=type_name(svc_type), plugin=svc_owner)
        self._stacks = list(reversed(keep))

    async def resolve(self, types: dict[str, Any], stack: contextlib.AsyncExitStack) -> dict[str, Any]:
        """Instances for one invocation: kernel ones as they are, invocation ones created on ``stack``."""
        out: dict[str, Any] = {}
        local: dict[Any, Any] = {}

        async def get(t: Any) -> Any:
            if t in self.instances:
                return self.instances[t]
            if t in local:
                return local[t]
            spec = self.specs[t]
            kwargs = {n: await get(d) for n, d in spec.deps.items()}
            local[t] = await enter_factory(spec.factory, kwargs, stack)
            return local[t]

        for name, t in types.items():
            out[name] = await get(t)
        return out
