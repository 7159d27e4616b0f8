"""Directory watches: one watchfiles task per watch, owned here, stopped on unwatch and at shutdown."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reelkit.sdk import NotFound

from .errors import TooManyWatches
from .events import FileChanged
from .fileops import TEMP_SUFFIXES
from .media_types import media_type_of

log = logging.getLogger(__name__)

_CHANGE_NAMES = {1: "added", 2: "modified", 3: "deleted"}  # watchfiles.Change values


@dataclass
class _Watch:
    watch_id: str
    path: Path
    stop: asyncio.Event
    task: asyncio.Task[None] | None = None
    published: int = field(default=0)


class Watches:
    """Running watches, each publishing `filesystem.file.changed` through `publish`.

    watchfiles runs each watch in a thread of anyio's pool (40 threads by default), which is why
    `max_watches` stays well below that.
    """

    def __init__(
        self,
        publish: Callable[[FileChanged], object],
        *,
        debounce_ms: int = 100,
        step_ms: int = 50,
        force_polling: bool = False,
        max_watches: int = 16,
    ) -> None:
        self._publish = publish
        self._debounce_ms = debounce_ms
        self._step_ms = step_ms
        self._force_polling = force_polling
        self._max = max_watches
        self._watches: dict[str, _Watch] = {}

    def __len__(self) -> int:
        return len(self._watches)

    def ids(self) -> list[str]:
        return list(self._watches)

    async def start(self, real: Path, *, recursive: bool = True) -> str:
        """Start watching `real` (already confined and resolved); returns the watch id."""
        if len(self._watches) >= self._max:
            raise TooManyWatches(
                f"{real}: {self._max} watches are already running; unwatch one or raise "
                "[filesystem] max_watches",
                details={"path": str(real), "max_watches": self._max},
            )
        if not real.exists():
            raise NotFound(f"{real}: nothing to watch there", details={"path": str(real)})
        watch = _Watch(watch_id=f"w-{secrets.token_hex(6)}", path=real, stop=asyncio.Event())
        watch.task = asyncio.create_task(self._run(watch, recursive), name=f"filesystem.watch {real}")
        # awatch sets up the OS watcher synchronously in its first step: after one turn of the loop
        # it is in place, so changes made right after `start` returns are seen.
        await asyncio.sleep(0)
        if watch.task.done():
            watch.task.result()  # raises the set-up error
        self._watches[watch.watch_id] = watch
        watch.task.add_done_callback(lambda task: self._ended(watch, task))
        return watch.watch_id

    def _ended(self, watch: _Watch, task: asyncio.Task[None]) -> None:
        # A watch that dies on its own (an OS error) is dropped and logged, never silently kept.
        if task.cancelled() or task.exception() is None:
            return
        if self._watches.get(watch.watch_id) is watch:
            del self._watches[watch.watch_id]
        log.error("filesystem watch %s on %s failed: %r", watch.watch_id, watch.path, task.exception())

    async def _run(self, watch: _Watch, recursive: bool) -> None:
        import watchfiles

        def keep(change: watchfiles.Change, path: str) -> bool:
            # Hide the plugin's own temporaries (atomic writes, trees being deleted) and their content.
            return not any(part.endswith(TEMP_SUFFIXES) for part in Path(path).parts)

        async for changes in watchfiles.awatch(
            watch.path,
            watch_filter=keep,
            debounce=self._debounce_ms,
            step=self._step_ms,
            stop_event=watch.stop,
            force_polling=self._force_polling,
            recursive=recursive,
            ignore_permission_denied=True,
        ):
            for change, path in sorted(changes, key=lambda c: (c[1], c[0])):
                watch.published += 1
                self._publish(
                    FileChanged(
                        watch_id=watch.watch_id,
                        path=path,
                        change=_CHANGE_NAMES.get(int(change), "modified"),
                        media_type=media_type_of(Path(path).name),
                    )
                )

    async def stop(self, watch_id: str, *, timeout: float = 2.0) -> None:
        """Stop one watch; `NotFound` for an unknown id."""
        watch = self._watches.pop(watch_id, None)
        if watch is None:
            raise NotFound(
                f"{watch_id}: no such watch; filesystem.watch returns the ids of running watches",
                details={"watch_id": watch_id},
            )
        await self._finish(watch, timeout)

    async def close(self, timeout: float = 2.0) -> None:
        """Stop every watch (kernel shutdown)."""
        watches = list(self._watches.values())
        self._watches.clear()
        await asyncio.gather(*(self._finish(w, timeout) for w in watches))

    @staticmethod
    async def _finish(watch: _Watch, timeout: float) -> None:
        watch.stop.set()
        task = watch.task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            log.warning("filesystem watch %s on %s did not stop in %.1fs; cancelled", watch.watch_id, watch.path, timeout)
        except Exception:
            log.exception("filesystem watch %s on %s failed", watch.watch_id, watch.path)
