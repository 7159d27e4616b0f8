"""Subtitle streams in real media files: extract with PyAV, embed with the bundled FFmpeg."""

from __future__ import annotations

import os
import subprocess

import pytest

from reelkit.sdk import KernelError

from .conftest import ASS_SAMPLE, SRT_SAMPLE


@pytest.fixture(scope="module")
def media(tmp_path_factory, ffmpeg_exe):
    """A 1 s 160x120 video without subtitles, one MKV with SRT + ASS tracks, one MP4 with mov_text."""
    d = tmp_path_factory.mktemp("subs-media")
    (d / "a.srt").write_text(SRT_SAMPLE)
    (d / "b.ass").write_text(ASS_SAMPLE)
    (d / "garbage.mkv").write_bytes(bytes(range(256)) * 8)
    color = ["-f", "lavfi", "-i", "color=c=black:s=160x120:d=1:r=10"]
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-threads", "1"]

    def ff(*args):
        subprocess.run([ffmpeg_exe, "-nostdin", "-v", "error", "-y", *args], check=True)

    ff(*color, *enc, str(d / "plain.mp4"))
    ff(*color, "-i", str(d / "a.srt"), "-i", str(d / "b.ass"), "-map", "0", "-map", "1", "-map", "2", *enc,
       "-c:s:0", "srt", "-c:s:1", "ass", "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fra",
       str(d / "two.mkv"))
    ff(*color, "-i", str(d / "a.srt"), "-map", "0", "-map", "1", *enc, "-c:s", "mov_text", str(d / "one.mp4"))
    return d


def _kernel(make_kernel):
    return make_kernel(builtins=["subtitles"])


def _lines(parse_result):
    return [(c.start_ms, c.end_ms, c.text) for c in parse_result.cues]


EXPECTED = [(1000, 3000, "Hello world"), (3500, 5000, "Second line\nwith two rows"), (6000, 8250, "Red text")]


async def test_extract_first_stream_from_mkv(make_kernel, media, tmp_path):
    out = tmp_path / "out" / "x.srt"
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.extract", {"path": str(media / "two.mkv"), "output": str(out)})
        back = await k.invoke("subtitles.parse", {"path": str(out)})
    assert res.stream.index == 1 and res.stream.codec == "srt" and res.stream.language == "eng"
    assert [(s.index, s.language) for s in res.streams] == [(1, "eng"), (2, "fra")]
    assert _lines(back) == EXPECTED
    assert back.cues[0].raw == "{\\i1}Hello{\\i0} {\\b1}world{\\b0}"  # styling survived the container


async def test_extract_ass_stream_keeps_styles(make_kernel, media):
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.extract", {"path": str(media / "two.mkv"), "stream": 2})
        back = await k.invoke("subtitles.parse", {"content": res.content})
    assert res.format == "ass" and res.stream.language == "fra"
    assert "Style: Sign,Arial,18," in res.content
    assert [(c.style, c.speaker) for c in back.cues] == [("Default", "Ann"), ("Default", "Bob"), ("Sign", "")]
    assert back.cues[0].raw == "{\\pos(320,300)\\b1}Hello{\\b0} there"


async def test_extract_mov_text_from_mp4(make_kernel, media):
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.extract", {"path": str(media / "one.mp4"), "to": "vtt"})
        back = await k.invoke("subtitles.parse", {"content": res.content})
    assert res.stream.codec == "mov_text" and res.format == "vtt"
    assert _lines(back) == EXPECTED


@pytest.mark.parametrize("name, payload, code", [
    ("plain.mp4", {}, "subtitles.stream_not_found"),
    ("two.mkv", {"stream": 0}, "subtitles.stream_not_found"),
    ("missing.mkv", {}, "subtitles.file_not_found"),
    ("garbage.mkv", {}, "subtitles.unreadable"),
])
async def test_extract_errors(make_kernel, media, name, payload, code):
    async with _kernel(make_kernel) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.extract", {"path": str(media / name), **payload})
    assert e.value.code == code, e.value.message


@pytest.mark.parametrize("suffix, codec", [(".mkv", "srt"), (".mp4", "mov_text")])
async def test_embed_then_extract_round_trip(make_kernel, media, tmp_path, suffix, codec):
    out = tmp_path / "work" / f"with_subs{suffix}"
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.embed", {
            "path": str(media / "plain.mp4"), "content": SRT_SAMPLE, "output": str(out), "language": "deu",
            "default": True})
        back = await k.invoke("subtitles.extract", {"path": str(out), "stream": res.stream})
        parsed = await k.invoke("subtitles.parse", {"content": back.content})
    assert res.codec == codec and res.stream == 1 and res.cue_count == 3
    assert back.stream.codec == codec and back.stream.language == "deu"
    assert _lines(parsed) == EXPECTED
    assert os.listdir(out.parent) == [out.name]


async def test_embed_ass_into_mkv_adds_a_track_and_keeps_the_others(make_kernel, media, tmp_path):
    out = tmp_path / "work" / "three.mkv"
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.embed", {"path": str(media / "two.mkv"), "content": ASS_SAMPLE,
                                                 "output": str(out), "title": "Signs"})
        got = await k.invoke("subtitles.extract", {"path": str(out), "stream": res.stream})
    assert res.codec == "ass" and res.stream == 3
    assert [s.codec for s in got.streams] == ["srt", "ssa", "ssa"] and got.streams[2].title == "Signs"
    assert "Style: Sign," in got.content


async def test_embed_failure_leaves_nothing_behind(make_kernel, media, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "bad.mp4").write_bytes(b"not a video at all" * 10)
    async with _kernel(make_kernel) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.embed", {"path": str(work / "bad.mp4"), "content": SRT_SAMPLE,
                                               "output": str(work / "out.mkv")})
        assert e.value.code == "subtitles.unreadable"
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.embed", {"path": str(media / "plain.mp4"), "content": SRT_SAMPLE,
                                               "output": str(work / "out.avi")})
        assert e.value.code == "subtitles.input_invalid" and ".mkv" in e.value.message
    assert os.listdir(work) == ["bad.mp4"]
