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
import secrets
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "atomic_output", "opened_folder"]

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


def opened_folder(path: str | os.PathLike[str]) -> str | None:
    """``/proc/<pid>/fd/<n>``: the folder of this call's validated output ``path``, as opened beneath the
    caller's roots, for a producer (an FFmpeg subprocess) that needs a path; None for any other path.

    The handle stays open until the call (or its job) ends; names joined to it cannot be redirected by
    a folder swapped for a symlink meanwhile.
    """
    from .commands import current_call

    opened = getattr(current_call.get(), "opened", None)
    if opened is None or not os.path.isdir(f"/proc/{os.getpid()}/fd"):
        return None
    fd = opened.folder_fd(os.fspath(path))
    return f"/proc/{os.getpid()}/fd/{fd}" if fd is not None else None


def _target(path: Path) -> tuple[int, str, bool, bool]:
    """``(opened folder, name, overwrite, confined)`` for writing ``path``.

    A path validated as this call's ``OutputPath`` (or a file beside it, such as ``X.json`` for an
    export ``X``) uses the folder handle opened beneath the caller's roots at validation, and its
    ``overwrite``; any other path (a plugin's own cache or state) opens its folder now and may replace.
    A target that exists and is not a regular file (folder, FIFO, socket, device, symlink) is refused:
    nothing is ever written through or replaces one.
    """
    from .commands import current_call
    from .errors import Conflict, InputInvalid
    from .paths import describe_kind, namespace_code

    call = current_call.get()
    opened = getattr(call, "opened", None)
    slot = opened.output_dir(str(path)) if opened is not None else None
    if slot is not None:
        dir_fd, overwrite, confined = slot[0], slot[1], True
    else:
        dir_fd, overwrite, confined = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)), True, False
    try:
        try:
            st = os.stat(path.name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise InputInvalid(f"{path}: is a {describe_kind(st.st_mode)}; an output must be a new or a regular "
                               "file — choose a file name", code=namespace_code("output_invalid"),
                               details={"path": str(path), "kind": describe_kind(st.st_mode)})
        if st is not None and not overwrite:
            raise Conflict(f"{path}: already exists; pass overwrite=true to replace it, or choose another name",
                           code=namespace_code("output_exists"), details={"path": str(path)})
    except BaseException:
        os.close(dir_fd)
        raise
    return dir_fd, path.name, overwrite, confined


def _plain(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _temp_in(dir_fd: int, name: str, suffix: str) -> tuple[int, str]:
    """A new file ``.<name>.<random><suffix>`` created inside the opened folder (never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if not _plain(name):  # a surrogate-escaped (non-UTF-8) name: C libraries (OTIO, FFmpeg) want text
        name = "reelkit"
    if not _plain(suffix):
        suffix = ".tmp"
    for _ in range(100):
        tmp = f".{name}.{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(tmp, flags, 0o600, dir_fd=dir_fd), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {name}")


def _commit(dir_fd: int, tmp: str, name: str, overwrite: bool, path: Path) -> None:
    """Rename ``tmp`` onto ``name`` inside the opened folder; without ``overwrite``, never clobber."""
    if overwrite:
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return
    from .errors import Conflict
    from .paths import namespace_code

    try:  # a hard link fails atomically when the name exists, unlike a check followed by a rename
        os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError as e:
        raise Conflict(f"{path}: already exists; pass overwrite=true to replace it",
                       code=namespace_code("output_exists"), details={"path": str(path)}) from e
    os.unlink(tmp, dir_fd=dir_fd)


def _existing_mode(dir_fd: int, name: str, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8",
                 mode: int | None = None, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename; returns the path.

    ``str`` data is encoded with ``encoding`` (no newline translation). The file gets ``mode`` if given,
    else keeps the mode of the file it replaces, else gets the usual ``0o666 & ~umask``. ``durable``
    fsyncs the file before the rename and the folder after it, so the new content survives a power cut;
    pass ``durable=False`` for caches that can be rebuilt. The parent folder must exist. The temporary
    file and the rename happen inside the opened folder (see ``_target`` for outputs of a command).
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    dir_fd, name, overwrite, _ = _target(path)
    try:
        final_mode = _existing_mode(dir_fd, name, mode)
        fd, tmp = _temp_in(dir_fd, name, ".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if durable:
                    os.fsync(f.fileno())
                os.fchmod(f.fileno(), final_mode)
            _commit(dir_fd, tmp, name, overwrite, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        if durable and os.name == "posix":
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
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
    For a command's validated output the yielded path goes through the opened folder
    (``/proc/<pid>/fd/<n>/…``), so a folder swapped for a symlink meanwhile cannot redirect the write.
    """
    path = Path(path)
    dir_fd, name, overwrite, confined = _target(path)
    try:
        fd, tmp_name = _temp_in(dir_fd, name, (path.suffix or ".tmp") if suffix is None else suffix)
        os.close(fd)
        proc = f"/proc/{os.getpid()}/fd/{dir_fd}"
        tmp = Path(proc, tmp_name) if confined and os.path.isdir(proc) else path.parent / tmp_name
        try:
            yield tmp
            fd = os.open(tmp_name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=dir_fd)
            try:
                os.fchmod(fd, _existing_mode(dir_fd, name, None))
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            _commit(dir_fd, tmp_name, name, overwrite, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name, dir_fd=dir_fd)
            raise
        if durable and os.name == "posix":
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
