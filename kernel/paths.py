"""The path policy: which files a caller may name, opened race-free inside its roots.

A confined caller (an IPC client, a WASM plugin, the embedding app when ``[paths] confine_app``) carries a
:class:`PathPolicy` on its :class:`~kernel.commands.CallContext`: one or more levels of root folders, one
per caller on the chain (as with grants, a nested call only narrows). A path is allowed when every level
has a root that contains it; it is then opened *relative to an opened root directory*, with ``openat2``
and ``RESOLVE_BENEATH`` where the kernel has it (a symlink or ``..`` that leaves the root fails with
``EXDEV``), else by a walk of ``O_NOFOLLOW`` opens, one component at a time (no symlink at all). The
opened handle is what commands use: :func:`read_bounded` reads from it, and
:func:`kernel.files.atomic_output` creates its temporary file and renames it with the opened target
directory's descriptor, so swapping a folder for a symlink mid-call cannot redirect a read or a write.

The path types of command inputs (``InputPath`` …) live in :mod:`kernel.pathtypes`; the mapping of
``OSError`` to codes in :mod:`kernel.oserrors`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from collections.abc import Iterable
from typing import Any, final

from pydantic import Field

from .errors import InputInvalid, KernelError, PermissionDenied
from .settings import SettingsSection

__all__ = ["PathsSettings", "PathPolicy", "PathOutsideRoots", "open_in", "open_parent", "read_bounded",
           "opened_input", "describe_kind", "namespace_code"]

RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_BENEATH = 0x08
_SYS_OPENAT2 = 437  # the same number on every Linux architecture (a post-5.1 syscall)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
O_NOCTTY = getattr(os, "O_NOCTTY", 0)


class PathsSettings(SettingsSection, section="paths"):
    """``[paths]``: where confined callers may name files, and how much a command reads into memory."""

    roots: list[str] = Field(default_factory=list, description="Folders confined callers (IPC clients, WASM "
                             "plugins) may name; empty means the user's home and reelkit's data dir")
    confine_app: bool = Field(False, description="Confine the in-process embedding app to the roots too")
    max_read_bytes: int = Field(64 * 2**20, ge=1, description="Largest file a command reads into memory "
                                "(<namespace>.too_large beyond it)")


def namespace_code(suffix: str) -> str:
    """``<namespace of the current command>.<suffix>`` (``path.<suffix>`` outside a command)."""
    from .commands import current_call

    call = current_call.get()
    ns = call.command.id.split(".", 1)[0] if call is not None else "path"
    return f"{ns}.{suffix}"


class PathOutsideRoots(PermissionDenied):
    """A confined caller named a path outside its roots, or one that a symlink or ``..`` leads out of."""

    code = "path.outside_roots"


@final
class PathPolicy:
    """An immutable chain of root levels; no level means unconfined. ``max_read_bytes`` bounds reads."""

    __slots__ = ("levels", "max_read_bytes")

    def __init__(self, levels: Iterable[Iterable[str]] = (), *, max_read_bytes: int = 64 * 2**20) -> None:
        self.levels: tuple[tuple[str, ...], ...] = tuple(
            tuple(dict.fromkeys(os.path.realpath(os.path.expanduser(os.fspath(r))) for r in level))
            for level in levels)
        self.max_read_bytes = max_read_bytes

    @property
    def confined(self) -> bool:
        return bool(self.levels)

    def narrow(self, roots: Iterable[str] | None) -> PathPolicy:
        """This policy with one more level (``None``: unchanged)."""
        if roots is None:
            return self
        out = PathPolicy(max_read_bytes=self.max_read_bytes)
        out.levels = (*self.levels, PathPolicy([roots]).levels[0])
        return out

    def with_internal(self, folder: str) -> PathPolicy:
        """This policy with ``folder`` (a real path) added to every level: the kernel's cache, for the
        paths plugins pass to the commands they call themselves (a level added later does not get it)."""
        if not self.levels or all(folder in level for level in self.levels):
            return self
        out = PathPolicy(max_read_bytes=self.max_read_bytes)
        real = folder
        out.levels = tuple(level if real in level else (*level, real) for level in self.levels)
        return out

    def roots(self) -> list[str]:
        """The roots of the innermost level (for messages)."""
        return list(self.levels[-1]) if self.levels else []

    def locate(self, path: str) -> tuple[str, str]:
        """``(root, relative part)`` of an absolute ``path``: the deepest root every level allows."""
        if not os.path.isabs(path):
            raise InputInvalid(f"{path!r}: relative paths are not accepted here; give an absolute path inside "
                               f"one of the roots {self.roots()}", details={"path": path})
        norm = os.path.normpath(path)
        if norm.startswith("//"):
            norm = "/" + norm.lstrip("/")
        best = ""
        for level in self.levels:
            inside = [r for r in level if norm == r or norm.startswith(r.rstrip("/") + "/")]
            if not inside:
                raise self.outside(path)
            deepest = max(inside, key=len)
            if len(deepest) > len(best):
                best = deepest
        rel = "" if norm == best else norm[len(best.rstrip("/")) + 1:]
        return best, rel

    def outside(self, path: str) -> PathOutsideRoots:
        return PathOutsideRoots(
            f"{path}: outside the folders this caller may use ({self.roots()}); name a file inside them, "
            "or add a root ([paths] roots, or the token's or plugin's roots)",
            details={"path": path, "roots": self.roots()})


# -- race-free opening -------------------------------------------------------------------------------

class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


_openat2_ok: bool | None = None
_libc: Any = None


def _openat2(dir_fd: int, rel: str, flags: int, mode: int) -> int | None:
    """``openat2(…, RESOLVE_BENEATH)``; None when the kernel lacks it."""
    global _openat2_ok, _libc
    if _openat2_ok is False or not hasattr(os, "O_PATH"):
        return None
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    how = _OpenHow(flags | O_CLOEXEC, mode if flags & os.O_CREAT else 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
    for _ in range(8):  # EAGAIN: a rename raced the lookup; the kernel asks to retry
        fd = _libc.syscall(_SYS_OPENAT2, dir_fd, os.fsencode(rel), ctypes.byref(how), ctypes.sizeof(how))
        if fd >= 0:
            _openat2_ok = True
            return int(fd)
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EPERM) and _openat2_ok is None:  # no openat2, or a seccomp filter
            _openat2_ok = False
            return None
        if err != errno.EAGAIN:
            raise OSError(err, os.strerror(err), rel)
    raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN), rel)


def _walk(dir_fd: int, rel: str, flags: int, mode: int) -> int:
    """The fallback: one ``O_NOFOLLOW`` open per component, relative to the previous one."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise OSError(errno.EXDEV, "'..' is not followed", rel)
    cur = dir_fd
    try:
        for part in parts[:-1]:
            nxt = os.open(part, os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, dir_fd=cur)
            if cur != dir_fd:
                os.close(cur)
            cur = nxt
        return os.open(parts[-1] if parts else ".", flags | O_NOFOLLOW | O_CLOEXEC, mode, dir_fd=cur)
    finally:
        if cur != dir_fd:
            os.close(cur)


