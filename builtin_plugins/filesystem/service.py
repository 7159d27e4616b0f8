"""The file operations themselves: confined, blocking (commands run them in worker threads), atomic."""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from reelkit.sdk import Bus, Conflict, HealthResult, InputInvalid, NotFound, PathPolicy, Paths, PermissionDenied, current_call, open_in

from .api import FileEntry
from .confine import Confinement
from .errors import FileTooLarge, IsADirectory, NotADirectory, NotARegularFile, NotText
from .fileops import (
    O_NOFOLLOW,
    atomic_write,
    check_encoding,
    entry_for,
    fsync_dir,
    move_across_devices,
    os_errors,
    remove,
)
from .settings import FilesystemSettings

if TYPE_CHECKING:
    from .watch import Watches


class FilesystemService:
    """File operations confined to `roots`. Every method takes user paths and returns real paths."""

    def __init__(self, roots: Iterable[Path | str], *, max_read_bytes: int = 16 * 2**20) -> None:
        self.confinement = Confinement(roots)
        self.max_read_bytes = max_read_bytes
        self.watches: Watches | None = None  # set by `create`; watching needs the kernel's bus

    @property
    def roots(self) -> tuple[Path, ...]:
        return self.confinement.roots

    def policy(self) -> PathPolicy:
        """The roots, and those of the current caller: what a race-free open must stay beneath."""
        call = current_call()
        levels = call.paths.levels if call is not None else ()
        return PathPolicy([[str(r) for r in self.roots], *levels])

    def resolve(self, path: str, *, follow_final: bool = True) -> Path:
        """Real path of `path` inside the roots (see `Confinement.resolve`)."""
        return self.confinement.resolve(path, follow_final=follow_final)

    # -- reading ---------------------------------------------------------------------------------

    def stat(self, path: str) -> FileEntry:
        real = self.resolve(path)
        with os_errors(path):
            return entry_for(real, real.lstat())

    def list(
        self,
        path: str,
        *,
        recursive: bool = False,
        media_type: str | None = None,
        include_hidden: bool = True,
        limit: int = 10_000,
    ) -> tuple[Path, list[FileEntry], bool, list[str]]:
        """List a directory; returns (real dir, entries sorted by path, truncated, skipped dirs)."""
        real = self.resolve(path)
        with os_errors(path):
            if not real.is_dir():
                if not real.exists():
                    raise NotFound(f"{path}: no such directory", details={"path": path})
                raise NotADirectory(f"{path}: not a directory; list its parent", details={"path": path})
        entries: list[FileEntry] = []
        skipped: list[str] = []
        stack = [real]
        while stack:
            current = stack.pop()
            try:
                with os.scandir(current) as it:
                    children = sorted(it, key=lambda e: e.name)
            except OSError:
                if current == real:
                    with os_errors(path):
                        raise
                skipped.append(str(current))
                continue
            subdirs: list[Path] = []
            for child in children:
                if not include_hidden and child.name.startswith("."):
                    continue
                try:
                    entry = entry_for(child.path, child.stat(follow_symlinks=False), child.name)
                except OSError:
                    continue  # vanished between scandir and stat
                if recursive and entry.kind == "directory":
                    subdirs.append(Path(child.path))
                if media_type is None or (entry.kind != "directory" and entry.media_type == media_type):
                    entries.append(entry)
                    if len(entries) > limit:
                        entries.sort(key=lambda e: e.path)
                        return real, entries[:limit], True, skipped
            stack.extend(reversed(subdirs))
        entries.sort(key=lambda e: e.path)
        return real, entries, False, skipped

    def read_text(self, path: str, *, encoding: str = "utf-8") -> tuple[Path, str, int]:
        """Read a whole text file; returns (real path, text, size in bytes)."""
        real = self.resolve(path)
        check_encoding(encoding)
        with os_errors(path):
            try:
                # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below)
                flags = os.O_RDONLY | O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
                fd = open_in(self.policy(), str(real), flags)  # beneath the root: no symlink swap escapes
            except OSError as e:
                if e.errno == errno.ELOOP:  # a symlink loop, or swapped for a symlink after resolution
                    raise PermissionDenied(
                        f"{path}: is a symlink that does not resolve (a loop, or it changed while being "
                        "opened); point it at a real file",
                        details={"path": path},
                    ) from e
                raise
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(f.fileno())
                if stat_mod.S_ISDIR(st.st_mode):
                    raise IsADirectory(f"{path}: is a directory; use filesystem.list", details={"path": path})
                if not stat_mod.S_ISREG(st.st_mode):
                    raise NotARegularFile(
                        f"{path}: is a pipe, socket or device, not a file; only regular files are read",
                        details={"path": path},
                    )
                if st.st_size > self.max_read_bytes:
                    raise FileTooLarge(
                        f"{path}: {st.st_size} bytes is more than [filesystem] max_read_bytes "
                        f"({self.max_read_bytes}); raise that setting to read it",
                        details={"path": path, "size": st.st_size},
                    )
                data = f.read(self.max_read_bytes + 1)
        if len(data) > self.max_read_bytes:
            raise FileTooLarge(f"{path}: grew past max_read_bytes while being read", details={"path": path})
        try:
            return real, data.decode(encoding), len(data)
        except UnicodeDecodeError as e:
            raise NotText(
                f"{path}: not valid {encoding} at byte {e.start}; pass the file's encoding",
                details={"path": path, "encoding": encoding, "offset": e.start},
            ) from e

    # -- writing ---------------------------------------------------------------------------------

    def write_text(
        self,
        path: str,
        text: str,
        *,
        encoding: str = "utf-8",
        overwrite: bool = True,
        make_parents: bool = False,
    ) -> FileEntry:
        """Write atomically: a temporary file in the same directory, fsync, rename over the target."""
        real = self.resolve(path)
        check_encoding(encoding)
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError as e:
            raise InputInvalid(
                f"{path}: the text cannot be encoded as {encoding} (character {e.start}); use utf-8",
                details={"path": path, "encoding": encoding},
            ) from e
        with os_errors(path):
            if make_parents:
                real.parent.mkdir(parents=True, exist_ok=True)
            elif not real.parent.is_dir():
                raise NotFound(
                    f"{path}: the parent directory does not exist; create it or pass make_parents=true",
                    details={"path": path},
                )
            dir_fd = open_in(self.policy(), str(real.parent), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                atomic_write(real, data, overwrite=overwrite, label=path, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
            return entry_for(real)

    def mkdir(self, path: str, *, parents: bool = True, exist_ok: bool = True) -> FileEntry:
        real = self.resolve(path)
        with os_errors(path):
            try:
                real.mkdir(parents=parents, exist_ok=exist_ok)
            except FileExistsError as e:
                what = "a directory" if real.is_dir() else "a file"
                raise Conflict(f"{path}: {what} already exists there", details={"path": path}) from e
            return entry_for(real)

    def move(self, source: str, target: str, *, overwrite: bool = False) -> FileEntry:
        """Rename within a filesystem; copy then remove across filesystems. Symlinks move as links."""
        src = self.resolve(source, follow_final=False)
        dst = self.resolve(target, follow_final=False)
        if self.confinement.is_root(src):
            raise PermissionDenied(f"{source}: is a filesystem root and cannot be moved", details={"path": source})
        with os_errors(source):
            src_st = src.lstat()
        if src == dst:
            return entry_for(dst, src_st)
        if stat_mod.S_ISDIR(src_st.st_mode) and dst.is_relative_to(src):
            raise InputInvalid(f"{target}: cannot move a directory into itself", details={"path": target})
        with os_errors(target):
            if not dst.parent.is_dir():
                raise NotFound(f"{target}: the target's parent directory does not exist", details={"path": target})
            if os.path.lexists(dst):
                if stat_mod.S_ISDIR(dst.lstat().st_mode):
                    raise Conflict(
                        f"{target}: a directory exists there; give the full new path inside it",
                        details={"path": target},
                    )
                if not overwrite:
                    raise Conflict(f"{target}: already exists; pass overwrite=true", details={"path": target})
            try:
                os.replace(src, dst)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                move_across_devices(src, dst, src_st)
            fsync_dir(dst.parent)
            return entry_for(dst)

    def delete(self, path: str, *, recursive: bool = False, missing_ok: bool = False) -> tuple[Path, bool]:
        """Delete a file, a symlink, or a directory (non-empty ones only with `recursive`)."""
        real = self.resolve(path, follow_final=False)
        if self.confinement.is_root(real):
            raise PermissionDenied(f"{path}: is a filesystem root and cannot be deleted", details={"path": path})
        if not os.path.lexists(real):
            if missing_ok:
                return real, False
            raise NotFound(f"{path}: nothing to delete there", details={"path": path})
        with os_errors(path):
            if stat_mod.S_ISDIR(real.lstat().st_mode):
                if not recursive and any(real.iterdir()):
                    raise Conflict(
                        f"{path}: the directory is not empty; pass recursive=true to delete its content",
                        details={"path": path},
                    )
                remove(real, recursive=True)
            else:
                real.unlink()
            return real, True


async def create(settings: FilesystemSettings, paths: Paths, bus: Bus) -> AsyncIterator[FilesystemService]:
    """Kernel-lifetime factory: the service plus its watches, which are stopped at shutdown."""
    from .watch import Watches

    roots = settings.roots or [Path.home(), Path(paths.data_dir)]
    service = FilesystemService(roots, max_read_bytes=settings.max_read_bytes)
    service.watches = Watches(
        bus.publish,
        debounce_ms=settings.watch_debounce_ms,
        force_polling=settings.watch_force_polling,
        max_watches=settings.max_watches,
    )
    try:
        yield service
    finally:
        await service.watches.close()


def roots_health(fs: FilesystemService) -> HealthResult:
    """ok when every root is a readable directory; warn naming the ones that are not."""
    if not fs.roots:
        return HealthResult(state="error", detail="no filesystem roots: set [filesystem] roots in reelkit.toml")
    bad = [str(r) for r in fs.roots if not (r.is_dir() and os.access(r, os.R_OK | os.X_OK))]
    if bad:
        return HealthResult(state="warn", detail=f"roots that are not readable directories: {', '.join(bad)}")
    watches = len(fs.watches) if fs.watches is not None else 0
    return HealthResult(state="ok", detail=f"{len(fs.roots)} roots, {watches} watches running")
