"""MediaService: probing with the metadata cache, pictures in the picture store, proxies.

Thread-safe; the command handlers call it from worker threads. Everything on disk lives under
``<cache_dir>/media``: ``media.sqlite`` (metadata cache + picture index), ``pictures/``, ``proxies/``.
"""

from __future__ import annotations

import functools

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from reelkit.sdk import HealthResult, KernelError, Paths, Telemetry

from .api import (
    FFmpegLocator,
    FilmstripResult,
    MediaInfo,
    ProxyResult,
    ThumbnailResult,
    WaveformResult,
)
from .cache import MetadataCache, file_key
from .errors import MediaUnreadable
from .pictures import EXTENSIONS
from .probe import check_path, probe_file
from .settings import MediaSettings
from .store import PictureStore

__all__ = ["MediaService", "create_locator", "create_service", "ffmpeg_health"]


class MediaService:
    """The media plugin's work, behind one object (a kernel-lifetime service)."""

    def __init__(self, settings: MediaSettings, cache_dir: Path, locator: FFmpegLocator,
                 telemetry: Telemetry | None = None) -> None:
        from reelkit.sdk.perf import make_cache

        self.settings = settings
        self.locator = locator
        self.root = Path(cache_dir) / "media"
        self._telemetry = telemetry
        self._make_cache = make_cache
        on = telemetry is not None and getattr(telemetry, "enabled", False)
        self._count: Callable[[str], None] = (lambda name: telemetry.add(name)) if on else (lambda name: None)

    # The databases open on first use, not at boot.
    @functools.cached_property
    def cache(self) -> MetadataCache:
        self.root.mkdir(parents=True, exist_ok=True)
        s = self.settings
        memory = self._make_cache("ttl", maxsize=max(1, min(s.cache_max_entries, 4096)), ttl=s.cache_ttl,
                                  name="media.metadata", telemetry=self._telemetry)
        return MetadataCache(self.root / "media.sqlite", ttl=s.cache_ttl, max_entries=s.cache_max_entries,
                             memory=memory)

    @functools.cached_property
    def pictures(self) -> PictureStore:
        self.root.mkdir(parents=True, exist_ok=True)
        return PictureStore(self.root / "pictures", self.root / "media.sqlite", self.settings.picture_cache_max_entries)

    # -- probing ------------------------------------------------------------------------------
    def cached(self, path: str) -> MediaInfo | None:
        """The cached probe of ``path`` as it is now on disk, or None (counts a hit or a miss)."""
        try:
            key, _ = file_key(path)
        except OSError:
            return None
        info = self.cache.get_key(key)
        self._count("media.metadata_cache.hits" if info is not None else "media.metadata_cache.misses")
        return info

    def probe(self, path: str) -> tuple[MediaInfo, bool]:
        """``(info, from_cache)``; raises media.not_found / media.unreadable."""
        info = self.cached(path)
        if info is not None:
            return info, True
        return self.probe_fresh(path), False

    def probe_fresh(self, path: str) -> MediaInfo:
        """Probe without looking in the cache, then remember the answer."""
        info = probe_file(path)
        self.cache.put(info)
        return info

    # -- pictures -----------------------------------------------------------------------------
    def _source_key(self, path: str) -> tuple[str, tuple]:
        abspath = os.path.abspath(path)
        st = check_path(abspath)
        return abspath, (abspath, st.st_size, st.st_mtime_ns)

    def _picture(self, kind: str, path: str, params: tuple, fmt: str, make) -> tuple[str, dict, bool]:
        abspath, ident = self._source_key(path)
        key = self.pictures.request_key(kind, ident, params, fmt)
        found = self.pictures.lookup(key)
        if found is not None:
            return str(found[0]), json.loads(found[1]), True
        data, facts = make(abspath)
        file = self.pictures.put(key, data, EXTENSIONS[fmt], json.dumps(facts))
        return str(file), facts, False

    def thumbnail(self, path: str, time: float = 0.0, width: int | None = None, fmt: str | None = None) -> ThumbnailResult:
        """The frame shown at ``time`` seconds, ``width`` pixels wide (content-addressed cache)."""
        from .pictures import thumbnail

        fmt = fmt or self.settings.thumbnail_format
        width = width or self.settings.thumbnail_width
        q = self.settings.thumbnail_quality
        file, facts, cached = self._picture("thumb", path, (round(time, 6), width, q), fmt,
                                            lambda p: thumbnail(p, time, width, fmt, q))
        return ThumbnailResult(file=file, format=fmt, cached=cached, width=facts["width"], height=facts["height"],
                               time=facts["time"])

    def filmstrip(self, path: str, count: int, width: int, columns: int | None, fmt: str | None) -> FilmstripResult:
        """A sprite sheet of ``count`` evenly spaced frames."""
        from .pictures import filmstrip

        fmt = fmt or self.settings.thumbnail_format
        columns = columns or count
        q = self.settings.thumbnail_quality
        file, facts, cached = self._picture("strip", path, (count, width, columns, q), fmt,
                                            lambda p: filmstrip(p, count, width, columns, fmt, q))
        return FilmstripResult(file=file, format=fmt, cached=cached, **facts)

    def waveform(self, path: str, width: int, height: int, fmt: str, color: str) -> WaveformResult:
        """A peak waveform image of the first audio stream."""
        from .pictures import waveform

        file, facts, cached = self._picture("wave", path, (width, height, color), fmt,
                                            lambda p: waveform(p, width, height, fmt, color))
        return WaveformResult(file=file, format=fmt, cached=cached, **facts)

    # -- proxies ------------------------------------------------------------------------------
    def proxy(self, path: str, height: int | None = None, output: str | None = None,
              on_progress: Callable[[float, float], None] | None = None,
              cancelled: threading.Event | None = None) -> ProxyResult | None:
        """Make (or reuse) a low-resolution H.264 copy; None if cancelled."""
        from .proxy import make_proxy

        height = height or self.settings.proxy_height
        info, _ = self.probe(path)
        if info.video is None or info.kind == "image":
            raise MediaUnreadable(f"{info.path}: has no video stream to make a proxy of", details={"path": info.path})
        if output:
            dst = Path(output).expanduser().resolve()
        else:
            key = self.pictures.request_key("proxy", (info.path, info.size, info.mtime_ns), height, self.settings.proxy_crf)
            dst = self.root / "proxies" / f"{key[:32]}.mp4"
        cached = dst.exists() and not output
        if not cached:
            ok = make_proxy(self.locator.exe, info.path, dst, height=height, crf=self.settings.proxy_crf,
                            duration=info.duration, on_progress=on_progress, cancelled=cancelled)
            if not ok:
                return None
        out = probe_file(str(dst)).video
        return ProxyResult(source=info.path, file=str(dst), width=out.width, height=out.height, cached=cached)

    def close(self) -> None:
        for name in ("cache", "pictures"):  # only those that were opened
            if name in self.__dict__:
                self.__dict__[name].close()


