"""Pictures from media: a frame at a time, a filmstrip (sprite sheet) and an audio waveform.

Pure functions: they take a path and parameters and return encoded image bytes plus facts about
them; caching and storage are the service's job. PyAV decodes in process; Pillow encodes.
"""

from __future__ import annotations

import io
import math

from .errors import MediaUnreadable
from .probe import check_path, open_container

__all__ = ["encode_image", "filmstrip", "frame_at", "thumbnail", "waveform"]

_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


def encode_image(img, fmt: str, quality: int = 85) -> bytes:
    """Encode a Pillow image as jpeg, png or webp."""
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.convert("RGB").save(buf, "JPEG", quality=quality)
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=quality, method=0)  # method 0: fastest, fine for previews
    else:
        img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _open(path: str):
    check_path(path)
    return open_container(path)


_ATTACHED_PIC = 1024  # AV_DISPOSITION_ATTACHED_PIC: cover art of an audio file


def _video_stream(container, path: str):
    """The first real video stream; else an audio file's cover picture; else media.unreadable."""
    videos = list(container.streams.video)
    for s in videos:
        if not s.disposition & _ATTACHED_PIC:
            return s
    if videos:
        return videos[0]
    raise MediaUnreadable(f"{path}: has no video stream or cover picture, so it has no frames to show; "
                          "use media.waveform for audio", details={"path": path})


def frame_at(container, stream, t: float):
    """``(frame, time)``: the frame shown ``t`` seconds after the stream's start, and its own time.

    Seeks to the key frame before, then decodes up to ``t``. Past the end, the last frame.
    Raises MediaUnreadable when nothing decodes.
    """
    import av

    cc = stream.codec_context
    # small pictures: decoder threads cost more to start than they save
    if not cc.is_open:
        cc.thread_count = 1 if (cc.width or 0) * (cc.height or 0) <= 640 * 480 else 0
    if stream.disposition & _ATTACHED_PIC:  # a cover picture is one packet, at every time
        container.seek(0)
        first, chosen = _decode_to(container, stream, float("inf"), t)
        if chosen is None:
            raise MediaUnreadable(f"{container.name}: its cover picture does not decode",
                                  details={"path": container.name})
        return chosen, 0.0
    tb = stream.time_base
    start = stream.start_time or 0
    offset = float(start * tb) if tb else 0.0
    # the frame on screen at t is the last one starting at or before t; the tolerance absorbs
    # timestamps that round to just past t (0.4 stored as 0.40001)
    rate = stream.average_rate or stream.guessed_rate
    eps = min(1e-3, 0.01 / float(rate)) if rate else 1e-3
    target = t + offset
    # Containers without an index (MPEG-TS/PS) seek by bisecting timestamps and may land on a key
    # frame after the target, or past the end: then seek again from further back (1, 2, 4 … s).
    back = 0.0
    while True:
        at = max(0.0, t - back)
        if tb:
            try:
                container.seek(start + int(at / tb), stream=stream, backward=True)
            except av.FFmpegError:
                at = 0.0  # not seekable (a picture, a pipe): decode from where we are
        first, chosen = _decode_to(container, stream, target + eps, t)
        if chosen is not None and (at <= 0.0 or (first.time is not None and first.time <= target + eps)):
            return chosen, _rel(chosen, offset)
        if at <= 0.0:
            raise MediaUnreadable(f"{container.name}: no video frame decodes (truncated or corrupt)",
                                  details={"path": container.name})
        back = max(1.0, back * 2)


def _decode_to(container, stream, limit: float, t: float):
    """Decode from the current position: ``(first frame, last frame starting at or before limit)``."""
    import av

    first = last = None
    try:
        for frame in container.decode(stream):
            if first is None:
                first = frame
            if frame.time is not None and frame.time > limit:
                return first, last if last is not None else frame
            last = frame
    except av.FFmpegError as e:
        if last is None:
            raise MediaUnreadable(f"{container.name}: video does not decode near {t:.3f}s: {e}",
                                  details={"path": container.name, "ffmpeg": str(e)}) from e
    return first, last


def _rel(frame, offset: float) -> float:
    return max(0.0, round(float(frame.time) - offset, 6)) if frame.time is not None else 0.0


def _to_image(frame, width: int, sar=None):
    """Scale ``frame`` to ``width`` display pixels keeping the display aspect ratio, then rotate upright.

    ``sar`` is the stream's sample (pixel) aspect ratio; PyAV frames do not carry it.
    """
    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    display_w = frame.width * (float(sar) if sar else 1.0)
    src_w, src_h = (frame.height, display_w) if rotation in (90, 270) else (display_w, frame.height)
    out_w = max(1, int(width))
    out_h = max(1, round(out_w * src_h / src_w))
    sw, sh = (out_h, out_w) if rotation in (90, 270) else (out_w, out_h)
    img = frame.reformat(width=sw, height=sh, format="rgb24", interpolation="AREA").to_image()
    if rotation:
        img = img.rotate(rotation, expand=True)  # display matrix angle is counter-clockwise, as is PIL's
    return img


def thumbnail(path: str, t: float, width: int, fmt: str, quality: int = 85) -> tuple[bytes, dict]:
    """The frame at ``t`` seconds, ``width`` pixels wide, encoded as ``fmt``; returns (bytes, facts)."""
    with _open(path) as c:
        stream = _video_stream(c, path)
        frame, ft = frame_at(c, stream, max(0.0, t))
        img = _to_image(frame, width, stream.sample_aspect_ratio)
        facts = {"width": img.width, "height": img.height, "time": ft}
    return encode_image(img, fmt, quality), facts


