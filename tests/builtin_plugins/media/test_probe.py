"""Probing in process: every supported container, the details of streams, and bad input."""

from __future__ import annotations

import pytest

from reelkit.builtin_plugins.media.formats import available_formats, is_supported
from reelkit.builtin_plugins.media.probe import probe_file

# file -> (kind, format name contains, video codec, audio codec)
EXPECTED = {
    "clip.mp4": ("video", "mp4", "h264", "aac"),
    "clip.mov": ("video", "mov", "h264", "aac"),
    "clip.avi": ("video", "avi", "mpeg4", "mp3"),
    "clip.webm": ("video", "webm", "vp8", "opus"),
    "clip.ts": ("video", "mpegts", "h264", "aac"),
    "clip.mpg": ("video", "mpeg", "mpeg2video", "mp2"),
    "chapters.mkv": ("video", "matroska", "h264", "aac"),
    "tone.wav": ("audio", "wav", None, "pcm_s16le"),
    "tone.mp3": ("audio", "mp3", None, "mp3"),
    "tone.flac": ("audio", "flac", None, "flac"),
    "tone.ogg": ("audio", "ogg", None, "opus"),
    "tone.m4a": ("audio", "m4a", None, "aac"),
    "tone.aac": ("audio", "aac", None, "aac"),
    "still.png": ("image", "png", "png", None),
    "still.jpg": ("image", "image2", "mjpeg", None),
    "still.webp": ("image", "webp", "webp", None),
    "anim.gif": ("image", "gif", "gif", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_supported_type_probes(media, name):
    """Each container of the issue's list is read, with the right kind and codecs."""
    kind, fmt, vcodec, acodec = EXPECTED[name]
    info = probe_file(str(media / name))
    assert info.kind == kind
    assert fmt in info.format_name
    assert (info.video.codec if info.video else None) == vcodec
    assert (info.audio.codec if info.audio else None) == acodec
    assert info.size == (media / name).stat().st_size
    assert is_supported(name)
    if kind == "image":
        assert (info.video.width, info.video.height) in ((160, 120), (80, 60))
    else:
        assert info.duration == pytest.approx(1.0, abs=0.06)


def test_video_stream_details(media):
    """Size, rates as exact fractions, aspect ratios, pixel format, colour, profile, bit rate."""
    info = probe_file(str(media / "clip.mp4"))
    v = info.video
    assert (v.width, v.height) == (160, 120)
    assert (v.frame_rate.num, v.frame_rate.den) == (25, 1)
    assert str(v.sample_aspect_ratio) == "1/1" and str(v.display_aspect_ratio) == "4/3"
    assert v.pixel_format == "yuv420p"
    assert (v.color_space, v.color_transfer, v.color_primaries, v.color_range) == ("bt709", "bt709", "bt709", "tv")
    assert v.profile and v.bit_rate and v.bit_rate > 0
    assert v.rotation == 0
    assert "default" in v.disposition
    assert info.bit_rate and info.bit_rate > 0


def test_audio_stream_details_and_tags(media):
    """Sample rate, channels and layout, language, and container tags."""
    info = probe_file(str(media / "clip.mp4"))
    a = info.audio
    assert (a.sample_rate, a.channels, a.channel_layout) == (44100, 1, "mono")
    assert a.sample_format == "fltp"
    assert a.language == "eng"
    assert info.tags["title"] == "Test clip"


def test_rotation_from_display_matrix(media):
    """A stream-copied file with a 90° display matrix reports rotation 90."""
    assert probe_file(str(media / "rotated.mp4")).video.rotation == 90


def test_non_square_pixels(media):
    """SAR 2:1 on 160x120 gives a display aspect of 8:3."""
    v = probe_file(str(media / "sar.mp4")).video
    assert str(v.sample_aspect_ratio) == "2/1" and str(v.display_aspect_ratio) == "8/3"


def test_chapters(media):
    """Chapters come back in order with times in seconds and titles."""
    info = probe_file(str(media / "chapters.mkv"))
    assert [(c.title, c.start, c.end) for c in info.chapters] == [("Intro", 0.0, 0.4), ("Main", 0.4, 1.0)]
    assert info.tags.get("title") == "With chapters"


def test_stills_have_no_duration_or_rate(media):
    """A single picture has neither a duration nor a frame rate (the demuxer's 25 fps is a default)."""
    info = probe_file(str(media / "still.jpg"))
    assert info.duration is None and info.video.frame_rate is None


def test_formats_listed_and_available():
    """media.formats covers video, audio and image types, all readable by this PyAV build."""
    formats = available_formats()
    assert {f.kind for f in formats} == {"video", "audio", "image"}
    assert all(f.available for f in formats)
    exts = {e for f in formats for e in f.extensions}
    assert {"mp4", "mov", "mkv", "avi", "webm", "ts", "mpg", "wav", "mp3", "flac", "ogg", "opus", "m4a", "aac",
            "png", "jpg", "webp", "gif"} <= exts
    assert not is_supported("notes.txt")


def test_missing_path_is_not_found(tmp_path):
    """A path that does not exist → media.not_found naming it."""
    from reelkit.builtin_plugins.media.errors import MediaNotFound

    missing = tmp_path / "nope.mp4"
    with pytest.raises(MediaNotFound) as e:
        probe_file(str(missing))
    assert e.value.code == "media.not_found" and str(missing) in e.value.message


@pytest.mark.parametrize("name,said", [
    ("empty.mp4", "empty"),
    ("notes.txt", "Invalid data"),
    ("notes.mp4", "Invalid data"),
    ("truncated.mov", "Invalid data"),
    ("truncated_faststart.mp4", "truncated"),
    ("truncated_chapters.mkv", "truncated"),
    ("truncated_clip.webm", "truncated"),
    ("corrupt.mp4", "Invalid data"),
    ("folder.mp4", "directory"),
])
def test_bad_input_is_unreadable(broken, name, said):
    """Empty, text, truncated, corrupt files and directories → media.unreadable with path and FFmpeg's words."""
    from reelkit.builtin_plugins.media.errors import MediaUnreadable

    with pytest.raises(MediaUnreadable) as e:
        probe_file(str(broken / name))
    assert e.value.code == "media.unreadable"
    assert str(broken / name) in e.value.message and said in e.value.message
    assert e.value.details["path"] == str(broken / name)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.avi", "clip.webm", "clip.ts", "clip.mpg", "tone.mp3",
                                  "tone.ogg", "tone.flac", "chapters.mkv", "sar.mp4"])
