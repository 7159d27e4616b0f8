"""Subtitle streams in media files: extract with PyAV (in process), embed with the bundled FFmpeg."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelkit.sdk.files import atomic_output

from .errors import (SubtitlesFileNotFound, SubtitlesInputInvalid, SubtitlesMuxFailed,
                     SubtitlesStreamNotFound, SubtitlesUnreadable)
from .track import Track

__all__ = ["StreamInfo", "subtitle_streams", "extract", "embed", "container_codec"]

_BITMAP = {"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext"}
_CONTAINERS = {".mkv": "matroska", ".mka": "matroska", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov",
               ".webm": "webm"}


@dataclass(frozen=True)
class StreamInfo:
    index: int
    codec: str
    language: str | None
    title: str | None
    bitmap: bool


def _open(path: str):
    import av

    if not Path(path).is_file():
        raise SubtitlesFileNotFound(f"{path}: no such media file; check the path.", details={"path": path})
    try:
        return av.open(path)
    except av.error.FFmpegError as e:
        raise SubtitlesUnreadable(f"{path}: not a media file FFmpeg can read ({e})", details={"path": path}) from e


def _info(s) -> StreamInfo:
    meta = dict(s.metadata or {})
    lang = meta.get("language") or getattr(s, "language", None)
    name = s.codec_context.name if s.codec_context else "unknown"
    return StreamInfo(s.index, name, None if lang in (None, "und") else lang, meta.get("title"), name in _BITMAP)


def subtitle_streams(path: str) -> list[StreamInfo]:
    """The subtitle streams of a media file, by absolute stream index."""
    with _open(path) as c:
        return [_info(s) for s in c.streams if s.type == "subtitle"]


def extract(path: str, stream: int | None = None) -> tuple[StreamInfo, Track]:
    """Read one text subtitle stream (the first unless ``stream``, an absolute index, is given)."""
    import pysubs2

    with _open(path) as c:
        subs_streams = [s for s in c.streams if s.type == "subtitle"]
        if not subs_streams:
            raise SubtitlesStreamNotFound(f"{path} has no subtitle stream",
                                          details={"path": path, "streams": [s.type for s in c.streams]})
        if stream is None:
            chosen = subs_streams[0]
        else:
            chosen = next((s for s in subs_streams if s.index == stream), None)
            if chosen is None:
                raise SubtitlesStreamNotFound(
                    f"{path}: stream {stream} is not a subtitle stream; subtitle streams are "
                    f"{[s.index for s in subs_streams]}", details={"path": path, "stream": stream})
        info = _info(chosen)
        if info.bitmap:
            raise SubtitlesInputInvalid(
                f"{path}: stream {info.index} holds bitmap subtitles ({info.codec}); only text subtitles "
                "can be extracted (bitmaps need OCR).", details={"path": path, "stream": info.index})
        subs = pysubs2.SSAFile()
        extradata = chosen.codec_context.extradata
        if info.codec in ("ass", "ssa") and extradata:
            # The SubStation header (script info and styles) travels as codec extradata.
            subs = pysubs2.SSAFile.from_string(extradata.decode("utf-8", "replace"), format_="ass")
            subs.events = []
        fmt = {"ass": "ass", "ssa": "ass", "webvtt": "vtt"}.get(info.codec, "srt")
        track = Track(subs=subs, format=fmt, source=f"{path}#{info.index}")
        try:
            for packet in c.demux(chosen):
                if packet.pts is None:
                    continue
                start = round(float(packet.pts * packet.time_base) * 1000)
                end = start + round(float((packet.duration or 0) * packet.time_base) * 1000)
                for sub in chosen.decode(packet):
                    line = getattr(sub, "ass", b"")
                    if not line:
                        continue
                    track.add(_event(line.decode("utf-8", "replace"), start, end))
        except Exception as e:
            import av

            if isinstance(e, av.error.FFmpegError):
                raise SubtitlesUnreadable(f"{path}: stream {info.index} could not be decoded ({e})",
                                          details={"path": path, "stream": info.index}) from e
            raise
    return info, track


def _event(ass_line: str, start: int, end: int):
    from pysubs2 import SSAEvent

    # FFmpeg's ASS packet: ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect, Text
    parts = ass_line.split(",", 8)
    if len(parts) < 9:
        return SSAEvent(start=start, end=end, text=ass_line.replace("\n", "\\N"))
    _order, layer, style, name, ml, mr, mv, effect, text = parts
    ev = SSAEvent(start=start, end=end, text=text, style=style or "Default", name=name, effect=effect)
    try:
        ev.layer, ev.marginl, ev.marginr, ev.marginv = int(layer or 0), int(ml or 0), int(mr or 0), int(mv or 0)
    except ValueError:
        pass
    return ev


def container_codec(output: str, track_format: str) -> tuple[str, str, str]:
    """``(muxer, subtitle codec, file format to hand FFmpeg)`` for an output container."""
    ext = Path(output).suffix.lower()
    muxer = _CONTAINERS.get(ext)
    if muxer is None:
        raise SubtitlesInputInvalid(
            f"{output}: soft subtitles go into {', '.join(sorted(_CONTAINERS))} files; pick one of those suffixes",
            details={"output": output})
    if muxer in ("mp4", "mov"):
        return muxer, "mov_text", "srt"
    if muxer == "webm":
        return muxer, "webvtt", "vtt"
    if track_format in ("ass", "ssa"):
        return muxer, "ass", "ass"
    return muxer, "srt", "srt"


def embed(ffmpeg: str, video: str, subtitle_text: str, subtitle_suffix: str, output: str, codec: str, muxer: str,
          *, language: str | None = None, title: str | None = None, default: bool = False,
          replace: bool = False, cancelled: Callable[[], bool] = lambda: False) -> int:
    """Mux a subtitle file into ``video`` as a new soft track; returns the new stream's absolute index.

    Streams are copied (no re-encode). The result is written to a temporary name beside ``output`` and
    renamed into place only when FFmpeg succeeded.
    """
    existing = subtitle_streams(video)
    with _open(video) as c:
        total = len(c.streams)
    keep = [] if replace else existing
    k = len(keep)  # index of the new track among the output's subtitle streams
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reelkit-subs-") as tmpdir:
        sub_file = Path(tmpdir) / f"track{subtitle_suffix}"
        sub_file.write_text(subtitle_text, encoding="utf-8")
        with atomic_output(out) as tmp:  # renamed onto `out` only when FFmpeg succeeded
            cmd = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", video, "-i", str(sub_file), "-map", "0"]
            if replace:
                cmd += ["-map", "-0:s"]
            cmd += ["-map", "1:0", "-c", "copy"]
            # MP4 and WebM carry one text codec, so tracks already there are converted along with ours.
            cmd += ["-c:s", codec] if muxer in ("mp4", "mov", "webm") else [f"-c:s:{k}", codec]
            if language:
                cmd += [f"-metadata:s:s:{k}", f"language={language}"]
            if title:
                cmd += [f"-metadata:s:s:{k}", f"title={title}"]
            if default:
                cmd += [f"-disposition:s:{k}", "default"]
            cmd += ["-f", muxer, str(tmp)]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while True:
                try:
                    _, err = proc.communicate(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if cancelled():
                        from reelkit.sdk import JobCancelled

                        proc.terminate()
                        proc.wait()
                        raise JobCancelled(f"subtitles.embed into {output} was cancelled; nothing was written",
                                           details={"output": output}) from None
            if proc.returncode != 0:
                raise SubtitlesMuxFailed(
                    f"FFmpeg could not mux subtitles into {output}: {err.decode('utf-8', 'replace').strip()[-500:]}",
                    details={"output": output, "codec": codec, "returncode": proc.returncode})
    return (total - (len(existing) if replace else 0))
