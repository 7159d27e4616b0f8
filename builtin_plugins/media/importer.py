"""``media.import``: find media under the given paths and probe + thumbnail them in parallel.

Directories are walked recursively and filtered to supported extensions (hidden entries skipped);
files named explicitly are always tried, so a wrong one is reported rather than silently ignored.
Up to ``max_parallel`` files are in flight at once, on a thread pool of that size (PyAV releases the
GIL while it demuxes and decodes). A cancel stops taking new files; files in flight finish, and since
each cache write is one sqlite statement and each picture an atomic rename, the caches stay consistent.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from reelkit.sdk import coded_error

from .api import FailedFile, ImportedFile, ImportResult
from .formats import is_supported

__all__ = ["discover", "run_import", "summarize"]


def discover(paths: Iterable[str]) -> tuple[list[str], list[FailedFile]]:
    """``(files, failures)``: absolute file paths in order, without duplicates; missing paths fail."""
    files: list[str] = []
    failed: list[FailedFile] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        if p not in seen:
            seen.add(p)
            files.append(p)

    for raw in paths:
        p = os.path.abspath(os.path.expanduser(raw))
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith(".") and is_supported(name):
                        add(os.path.join(root, name))
        elif os.path.lexists(p):
            add(p)
        else:
            failed.append(FailedFile(path=p, code="media.not_found",
                                     message=f"{p}: no such file or directory; check the path"))
    return files, failed


async def run_import(
    files: list[str],
    work: Callable[[str], ImportedFile],
    *,
    max_parallel: int,
    is_cancelled: Callable[[], bool],
    on_done: Callable[[str, ImportedFile | None, BaseException | None], None],
) -> tuple[list[ImportedFile], list[FailedFile]]:
    """Run ``work(path)`` for each file, ``max_parallel`` at once, in worker threads.

    ``on_done(path, result, error)`` is called on the event loop after each file. Errors that are
    KernelErrors (or any other exception) fail that file alone. Results keep the order of ``files``.
    """
    results: dict[int, ImportedFile] = {}
    failures: dict[int, FailedFile] = {}
    queue = list(enumerate(files))
    queue.reverse()
    loop = asyncio.get_running_loop()

    with ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="media-import") as pool:

        async def worker() -> None:
            while queue and not is_cancelled():
                i, path = queue.pop()
                try:
                    res = await loop.run_in_executor(pool, work, path)
                except Exception as e:  # noqa: BLE001 - a bad file fails alone, with its specific code
                    err = coded_error(e, "media.import")
                    failures[i] = FailedFile(path=path, code=err.code, message=err.message)
                    on_done(path, None, err)
                else:
                    results[i] = res
                    on_done(path, res, None)

        await asyncio.gather(*(worker() for _ in range(max(1, min(max_parallel, len(files) or 1)))))
    return [results[i] for i in sorted(results)], [failures[i] for i in sorted(failures)]


def summarize(result: ImportResult) -> str:
    """One line for people: ``4 files imported (3 video, 1 image), 1 failed``."""
    kinds: dict[str, int] = {}
    for f in result.files:
        kinds[f.info.kind] = kinds.get(f.info.kind, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    line = f"{len(result.files)} files imported" + (f" ({parts})" if parts else "")
    return line + (f", {len(result.failed)} failed" if result.failed else "")