# -- service factories and the health check (wired in __init__.py) ----------------------------------
def create_locator(settings: MediaSettings, paths: Paths) -> FFmpegLocator:
    """The FFmpegLocator service: the configured binary, PATH, or the imageio-ffmpeg wheel's."""
    from .ffmpeg import FFmpegFinder

    return FFmpegFinder(settings.ffmpeg_path, paths.cache_dir)


def create_service(settings: MediaSettings, paths: Paths, locator: FFmpegLocator, telemetry: Telemetry):
    """The MediaService (kernel lifetime); its databases are closed at shutdown."""
    service = MediaService(settings, paths.cache_dir, locator, telemetry)
    yield service
    service.close()


async def ffmpeg_health(locator: FFmpegLocator) -> HealthResult:
    """ok when FFmpeg is found and runs; warn when it lacks libx264 (no proxies, no renders)."""
    import asyncio

    try:
        info = await asyncio.to_thread(locator.info)
    except KernelError as e:
        return HealthResult(state="error", detail=e.message)
    detail = f"ffmpeg {info.version} at {info.path} ({info.source}): {len(info.encoders)} encoders, " \
             f"{len(info.filters)} filters"
    if "libx264" not in info.encoders:
        return HealthResult(state="warn", detail=detail + "; no libx264 encoder: proxies and H.264 renders will fail")
    return HealthResult(state="ok", detail=detail)
