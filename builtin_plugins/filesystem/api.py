"""Public models of the filesystem plugin: command inputs and outputs other plugins may import."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from reelkit.sdk import AnyPath, Field, Input, Output

MediaTypeName = Literal["video", "audio", "image", "subtitle"]
Kind = Literal["file", "directory", "symlink", "other"]


class FileEntry(Output):
    """One file system object, as listed or stat-ed."""

    name: str = Field(description="Last path component")
    path: str = Field(description="Absolute real path")
    kind: Kind = Field(description="file, directory, symlink (not followed) or other")
    size: int = Field(description="Size in bytes (of the link itself for a symlink)")
    modified: datetime = Field(description="Last modification time, UTC")
    media_type: MediaTypeName | None = Field(
        None, description="video, audio, image or subtitle by extension; null for others"
    )


class ListInput(Input):
    path: AnyPath = Field(description="Absolute path of the directory to list, inside a root")
    recursive: bool = Field(False, description="Descend into subdirectories (symlinks not followed)")
    media_type: MediaTypeName | None = Field(
        None, description="Only files of this media type (directories are then left out)"
    )
    include_hidden: bool = Field(True, description="Include names starting with a dot")
    limit: int = Field(10_000, ge=1, le=1_000_000, description="Most entries returned")


class ListResult(Output):
    path: str = Field(description="Real path of the listed directory")
    entries: list[FileEntry] = Field(description="Entries sorted by path")
    truncated: bool = Field(description="True when `limit` cut the listing short")
    skipped: list[str] = Field(
        default_factory=list, description="Subdirectories that could not be read (recursive listing)"
    )


class PathInput(Input):
    path: AnyPath = Field(description="Absolute path inside a root")


class ReadTextInput(Input):
    path: AnyPath = Field(description="Absolute path of the file to read, inside a root")
    encoding: str = Field("utf-8", description="Text encoding (a Python codec name)")


class ReadTextResult(Output):
    path: str = Field(description="Real path of the file read")
    text: str = Field(description="The decoded content")
    size: int = Field(description="Size in bytes")


class WriteTextInput(Input):
    path: AnyPath = Field(description="Absolute path of the file to write, inside a root")
    text: str = Field(description="Content to write")
    encoding: str = Field("utf-8", description="Text encoding (a Python codec name)")
    overwrite: bool = Field(True, description="Replace an existing file (refused with conflict if false)")
    make_parents: bool = Field(False, description="Create missing parent directories")


class MkdirInput(Input):
    path: AnyPath = Field(description="Absolute path of the directory to create, inside a root")
    parents: bool = Field(True, description="Create missing parent directories too")
    exist_ok: bool = Field(True, description="Succeed when the directory already exists")


class MoveInput(Input):
    source: AnyPath = Field(description="Absolute path to move (a symlink is moved, not its target)")
    target: AnyPath = Field(description="Absolute destination path, inside a root")
    overwrite: bool = Field(False, description="Replace an existing file at the target")


class DeleteInput(Input):
    path: AnyPath = Field(description="Absolute path to delete (a symlink is removed, not its target)")
    recursive: bool = Field(False, description="Delete a non-empty directory with its content")
    missing_ok: bool = Field(False, description="Succeed when nothing exists at the path")


class DeleteResult(Output):
    path: str = Field(description="Real path that was deleted")
    deleted: bool = Field(description="False only when missing_ok and nothing was there")


class WatchInput(Input):
    path: AnyPath = Field(description="Absolute path of a directory or file to watch, inside a root")
    recursive: bool = Field(True, description="Watch subdirectories too")


class WatchResult(Output):
    watch_id: str = Field(description="Id to pass to filesystem.unwatch; carried by each event")
    path: str = Field(description="Real path being watched")


class UnwatchInput(Input):
    watch_id: str = Field(description="Id returned by filesystem.watch")


class UnwatchResult(Output):
    watch_id: str = Field(description="The watch that was stopped")


class RootsInput(Input):
    pass


class RootsResult(Output):
    roots: list[FileEntry] = Field(description="The directories commands may touch (a missing one is left out)")
