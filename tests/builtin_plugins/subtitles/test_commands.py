"""The commands through a kernel: path or content in, content out, atomic output files, error codes."""

from __future__ import annotations

import os

import pytest

from reelkit.sdk import KernelError

from .conftest import SRT_SAMPLE

BROKEN_SRT = "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:0x,000\nbad\n"


def _kernel(make_kernel, **settings):
    return make_kernel(builtins=["subtitles"], settings={"subtitles": settings} if settings else None)


async def test_plugin_registers_every_command_the_issue_names(make_kernel):
    async with _kernel(make_kernel) as k:
        ids = {spec.id for spec in k.commands.list()}
        for name in ["parse", "convert", "shift", "retime", "sync", "merge", "split", "validate", "fix",
                     "extract", "embed", "formats"]:
            assert f"subtitles.{name}" in ids
        assert k.commands.get("subtitles.convert").input_schema()["properties"].keys() >= {"path", "content", "to",
                                                                                           "output"}
        out = await k.invoke("subtitles.formats", {})
        assert {f.name for f in out.formats} >= {"srt", "vtt", "ass", "ssa", "microdvd", "mpl2", "tmp", "ttml"}
        assert next(f for f in out.formats if f.name == "microdvd").needs_fps


async def test_parse_path_and_content_agree(make_kernel, tmp_path):
    p = tmp_path / "a.srt"
    p.write_text(SRT_SAMPLE, encoding="cp1251")
    async with _kernel(make_kernel) as k:
        by_path = await k.invoke("subtitles.parse", {"path": str(p)})
        by_content = await k.invoke("subtitles.parse", {"content": SRT_SAMPLE})
    assert by_path.cues == by_content.cues
    assert [c.line for c in by_path.cues] == [2, 6, 11]
    assert by_path.cues[0].raw == "{\\i1}Hello{\\i0} {\\b1}world{\\b0}" and by_path.cues[0].text == "Hello world"
    assert by_path.duration_ms == 8250


async def test_convert_writes_output_atomically_and_announces_it(make_kernel, events, tmp_path):
    out = tmp_path / "deep" / "a.vtt"
    async with _kernel(make_kernel) as k:
        rec = events(k, "subtitles.*")
        res = await k.invoke("subtitles.convert", {"content": SRT_SAMPLE, "output": str(out)})
        await rec.wait_for("subtitles.file.written")
    assert res.format == "vtt"  # from the output's suffix
    assert out.read_text(encoding="utf-8") == res.content and res.content.startswith("WEBVTT")
    assert os.listdir(out.parent) == ["a.vtt"]  # no temporary file left behind
    assert rec.events[0].path == str(out) and rec.events[0].cue_count == 3


async def test_compiler_bridge_validate_then_convert_to_ass(make_kernel, tmp_path):
    """What the compiler calls before burn-in."""
    src = tmp_path / "talk.srt"
    src.write_text(SRT_SAMPLE)
    ass = tmp_path / "talk.ass"
    async with _kernel(make_kernel) as k:
        report = await k.invoke("subtitles.validate", {"path": str(src)})
        assert report.ok and report.errors == 0 and report.cue_count == 3
        res = await k.invoke("subtitles.convert", {"path": str(src), "to": "ass", "output": str(ass)})
        back = await k.invoke("subtitles.parse", {"path": str(ass)})
    assert res.output == str(ass) and back.format == "ass"
    assert [(c.start_ms, c.end_ms, c.text) for c in back.cues] == [
        (1000, 3000, "Hello world"), (3500, 5000, "Second line\nwith two rows"), (6000, 8250, "Red text")]


async def test_failed_write_keeps_the_old_file(make_kernel, tmp_path):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    out = tmp_path / "a.srt"
    out.write_text("old")
    async with _kernel(make_kernel) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.convert", {"content": BROKEN_SRT, "output": str(out), "overwrite": True})
    assert e.value.code == "subtitles.parse_error" and e.value.details["line"] == 6
    assert out.read_text() == "old" and os.listdir(tmp_path) == ["a.srt"]


@pytest.mark.parametrize("payload, code", [
    ({"content": BROKEN_SRT}, "subtitles.parse_error"),
    ({"content": "just words, no timing\n"}, "subtitles.format_unknown"),
    ({"content": SRT_SAMPLE, "to": "klingon"}, "subtitles.format_unknown"),
    ({"content": SRT_SAMPLE, "to": "microdvd"}, "subtitles.input_invalid"),
    ({"path": "/nonexistent/x.srt"}, "subtitles.file_not_found"),
    ({}, "subtitles.input_invalid"),
    ({"content": SRT_SAMPLE, "path": "/x.srt"}, "subtitles.input_invalid"),
    ({"content": SRT_SAMPLE, "colour": "red"}, "input.invalid"),
])
async def test_bad_input_codes(make_kernel, payload, code):
    async with _kernel(make_kernel) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.convert", payload)
    assert e.value.code == code, e.value.message


async def test_binary_and_encoding_errors_by_path(make_kernel, tmp_path):
    garbage = tmp_path / "movie.srt"
    garbage.write_bytes(os.urandom(2048))
    cyr = tmp_path / "ru.srt"
    cyr.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nПривет\n".encode("cp1251"))
    async with _kernel(make_kernel) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.parse", {"path": str(garbage)})
        assert e.value.code == "subtitles.unreadable"
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.parse", {"path": str(cyr), "encoding": "utf-8"})
        assert e.value.code == "subtitles.encoding_unknown" and e.value.details["line"] == 3
        ok = await k.invoke("subtitles.parse", {"path": str(cyr), "encoding": "cp1251"})
        assert ok.cues[0].text == "Привет"


