"""A small staged pipeline: named async stages, each a span and an event, extensible by plugins.

Plugins extend it through the ``reelkit_compiler_stages`` hook, returning :class:`StageExtension`
objects: a new stage ``before`` or ``after`` a named one, or a ``wrap`` around it (the wrapper gets
the state and the wrapped stage, and decides whether and when to call it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Literal

StageFn = Callable[[Any], Awaitable[None]]
WrapFn = Callable[[Any, StageFn], Awaitable[None]]


@dataclass(frozen=True)
class StageExtension:
    """A plugin's addition to the render pipeline."""

    stage: str
    fn: Callable[..., Awaitable[None]]
    when: Literal["before", "after", "wrap"] = "after"
    name: str | None = None


class Pipeline:
    """Ordered stages; :meth:`run` runs them with a span each and a callback after each."""

    def __init__(self, stages: list[tuple[str, StageFn]]):
        self.stages = list(stages)

    def names(self) -> list[str]:
        return [n for n, _ in self.stages]

    def extend(self, ext: StageExtension) -> None:
        """Apply one extension; an unknown target stage is an error naming the known ones."""
        names = self.names()
        if ext.stage not in names:
            raise ValueError(f"no stage {ext.stage!r} to extend; stages are {', '.join(names)}")
        i = names.index(ext.stage)
        if ext.when == "wrap":
            name, inner = self.stages[i]

            async def wrapped(state: Any, _inner: StageFn = inner, _wrap: Callable[..., Any] = ext.fn) -> None:
                await _wrap(state, _inner)

            self.stages[i] = (name, wrapped)
        else:
            label = ext.name or getattr(ext.fn, "__name__", "stage")
            self.stages.insert(i if ext.when == "before" else i + 1, (label, ext.fn))

    async def run(self, state: Any, span: Callable[..., Any] | None = None,
                  on_stage: Callable[[str, float], None] | None = None) -> None:
        for name, fn in self.stages:
            t0 = time.perf_counter()
            if span is not None:
                with span(f"compiler.stage.{name}", stage=name):
                    await fn(state)
            else:
                await fn(state)
            if on_stage is not None:
                on_stage(name, time.perf_counter() - t0)
