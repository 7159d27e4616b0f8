"""The path types of command inputs, and the check the validation layer runs on them.

``InputPath`` (a file that is read or decoded), ``InputDocument`` (a file read whole into memory: bounded
by ``[paths] max_read_bytes``), ``InputDir`` (a folder), ``InputAny`` (a file or a folder),
``OutputPath`` (a file that is written) and ``AnyPath`` (any path, existing or not, of any kind: the
filesystem plugin's own operations). Every file-naming input field of a command uses one of them.

The schema refuses a value with a NUL byte, a surrogate that is not a surrogate-escaped byte, or a name
longer than the OS allows (``input.invalid``). After the model is built, :func:`check_paths` applies
the caller's :class:`~kernel.paths.PathPolicy`: each path is opened (beneath its root when confined) and
the handle kept on the call for :func:`~kernel.paths.read_bounded` and
:func:`~kernel.files.atomic_output`; an input that is a FIFO, socket or device, or an output that is
anything but a regular file, is refused; an existing output needs ``overwrite: true``.

:func:`refuse_bad_text` is the schema-level text rule for every payload: a NUL byte or a lone surrogate
anywhere is ``input.invalid`` before any handler runs (a path field may hold surrogate-escaped bytes).
"""

from __future__ import annotations

import errno
import os
import stat
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, WithJsonSchema

from .errors import Conflict, InputInvalid, KernelError
from .paths import O_DIRECTORY, O_NOCTTY, O_NONBLOCK, PathPolicy, describe_kind, namespace_code, open_in, open_parent

__all__ = ["InputPath", "InputDocument", "InputDir", "InputAny", "OutputPath", "OutputPathOrDir", "AnyPath", "OpenedPaths",
           "check_paths", "has_paths", "check_text", "refuse_bad_text"]

PATH_MAX = 4096
NAME_MAX = 255
Kind = Literal["input", "document", "dir", "any_input", "output", "output_or_dir", "any"]


@dataclass(frozen=True, slots=True)
class PathKind:
    """The marker in a path type's metadata."""

    kind: Kind


def check_text(value: str, what: str = "text", *, path: bool = False) -> str | None:
    """Why ``value`` cannot travel as text (a NUL byte, a lone surrogate), or None.

    A ``path`` may hold surrogate-escaped bytes (U+DC80–U+DCFF): how a file name that is not UTF-8
    travels as text (``os.fsdecode``); in any other text every surrogate is refused.
    """
    if "\x00" in value:
        return f"{what} contains a NUL byte"
    try:
        value.encode("utf-8", "surrogateescape" if path else "strict")
    except UnicodeEncodeError:
        return f"{what} contains a lone surrogate" + (" (not a surrogate-escaped byte)" if path else "")
    return None


def _syntax(value: str) -> str:
    if not value:
        raise ValueError("an empty path names no file; give a path")
    bad = check_text(value, "the path", path=True)
    if bad:
        raise ValueError(bad)
    raw = os.fsencode(value)
    if len(raw) >= PATH_MAX:
        raise ValueError(f"the path is {len(raw)} bytes long; the OS allows {PATH_MAX - 1}")
    if any(len(part) > NAME_MAX for part in raw.split(b"/")):
        raise ValueError(f"a name in the path is longer than the {NAME_MAX} bytes the OS allows")
    return value


def _path_type(kind: Kind, description: str) -> Any:
    return Annotated[str, AfterValidator(_syntax), PathKind(kind),
                     WithJsonSchema({"type": "string", "format": "path", "minLength": 1,
                                     "x-reelkit-path": kind, "description": description})]


InputPath = _path_type("input", "A file to read (inside the caller's roots when confined)")
InputDocument = _path_type("document", "A file read whole into memory, bounded by [paths] max_read_bytes")
InputDir = _path_type("dir", "A folder (inside the caller's roots when confined)")
InputAny = _path_type("any_input", "A file or a folder (inside the caller's roots when confined)")
OutputPath = _path_type("output", "A file to write: never a folder, FIFO, socket or device; an existing "
                        "file is replaced only with overwrite")
OutputPathOrDir = _path_type("output_or_dir", "A file to write, or an existing folder to write it into")
AnyPath = _path_type("any", "A path inside the caller's roots, existing or not")


@dataclass(slots=True)
class _Output:
    dir_fd: int  # -1: the folder does not exist yet (the command makes it); opened beneath the roots on use
    dir_key: str
    overwrite: bool
    policy: PathPolicy


