"""Editor formats through the opentimelineio-plugins adapters: Final Cut Pro 7 XML, CMX 3600 EDL, AAF and
FCPX XML. A round trip keeps every clip's timing the format can hold; what it cannot is listed."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from reelkit.builtin_plugins.compiler.project import Project

BUILTINS = ["media", "subtitles", "compiler"]
FPS = 25


def edit(media) -> dict:
    """Frame-aligned at 25 fps: an asymmetric dissolve (3 before the cut, 7 after), a 2× clip, a disabled
    clip, a colour clip, an audio bed, markers with colours."""
    return {"settings": {"width": 160, "height": 90, "fps": FPS}, "tracks": [
        {"id": "v", "kind": "video", "name": "Main", "clips": [
            {"type": "media", "source": media["red"], "start": 0, "duration": 1.2, "source_in": 0.2, "name": "red",
             "markers": [{"time": 0.4, "name": "mk", "color": "GREEN"}]},
            {"type": "media", "source": media["blue"], "start": 0.8, "duration": 1.0, "source_in": 0.48,
             "name": "blue", "transition": {"type": "fade", "duration": 0.4, "in_offset": 0.12}},
            {"type": "media", "source": media["counter"], "start": 2.2, "duration": 0.8, "source_in": 3.0,
             "speed": 2.0, "name": "fast"},
            {"type": "media", "source": media["green"], "start": 3.0, "duration": 0.48, "enabled": False,
             "name": "off"},
            {"type": "color", "color": "#ff00ff", "start": 3.6, "duration": 0.4, "name": "magenta"}]},
        {"id": "a", "kind": "audio", "clips": [
            {"type": "media", "source": media["music"], "start": 0.4, "duration": 2.0, "source_in": 1.0,
             "name": "music"}]}],
        "markers": [{"time": 1.0, "name": "cut", "color": "RED"}]}


def frames(c) -> tuple:
    return (c.name, round(c.start * FPS), round(c.duration * FPS), round(c.source_in * FPS))


def media_rows(project: Project, kind: str) -> list[tuple]:
    return [frames(c) for t in project.tracks if t.kind == kind for c in t.clips if c.type == "media"]


def without_transition(rows: list[tuple]) -> list[tuple]:
    """The same clips cut at the dissolve's cut, handles dropped (what a format without transitions holds)."""
    red, blue, *rest = rows
    return [(red[0], red[1], red[2] - 7, red[3]), (blue[0], blue[1] + 3, blue[2] - 3, blue[3] + 3), *rest]


# (an EDL leaves disabled clips out; the others write them enabled, and say so)
# format, extension, video rows kept, audio kept, the dissolve's in_offset after the trip (frames), limits listed
CASES = [
    ("fcp_xml", "xml", lambda r: r, True, 5, {"enabled", "time_warp", "generator", "name", "transition"}),
    ("cmx_3600", "edl", lambda r: [x for x in r if x[0] != "off"], False, 0,
     {"format", "track", "generator", "marker", "transition"}),
    ("AAF", "aaf", lambda r: r, True, 3, {"enabled", "time_warp", "generator", "marker"}),
    ("fcpx_xml", "fcpxml", without_transition, True, None, {"transition", "enabled", "time_warp", "generator"}),
]


@pytest.mark.parametrize("adapter,ext,rows,audio,in_offset,lost", CASES, ids=[c[0] for c in CASES])
async def test_editor_format_round_trip(make_kernel, media, tmp_path, adapter, ext, rows, audio, in_offset, lost):
    from reelkit.sdk import KernelError

    doc = edit(media)
    original = Project.model_validate(doc)
    out = str(tmp_path / f"edit.{ext}")
    installed = {a.name for a in otio.plugins.ActiveManifest().adapters}
    async with make_kernel(builtins=BUILTINS) as k:
        if adapter not in installed:  # otio-fcpx-xml-adapter is not in every environment
            with pytest.raises(KernelError) as e:
                await k.invoke("compiler.export_otio", {"project": doc, "output": out})
            assert e.value.code == "compiler.otio_adapter_missing" and adapter in e.value.message
            return
        w = await k.invoke("compiler.export_otio", {"project": doc, "output": out})
        r = await k.invoke("compiler.import_otio", {"path": out, "fps": str(FPS)})
        v = await k.invoke("compiler.validate", {"project": r.project})
    back = Project.model_validate(r.project)
    assert w.adapter == adapter and v.valid, v.problems
    assert media_rows(back, "video") == rows(media_rows(original, "video"))
    assert media_rows(back, "audio") == (media_rows(original, "audio") if audio else [])
    blue = next((c for t in back.tracks for c in t.clips if c.name == "blue"), None)
    if in_offset is None:
        assert blue.transition is None
    else:
        t = blue.transition
        assert round(t.duration * FPS) == 10 and round((t.in_offset if t.in_offset is not None else 0.2) * FPS) \
            == in_offset
    listed = {n.feature for n in w.not_carried}
    assert lost <= listed, listed
    assert all(n.action == "not_carried" and n.message for n in w.not_carried)


async def test_otio_json_carries_everything(make_kernel, media, tmp_path):
    """The native format loses nothing: not_carried is empty and the project comes back equal."""
    doc = edit(media)
    async with make_kernel(builtins=BUILTINS) as k:
        w = await k.invoke("compiler.export_otio", {"project": doc, "output": str(tmp_path / "e.otio")})
        r = await k.invoke("compiler.import_otio", {"path": w.path})
    assert w.not_carried == [] and r.report == []
    assert Project.model_validate(r.project).model_dump() == Project.model_validate(doc).model_dump()


async def test_edl_without_rate_is_read_at_24_and_says_so(make_kernel, media, tmp_path):
    """An EDL carries no frame rate: without fps the import reads 24 and reports it."""
    doc = edit(media)
    doc["settings"]["fps"] = 24
    out = str(tmp_path / "e.edl")
    async with make_kernel(builtins=BUILTINS) as k:
        await k.invoke("compiler.export_otio", {"project": doc, "output": out})
        r = await k.invoke("compiler.import_otio", {"path": out})
    assert r.project["settings"]["fps"] == "24/1"
    assert any(n.feature == "rate" for n in r.report)
