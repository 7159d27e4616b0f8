"""A real kernel behind a real studio server (in a thread of its own) and one Debian Chromium per module.

The server thread runs its own event loop; tests drive Chromium through Playwright's sync API from the
main thread. Media is generated with the bundled FFmpeg (tiny: 160x90, 2 s), the detection clip from
skimage's astronaut photo; the real models come from ../shared/models.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_MODELS = REPO.parent / "shared" / "models"
CHROMIUM = os.environ.get("REELKIT_CHROMIUM", "/usr/bin/chromium")
SHOTS = REPO / "docs" / "studio"


def _ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True, timeout=60)


def make_media(folder: Path) -> dict[str, Path]:
    """Two tiny clips with sound, and a 2 s clip of the astronaut photo (a person, for detection)."""
    from PIL import Image
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, colour, tone in (("red", "red", 440), ("blue", "blue", 660)):
        out[name] = folder / f"{name}.mp4"
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=160x90:r=30:d=2", "-f", "lavfi", "-i", f"sine=f={tone}:d=2",
                "-vf", f"drawbox=c={colour}:t=8", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-shortest", str(out[name]))
    photo = folder.parent / "astronaut.png"
    Image.fromarray(data.astronaut()).resize((320, 320)).save(photo)
    out["person"] = folder.parent / "person.mp4"
    _ffmpeg("-loop", "1", "-t", "2", "-framerate", "5", "-i", str(photo), "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", str(out["person"]))
    return out


class Studio:
    """A kernel and a :class:`StudioServer` running in a background thread."""

    def __init__(self, root: Path, *, grants: list[str] | None = None) -> None:
        self.root = root
        self.media_dir = root / "media"
        self.out_dir = root / "out"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.media = make_media(self.media_dir)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self.server: Any = None
        self.kernel: Any = None
        self.thread = threading.Thread(target=self._run, name="studio-server", daemon=True)
        self.thread.start()
        if not self._ready.wait(120) or self._error is not None:
            raise RuntimeError(f"studio did not start: {self._error!r}")

    def _settings(self) -> dict[str, Any]:
        return {"data_dir": str(self.root / "data"), "cache_dir": str(self.root / "cache"),
                "config_dir": str(self.root / "config"),
                "filesystem": {"roots": [str(self.root)]}, "paths": {"roots": [str(self.root)]},
                "recognition": {"models_dir": str(SHARED_MODELS), "threads": 1}}

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as e:  # reported to the starting thread
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        from reelkit import Kernel
        from reelkit.kernel.ipc.auth import TokenTable
        from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
        from reelkit.kernel.studio.server import StudioServer, kernel_roots

        self._stop = asyncio.Event()
        from tests.kernel.plugins_for_tests import plugin

        # one plugin that cannot start, so the overview has a reason to show
        async with Kernel(settings=self._settings(), plugins=[plugin("ghostly", requires=["ghost"])],
                          entry_points=False) as k:
            self.kernel = k
            dispatcher = KernelDispatcher(k)
            self.token = "studio-test-token-0123456789"
            self.server = StudioServer(dispatcher, TokenTable({self.token: ["*"]}), kernel_roots(k, dispatcher),
                                       port=0, allowed_origins=["http://127.0.0.1:*", "http://localhost:*"])
            await self.server.start()
            self._ready.set()
            await self._stop.wait()
            await self.server.close(grace=1)

    def run(self, coro: Any, timeout: float = 60) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def invoke(self, command: str, payload: dict | None = None) -> Any:
        return self.run(self.kernel.invoke(command, payload or {}))

    def login_url(self, grants: list[str] | None = None) -> str:
        async def issue() -> str:
            return self.server.login_url(grants or ["*"])

        return self.run(issue())

    @property
    def url(self) -> str:
        return self.server.http_url

    def close(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    s = Studio(tmp_path_factory.mktemp("studio"))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium per test module (never a downloaded browser)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `apt-get install -y chromium` (make test does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def logged_in(browser: Any, studio: Studio, **context: Any) -> Any:
    """A new page that has traded a fresh one-time login URL for the session cookie."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, **context)
    page = ctx.new_page()
    page.goto(studio.login_url())
    page.wait_for_selector("body[data-ready]", timeout=15000)
    return page


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    """A screenshot of the page; into docs/studio/ (linked from docs/studio.md) with REELKIT_SCREENSHOTS=1
    (``make screenshots``), else into a temporary folder so a test run leaves the tree as it was."""
    import os
    import tempfile

    where = SHOTS if os.environ.get("REELKIT_SCREENSHOTS") == "1" else Path(tempfile.gettempdir()) / "reelkit-shots"
    where.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(where / f"{name}.png"), full_page=full_page)


def until(page: Any, script: str, timeout: float = 15.0) -> Any:
    """Poll ``script`` (a JS expression) until it is truthy.

    Playwright's ``wait_for_function`` compiles its predicate with eval, which studio's CSP forbids
    (as it should); ``evaluate`` goes through the debugger protocol, so the page keeps its real CSP.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {script}")
        page.wait_for_timeout(50)
