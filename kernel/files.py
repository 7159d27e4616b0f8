"""Atomic file writes: a reader sees the old file or the new one, never a part of one.

``atomic_write(path, data)`` writes bytes or text held in memory. ``atomic_output(path)`` hands a
temporary path to a producer that writes the file itself (FFmpeg, sqlite, zipfile) and renames it into
place when the ``with`` block ends normally. Both work in the target's own folder (same filesystem, so
the rename is atomic) and remove the temporary file on any failure — Ctrl-C and a cancelled task
included — leaving an existing target untouched. Standard library only: importing this stays light.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "atomic_output"]

_umask_lock = threading.Lock()


def _umask() -> int:
    try:  # Linux ≥ 4.7 reports it without the set-and-restore race below
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _final_mode(path: Path, mode: int | None) -> int:
    """``mode``; else the existing file's mode; else what a plain ``open()`` would give (0666 & ~umask)."""
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _fsync_path(path: Path, directory: bool = False) -> None:
    if directory and os.name != "posix":
        return  # a directory cannot be opened for fsync on Windows
    fd = os.open(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8",
                 mode: int | None = None, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it and ``os.replace``; returns the path.

    ``str`` data is encoded with ``encoding`` (no newline translation). The file gets ``mode`` if given,
    else keeps the mode of the file it replaces, else gets the usual ``0o666 & ~umask``. ``durable``
    fsyncs the file before the rename and the folder after it, so the new content survives a power cut;
    pass ``durable=False`` for caches that can be rebuilt. The parent folder must exist.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    final_mode = _final_mode(path, mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, final_mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_path(path.parent, directory=True)
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, suffix: str | None = None,
                  durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a producer to write; rename it into place on success.

    The temporary file already exists (empty, so its name is reserved): the producer must overwrite it
    (FFmpeg: ``-y``). Its name ends with ``suffix``, by default the target's own suffix, since FFmpeg
    picks the muxer from the extension. When the block ends normally the file is fsynced (``durable``),
    given the mode rules of :func:`atomic_write` and renamed onto ``path``; when it raises — any
    exception, ``KeyboardInterrupt`` and ``asyncio.CancelledError`` included — the temporary file is
    deleted and the exception propagates. Stop any process still writing it before leaving the block.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=(path.suffix or ".tmp") if suffix is None else suffix,
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            _fsync_path(tmp)
        os.chmod(tmp, _final_mode(path, None))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_path(path.parent, directory=True)
