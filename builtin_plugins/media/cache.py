"""The probe metadata cache: an in-memory TTL cache in front of a sqlite table.

Key: (absolute path, size, mtime_ns) — a file that changes gets a new key, so stale answers are
impossible without a clock. Entries expire after ``ttl`` seconds and the table keeps at most
``max_entries`` rows (least recently used go first). It survives restarts (``<cache_dir>/media``).
Writes are single sqlite statements, so a cancelled import can never leave a half-written entry.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .api import MediaInfo
from .store import open_db

__all__ = ["MetadataCache", "file_key"]

Key = tuple[str, int, int]


def file_key(path: str) -> tuple[Key, os.stat_result]:
    """``((abs path, size, mtime_ns), stat)``; raises OSError if the path cannot be stat'ed."""
    abspath = os.path.abspath(path)
    st = os.stat(abspath)
    return (abspath, st.st_size, st.st_mtime_ns), st


class MetadataCache:
    """Two-level cache of :class:`MediaInfo`; ``hits`` and ``misses`` count lookups over both levels."""

    def __init__(self, db_path: Path, *, ttl: float, max_entries: int, memory=None) -> None:
        self.ttl = float(ttl)
        self.max_entries = int(max_entries)
        self.hits = 0
        self.misses = 0
        if memory is None:
            from reelkit.sdk.perf import make_cache

            memory = make_cache("ttl", maxsize=max(1, min(self.max_entries, 4096)), ttl=self.ttl, name="media.metadata")
        self.memory = memory
        self._lock = threading.Lock()
        self._db = open_db(db_path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS probes (path TEXT NOT NULL, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, info TEXT NOT NULL, stored REAL NOT NULL, used REAL NOT NULL,"
            " PRIMARY KEY (path, size, mtime_ns))"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS probes_used ON probes (used)")
        # kept by hand: COUNT(*) on every put would scan the table (~1 ms at 50 000 rows); recounted
        # now and then in case another process shares the database
        self._rows = self._db.execute("SELECT COUNT(*) FROM probes").fetchone()[0]
        self._puts = 0

    def get_key(self, key: Key) -> MediaInfo | None:
        """Look up by key; counts a hit or a miss."""
        info = self.memory.get(key)
        if info is not None:
            self.hits += 1
            return info
        now = time.time()
        with self._lock:
            row = self._db.execute(
                "SELECT info, stored FROM probes WHERE path=? AND size=? AND mtime_ns=?", key
            ).fetchone()
            if row is not None and now - row[1] > self.ttl:
                self._db.execute("DELETE FROM probes WHERE path=? AND size=? AND mtime_ns=?", key)
                self._rows -= 1
                row = None
            if row is not None:
                self._db.execute("UPDATE probes SET used=? WHERE path=? AND size=? AND mtime_ns=?", (now, *key))
        if row is None:
            self.misses += 1
            return None
        try:
            info = MediaInfo.model_validate_json(row[0])
        except ValueError:  # a row from an older schema: treat as a miss and re-probe
            self.misses += 1
            return None
        self.memory[key] = info
        self.hits += 1
        return info

    def get(self, path: str) -> MediaInfo | None:
        """Look up a file by path (stat'ed now); None on a miss or if the file is gone."""
        try:
            key, _ = file_key(path)
        except OSError:
            self.misses += 1
            return None
        return self.get_key(key)

    def put(self, info: MediaInfo) -> None:
        """Remember ``info`` under its own (path, size, mtime_ns); evicts the least recently used past the bound."""
        key = (info.path, info.size, info.mtime_ns)
        now = time.time()
        data = info.model_dump_json()
        with self._lock:
            self._puts += 1
            if self._puts % 1000 == 0:
                self._rows = self._db.execute("SELECT COUNT(*) FROM probes").fetchone()[0]
            # one transaction: one WAL commit instead of two or three
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                # older versions of the same file can never hit again: drop them
                dropped = self._db.execute("DELETE FROM probes WHERE path=?", (info.path,)).rowcount
                self._db.execute(
                    "INSERT INTO probes (path, size, mtime_ns, info, stored, used) VALUES (?,?,?,?,?,?)",
                    (*key, data, now, now),
                )
                self._rows += 1 - dropped
                if self._rows > self.max_entries:
                    evicted = self._db.execute(
                        "DELETE FROM probes WHERE rowid IN (SELECT rowid FROM probes ORDER BY used LIMIT ?)",
                        (self._rows - self.max_entries,),
                    ).rowcount
                    self._rows -= evicted
        self.memory[key] = info

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM probes").fetchone()[0]

    def clear(self) -> None:
        """Forget everything (both levels)."""
        with self._lock:
            self._db.execute("DELETE FROM probes")
            self._rows = 0
        self.memory.clear()

    def close(self) -> None:
        with self._lock:
            self._db.close()
