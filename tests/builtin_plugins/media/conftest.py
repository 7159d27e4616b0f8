"""Tiny media for the media plugin's tests, generated once per session with the bundled FFmpeg."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SRC = "testsrc2=s=160x120:r=25:d=1"
TONE = "sine=f=440:d=1:sample_rate=44100"
# Frame N has luma 16 + 8*N (limited range), so a picture tells which frame it came from.
RAMP = "nullsrc=s=64x48:r=10:d=2,format=gray,geq=lum='16+8*N',format=yuv420p"

# name -> ffmpeg arguments (output file appended)
SPECS: dict[str, list[str]] = {
    "clip.mp4": ["-f", "lavfi", "-i", SRC + ",setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709"
                 ":range=tv", "-f", "lavfi", "-i", TONE, "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
                 "-c:a", "aac", "-metadata", "title=Test clip", "-metadata:s:a:0", "language=eng"],
    "clip.mov": ["-f", "lavfi", "-i", SRC, "-f", "lavfi", "-i", TONE, "-c:v", "libx264", "-preset", "ultrafast",
                 "-c:a", "aac"],
    "clip.avi": ["-f", "lavfi", "-i", SRC, "-f", "lavfi", "-i", TONE, "-c:v", "mpeg4", "-c:a", "mp3"],
    "clip.webm": ["-f", "lavfi", "-i", SRC, "-f", "lavfi", "-i", TONE, "-c:v", "libvpx", "-deadline", "realtime",
                  "-b:v", "200k", "-c:a", "libopus"],
    "clip.ts": ["-f", "lavfi", "-i", SRC, "-f", "lavfi", "-i", TONE, "-c:v", "libx264", "-preset", "ultrafast",
                "-c:a", "aac"],
    "clip.mpg": ["-f", "lavfi", "-i", SRC, "-f", "lavfi", "-i", TONE, "-c:v", "mpeg2video", "-c:a", "mp2"],
    "sar.mp4": ["-f", "lavfi", "-i", SRC + ",setsar=2", "-c:v", "libx264", "-preset", "ultrafast"],
    "ramp.mp4": ["-f", "lavfi", "-i", RAMP, "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-qp", "0"],
    # MPEG-TS timestamps start at 1.4 s; Matroska keeps its own time base (1 ms)
    "ramp.ts": ["-f", "lavfi", "-i", RAMP, "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-qp", "0"],
    "ramp.mkv": ["-f", "lavfi", "-i", RAMP, "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-qp", "0"],
    "tone.wav": ["-f", "lavfi", "-i", TONE, "-c:a", "pcm_s16le"],
    "tone.mp3": ["-f", "lavfi", "-i", TONE, "-c:a", "libmp3lame"],
    "tone.flac": ["-f", "lavfi", "-i", TONE, "-c:a", "flac"],
    "tone.ogg": ["-f", "lavfi", "-i", TONE, "-c:a", "libopus"],
    "tone.m4a": ["-f", "lavfi", "-i", TONE, "-c:a", "aac"],
    "tone.aac": ["-f", "lavfi", "-i", TONE, "-c:a", "aac", "-f", "adts"],
    # 0.5 amplitude for the first second, silence for the second
    "halfloud.wav": ["-f", "lavfi", "-i", "aevalsrc='if(lt(t,1),0.5*sin(2*PI*440*t),0)':s=8000:d=2",
                     "-c:a", "pcm_s16le"],
    "still.png": ["-f", "lavfi", "-i", "testsrc2=s=160x120", "-frames:v", "1", "-update", "1"],
    "still.jpg": ["-f", "lavfi", "-i", "testsrc2=s=160x120", "-frames:v", "1", "-update", "1"],
    "still.webp": ["-f", "lavfi", "-i", "testsrc2=s=160x120", "-frames:v", "1", "-update", "1"],
    "anim.gif": ["-f", "lavfi", "-i", "testsrc2=s=80x60:r=5:d=1"],
}


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(*args: str) -> None:
    subprocess.run([_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", "1", *args],
                   check=True, capture_output=True)


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    return _ffmpeg()


@pytest.fixture(scope="session")
def ffmpeg_run():
    """``ffmpeg_run(*args)``: run the bundled FFmpeg quietly, raising on failure."""
    return run_ffmpeg


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    """A folder of small good files (see SPECS) plus derived ones: rotated.mp4, chapters.mkv, cover.mp3."""
    d = tmp_path_factory.mktemp("media")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda kv: run_ffmpeg(*kv[1], str(d / kv[0])), SPECS.items()))
    run_ffmpeg("-display_rotation", "90", "-i", str(d / "clip.mp4"), "-c", "copy", str(d / "rotated.mp4"))
    run_ffmpeg("-i", str(d / "tone.mp3"), "-i", str(d / "still.png"), "-map", "0:a", "-map", "1:v", "-c", "copy",
               "-disposition:v:0", "attached_pic", str(d / "cover.mp3"))
    meta = d / "chapters.txt"
    meta.write_text(";FFMETADATA1\ntitle=With chapters\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=400\n"
                    "title=Intro\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=400\nEND=1000\ntitle=Main\n")
    run_ffmpeg("-i", str(d / "clip.mp4"), "-i", str(meta), "-map_metadata", "1", "-map_chapters", "1",
               "-c", "copy", str(d / "chapters.mkv"))
    meta.unlink()
    return d


@pytest.fixture(scope="session")
def broken(tmp_path_factory, media) -> Path:
    """Bad input made by hand: empty, text, truncated, corrupted files and a directory named like media."""
    d = tmp_path_factory.mktemp("broken")
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.txt").write_text("not a video\n" * 20)
    (d / "notes.mp4").write_text("a text file with a video name\n" * 20)
    # without +faststart the index (moov) is at the end: cutting the file loses it
    data = (media / "clip.mov").read_bytes()
    (d / "truncated.mov").write_bytes(data[: len(data) // 2])
    # with +faststart the index is at the front: the cut file opens and its first frames decode
    run_ffmpeg("-i", str(media / "clip.mp4"), "-c", "copy", "-movflags", "+faststart", str(d / "fs.mp4"))
    data = (d / "fs.mp4").read_bytes()
    (d / "truncated_faststart.mp4").write_bytes(data[: len(data) * 6 // 10])
    (d / "fs.mp4").unlink()
    for name in ("chapters.mkv", "clip.webm"):  # Matroska: the Segment size gives it away
        data = (media / name).read_bytes()
        (d / f"truncated_{name}").write_bytes(data[: len(data) * 6 // 10])
    garbled = bytearray((media / "clip.mp4").read_bytes())
    for i in range(0, len(garbled), 7):
        garbled[i] ^= 0x5A
    (d / "corrupt.mp4").write_bytes(bytes(garbled))
    (d / "folder.mp4").mkdir()
    return d


@pytest.fixture
def media_copy(media, tmp_path) -> Path:
    """A private, writable copy of the media folder (for tests that touch or delete files)."""
    dst = tmp_path / "m"
    shutil.copytree(media, dst)
    return dst


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    p = tmp_path / "cache"
    p.mkdir()
    return p
