"""Small helpers shared by the benchmarks: timing, tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def best_of(fn: Callable[[], float], repeat: int = 5) -> float:
    """Run ``fn`` (which returns a duration) ``repeat`` times; the median, robust to a noisy machine."""
    return statistics.median(fn() for _ in range(repeat))


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cols = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(str(r[i])) for r in cols) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"
