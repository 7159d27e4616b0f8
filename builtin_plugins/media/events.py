"""Events the media plugin publishes (all during ``media.import``; thumbnails also on ``media.thumbnail``)."""

from __future__ import annotations

from reelkit.sdk import Event, Field

from .api import MediaInfo

__all__ = ["EVENTS", "FileDiscovered", "FileFailed", "MetadataReady", "ThumbnailCreated"]


class FileDiscovered(Event, topic="media.file.discovered"):
    """A file was found by an import (before it is probed)."""

    path: str = Field(description="Absolute path")
    job_id: str | None = Field(None, description="The import job, if any")


class MetadataReady(Event, topic="media.metadata.ready"):
    """A file was probed (or found in the metadata cache)."""

    path: str = Field(description="Absolute path")
    info: MediaInfo = Field(description="The probe result")
    cached: bool = Field(description="Whether it came from the metadata cache")
    job_id: str | None = Field(None, description="The import job, if any")


class ThumbnailCreated(Event, topic="media.thumbnail.created"):
    """A thumbnail exists for a file."""

    path: str = Field(description="Source file")
    file: str = Field(description="Thumbnail image file")
    width: int = Field(description="Thumbnail width, pixels")
    height: int = Field(description="Thumbnail height, pixels")
    job_id: str | None = Field(None, description="The import job, if any")


class FileFailed(Event, topic="media.file.failed"):
    """A file could not be imported; the rest of the import goes on."""

    path: str = Field(description="The path as found")
    code: str = Field(description="Error code, e.g. media.unreadable")
    message: str = Field(description="What went wrong and how to fix it")
    job_id: str | None = Field(None, description="The import job, if any")


EVENTS = (FileDiscovered, MetadataReady, ThumbnailCreated, FileFailed)
