"""Thumbnails, filmstrips and waveforms: the right frame, the right shape, stored by content."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelkit.builtin_plugins.media.errors import MediaUnreadable
from reelkit.builtin_plugins.media.ffmpeg import FFmpegFinder
from reelkit.builtin_plugins.media.service import MediaService
from reelkit.builtin_plugins.media.settings import MediaSettings


@pytest.fixture
def svc(cache_dir):
    s = MediaService(MediaSettings(), cache_dir, FFmpegFinder(None, cache_dir))
    yield s
    s.close()


def luma(path: str) -> float:
    return float(np.asarray(Image.open(path).convert("L")).mean())


def expected_luma(frame: int) -> float:
    """ramp.mp4 frame N is the grey level 16 + 8N (made as full-range grey, so it decodes back to that)."""
    return 16 + 8 * frame


@pytest.mark.parametrize("name", ["ramp.mp4", "ramp.ts", "ramp.mkv"])
@pytest.mark.parametrize("t,frame", [(0.0, 0), (0.36, 3), (0.4, 4), (0.45, 4), (1.3, 13), (1.99, 19), (7.0, 19)])
def test_thumbnail_is_the_frame_on_screen(svc, media, name, t, frame):
    """Seek then decode to the exact time: the frame shown at t (key frames every 0.5 s); past the end, the last.

    Times count from the stream's start, also where timestamps do not start at 0 (MPEG-TS: 1.4 s).
    """
    out = svc.thumbnail(str(media / name), t, 64, "png")
    assert out.time == pytest.approx(frame / 10)
    assert luma(out.file) == pytest.approx(expected_luma(frame), abs=2.5)


@pytest.mark.parametrize("name,width,size", [
    ("clip.mp4", 80, (80, 60)),
    ("sar.mp4", 160, (160, 60)),      # 160x120 with 2:1 pixels is 320x120 on screen
    ("rotated.mp4", 60, (60, 80)),    # 160x120 turned 90° is 120x160 on screen
    ("still.png", 40, (40, 30)),
    ("clip.webm", 100, (100, 75)),
])
def test_thumbnail_keeps_display_aspect(svc, media, name, width, size):
    """Width as asked, height from the display aspect ratio (pixel aspect and rotation included)."""
    out = svc.thumbnail(str(media / name), 0.5, width, "png")
    assert (out.width, out.height) == size == Image.open(out.file).size


def test_rotation_matches_ffmpeg(svc, media, ffmpeg, tmp_path):
    """The upright picture equals what the FFmpeg CLI (which auto-rotates) makes of the same frame."""
    ours = svc.thumbnail(str(media / "rotated.mp4"), 0.0, 120, "png")
    ref = tmp_path / "ref.png"
    subprocess.run([ffmpeg, "-v", "error", "-i", str(media / "rotated.mp4"), "-frames:v", "1", str(ref)], check=True)
    a = np.asarray(Image.open(ours.file).convert("RGB"), dtype=float)
    b = np.asarray(Image.open(ref).convert("RGB"), dtype=float)
    assert a.shape == b.shape == (160, 120, 3)
    assert np.abs(a - b).mean() < 6
    assert np.abs(a[::-1, ::-1] - b).mean() > 20  # the other way up would be far off


@pytest.mark.parametrize("fmt,magic", [("jpeg", b"\xff\xd8\xff"), ("png", b"\x89PNG"), ("webp", b"RIFF")])
def test_formats_and_content_addressing(svc, media, fmt, magic):
    """JPEG/PNG/WebP; the file is named by the SHA-256 of its bytes; a repeat is served from the cache."""
    first = svc.thumbnail(str(media / "clip.mp4"), 0.2, 96, fmt)
    data = Path(first.file).read_bytes()
    assert data.startswith(magic)
    assert Path(first.file).stem == hashlib.sha256(data).hexdigest()
    again = svc.thumbnail(str(media / "clip.mp4"), 0.2, 96, fmt)
    assert again.cached and not first.cached and again.file == first.file


def test_changed_source_gets_new_thumbnail(svc, media_copy):
    """A rewritten source (new size/mtime) is not served an old picture."""
    path = media_copy / "clip.mp4"
    first = svc.thumbnail(str(path), 0.0, 64, "png")
    path.write_bytes((media_copy / "ramp.mp4").read_bytes())
    second = svc.thumbnail(str(path), 0.0, 64, "png")
    assert not second.cached and second.file != first.file


def test_no_temporary_files_left(svc, media):
    """Every picture is written via a temporary name; none remain."""
    for t in (0.1, 0.2, 0.3):
        svc.thumbnail(str(media / "clip.mp4"), t, 64, "jpeg")
    leftovers = [p for p in svc.pictures.root.rglob("*") if p.is_file() and p.name.startswith(".")]
    assert leftovers == []


def test_audio_has_no_thumbnail(svc, media):
    """An audio-only file → media.unreadable saying it has no video."""
    with pytest.raises(MediaUnreadable, match="no video stream"):
        svc.thumbnail(str(media / "tone.mp3"), 0, 64, "jpeg")


def test_filmstrip_tiles(svc, media):
    """4 evenly spaced frames in a 2x2 sheet; each tile is the frame at its time."""
    out = svc.filmstrip(str(media / "ramp.mp4"), count=4, width=32, columns=2, fmt="png")
    assert (out.columns, out.rows, out.width, out.height) == (2, 2, 64, 48)
    assert [t.time for t in out.tiles] == pytest.approx([0.2, 0.7, 1.2, 1.7])
    sheet = np.asarray(Image.open(out.file).convert("L"), dtype=float)
    for tile in out.tiles:
        region = sheet[tile.y:tile.y + tile.height, tile.x:tile.x + tile.width]
        assert region.mean() == pytest.approx(expected_luma(round(tile.time * 10)), abs=2.5)


def test_waveform_peaks(svc, media):
    """0.5-amplitude tone then silence: peaks ~0.5 then ~0, drawn as half-height bars then nothing."""
    out = svc.waveform(str(media / "halfloud.wav"), 100, 40, "png", "#ff0000")
    assert len(out.peaks) == 100 and out.duration == pytest.approx(2.0, abs=0.01)
    assert np.mean(out.peaks[5:45]) == pytest.approx(0.5, abs=0.03)
    assert max(out.peaks[55:]) < 0.01
    alpha = np.asarray(Image.open(out.file))[:, :, 3]
    assert alpha.shape == (40, 100)
    drawn = (alpha[:, 5:45] > 0).sum(axis=0)
    assert 17 <= drawn.min() and drawn.max() <= 23  # about half of 40 rows
    assert (alpha[:, 60:] > 0).sum(axis=0).max() <= 2


def test_waveform_of_video_uses_its_audio(svc, media):
    """A video's audio gives a waveform; the default sine is 1/8 of full scale."""
    out = svc.waveform(str(media / "clip.mp4"), 50, 20, "webp", "#00ff00")
    assert Image.open(io.BytesIO(Path(out.file).read_bytes())).size == (50, 20)
    assert np.median(out.peaks) == pytest.approx(0.125, abs=0.02)


