"""Containers, codecs and encoders: what to pass FFmpeg, and which hardware encoders really work.

Hardware encoders are compiled into most FFmpeg builds whether or not the machine has the device,
so each one is tried with a tiny test encode (a few frames of a lavfi source, ~20–50 ms) and the
answer is cached per FFmpeg binary (path, size, mtime) in the cache directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reelkit.sdk.files import atomic_write

from .builder import Stream
from .project import OutputSettings

# container -> (muxer, default video codec or None, default audio codec, soft subtitle codec or None)
CONTAINERS: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "mp4": ("mp4", "h264", "aac", "mov_text"),
    "mov": ("mov", "h264", "aac", "mov_text"),
    "mkv": ("matroska", "h264", "aac", "ass"),
    "webm": ("webm", "vp9", "opus", "webvtt"),
    "gif": ("gif", "gif", None, None),
    "m4a": ("ipod", None, "aac", None),
    "mp3": ("mp3", None, "mp3", None),
    "wav": ("wav", None, "pcm", None),
    "ogg": ("ogg", None, "vorbis", None),
}
SOFTWARE = {"h264": "libx264", "h265": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1", "prores": "prores_ks",
            "gif": "gif"}
HARDWARE = {
    "h264": ["h264_nvenc", "h264_qsv", "h264_vaapi", "h264_amf", "h264_videotoolbox"],
    "h265": ["hevc_nvenc", "hevc_qsv", "hevc_vaapi", "hevc_amf", "hevc_videotoolbox"],
    "av1": ["av1_nvenc", "av1_qsv", "av1_vaapi", "av1_amf"],
    "vp9": ["vp9_qsv", "vp9_vaapi"],
    "prores": ["prores_videotoolbox"],
}
AUDIO = {"aac": "aac", "opus": "libopus", "mp3": "libmp3lame", "pcm": "pcm_s16le", "flac": "flac", "vorbis": "libvorbis"}
DEFAULT_CRF = {"h264": 23, "h265": 28, "vp9": 32, "av1": 35}
VAAPI_DEVICE = "/dev/dri/renderD128"
PROGRESS_ARGS = ["-progress", "pipe:1", "-nostats", "-stats_period", "0.5"]


@dataclass
class OutputPlan:
    """Everything about the output the planner and executor need."""

    target: str
    container: str
    video_codec: str | None
    encoder: str | None
    audio_codec: str | None
    args: list[str] = field(default_factory=list)
    global_args: list[str] = field(default_factory=list)
    soft_subtitles: bool = False

    @property
    def video(self) -> bool:
        return self.video_codec is not None

    @property
    def audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def hardware(self) -> bool:
        return self.encoder is not None and self.encoder not in SOFTWARE.values()

    def finish_video(self, v: Stream) -> Stream:
        """Last video filters the encoder needs (GIF palette, VAAPI upload)."""
        if self.video_codec == "gif":
            a, b = v.split(2)
            from .builder import merge

            return merge("paletteuse", [a, b.filter("palettegen", stats_mode="diff")], dither="bayer")
        if self.encoder and self.encoder.endswith("_vaapi"):
            return v.filter("format", pix_fmts="nv12").filter("hwupload")
        return v


def container_for(path: str, settings: OutputSettings) -> str:
    """The container from the settings or else the file's extension."""
    if settings.container:
        return settings.container
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext in CONTAINERS:
        return ext
    from .errors import OutputInvalid

    raise OutputInvalid(
        f"the output {path!r} has {'the extension .' + ext if ext else 'no extension'}, which is not a container "
        f"reelkit writes; use one of .{', .'.join(sorted(CONTAINERS))} or set output.container",
        details={"output": path, "known": sorted(CONTAINERS)})