def filmstrip(path: str, count: int, width: int, columns: int, fmt: str, quality: int = 85) -> tuple[bytes, dict]:
    """``count`` frames evenly spread over the video, tiled ``columns`` wide; returns (bytes, facts).

    Facts: sheet size, columns, rows and each tile's time and rectangle, for scrubbing UIs.
    """
    from PIL import Image

    with _open(path) as c:
        stream = _video_stream(c, path)
        duration = (c.duration / 1_000_000) if c.duration else (
            float(stream.duration * stream.time_base) if stream.duration and stream.time_base else 0.0)
        times = [duration * (i + 0.5) / count for i in range(count)] if duration > 0 else [0.0] * count
        tiles = []
        for t in times:
            frame, ft = frame_at(c, stream, t)
            tiles.append((ft, _to_image(frame, width, stream.sample_aspect_ratio)))
    tw, th = tiles[0][1].size
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    sheet = Image.new("RGB", (tw * columns, th * rows))
    rects = []
    for i, (ft, img) in enumerate(tiles):
        x, y = (i % columns) * tw, (i // columns) * th
        sheet.paste(img.resize((tw, th)) if img.size != (tw, th) else img, (x, y))
        rects.append({"time": ft, "x": x, "y": y, "width": tw, "height": th})
    facts = {"width": sheet.width, "height": sheet.height, "columns": columns, "rows": rows, "tiles": rects}
    return encode_image(sheet, fmt, quality), facts


def waveform(path: str, width: int, height: int, fmt: str = "png", color: str = "#4fc3f7") -> tuple[bytes, dict]:
    """Peak waveform of the first audio stream: one column per ``width``; returns (bytes, facts).

    Facts include ``peaks``: the absolute peak (0..1) of each column, for UIs that draw their own.
    """
    import av
    import numpy as np
    from PIL import Image, ImageColor

    with _open(path) as c:
        if not c.streams.audio:
            raise MediaUnreadable(f"{path}: has no audio stream, so it has no waveform", details={"path": path})
        stream = c.streams.audio[0]
        rate = min(stream.sample_rate or 16000, 16000)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        seconds = c.duration / 1_000_000 if c.duration else 0.0
        # min/max per block of samples as they decode: memory stays small for hours of audio
        acc = _BlockPeaks(block=max(1, min(1024, int(seconds * rate // (width * 4)))))
        try:
            for frame in c.decode(stream):
                for out in resampler.resample(frame):
                    acc.feed(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                acc.feed(out.to_ndarray().reshape(-1))
        except av.FFmpegError as e:
            if not acc.samples:
                raise MediaUnreadable(f"{path}: audio does not decode: {e}", details={"path": path}) from e
    if not acc.samples:
        raise MediaUnreadable(f"{path}: its audio stream holds no samples", details={"path": path})
    block_hi, block_lo = acc.result()
    edges = np.linspace(0, block_hi.size, width + 1).astype(np.int64)
    idx = np.minimum(edges[:-1], block_hi.size - 1)  # a column narrower than a block repeats it
    hi = np.clip(np.maximum.reduceat(block_hi, idx), -1, 1)
    lo = np.clip(np.minimum.reduceat(block_lo, idx), -1, 1)
    mid = (height - 1) / 2
    top = np.floor(mid - hi * mid).astype(int)
    bottom = np.ceil(mid - lo * mid).astype(int)
    rows = np.arange(height)[:, None]
    mask = (rows >= top[None, :]) & (rows <= bottom[None, :])
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[mask] = (*ImageColor.getrgb(color)[:3], 255)
    img = Image.fromarray(rgba)  # (h, w, 4) uint8 is RGBA
    peaks = np.maximum(np.abs(hi), np.abs(lo))
    facts = {"width": width, "height": height, "peaks": [round(float(p), 4) for p in peaks],
             "duration": acc.samples / rate}
    return encode_image(img, fmt), facts


class _BlockPeaks:
    """Running min/max of each block of ``block`` samples, fed chunk by chunk.

    Chunks are gathered up to ~64 K samples before reducing: one numpy pass per batch rather than
    per decoded frame (frames of PCM audio are only 512–1024 samples).
    """

    BATCH = 1 << 16

    def __init__(self, block: int) -> None:
        self.block = block
        self.samples = 0
        self._pending: list = []
        self._pending_n = 0
        self._hi: list = []
        self._lo: list = []

    def feed(self, chunk) -> None:
        self.samples += chunk.size
        self._pending.append(chunk)
        self._pending_n += chunk.size
        if self._pending_n >= self.BATCH:
            self._reduce(final=False)

    def _reduce(self, final: bool) -> None:
        import numpy as np

        buf = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        whole = buf.size - buf.size % self.block
        if whole:
            blocks = buf[:whole].reshape(-1, self.block)
            self._hi.append(blocks.max(axis=1))
            self._lo.append(blocks.min(axis=1))
        rest = buf[whole:]
        if final and rest.size:
            self._hi.append(rest.max(keepdims=True))
            self._lo.append(rest.min(keepdims=True))
            rest = rest[:0]
        self._pending, self._pending_n = ([rest.copy()], rest.size) if rest.size else ([], 0)

    def result(self):
        """``(block maxima, block minima)`` including the last partial block."""
        import numpy as np

        if self._pending:
            self._reduce(final=True)
        return np.concatenate(self._hi), np.concatenate(self._lo)