def test_waveform_needs_audio(svc, media):
    with pytest.raises(MediaUnreadable, match="no audio stream"):
        svc.waveform(str(media / "ramp.mp4"), 50, 20, "png", "#00ff00")


def test_picture_cache_is_bounded(media, cache_dir):
    """With room for 3 requests, the oldest are forgotten and their files deleted; shared files stay."""
    s = MediaService(MediaSettings(picture_cache_max_entries=3), cache_dir, FFmpegFinder(None, cache_dir))
    try:
        outs = [s.thumbnail(str(media / "ramp.mp4"), t, 32, "png") for t in (0.0, 0.5, 1.0, 1.5)]
        assert len(s.pictures) == 3
        assert not Path(outs[0].file).exists() and all(Path(o.file).exists() for o in outs[1:])
        # 0.55 s shows the 0.5 s frame: a new request for the same file. Storing it evicts the 0.5 s
        # request, but the file stays, since the new request names it.
        same = s.thumbnail(str(media / "ramp.mp4"), 0.55, 32, "png")
        assert same.file == outs[1].file and not same.cached
        assert Path(outs[1].file).exists() and len(s.pictures) == 3
        assert not s.thumbnail(str(media / "ramp.mp4"), 0.5, 32, "png").cached
        assert not s.thumbnail(str(media / "ramp.mp4"), 0.0, 32, "png").cached  # regenerated
    finally:
        s.close()


def test_cover_art_is_the_thumbnail_of_audio(svc, media):
    """An MP3 with a cover picture: the probe says audio, the thumbnail is the cover at any time."""
    from reelkit.builtin_plugins.media.probe import probe_file

    info = probe_file(str(media / "cover.mp3"))
    assert info.kind == "audio" and info.video is None
    assert any("attached_pic" in s.disposition for s in info.streams)
    cover = svc.thumbnail(str(media / "cover.mp3"), 0.7, 80, "png")
    still = svc.thumbnail(str(media / "still.png"), 0.0, 80, "png")
    a = np.asarray(Image.open(cover.file).convert("RGB"), dtype=float)
    b = np.asarray(Image.open(still.file).convert("RGB"), dtype=float)
    assert a.shape == b.shape == (60, 80, 3) and np.abs(a - b).mean() < 1


def test_waveform_of_long_audio_stays_small(svc, tmp_path, ffmpeg_run):
    """10 minutes of audio: peaks are reduced while decoding, so memory does not grow with length."""
    import tracemalloc

    long = tmp_path / "long.wav"
    ffmpeg_run("-f", "lavfi", "-i", "sine=f=100:sample_rate=8000:d=600", "-c:a", "pcm_s16le", str(long))
    tracemalloc.start()
    try:
        out = svc.waveform(str(long), 400, 40, "png", "#ffffff")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.duration == pytest.approx(600, abs=1) and len(out.peaks) == 400
    assert min(out.peaks) == pytest.approx(0.125, abs=0.01)
    assert peak < 6 * 2**20  # all samples as float32 would be 18 MiB


def test_picture_cut_short_is_remade(svc, media):
    """Pictures skip fsync (a cache); one found shorter than recorded (a crash) is made again, whole."""
    first = svc.thumbnail(str(media / "clip.mp4"), 0.3, 64, "jpeg")
    whole = Path(first.file).read_bytes()
    Path(first.file).write_bytes(whole[: len(whole) // 3])
    again = svc.thumbnail(str(media / "clip.mp4"), 0.3, 64, "jpeg")
    assert not again.cached and again.file == first.file
    assert Path(again.file).read_bytes() == whole


def test_old_picture_index_is_replaced(cache_dir, media):
    """An index written before sizes were kept is dropped (it is a cache), not a crash."""
    import sqlite3

    db = cache_dir / "media" / "media.sqlite"
    db.parent.mkdir(parents=True)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE pictures (key TEXT PRIMARY KEY, digest TEXT, ext TEXT, meta TEXT, created REAL)")
    con.execute("INSERT INTO pictures VALUES ('k', 'd', 'jpg', '{}', 0)")
    con.commit()
    con.close()
    s = MediaService(MediaSettings(), cache_dir, FFmpegFinder(None, cache_dir))
    try:
        assert not s.thumbnail(str(media / "clip.mp4"), 0.0, 32, "png").cached
        assert len(s.pictures) == 1
    finally:
        s.close()