def output_plan(settings: OutputSettings, target: str, container: str, encoder: str | None,
                has_soft_subtitles: bool = False) -> OutputPlan:
    """The output options for ``settings`` with the chosen video ``encoder`` (None: decide by codec)."""
    muxer, vdefault, adefault, subcodec = CONTAINERS[container]
    vcodec = (settings.video_codec or vdefault) if vdefault else None
    if container == "gif":
        vcodec = "gif"
    acodec = None if settings.audio_codec == "none" else (settings.audio_codec or adefault)
    if container == "gif":
        acodec = None
    if vcodec and encoder is None:
        encoder = SOFTWARE[vcodec]
    args: list[str] = ["-f", muxer]
    glob = ["-hide_banner", "-nostdin", "-y", "-v", "error", *PROGRESS_ARGS]
    if vcodec:
        args += ["-c:v", encoder]
        args += _quality(vcodec, encoder, settings)
        if vcodec not in ("gif",) and not encoder.endswith(("_vaapi", "_qsv")):
            args += ["-pix_fmt", settings.pixel_format or ("yuv422p10le" if vcodec == "prores" else "yuv420p")]
        if encoder.endswith("_vaapi"):
            glob += ["-vaapi_device", VAAPI_DEVICE]
        if vcodec == "h265" and container in ("mp4", "mov"):
            args += ["-tag:v", "hvc1"]
    if acodec:
        args += ["-c:a", AUDIO[acodec]]
        if acodec not in ("pcm", "flac"):
            args += ["-b:a", settings.audio_bitrate]
    threads = settings.threads or (2 if settings.deterministic else None)
    if threads:
        args += ["-threads", str(threads)]
    if settings.deterministic:
        glob += ["-filter_threads", "1", "-filter_complex_threads", "1"]
        args += ["-max_interleave_delta", "0", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]
    soft = bool(has_soft_subtitles and subcodec)
    if soft:
        args += ["-c:s", subcodec]
    return OutputPlan(target, container, vcodec, encoder if vcodec else None, acodec, args, glob, soft)


def _quality(vcodec: str, encoder: str, s: OutputSettings) -> list[str]:
    if vcodec == "gif":
        return []
    if vcodec == "prores":
        return ["-profile:v", "2"]
    out: list[str] = []
    software = encoder in SOFTWARE.values()
    if s.preset:
        if encoder == "libsvtav1":
            names = {"ultrafast": 12, "superfast": 11, "veryfast": 10, "faster": 9, "fast": 8, "medium": 6,
                     "slow": 4, "slower": 3, "veryslow": 2}
            out += ["-preset", s.preset if s.preset.isdigit() else str(names.get(s.preset, 8))]
        elif encoder == "libvpx-vp9":
            speeds = {"ultrafast": 8, "superfast": 7, "veryfast": 6, "faster": 5, "fast": 4, "medium": 2, "slow": 1}
            out += ["-deadline", "realtime" if s.preset in ("ultrafast", "superfast") else "good",
                    "-cpu-used", str(speeds.get(s.preset, 2))]
        elif software or encoder.endswith(("_nvenc", "_qsv", "_amf")):
            out += ["-preset", s.preset]
    if s.bitrate:
        return out + ["-b:v", s.bitrate]
    crf = s.crf if s.crf is not None else DEFAULT_CRF.get(vcodec, 23)
    if software:
        out += ["-crf", str(crf)]
        if encoder == "libvpx-vp9":
            out += ["-b:v", "0", "-row-mt", "1"]
    elif encoder.endswith("_nvenc"):
        out += ["-rc", "vbr", "-cq", str(crf)]
    elif encoder.endswith("_qsv"):
        out += ["-global_quality", str(crf)]
    elif encoder.endswith(("_vaapi", "_amf")):
        out += ["-qp", str(crf)] if encoder.endswith("_vaapi") else ["-rc", "cqp", "-qp_i", str(crf), "-qp_p", str(crf)]
    elif encoder.endswith("_videotoolbox"):
        out += ["-q:v", str(max(1, min(100, 100 - 2 * crf)))]
    return out


# ---------------------------------------------------------------- probing

def compiled_encoders(exe: str) -> set[str]:
    """Names of the video encoders compiled into ``exe``."""
    out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return names


