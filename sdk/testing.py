"""reelkit's pytest plugin (entry point ``pytest11``): kernels for plugin tests, an event recorder.

    async def test_greet(make_kernel, events):
        async with make_kernel(builtins=[], plugins=[my_plugin]) as k:
            rec = events(k, "hello.*")
            await k.invoke("hello.greet", {"name": "Ada"})
            await rec.wait_for("hello.greeted")

Async tests are opt-in, as pytest-asyncio's strict mode: an ``async def`` test runs on a fresh event
loop (``asyncio.run``) when it is marked ``@pytest.mark.reelkit``, uses one of this plugin's fixtures
(``make_kernel``, ``events``, ``media_dir``), or its project sets ``reelkit_asyncio = "auto"`` in its
pytest configuration. Any other project's async tests are left to whatever plugin it uses.
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = ["EventRecorder", "make_kernel", "events", "media_dir", "ffmpeg_exe"]

_OWN_FIXTURES = frozenset({"make_kernel", "events", "media_dir"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("reelkit_asyncio", 'run every async def test on reelkit\'s runner: "auto", or "strict" '
                  "(the default: only tests marked reelkit or using its fixtures)", default="strict")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reelkit: run this async def test on reelkit's event-loop runner")


def _ours(item: pytest.Function) -> bool:
    if item.get_closest_marker("reelkit") is not None:
        return True
    if item.config.getini("reelkit_asyncio") == "auto":
        return True
    return not _OWN_FIXTURES.isdisjoint(item.fixturenames)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run opted-in ``async def`` tests with asyncio.run (one loop per test)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj) or not _ours(pyfuncitem):
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


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    """The FFmpeg executable reelkit uses by default (the imageio-ffmpeg wheel's)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory, ffmpeg_exe: str) -> Path:
    """A session-scoped folder of media made with the bundled FFmpeg: ``clip.mp4`` (2 s, 320×180,
    30 fps, H.264 with a 440 Hz AAC tone), ``clip.webm`` (VP9 + Opus, 1 s), ``tone.wav`` (1 s, 48 kHz
    stereo), ``still.png`` (320×180)."""
    d = tmp_path_factory.mktemp("media")
    lavfi_v = "testsrc2=size=320x180:rate=30"
    runs = [
        ["-f", "lavfi", "-i", f"{lavfi_v}:duration=2", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "clip.mp4"],
        ["-f", "lavfi", "-i", f"{lavfi_v}:duration=1", "-f", "lavfi", "-i", "sine=frequency=660:duration=1",
         "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-shortest",
         "clip.webm"],
        ["-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=48000", "-ac", "2", "tone.wav"],
        ["-f", "lavfi", "-i", f"{lavfi_v}:duration=1", "-frames:v", "1", "still.png"],
    ]
    for args in runs:
        subprocess.run([ffmpeg_exe, "-v", "error", "-y", *args[:-1], str(d / args[-1])], check=True, timeout=60)
    return d
