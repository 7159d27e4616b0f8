"""The example WASM plugins, built from their C source with zig, run through the kernel."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import install

from reelkit.kernel.events import DynamicEvent

pytestmark = pytest.mark.timeout(120)

SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello there, World!\n\n2\n00:00:03,000 --> 00:00:04,000\nsecond Line\n"


async def test_subtitle_caps_changes_cue_text_only(make_kernel, built):
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, built("subtitle_caps"))
        out = await k.invoke("subtitle_caps.transform", {"srt": SRT})
        assert out["srt"] == SRT.replace("Hello there, World!", "HELLO THERE, WORLD!").replace("second Line", "SECOND LINE")
        assert out["lines_changed"] == 2
        out = await k.invoke("subtitle_caps.transform", {"srt": "1\n00:00:01,000 --> 00:00:02,000\nÉcole ABC\n", "mode": "lower"})
        assert out["srt"] == "1\n00:00:01,000 --> 00:00:02,000\nÉcole abc\n"


async def test_subtitle_caps_reads_its_configuration(make_kernel, built):
    settings = {"sandbox": {"plugin_config": {"subtitle_caps": {"mode": "lower"}}}}
    async with make_kernel(builtins=["sandbox"], settings=settings) as k:
        await install(k, built("subtitle_caps"))
        out = await k.invoke("subtitle_caps.transform", {"srt": "Quiet PLEASE"})
        assert out == {"srt": "quiet please", "lines_changed": 1}


async def test_subtitle_caps_input_is_validated_by_its_schema(make_kernel, built):
    from reelkit.kernel.errors import InputInvalid

    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, built("subtitle_caps"))
        with pytest.raises(InputInvalid):
            await k.invoke("subtitle_caps.transform", {"srt": "x", "mode": "shout"})


@pytest.fixture(scope="module")
def clip(tmp_path_factory, ffmpeg_exe) -> Path:
    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run([ffmpeg_exe, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True, timeout=60)
    return out


async def test_timeline_lint_uses_its_granted_media_probe(make_kernel, built, clip):
    # a WASM plugin's calls are confined to [paths] roots: the clips must lie inside them
    async with make_kernel(builtins=["media", "sandbox"], settings={"paths": {"roots": [str(clip.parent)]}}) as k:
        await install(k, built("timeline_lint"))
        project = {"clips": [
            {"id": "a", "source": str(clip), "start": 0, "in": 0, "duration": 1.5},
            {"id": "b", "source": str(clip), "start": 1.0, "in": 1.0, "duration": 2.0},  # overlap, past end
            {"id": "c", "start": 4.0, "duration": 0},                                   # gap, empty
        ]}
        out = await k.invoke("timeline_lint.lint", project)
        got = sorted((i["clip"], i["code"]) for i in out["issues"])
        assert got == [("b", "overlap"), ("b", "past_source_end"), ("c", "empty_clip"), ("c", "gap")]
        assert out["ok"] is False and out["probed"] == 2
        clean = await k.invoke("timeline_lint.lint", {"clips": [{"id": "a", "source": str(clip), "start": 0, "duration": 2.0}]})
        assert clean == {"ok": True, "issues": [], "probed": 1}


async def test_timeline_lint_without_the_grant_is_denied(make_kernel, plugin_copy, clip):
    from reelkit.kernel.errors import KernelError

    d = plugin_copy("timeline_lint", permissions={"commands": [{"pattern": "subtitles.*", "reason": "not media"}]})
    async with make_kernel(builtins=["media", "sandbox"]) as k:
        await install(k, d)
        with pytest.raises(KernelError) as info:
            await k.invoke("timeline_lint.lint", {"clips": [{"id": "a", "source": str(clip), "start": 0, "duration": 1}]})
        assert info.value.code == "permission.denied"


async def test_event_tally_counts_events_in_its_storage(make_kernel, built, events):
    kernel = make_kernel(builtins=["sandbox"])
    async with kernel as k:
        await install(k, built("event_tally"))
        rec = events(k, "event_tally.*")
        for i in range(3):
            k.bus.publish(DynamicEvent(topic="media.file.discovered", data={"path": f"/m/{i}.mp4"}))
        k.bus.publish(DynamicEvent(topic="subtitles.cue.added", data={}))  # not subscribed
        await rec.wait_for("event_tally.counted", count=3)
        assert [e.data["total"] for e in rec.of("event_tally.counted")] == [1, 2, 3]
        assert await k.invoke("event_tally.stats", {}) == {"total": 3, "last_topic": "media.file.discovered"}
        await k.invoke("sandbox.reload", {"id": "event_tally"})
        assert (await k.invoke("event_tally.stats", {}))["total"] == 3
    # a new kernel on the same data dir loads the installed plugin and its storage
    async with make_kernel(builtins=["sandbox"]) as k2:
        assert (await k2.invoke("event_tally.stats", {}))["total"] == 3
        assert await k2.invoke("event_tally.reset", {}) == {"total": 0}
        assert (await k2.invoke("event_tally.stats", {})) == {"total": 0, "last_topic": None}