def test_agrees_with_the_ffmpeg_cli(media, ffmpeg, name):
    """An independent oracle: what `ffmpeg -i` prints (duration, codecs, size, rate, layout) matches."""
    import re
    import subprocess

    text = subprocess.run([ffmpeg, "-hide_banner", "-i", str(media / name)], capture_output=True, text=True).stderr
    info = probe_file(str(media / name))
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text).groups()
    assert info.duration == pytest.approx(int(h) * 3600 + int(m) * 60 + float(s), abs=0.011)
    if info.video:
        vline = re.search(r"Video: (\w+).*?, (\d+)x(\d+)", text)
        assert (info.video.codec, info.video.width, info.video.height) == (
            vline.group(1), int(vline.group(2)), int(vline.group(3)))
        sar = re.search(r"SAR (\d+):(\d+) DAR (\d+):(\d+)", text)
        if sar:
            assert str(info.video.sample_aspect_ratio) == f"{sar.group(1)}/{sar.group(2)}"
            assert str(info.video.display_aspect_ratio) == f"{sar.group(3)}/{sar.group(4)}"
    if info.audio:
        aline = re.search(r"Audio: (\w+).*?, (\d+) Hz, ([\w.()]+)", text)
        assert (info.audio.codec, info.audio.sample_rate, info.audio.channel_layout) == (
            aline.group(1), int(aline.group(2)), aline.group(3))
