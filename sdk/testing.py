"""reelkit's pytest plugin (entry point ``pytest11``): kernels for plugin tests, an event recorder.

    async def test_greet(make_kernel, events):
        async with make_kernel(builtins=[], plugins=[my_plugin]) as k:
            rec = events(k, "hello.*")
            await k.invoke("hello.greet", {"name": "Ada"})
            await rec.wait_for("hello.greeted")

``async def`` tests run on a fresh event loop each; no other async plugin is needed.
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = ["EventRecorder", "make_kernel", "events"]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with asyncio.run (one loop per test)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    funcargs = pyfuncitem.funcargs
    kwargs = {name: funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


class EventRecorder:
    """Records the events of one topic pattern on a kernel's bus."""

    def __init__(self, kernel: Any, pattern: str = "*") -> None:
        self.events: list[Any] = []
        self._sub = kernel.bus.subscribe(pattern, self.events.append, name=f"recorder:{pattern}")

    def topics(self) -> list[str]:
        return [e.topic for e in self.events]

    def of(self, pattern: str) -> list[Any]:
        return [e for e in self.events if fnmatch.fnmatchcase(e.topic, pattern)]

    async def wait_for(self, pattern: str, *, count: int = 1, timeout: float = 10.0,
                       where: Callable[[Any], bool] | None = None) -> list[Any]:
        """Wait until ``count`` events matching ``pattern`` (and ``where``) have arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.of(pattern) if where is None or where(e)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} × {pattern!r} within {timeout} s; got {self.topics()}")
            await asyncio.sleep(0.005)

    def close(self) -> None:
        self._sub.dispose()


@pytest.fixture
def make_kernel(tmp_path: Path) -> Callable[..., Any]:
    """A factory of kernels with temporary data/cache/config dirs and no entry points.

    ``make_kernel(builtins=["media"], plugins=[...], settings={"media": {...}})`` → an unstarted
    Kernel; use it as ``async with``.
    """
    from reelkit import Kernel

    def make(*, builtins: bool | Sequence[str] = (), plugins: Sequence[Any] = (),
             settings: dict[str, Any] | None = None, entry_points: bool = False) -> Kernel:
        s = {"data_dir": str(tmp_path / "data"), "cache_dir": str(tmp_path / "cache"),
             "config_dir": str(tmp_path / "config")}
        s.update(settings or {})
        return Kernel(settings=s, builtins=list(builtins) if not isinstance(builtins, bool) else builtins,
                      plugins=plugins, entry_points=entry_points)

    return make


@pytest.fixture
def events() -> Callable[..., EventRecorder]:
    """``events(kernel, pattern)`` → an :class:`EventRecorder` (closed after the test)."""
    made: list[EventRecorder] = []

    def make(kernel: Any, pattern: str = "*") -> EventRecorder:
        rec = EventRecorder(kernel, pattern)
        made.append(rec)
        return rec

    yield make  # type: ignore[misc]
    for rec in made:
        rec.close()
