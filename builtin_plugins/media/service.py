"""MediaService: probing with the metadata cache, pictures in the picture store, proxies.

Thread-safe; the command handlers call it from worker threads. Everything on disk lives under
``<cache_dir>/media``: ``media.sqlite`` (metadata cache + picture index), ``pictures/``, ``proxies/``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

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
from .store import PictureStore

__all__ = ["MediaService"]


class MediaService:
    """The media plugin's work, behind one object (a kernel-lifetime service)."""

    def __init__(self, settings, cache_dir: Path, locator: FFmpegLocator,
                 count: Callable[[str], None] | None = None, memory=None) -> None:
        self.settings = settings
        self.locator = locator
        self.root = Path(cache_dir) / "media"
        self.root.mkdir(parents=True, exist_ok=True)
        db = self.root / "media.sqlite"
        self.cache = MetadataCache(db, ttl=settings.cache_ttl, max_entries=settings.cache_max_entries, memory=memory)
        self.pictures = PictureStore(self.root / "pictures", db)
        self._count = count or (lambda name: None)

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
        info = probe_file(path)
        self.cache.put(info)
        return info, False

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
        self.cache.close()
        self.pictures.close()