async def test_timing_commands(make_kernel):
    async with _kernel(make_kernel) as k:
        s = await k.invoke("subtitles.shift", {"content": SRT_SAMPLE, "offset_ms": -3500})
        assert s.dropped == 1 and s.cue_count == 2 and s.content.startswith("1\n00:00:00,000 --> 00:00:01,500\n")
        r = await k.invoke("subtitles.retime", {"content": SRT_SAMPLE, "from_fps": 25, "to_fps": 25 / 2})
        assert "00:00:12,000 --> 00:00:16,500" in r.content
        y = await k.invoke("subtitles.sync", {"content": SRT_SAMPLE, "first": {"cue": 1, "target_ms": 0},
                                              "second": {"cue": 3, "target_ms": 10000}})
        assert (y.scale, y.offset_ms) == (2, -2000) and "00:00:10,000 --> 00:00:14,500" in y.content
        m = await k.invoke("subtitles.merge", {"content": SRT_SAMPLE, "second_content": SRT_SAMPLE.replace(
            "Red", "Rouge"), "mode": "combine", "to": "vtt"})
        assert "Red text\n<i>Rouge text</i>" in m.content
        x = await k.invoke("subtitles.replace", {"content": SRT_SAMPLE, "find": "world", "replacement": "monde"})
        assert x.replacements == 1 and "<b>monde</b>" in x.content


async def test_split_writes_numbered_parts(make_kernel, tmp_path):
    tmp_path = tmp_path / "work"
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.split", {"content": SRT_SAMPLE, "at_ms": [5500],
                                                 "output": str(tmp_path / "ep.srt")})
    assert [p.cue_count for p in res.parts] == [2, 1]
    assert sorted(os.listdir(tmp_path)) == ["ep.1.srt", "ep.2.srt"]
    assert (tmp_path / "ep.2.srt").read_text().startswith("1\n00:00:00,500 --> 00:00:02,750\n")


async def test_validate_uses_settings_and_overrides(make_kernel):
    long_line = "1\n00:00:01,000 --> 00:00:05,000\n" + "x" * 30 + "\n"
    async with _kernel(make_kernel, max_line_length=20) as k:
        strict = await k.invoke("subtitles.validate", {"content": long_line})
        relaxed = await k.invoke("subtitles.validate", {"content": long_line, "max_line_length": 40})
    assert [i.kind for i in strict.issues] == ["line_too_long"] and strict.ok and strict.warnings == 1
    assert relaxed.issues == []


async def test_fix_then_validate_is_clean(make_kernel):
    from .test_quality import BROKEN

    async with _kernel(make_kernel) as k:
        before = await k.invoke("subtitles.validate", {"content": BROKEN})
        fixed = await k.invoke("subtitles.fix", {"content": BROKEN})
        after = await k.invoke("subtitles.validate", {"content": fixed.content})
    assert not before.ok and before.errors == 3
    assert fixed.remaining_errors == 0 and after.ok and fixed.removed_empty == 1


async def test_restyle_command(make_kernel, ass_sample):
    async with _kernel(make_kernel) as k:
        res = await k.invoke("subtitles.restyle", {"content": ass_sample, "styles": {"Default": {"fontsize": 40}}})
    assert "Style: Default,Arial,40," in res.content


async def test_health_reports_ffmpeg(make_kernel, tmp_path):
    async with _kernel(make_kernel) as k:
        ok = (await k.health())["checks"]["subtitles.ffmpeg"]
    async with _kernel(make_kernel, ffmpeg_path=str(tmp_path / "no-ffmpeg")) as k:
        bad = (await k.health())["checks"]["subtitles.ffmpeg"]
    assert ok["state"] == "ok" and bad["state"] == "warn" and "ffmpeg_path" in bad["detail"]


def test_import_stays_light():
    import subprocess
    import sys

    code = ("import sys, builtin_plugins.subtitles, builtin_plugins.subtitles.api; "
            "print(sorted(m for m in ('pysubs2', 'av', 'charset_normalizer', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_output_encoding(make_kernel, tmp_path):
    ru = "1\n00:00:01,000 --> 00:00:02,000\nПривет\n"
    work = tmp_path / "work"
    async with _kernel(make_kernel) as k:
        await k.invoke("subtitles.convert", {"content": ru, "output": str(work / "ru.srt"), "output_encoding": "cp1251"})
        await k.invoke("subtitles.convert", {"content": ru, "output": str(work / "bom.srt"),
                                             "output_encoding": "utf-8-sig"})
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.convert", {"content": ru.replace("Привет", "你好"),
                                                 "output": str(work / "zh.srt"), "output_encoding": "cp1251"})
        assert e.value.code == "subtitles.input_invalid" and "cp1251" in e.value.message
        with pytest.raises(KernelError) as e:
            await k.invoke("subtitles.convert", {"content": ru, "output": str(work / "x.srt"),
                                                 "output_encoding": "klingon"})
        assert e.value.code == "subtitles.encoding_unknown"
    assert (work / "ru.srt").read_bytes() == ru.encode("cp1251")
    assert (work / "bom.srt").read_bytes().startswith(b"\xef\xbb\xbf1\n")
    assert sorted(os.listdir(work)) == ["bom.srt", "ru.srt"]
