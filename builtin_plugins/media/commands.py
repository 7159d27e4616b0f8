"""Command handlers of the media plugin (``media.*``)."""

from __future__ import annotations

import asyncio
import os
import threading
import time as _time
from typing import Literal

from reelkit.sdk import coded_error, get_logger
from pydantic import model_validator

from reelkit.sdk import (Bus, Cluster, Field, Input, InputAny, InputPath, JobContext, KernelError, Output, OutputPath,
                         command)

from .api import (
    FFmpegInfo,
    FFmpegLocator,
    FilmstripResult,
    ImportedFile,
    ImportResult,
    MediaInfo,
    ProxyResult,
    ThumbnailResult,
    WaveformResult,
)
from .events import FileDiscovered, FileFailed, MetadataReady, ThumbnailCreated
from .formats import FormatInfo, available_formats
from .service import MediaService
from .settings import MediaSettings

ImageFormat = Literal["jpeg", "png", "webp"]
log = get_logger("reelkit.media")


class ProbeInput(Input):
    path: InputPath = Field(description="Media file to probe")


class FormatsResult(Output):
    formats: list[FormatInfo] = Field(description="Every supported file type")


class ThumbnailInput(Input):
    path: InputPath = Field(description="Video or image file")
    time: float = Field(0.0, ge=0, le=1e7, description="Seconds into the video; past the end gives the last frame")
    width: int | None = Field(None, ge=16, le=3840, description="Width in pixels (height keeps the aspect ratio); "
                              "default: media.thumbnail_width")
    format: ImageFormat | None = Field(None, description="jpeg, png or webp; default: media.thumbnail_format")


class FilmstripInput(Input):
    path: InputPath = Field(description="Video file")
    count: int = Field(10, ge=1, le=400, description="Number of frames, evenly spread over the duration")
    width: int = Field(160, ge=16, le=1920, description="Width of each tile in pixels")
    columns: int | None = Field(None, ge=1, le=400, description="Tiles per row; default: all in one row")
    format: ImageFormat | None = Field(None, description="jpeg, png or webp; default: media.thumbnail_format")

    @model_validator(mode="after")
    def _sheet_fits(self) -> FilmstripInput:
        wide = min(self.columns or self.count, self.count) * self.width
        if wide > 16_384:  # JPEG and WebP stop at 65 535 / 16 383 pixels; keep sheets usable
            raise ValueError(f"the sheet would be {wide} px wide (count or columns × width); at most 16384: "
                             "set columns to wrap it into rows, or lower width")
        return self


class WaveformInput(Input):
    path: InputPath = Field(description="Audio or video file (its first audio stream)")
    width: int = Field(800, ge=16, le=16384, description="Image width = number of peak columns")
    height: int = Field(120, ge=8, le=2048, description="Image height in pixels")
    format: ImageFormat = Field("png", description="Image format (png keeps the transparent background)")
    color: str = Field("#4fc3f7", pattern=r"^#[0-9a-fA-F]{6}$", description="Wave colour, #rrggbb")


class ProxyInput(Input):
    path: InputPath = Field(description="Video file to make a proxy of")
    height: int | None = Field(None, ge=16, le=2160, description="Proxy height (never upscaled); "
                               "default: media.proxy_height")
    output: OutputPath | None = Field(None, description="Where to write the proxy; default: the proxy cache")
    overwrite: bool = Field(False, description="Replace an existing file at output")


class ImportInput(Input):
    paths: list[InputAny] = Field(min_length=1, max_length=10_000, description="Files and directories (walked recursively)")
    max_parallel: int | None = Field(None, ge=1, le=64, description="Files at once; default: media.max_parallel")
    thumbnails: bool = Field(True, description="Also make a thumbnail of each video and image file")


async def _to_the_end(aw):
    """Await ``aw``; if this task is cancelled, still wait for ``aw`` to wind down, then re-raise.

    A job cancel also cancels the job's task, but worker threads cannot be interrupted: without
    this, the job would report "cancelled" while FFmpeg is still being stopped and its temporary
    file (or an in-flight import file) is still being written.
    """
    task = asyncio.ensure_future(aw)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


@command("media.probe", summary="Describe a media file: container, duration, streams, chapters")
async def probe(inp: ProbeInput, media: MediaService) -> MediaInfo:
    # a cache hit is answered on the loop: a hop to a worker thread would cost more than the lookup
    info = media.cached(inp.path)
    if info is not None:
        return info
    return await asyncio.to_thread(media.probe_fresh, inp.path)


@command("media.formats", summary="List the file types the media plugin reads")
async def formats() -> FormatsResult:
    return FormatsResult(formats=list(available_formats()))


@command("media.ffmpeg_info", summary="Which FFmpeg reelkit uses and what it can do")
def ffmpeg_info(locator: FFmpegLocator) -> FFmpegInfo:
    return locator.info()