class OpenedPaths:
    """The handles :func:`check_paths` opened for one call; closed when the call ends."""

    def __init__(self) -> None:
        self.inputs: dict[str, int] = {}
        self.outputs: dict[str, _Output] = {}
        self._fds: list[int] = []
        self.closed = False

    def _keep(self, fd: int) -> int:
        self._fds.append(fd)
        return fd

    def take_input(self, path: str) -> int | None:
        """A duplicate of the handle validated for ``path`` (the caller closes it), or None."""
        fd = self.inputs.get(os.fspath(path))
        return os.dup(fd) if fd is not None and not self.closed else None

    def output_dir(self, path: str) -> tuple[int, bool] | None:
        """``(opened folder, overwrite)`` when ``path`` is a validated output or lies beside one.

        The descriptor is the caller's to close. A folder that did not exist at validation (the command
        creates it) is opened now, beneath the caller's roots.
        """
        if self.closed:
            return None
        key = os.path.dirname(os.path.abspath(os.fspath(path)))
        for out in self.outputs.values():
            if out.dir_key == key:
                if out.dir_fd >= 0:
                    return os.dup(out.dir_fd), out.overwrite
                return open_in(out.policy, key, os.O_RDONLY | O_DIRECTORY), out.overwrite
        return None

    def folder_fd(self, path: str) -> int | None:
        """The opened folder of the validated output ``path`` (owned by this object), or None."""
        if self.closed:
            return None
        key = os.path.dirname(os.path.abspath(path))
        return next((o.dir_fd for o in self.outputs.values() if o.dir_key == key and o.dir_fd >= 0), None)

    def close(self) -> None:
        self.closed = True
        fds, self._fds = self._fds, []
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass


_FIELDS: dict[type, list[tuple[str, Kind]]] = {}


def _kind_of(annotation: Any) -> Kind | None:
    if typing.get_origin(annotation) is Annotated:
        for m in annotation.__metadata__:
            if isinstance(m, PathKind):
                return m.kind
    for arg in typing.get_args(annotation):
        kind = _kind_of(arg)
        if kind is not None:
            return kind
    return None


def path_fields(model: type[BaseModel]) -> list[tuple[str, Kind]]:
    """``(field name, kind)`` of every path field of ``model`` (cached)."""
    found = _FIELDS.get(model)
    if found is None:
        found = []
        for name, f in model.model_fields.items():
            kind = next((m.kind for m in f.metadata if isinstance(m, PathKind)), None) or _kind_of(f.annotation)
            if kind is not None:
                found.append((name, kind))
        _FIELDS[model] = found
    return found


def has_paths(model: type[BaseModel]) -> bool:
    return bool(path_fields(model))


def path_field_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, _ in path_fields(model))


def check_paths(model: BaseModel, policy: PathPolicy) -> OpenedPaths:
    """Apply ``policy`` to every path field of ``model``; returns the opened handles (close them)."""
    opened = OpenedPaths()
    overwrite = bool(getattr(model, "overwrite", False))
    try:
        for name, kind in path_fields(type(model)):
            value = getattr(model, name, None)
            items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
            for item in items:  # a path field may be a path, a list of them, or a mapping to them
                if isinstance(item, str):
                    _check_one(opened, policy, kind, item, overwrite)
    except BaseException:
        opened.close()
        raise
    return opened


