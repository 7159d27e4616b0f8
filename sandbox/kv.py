"""Per-plugin key-value storage with a byte quota (SQLite: atomic, durable, thread-safe).

The quota counts bytes on disk: the database file's pages, overhead included, checked inside the
write's transaction. A rollback journal (not WAL, whose file grows apart from the database until
a checkpoint), small pages and ``auto_vacuum`` keep the file close to what is stored, and give
deleted space back.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .errors import QuotaExceeded


PAGE_SIZE = 512


class KvStore:
    """Keys are text, values bytes; ``quota`` bounds the database's size on disk."""

    def __init__(self, path: Path, plugin: str, quota: int):
        self.path, self.plugin, self.quota = Path(path), plugin, quota
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._closed = False

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            # a call still running after its plugin was unloaded must not recreate the store
            raise RuntimeError(f"plugin '{self.plugin}' was unloaded; its storage is closed")
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before the first table: fixed from then on
            self._db.execute("PRAGMA auto_vacuum=FULL")
            self._db.execute("PRAGMA journal_mode=DELETE")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
        return self._db

    def get(self, key: str) -> bytes | None:
        with self._lock:
            row = self._conn().execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def used(self) -> int:
        with self._lock:
            return self._used()

    def _used(self) -> int:
        """Bytes the database takes on disk (pages in use, as of the current transaction)."""
        db = self._conn()
        return int(db.execute("PRAGMA page_count").fetchone()[0]) * int(db.execute("PRAGMA page_size").fetchone()[0])

    def set(self, key: str, value: bytes) -> None:
        """Store ``value``; :class:`QuotaExceeded` (nothing written) if it would pass the quota."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                if len(key.encode()) + len(value) > self.quota:  # refused before SQLite touches it
                    after = len(key.encode()) + len(value)
                else:
                    db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))
                    after = self._used()
                if after > self.quota:
                    raise QuotaExceeded(
                        f"plugin '{self.plugin}': storing '{key}' ({len(value)} bytes) would make its storage "
                        f"{after} bytes on disk, over its {self.quota}-byte quota; delete keys or raise "
                        f"permissions.storage.quota_bytes", details={"plugin": self.plugin, "key": key})
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def delete(self, key: str) -> None:
        with self._lock:
            self._conn().execute("DELETE FROM kv WHERE k = ?", (key,))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None
