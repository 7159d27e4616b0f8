"""Finding FFmpeg and learning what it can do (the ``FFmpegLocator`` service).

Order: the ``media.ffmpeg_path`` setting, then ``ffmpeg`` on PATH, then the binary shipped in
the imageio-ffmpeg wheel. ``info()`` runs ``ffmpeg -version/-encoders/-decoders/-filters/-hwaccels``
once per binary; the answer is kept in memory and in ``<cache_dir>/media/ffmpeg-<id>.json``, keyed
by the binary's path, size and mtime, so a second run of reelkit spawns nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from pathlib import Path

from .api import FFmpegInfo
from .errors import FFmpegMissing

__all__ = ["FFmpegFinder", "parse_codec_list", "parse_filter_list", "parse_hwaccels", "parse_version"]

_memory: dict[tuple[str, int, int], FFmpegInfo] = {}
_memory_lock = threading.Lock()


class FFmpegFinder:
    """Implements :class:`~builtin_plugins.media.api.FFmpegLocator`."""

    def __init__(self, configured_path: str | None = None, cache_dir: Path | None = None) -> None:
        self._configured = configured_path or None
        self._cache_dir = cache_dir
        self._resolved: tuple[str, str] | None = None
        self._lock = threading.Lock()

    @property
    def exe(self) -> str:
        """Absolute path of the ffmpeg binary (resolved once)."""
        return self._resolve()[0]

    @property
    def source(self) -> str:
        """``settings``, ``path`` or ``imageio-ffmpeg``."""
        return self._resolve()[1]

    def _resolve(self) -> tuple[str, str]:
        with self._lock:
            if self._resolved is None:
                self._resolved = _locate(self._configured)
            return self._resolved

    def info(self) -> FFmpegInfo:
        """Version and capabilities of the binary; cached per binary (path, size, mtime)."""
        exe, source = self._resolve()
        st = os.stat(exe)
        key = (exe, st.st_size, st.st_mtime_ns)
        with _memory_lock:
            hit = _memory.get(key)
        if hit is not None:
            return hit.model_copy(update={"source": source})
        info = self._load_disk(key)
        if info is None:
            info = _query(exe, source)
            self._save_disk(key, info)
        with _memory_lock:
            _memory[key] = info
        return info.model_copy(update={"source": source})

    def _disk_path(self, key: tuple[str, int, int]) -> Path | None:
        if self._cache_dir is None:
            return None
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        return self._cache_dir / "media" / f"ffmpeg-{digest}.json"

    def _load_disk(self, key: tuple[str, int, int]) -> FFmpegInfo | None:
        path = self._disk_path(key)
        if path is None or not path.exists():
            return None
        try:
            return FFmpegInfo.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            return None  # a damaged cache file is simply recomputed

    def _save_disk(self, key: tuple[str, int, int], info: FFmpegInfo) -> None:
        path = self._disk_path(key)
        if path is None:
            return
        from reelkit.sdk.files import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, info.model_dump_json())


def _locate(configured: str | None) -> tuple[str, str]:
    if configured:
        found = shutil.which(configured) or (configured if os.access(configured, os.X_OK) else None)
        if not found or os.path.isdir(found):
            raise FFmpegMissing(
                f"media.ffmpeg_path is set to {configured!r}, which is not an executable file; "
                "fix the path in [media] ffmpeg_path (or REELKIT_MEDIA__FFMPEG_PATH) or unset it",
                details={"ffmpeg_path": configured},
            )
        return os.path.abspath(found), "settings"
    on_path = shutil.which("ffmpeg")
    if on_path:
        return os.path.abspath(on_path), "path"
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as e:  # the wheel raises RuntimeError when its binary is missing
        raise FFmpegMissing(
            "no FFmpeg found: not configured, not on PATH, and the imageio-ffmpeg wheel has no binary; "
            "install ffmpeg or set [media] ffmpeg_path",
            details={"reason": str(e)},
        ) from e
    return os.path.abspath(exe), "imageio-ffmpeg"


def _run(exe: str, flag: str) -> str:
    try:
        proc = subprocess.run(
            [exe, "-hide_banner", flag], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FFmpegMissing(f"{exe} could not be run ({e}); check [media] ffmpeg_path", details={"path": exe}) from e
    if proc.returncode != 0:
        raise FFmpegMissing(
            f"{exe} {flag} exited with status {proc.returncode}: {proc.stderr.strip()[-300:]}",
            details={"path": exe},
        )
    return proc.stdout


def _query(exe: str, source: str) -> FFmpegInfo:
    return FFmpegInfo(
        path=exe,
        source=source,  # type: ignore[arg-type]
        version=parse_version(_run(exe, "-version")),
        encoders=parse_codec_list(_run(exe, "-encoders")),
        decoders=parse_codec_list(_run(exe, "-decoders")),
        filters=parse_filter_list(_run(exe, "-filters")),
        hwaccels=parse_hwaccels(_run(exe, "-hwaccels")),
    )


def parse_version(text: str) -> str:
    """``ffmpeg version n9.0.2-17-g2a… Copyright …`` → ``n9.0.2-17-g2a…``."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "ffmpeg" and parts[1] == "version":
            return parts[2]
    return "unknown"


def _names_after_rule(text: str) -> list[str]:
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "------") + 1
    except StopIteration:
        return []
    return [parts[1] for line in lines[start:] if len(parts := line.split()) >= 2]


def parse_codec_list(text: str) -> list[str]:
    """Names from ``ffmpeg -encoders`` / ``-decoders`` output."""
    return _names_after_rule(text)


def parse_filter_list(text: str) -> list[str]:
    """Names from ``ffmpeg -filters`` output."""
    return _names_after_rule(text)


def parse_hwaccels(text: str) -> list[str]:
    """Names from ``ffmpeg -hwaccels`` output."""
    lines = [line.strip() for line in text.splitlines()]
    try:
        start = next(i for i, line in enumerate(lines) if line.lower().startswith("hardware acceleration")) + 1
    except StopIteration:
        start = 0
    return [line for line in lines[start:] if line]