def test_encode(exe: str, encoder: str, timeout: float = 10.0) -> dict[str, Any]:
    """Encode 5 tiny frames with ``encoder``; {"ok", "ms", "error"}."""
    args = [exe, "-hide_banner", "-nostdin", "-v", "error"]
    vf = "format=yuv420p"
    if encoder.endswith("_vaapi"):
        args += ["-vaapi_device", VAAPI_DEVICE]
        vf = "format=nv12,hwupload"
    args += ["-f", "lavfi", "-i", "color=c=gray:s=256x256:r=25:d=0.2", "-vf", vf, "-frames:v", "5",
             "-c:v", encoder, "-f", "null", "-"]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        lines = [ln for ln in r.stderr.strip().splitlines() if "Nothing was written" not in ln]
        ok, err = r.returncode == 0, (lines[:1] or ["test encode failed"]) if r.returncode else []
    except subprocess.TimeoutExpired:
        ok, err = False, [f"no answer within {timeout:g}s"]
    return {"ok": ok, "ms": round((time.perf_counter() - t0) * 1000, 1), "error": err[0] if err else None}


def probe_hardware(exe: str, cache_dir: str | None, refresh: bool = False) -> dict[str, dict[str, Any]]:
    """Test every compiled-in hardware encoder once per FFmpeg binary; cached in ``cache_dir``."""
    st = os.stat(exe)
    key = f"{os.path.realpath(exe)}|{st.st_size}|{int(st.st_mtime)}"
    cache_file = os.path.join(cache_dir, "hw_encoders.json") if cache_dir else None
    if cache_file and not refresh and os.path.isfile(cache_file):
        try:
            with open(cache_file, encoding="utf-8") as fh:
                cached = json.load(fh)
            if cached.get("key") == key:
                return cached["encoders"]
        except (OSError, ValueError):
            pass
    present = compiled_encoders(exe)
    candidates = sorted({e for names in HARDWARE.values() for e in names} & present)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(candidates, pool.map(lambda e: test_encode(exe, e), candidates)))
    if cache_file:
        os.makedirs(cache_dir, exist_ok=True)
        atomic_write(cache_file, json.dumps({"key": key, "encoders": results}))
    return results


def choose_encoder(vcodec: str | None, setting: str, hardware: dict[str, dict[str, Any]] | None) -> str | None:
    """The encoder for ``vcodec``: 'software', 'auto' (first working hardware one) or a name."""
    if vcodec is None:
        return None
    if setting == "software":
        return SOFTWARE[vcodec]
    if setting == "auto":
        for name in HARDWARE.get(vcodec, []):
            if hardware and hardware.get(name, {}).get("ok"):
                return name
        return SOFTWARE[vcodec]
    return setting


def check_encoder(exe: str, vcodec: str | None, setting: str) -> None:
    """Refuse an ``output.encoder`` name FFmpeg does not have, or one for another codec than ``vcodec``."""
    if vcodec is None or setting in ("software", "auto"):
        return
    from .errors import EncoderUnknown

    present = _compiled(exe)
    owner = next((c for c, names in HARDWARE.items() if setting in names), None) or \
        next((c for c, name in SOFTWARE.items() if name == setting), None)
    if setting not in present:
        for_codec = sorted({SOFTWARE[vcodec], *HARDWARE.get(vcodec, [])} & present)
        raise EncoderUnknown(f"output.encoder {setting!r} is not an encoder of this FFmpeg; use 'software', 'auto' "
                             f"or one of {', '.join(for_codec)} for {vcodec}",
                             details={"encoder": setting, "codec": vcodec, "available": for_codec})
    if owner is not None and owner != vcodec:
        raise EncoderUnknown(f"output.encoder {setting!r} encodes {owner}, but the output's video codec is {vcodec}; "
                             f"pick a {vcodec} encoder or set output.video_codec to {owner!r}",
                             details={"encoder": setting, "codec": vcodec})


_COMPILED: dict[str, set[str]] = {}


def _compiled(exe: str) -> set[str]:
    if exe not in _COMPILED:
        _COMPILED[exe] = compiled_encoders(exe)
    return _COMPILED[exe]