def _check_one(opened: OpenedPaths, policy: PathPolicy, kind: Kind, path: str, overwrite: bool) -> None:
    if kind in ("output", "output_or_dir"):
        _check_output(opened, policy, path, overwrite, kind == "output_or_dir")
        return
    if kind == "any":
        if policy.confined:  # inside the roots; what it is, and following it race-free, is the command's part
            policy.locate(path)
        return
    flags = os.O_RDONLY | O_NONBLOCK | O_NOCTTY | (O_DIRECTORY if kind == "dir" else 0)
    try:
        fd = open_in(policy, path, flags)
    except FileNotFoundError:
        return  # a missing file is the command's own not-found error (it cannot open it either)
    opened._keep(fd)
    st = os.fstat(fd)
    mode = st.st_mode
    if kind in ("input", "document") and not stat.S_ISREG(mode) or kind == "any_input" and not (
            stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        want = "a regular file" if kind != "any_input" else "a file or a folder"
        raise InputInvalid(f"{path}: is a {describe_kind(mode)}, not {want}; name {want}",
                           code=namespace_code("input_invalid"), details={"path": path})
    if kind == "document" and st.st_size > policy.max_read_bytes:
        raise KernelError(f"{path}: {st.st_size} bytes is more than the {policy.max_read_bytes} a command reads "
                          "into memory; raise [paths] max_read_bytes or use a smaller file",
                          code=namespace_code("too_large"),
                          details={"path": path, "size": st.st_size, "limit": policy.max_read_bytes})
    if stat.S_ISREG(mode):
        os.set_blocking(fd, True)
    opened.inputs[path] = fd


def _check_output(opened: OpenedPaths, policy: PathPolicy, path: str, overwrite: bool, dir_ok: bool) -> None:
    if dir_ok:
        try:
            fd = open_in(policy, path, os.O_RDONLY | O_DIRECTORY)
        except (NotADirectoryError, FileNotFoundError):
            pass
        else:  # the file is made inside this folder: register the folder itself
            opened._keep(fd)
            opened.outputs[path] = _Output(fd, os.path.abspath(path), overwrite, policy)
            return
    try:
        dir_fd, name = open_parent(policy, path)
    except FileNotFoundError:
        _missing_folder(opened, policy, path, overwrite)
        return
    opened._keep(dir_fd)
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise InputInvalid(f"{path}: is a {describe_kind(st.st_mode)}; an output must be a new or a regular file "
                           "— choose a file name", code=namespace_code("output_invalid"),
                           details={"path": path, "kind": describe_kind(st.st_mode)})
    if st is not None and not overwrite:
        raise Conflict(f"{path}: already exists; pass overwrite=true to replace it, or choose another name",
                       code=namespace_code("output_exists"), details={"path": path})
    folder = os.path.dirname(path) or "."
    if os.fstatvfs(dir_fd).f_flag & os.ST_RDONLY:  # refused now, not after an hour of encoding
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), folder)
    if os.access in os.supports_dir_fd and not os.access(".", os.W_OK, dir_fd=dir_fd):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), folder)
    opened.outputs[path] = _Output(dir_fd, os.path.dirname(os.path.abspath(path)), overwrite, policy)


def _missing_folder(opened: OpenedPaths, policy: PathPolicy, path: str, overwrite: bool) -> None:
    """An output whose folder does not exist yet: its nearest existing ancestor must open beneath the
    roots (and be a folder); the folder itself is opened when the command writes (``output_dir``)."""
    folder = os.path.dirname(os.path.abspath(path))
    ancestor = os.path.dirname(folder)
    while True:
        try:
            fd = open_in(policy, ancestor, os.O_RDONLY | O_DIRECTORY)
        except FileNotFoundError:
            if ancestor == os.path.dirname(ancestor):
                raise
            ancestor = os.path.dirname(ancestor)
            continue
        os.close(fd)
        break
    opened.outputs[path] = _Output(-1, folder, overwrite, policy)


def _bad_text(value: Any, path: str = "", paths: frozenset[str] = frozenset(),
              is_path: bool = False) -> tuple[str, str] | None:
    """The first string in a JSON-like ``value`` (keys included) with a NUL byte or a lone surrogate.

    Top-level fields named in ``paths`` are path fields: surrogate-escaped bytes are allowed there.
    """
    if isinstance(value, str):
        why = check_text(value, path=is_path)
        return (path or "(input)", why) if why else None
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            found = _bad_text(k, where) if isinstance(k, str) else None
            found = found or _bad_text(v, where, is_path=not path and k in paths)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = _bad_text(v, f"{path}[{i}]", is_path=is_path)
            if found:
                return found
    return None


def refuse_bad_text(spec_id: str, payload: Any, paths: frozenset[str] = frozenset()) -> None:
    """``input.invalid`` for a NUL byte or a lone surrogate anywhere in ``payload`` (before any handler).

    A surrogate-escaped byte (U+DC80–U+DCFF, how a non-UTF-8 file name travels as text) is allowed.
    orjson refuses every surrogate and is fast; only then are the strings walked one by one.
    """
    import orjson

    try:
        if b"\\u0000" not in orjson.dumps(payload):
            return
    except (TypeError, orjson.JSONEncodeError):
        pass
    found = _bad_text(payload, paths=paths)
    if found:
        where, why = found
        raise InputInvalid(f"invalid input for {spec_id}: {where}: {why}; send valid text",
                           details={"command": spec_id, "errors": [{"path": where, "message": why}]})