def open_in(policy: PathPolicy, path: str, flags: int, mode: int = 0o666) -> int:
    """Open ``path`` with ``flags``: beneath its root for a confined policy, plainly otherwise.

    Raises :class:`PathOutsideRoots` when a confined path leaves its root, ``OSError`` for the rest.
    """
    if not policy.confined:
        return os.open(path, flags | O_CLOEXEC, mode)
    root, rel = policy.locate(path)
    root_fd = os.open(root, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    try:
        if not rel:
            return os.open(".", flags | O_CLOEXEC, mode, dir_fd=root_fd)
        try:
            fd = _openat2(root_fd, rel, flags, mode)
            return fd if fd is not None else _walk(root_fd, rel, flags, mode)
        except OSError as e:
            if e.errno == errno.EXDEV or (e.errno == errno.ELOOP and _openat2_ok is False):
                raise policy.outside(path) from e
            raise OSError(e.errno, e.strerror, path) from None  # name the caller's path, not the part
    finally:
        os.close(root_fd)


def open_parent(policy: PathPolicy, path: str) -> tuple[int, str]:
    """The opened folder of ``path`` and its last component: where an output is created and renamed."""
    head, name = os.path.split(os.path.abspath(path) if not policy.confined else path)
    if name in ("", ".", ".."):
        raise KernelError(f"{path!r}: names a folder, not a file; add a file name",
                          code=namespace_code("output_invalid"), details={"path": path})
    return open_in(policy, head or "/", os.O_RDONLY | O_DIRECTORY), name


def describe_kind(mode: int) -> str:
    """``folder``, ``FIFO``, ``socket``, ``device``, ``symlink`` or ``file``."""
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "file"


def opened_input(path: str, policy: PathPolicy | None = None) -> int:
    """An open descriptor of the regular file ``path`` (the one validated for this call when there is one).

    Never blocks on a FIFO (opened non-blocking, refused after ``fstat``). The caller closes it.
    """
    from .commands import current_call

    call = current_call.get()
    if policy is None:
        policy = call.paths if call is not None else PathPolicy()
    opened = getattr(call, "opened", None)
    if opened is not None:
        fd = opened.take_input(path)
        if fd is not None:
            return fd
    fd = open_in(policy, path, os.O_RDONLY | O_NONBLOCK | O_NOCTTY)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputInvalid(f"{path}: is a {describe_kind(st.st_mode)}, not a regular file; name a file",
                               code=namespace_code("input_invalid"), details={"path": path})
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The whole regular file ``path``, at most ``limit`` bytes (default ``[paths] max_read_bytes``).

    Opens it under the current caller's policy (or reuses the handle validated for this call), refuses
    a FIFO, socket, device or folder before reading, and raises ``<namespace>.too_large`` for a larger
    file (checked by size, then while reading, since a file can grow).
    """
    from .commands import current_call

    text = os.fspath(path)
    call = current_call.get()
    policy = call.paths if call is not None else PathPolicy()
    limit = policy.max_read_bytes if limit is None else limit
    fd = opened_input(text, policy)
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(fd).st_size
        if size > limit:
            raise _too_large(text, size, limit)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _too_large(text, len(data), limit)
    return data


def _too_large(path: str, size: int, limit: int) -> KernelError:
    return KernelError(f"{path}: {size} bytes is more than the {limit} a command reads into memory; "
                       "raise [paths] max_read_bytes or use a smaller file",
                       code=namespace_code("too_large"), details={"path": path, "size": size, "limit": limit})
