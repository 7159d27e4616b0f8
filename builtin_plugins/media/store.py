"""The content-addressed picture store (files written atomically with ``sdk.files``).

Pictures (thumbnails, filmstrips, waveforms) are stored under the SHA-256 of their bytes:
``<root>/<aa>/<sha256>.<ext>``. A small index (sqlite, same database as the metadata cache)
maps a request key — source path, size, mtime and the parameters — to that digest, so a repeated
request costs one lookup, identical pictures are stored once, and a file is never half-written
(temporary name, rename; its size is checked on every lookup, so one cut short by a crash is remade).
At most ``max_entries`` requests are remembered; the oldest go first, with their files once no
remaining request names them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

from reelkit.sdk.files import atomic_write

__all__ = ["PictureStore", "open_db"]


def open_db(path: Path) -> sqlite3.Connection:
    """One sqlite connection usable from worker threads (callers serialise with their own lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class PictureStore:
    """Content-addressed picture files plus a request-key index."""

    def __init__(self, root: Path, db: Path, max_entries: int = 20_000) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db = open_db(db)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(pictures)")}
        if columns and "size" not in columns:  # an index from before sizes were kept: it is only a cache
            self._db.execute("DROP TABLE pictures")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pictures (key TEXT PRIMARY KEY, digest TEXT NOT NULL,"
            " ext TEXT NOT NULL, size INTEGER NOT NULL, meta TEXT NOT NULL, created REAL NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS pictures_created ON pictures (created)")
        self._db.execute("CREATE INDEX IF NOT EXISTS pictures_digest ON pictures (digest)")
        self._rows = self._db.execute("SELECT COUNT(*) FROM pictures").fetchone()[0]

    @staticmethod
    def request_key(*parts: object) -> str:
        """A stable key for a request (source identity + parameters)."""
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def path_for(self, digest: str, ext: str) -> Path:
        return self.root / digest[:2] / f"{digest}.{ext}"

    def lookup(self, key: str) -> tuple[Path, str] | None:
        """``(file, meta_json)`` for a request already served, if its file is still there and whole."""
        with self._lock:
            row = self._db.execute("SELECT digest, ext, size, meta FROM pictures WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        path = self.path_for(row[0], row[1])
        try:
            whole = path.stat().st_size == row[2]
        except FileNotFoundError:
            return None
        return (path, row[3]) if whole else None  # a file cut short (a crash before the data hit disk): remake

    def put(self, key: str, data: bytes, ext: str, meta_json: str = "{}") -> Path:
        """Store ``data`` under its digest (once) and index it under ``key``; returns the file."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest, ext)
        try:
            present = path.stat().st_size == len(data)
        except FileNotFoundError:
            present = False
        if not present:
            path.parent.mkdir(parents=True, exist_ok=True)
            # no fsync: ~2.6 ms here, more than making a thumbnail; a file cut short is caught by its size
            atomic_write(path, data, durable=False)
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            known = self._db.execute("SELECT 1 FROM pictures WHERE key=?", (key,)).fetchone() is not None
            self._db.execute(
                "INSERT OR REPLACE INTO pictures (key, digest, ext, size, meta, created) VALUES (?,?,?,?,?,?)",
                (key, digest, ext, len(data), meta_json, time.time()),
            )
            self._rows += 0 if known else 1
            if self._rows > self.max_entries:
                self._evict(self._rows - self.max_entries)
        return path

    def _evict(self, n: int) -> None:
        """Forget the ``n`` oldest requests; delete files no remaining request names."""
        victims = self._db.execute("SELECT key, digest, ext FROM pictures ORDER BY created LIMIT ?", (n,)).fetchall()
        self._db.executemany("DELETE FROM pictures WHERE key=?", [(k,) for k, _, _ in victims])
        self._rows -= len(victims)
        for _, digest, ext in victims:
            if self._db.execute("SELECT 1 FROM pictures WHERE digest=?", (digest,)).fetchone() is None:
                self.path_for(digest, ext).unlink(missing_ok=True)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM pictures").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
