"""Events published by the filesystem plugin."""

from __future__ import annotations

from typing import Literal

from reelkit.sdk import Event, Field


class FileChanged(Event, topic="filesystem.file.changed"):
    """A file or directory under a watched path was added, modified or deleted."""

    watch_id: str = Field(description="The watch (from filesystem.watch) that saw the change")
    path: str = Field(description="Absolute path of what changed")
    change: Literal["added", "modified", "deleted"] = Field(description="What happened to it")
    media_type: str | None = Field(None, description="video, audio, image or subtitle by extension")
