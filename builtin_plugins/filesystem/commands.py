"""Command handlers of the filesystem plugin. Blocking ones are plain `def` (worker threads)."""

from __future__ import annotations

from reelkit.sdk import Unavailable, command

from .api import (
    DeleteInput,
    DeleteResult,
    FileEntry,
    ListInput,
    ListResult,
    MkdirInput,
    MoveInput,
    PathInput,
    ReadTextInput,
    ReadTextResult,
    RootsInput,
    RootsResult,
    UnwatchInput,
    UnwatchResult,
    WatchInput,
    WatchResult,
    WriteTextInput,
)
from .fileops import entry_for
from .service import FilesystemService


@command("filesystem.list", summary="List a directory, optionally recursive and filtered by media type")
def list_dir(inp: ListInput, fs: FilesystemService) -> ListResult:
    real, entries, truncated, skipped = fs.list(
        inp.path,
        recursive=inp.recursive,
        media_type=inp.media_type,
        include_hidden=inp.include_hidden,
        limit=inp.limit,
    )
    return ListResult(path=str(real), entries=entries, truncated=truncated, skipped=skipped)


@command("filesystem.roots", summary="The directories the filesystem commands may touch")
def roots(inp: RootsInput, fs: FilesystemService) -> RootsResult:
    return RootsResult(roots=[entry_for(r) for r in fs.roots if r.is_dir()])


@command("filesystem.stat", summary="Describe one file or directory (symlinks followed)")
def stat(inp: PathInput, fs: FilesystemService) -> FileEntry:
    return fs.stat(inp.path)


@command("filesystem.read_text", summary="Read a whole text file")
def read_text(inp: ReadTextInput, fs: FilesystemService) -> ReadTextResult:
    real, text, size = fs.read_text(inp.path, encoding=inp.encoding)
    return ReadTextResult(path=str(real), text=text, size=size)


@command("filesystem.write_text", summary="Write a text file atomically (temporary file, fsync, rename)")
def write_text(inp: WriteTextInput, fs: FilesystemService) -> FileEntry:
    return fs.write_text(
        inp.path, inp.text, encoding=inp.encoding, overwrite=inp.overwrite, make_parents=inp.make_parents
    )


@command("filesystem.mkdir", summary="Create a directory")
def mkdir(inp: MkdirInput, fs: FilesystemService) -> FileEntry:
    return fs.mkdir(inp.path, parents=inp.parents, exist_ok=inp.exist_ok)


@command("filesystem.move", summary="Move or rename a file or directory")
def move(inp: MoveInput, fs: FilesystemService) -> FileEntry:
    return fs.move(inp.source, inp.target, overwrite=inp.overwrite)


@command("filesystem.delete", summary="Delete a file, symlink or directory")
def delete(inp: DeleteInput, fs: FilesystemService) -> DeleteResult:
    real, deleted = fs.delete(inp.path, recursive=inp.recursive, missing_ok=inp.missing_ok)
    return DeleteResult(path=str(real), deleted=deleted)


@command("filesystem.watch", summary="Publish filesystem.file.changed for changes under a path")
async def watch(inp: WatchInput, fs: FilesystemService) -> WatchResult:
    real = fs.resolve(inp.path)
    watch_id = await _watches(fs).start(real, recursive=inp.recursive)
    return WatchResult(watch_id=watch_id, path=str(real))


@command("filesystem.unwatch", summary="Stop a watch started by filesystem.watch")
async def unwatch(inp: UnwatchInput, fs: FilesystemService) -> UnwatchResult:
    await _watches(fs).stop(inp.watch_id)
    return UnwatchResult(watch_id=inp.watch_id)


ALL = (roots, list_dir, stat, read_text, write_text, mkdir, move, delete, watch, unwatch)


def _watches(fs: FilesystemService):
    if fs.watches is None:
        raise Unavailable("filesystem watching is not set up (the service was built without a bus)")
    return fs.watches