@command("media.thumbnail", summary="The frame at a time, scaled, as an image file")
def thumbnail(inp: ThumbnailInput, media: MediaService, bus: Bus) -> ThumbnailResult:
    out = media.thumbnail(inp.path, inp.time, inp.width, inp.format)
    if not out.cached:
        bus.publish(ThumbnailCreated(path=os.path.abspath(inp.path), file=out.file, width=out.width,
                                     height=out.height))
    return out


@command("media.filmstrip", summary="A sprite sheet of evenly spaced frames, for timeline scrubbing")
def filmstrip(inp: FilmstripInput, media: MediaService) -> FilmstripResult:
    return media.filmstrip(inp.path, inp.count, inp.width, inp.columns, inp.format)


@command("media.waveform", summary="An audio waveform (peaks) image of an audio or video file")
def waveform(inp: WaveformInput, media: MediaService) -> WaveformResult:
    return media.waveform(inp.path, inp.width, inp.height, inp.format, inp.color)


@command("media.proxy", summary="Make a low-resolution H.264 copy for fast previews", job=True)
async def proxy(inp: ProxyInput, media: MediaService, job: JobContext) -> ProxyResult:
    stop = threading.Event()
    dispose = job.on_cancel(stop.set)
    job.progress(0.0, stage="encode", message=inp.path)
    try:
        out = await _to_the_end(asyncio.to_thread(media.proxy, inp.path, inp.height, inp.output,
                                                  lambda f, s: job.progress(f, message=f"{s:.1f}s encoded"), stop))
    finally:
        dispose()
    job.raise_if_cancelled()
    assert out is not None
    return out


@command("media.import", summary="Probe and thumbnail many files and folders at once", job=True)
async def import_media(inp: ImportInput, media: MediaService, settings: MediaSettings, bus: Bus,
                       job: JobContext, cluster: Cluster) -> ImportResult:
    from .importer import discover, run_import

    files, missing = discover(inp.paths)
    for f in missing:
        bus.publish(FileFailed(path=f.path, code=f.code, message=f.message, job_id=job.job_id))
    for path in files:
        bus.publish(FileDiscovered(path=path, job_id=job.job_id))
    total, done, started = len(files), 0, _time.monotonic()
    job.progress(0.0 if total else 1.0, stage="import", message=f"{total} files found")

    def work(path: str) -> ImportedFile:
        if cluster.enabled:  # probe and thumbnail on a worker (distributed.py); events stay here
            from .distributed import on_cluster

            r = on_cluster(cluster, path, inp.thumbnails)
            bus.publish(MetadataReady(path=path, info=r["info"], cached=r["cached"], job_id=job.job_id))
            if r["error"]:
                log.warning("no thumbnail", path=path, code=r["error"][0], error=r["error"][1])
            t = r["thumb"]
            if t is not None:
                bus.publish(ThumbnailCreated(path=path, file=t.file, width=t.width, height=t.height,
                                             job_id=job.job_id))
            return ImportedFile(path=path, info=r["info"], thumbnail=t.file if t is not None else None)
        info, cached = media.probe(path)
        bus.publish(MetadataReady(path=path, info=info, cached=cached, job_id=job.job_id))
        thumb = None
        if inp.thumbnails and any(s.kind == "video" for s in info.streams):  # cover art counts
            try:
                t = media.thumbnail(path, min(1.0, (info.duration or 0) / 2))
            except KernelError as e:  # probed fine: imported, shown without a picture
                log.warning("no thumbnail", path=path, code=e.code, error=e.message)
            else:
                thumb = t.file
                bus.publish(ThumbnailCreated(path=path, file=t.file, width=t.width, height=t.height,
                                             job_id=job.job_id))
        return ImportedFile(path=path, info=info, thumbnail=thumb)

    def on_done(path: str, res, err) -> None:
        nonlocal done
        done += 1
        if err is not None:
            err = coded_error(err, "media.import")
            bus.publish(FileFailed(path=path, code=err.code, message=err.message, job_id=job.job_id))
        elapsed = _time.monotonic() - started
        job.progress(done / total, message=f"{done}/{total}: {path}", eta=elapsed * (total - done) / done)

    threads = await asyncio.to_thread(cluster.workers) if cluster.enabled else 0  # keep every worker busy
    imported, failed = await _to_the_end(run_import(
        files, work, max_parallel=max(inp.max_parallel or settings.max_parallel, 2 * threads),
        is_cancelled=lambda: job.cancelled, on_done=on_done))
    job.raise_if_cancelled()
    return ImportResult(files=imported, failed=missing + failed, total=total + len(missing))


COMMANDS = (probe, formats, ffmpeg_info, thumbnail, filmstrip, waveform, proxy, import_media)
