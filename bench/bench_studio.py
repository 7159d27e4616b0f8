"""Studio benchmarks (issue 16), in Debian's headless Chromium against a real kernel on loopback.

    python bench/bench_studio.py [--rate 1000] [--seconds 5]

- first meaningful paint of the overview (the ``studio:overview-ready`` performance mark: health and
  plugins drawn), from the start of the login navigation: cold (a fresh browser profile, nothing cached)
  and warm (a reload with the session and cached assets); goals < 1 s and < 300 ms;
- the event stream at ``--rate`` events/s on the Events page: events received vs published, frames
  drawn, the longest frame and frames over 50 ms (a dropped frame at 60 Hz is > 16.7 ms; > 50 ms is one a
  person notices);
- the size of the shipped assets, raw and gzipped (goal < 500 KB gzipped).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._util import table, verdict  # noqa: E402

CHROMIUM = os.environ.get("REELKIT_CHROMIUM", "/usr/bin/chromium")


class Server:
    """A kernel with every builtin and a StudioServer, on their own loop in a thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=lambda: self.loop.run_until_complete(self._main()), daemon=True).start()
        if not self.ready.wait(120):
            raise SystemExit("studio did not start")

    async def _main(self) -> None:
        from reelkit import Kernel
        from reelkit.kernel.ipc.auth import TokenTable
        from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
        from reelkit.kernel.studio.server import StudioServer, kernel_roots

        dirs = {k: str(self.root / k) for k in ("data_dir", "cache_dir", "config_dir")}
        self.stop = asyncio.Event()
        async with Kernel(settings=dirs, entry_points=False) as k:
            self.kernel = k
            d = KernelDispatcher(k)
            self.server = await StudioServer(d, TokenTable({}), kernel_roots(k, d), port=0).start()
            self.ready.set()
            await self.stop.wait()
            await self.server.close(grace=1)

    def login_url(self) -> str:
        async def issue() -> str:
            return self.server.login_url(["*"])

        return asyncio.run_coroutine_threadsafe(issue(), self.loop).result(10)

    def publish(self, rate: int, seconds: float) -> int:
        """Publish ``rate`` events/s for ``seconds`` (in 10 ms ticks); returns how many were published."""
        from reelkit.kernel.events import DynamicEvent

        async def go() -> int:
            n, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                due = int(elapsed * rate)
                while n < due:
                    self.kernel.bus.publish(DynamicEvent(topic="bench.tick.published", data={"n": n, "pad": "x" * 64}))
                    n += 1
                await asyncio.sleep(0.01)
            return n

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(seconds + 30)


def ready_mark(page: Any) -> float:
    for _ in range(400):
        mark = page.evaluate("performance.getEntriesByName('studio:overview-ready').map(e => e.startTime)[0] ?? null")
        if mark is not None:
            return mark / 1000
        page.wait_for_timeout(25)
    raise SystemExit("the overview never became ready")


FRAMES_JS = """() => { window.__frames = []; let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__frames.length < 100000) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        server = Server(Path(tmp))
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        cold, warm = [], []
        for _ in range(args.repeat):
            ctx = browser.new_context()  # a fresh profile: nothing cached, no cookie
            page = ctx.new_page()
            page.goto(server.login_url())
            cold.append(ready_mark(page))
            page.reload()
            warm.append(ready_mark(page))
            ctx.close()

        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        page.goto(server.login_url())
        ready_mark(page)
        page.evaluate("location.hash = '#events'")
        page.wait_for_selector("#event-viewport")
        page.evaluate(FRAMES_JS)
        published = server.publish(args.rate, args.seconds)
        page.wait_for_timeout(500)
        frames = page.evaluate("window.__frames")[1:]
        shown = page.text_content("#event-count") or ""
        received = int(shown.split("·")[1].split()[0])
        dom_rows = page.evaluate("document.querySelectorAll('#event-viewport .row:not([hidden])').length + ' / ' + document.querySelectorAll('#event-viewport .row').length")
        ctx.close()
        browser.close()
        server.loop.call_soon_threadsafe(server.stop.set)

    dist = ROOT / "kernel" / "studio" / "dist"
    files = [f for f in dist.iterdir() if f.is_file()]
    raw = sum(f.stat().st_size for f in files)
    gz = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    med_cold, med_warm = statistics.median(cold), statistics.median(warm)
    long_frames = sum(1 for f in frames if f > 50)
    dropped = sum(1 for f in frames if f > 1000 / 60 * 1.5)
    table("Studio: first meaningful paint of the overview (loopback, median of %d)" % args.repeat,
          ["measure", "figure", "goal", "ratio to goal", "verdict"],
          [["cold (fresh profile, incl. login redirect)", f"{med_cold * 1000:.0f} ms", "< 1000 ms",
            f"{med_cold / 1.0:.2f}", verdict(med_cold < 1.0)],
           ["warm (reload, cached assets)", f"{med_warm * 1000:.0f} ms", "< 300 ms", f"{med_warm / 0.3:.2f}",
            verdict(med_warm < 0.3)]])
    table(f"Studio: event stream at {args.rate} events/s for {args.seconds:g} s (Events page open)",
          ["measure", "figure"],
          [["published / received", f"{published} / {received}"],
           ["frames drawn (fps)", f"{len(frames)} ({len(frames) / (args.seconds + 0.5):.0f}/s)"],
           ["frames > 25 ms (a skipped vsync) / > 50 ms", f"{dropped} / {long_frames}"],
           ["longest frame", f"{max(frames):.0f} ms"],
           ["rows shown / row elements in the DOM at the end", dom_rows],
           ["verdict (all received, no frame > 50 ms)", verdict(received == published and long_frames == 0)]])
    table("Studio: shipped assets (kernel/studio/dist)", ["measure", "figure", "goal", "ratio", "verdict"],
          [["raw", f"{raw / 1024:.1f} KB", "", "", ""],
           ["gzipped (-9)", f"{gz / 1024:.1f} KB", "< 500 KB", f"{gz / (500 * 1024):.3f}", verdict(gz < 500 * 1024)]])
    print(f"\nload: {os.getloadavg()}")


if __name__ == "__main__":
    main()
