"""One translation of ``OSError`` into coded errors, at the edge of every command.

The error-mapping layer of the command chain and the path checks call :func:`map_os_error`; a handler
may raise its own coded error first, but an ``OSError`` that reaches the edge is never ``command.failed``.

    errno                         code                      class
    ENOENT                        path.not_found            NotFound
    EEXIST                        path.exists               Conflict
    EISDIR                        path.is_directory         InputInvalid
    ENOTDIR                       path.not_directory        InputInvalid
    ENAMETOOLONG                  path.name_too_long        InputInvalid
    ELOOP                         path.symlink_loop         InputInvalid
    EACCES, EPERM                 path.permission_denied    PermissionDenied
    EROFS                         path.read_only            PermissionDenied
    ENOSPC, EDQUOT, EFBIG         path.no_space             Unavailable
    EXDEV                         path.cross_device         Conflict
    ENOTEMPTY                     path.not_empty            Conflict
    EMFILE, ENFILE, EAGAIN, EBUSY path.busy                 Unavailable
    ENXIO, ENODEV                 path.not_a_file           InputInvalid
    EINVAL                        path.invalid              InputInvalid
    EOPNOTSUPP                    path.not_supported        InputInvalid
    anything else                 path.os_error             Unavailable
"""

from __future__ import annotations

import errno

from .errors import Conflict, InputInvalid, KernelError, NotFound, PermissionDenied, Unavailable

__all__ = ["map_os_error", "translate_foreign"]

_TABLE: dict[int, tuple[str, type[KernelError], str]] = {
    errno.ENOENT: ("not_found", NotFound, "no such file or folder; check the path (and that its folder exists)"),
    errno.EEXIST: ("exists", Conflict, "already exists; choose another name or pass overwrite=true"),
    errno.EISDIR: ("is_directory", InputInvalid, "is a folder; name a file"),
    errno.ENOTDIR: ("not_directory", InputInvalid, "a component of the path is not a folder"),
    errno.ENAMETOOLONG: ("name_too_long", InputInvalid, "the name is longer than the OS allows; shorten it"),
    errno.ELOOP: ("symlink_loop", InputInvalid, "too many (or refused) symbolic links; name the real file"),
    errno.EACCES: ("permission_denied", PermissionDenied, "the OS refused access; check the permissions"),
    errno.EPERM: ("permission_denied", PermissionDenied, "the OS refused the operation; check the permissions"),
    errno.EROFS: ("read_only", PermissionDenied, "is on a read-only file system; write somewhere else"),
    errno.ENOSPC: ("no_space", Unavailable, "no space left on the device; free some space"),
    errno.EDQUOT: ("no_space", Unavailable, "the disk quota is exceeded; free some space"),
    errno.EFBIG: ("no_space", Unavailable, "the file would be larger than the file system allows"),
    errno.EXDEV: ("cross_device", Conflict, "cannot move across file systems this way"),
    errno.ENOTEMPTY: ("not_empty", Conflict, "the folder is not empty"),
    errno.EMFILE: ("busy", Unavailable, "too many open files; try again later"),
    errno.ENFILE: ("busy", Unavailable, "too many open files; try again later"),
    errno.EAGAIN: ("busy", Unavailable, "the resource is busy; try again"),
    errno.EBUSY: ("busy", Unavailable, "the resource is busy; try again"),
    errno.ENXIO: ("not_a_file", InputInvalid, "is a socket or a device, not a file; name a regular file"),
    errno.ENODEV: ("not_a_file", InputInvalid, "is a device, not a file; name a regular file"),
    errno.EINVAL: ("invalid", InputInvalid, "the OS refused the name or the operation as invalid"),
    errno.EOPNOTSUPP: ("not_supported", InputInvalid, "the file system does not support this operation"),
}


def map_os_error(e: OSError, command: str | None = None) -> KernelError:
    """A coded error for ``e``, naming the file and the fix (``details``: path, errno, command)."""
    if isinstance(e, KernelError):
        return e
    where = e.filename if e.filename is not None else "a file"
    if e.filename2 is not None:
        where = f"{e.filename} → {e.filename2}"
    suffix, cls, fix = _TABLE.get(e.errno or 0, ("os_error", Unavailable, e.strerror or str(e)))
    details: dict[str, object] = {"errno": e.errno, "error": errno.errorcode.get(e.errno or 0, "")}
    if e.filename is not None:
        details["path"] = _text(e.filename)
    if command:
        details["command"] = command
    prefix = f"{command}: " if command else ""
    return cls(f"{prefix}{_text(where)}: {fix} ({e.strerror or e})", code=f"path.{suffix}", details=details)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        import os

        return os.fsdecode(value)
    return str(value)


def translate_foreign(e: BaseException, command_id: str) -> KernelError | None:
    """The coded error for a foreign exception that means bad input, not a bug (one translation for every
    plugin, issue 14): an ``OSError``, a surrogate-escaped (non-UTF-8) file name that reached a library
    taking text only, an ``OverflowError`` (a 400-digit hour in a subtitle file). None for anything else."""
    if isinstance(e, OSError):
        return map_os_error(e, command_id)
    if isinstance(e, UnicodeEncodeError) and "surrogate" in str(e.reason):
        # only a path may carry surrogate-escaped bytes: the schema refuses them in any other text
        return InputInvalid(f"{command_id}: a path is not valid UTF-8 ({e.object[e.start:e.end]!r} at position "
                            f"{e.start}) and this command's libraries take text names only; rename the file",
                            code="path.not_utf8", details={"command": command_id})
    if isinstance(e, OverflowError):  # a number from the input (a field, or inside a document) beyond range
        return InputInvalid(f"{command_id}: a number in the input is out of range ({e}); use a smaller value",
                            code="input.out_of_range", details={"command": command_id})
    return None


def coded_error(e: BaseException, command_id: str) -> KernelError:
    """``e`` as a KernelError: itself, its translation (see :func:`translate_foreign`), or, for a real bug,
    ``command.failed`` naming the exception. For work that reports failures per item (an import's files)
    instead of raising, so every item carries a specific code like a raised error would."""
    if isinstance(e, KernelError):
        return e
    from .errors import CommandFailed

    return translate_foreign(e, command_id) or CommandFailed(f"{command_id}: {type(e).__name__}: {e}",
                                                             details={"command": command_id})
