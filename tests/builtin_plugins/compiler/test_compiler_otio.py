"""OpenTimelineIO export and import."""

from __future__ import annotations

import json

from reelkit.builtin_plugins.compiler.otio import export_otio, import_otio
from reelkit.builtin_plugins.compiler.project import Project

from .conftest import clip, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]


def showcase_like(media) -> Project:
    return Project.model_validate(project(
        video_track(clip(media["red"], 0, 2, effects=[{"name": "blur"}]),
                    clip(media["blue"], 1.5, 2, transition={"type": "wipeleft", "duration": 0.5}),
                    clip(media["green"], 4.5, 1)),
        {"id": "t", "kind": "text", "clips": [{"type": "text", "text": "a: 'b'", "start": 0, "duration": 1}]},
        {"id": "m", "kind": "audio", "clips": [clip(media["music"], 0, 5, volume=0.3)], "ducking": {"under": "v"}},
        markers=[{"time": 1.5, "name": "cut", "duration": 0.5}],
    ))


def test_round_trip_is_lossless(media, tmp_path):
    """A project written to OTIO and read back is the same project."""
    p = showcase_like(media)
    out = tmp_path / "p.otio"
    assert export_otio(p, str(out)) == (3, 5, [])
    back = import_otio(str(out))
    assert back.model_dump() == p.model_dump()


def test_otio_structure_is_meaningful_to_other_tools(media, tmp_path):
    """Other OTIO tools see clips with ranges, a centred transition, a gap and markers."""
    import opentimelineio as otio

    out = tmp_path / "p.otio"
    export_otio(showcase_like(media), str(out))
    tl = otio.adapters.read_from_file(str(out))
    v = tl.tracks[0]
    kinds = [type(i).__name__ for i in v]
    assert kinds == ["Clip", "Transition", "Clip", "Gap", "Clip"]
    assert v[1].in_offset.to_seconds() == 0.25 and v[1].out_offset.to_seconds() == 0.25
    assert abs(v[0].duration().to_seconds() - 1.75) < 1e-6  # cut in the middle of the overlap
    assert abs(v[3].duration().to_seconds() - 1.0) < 1e-6  # the gap 3.5 → 4.5
    assert abs(tl.duration().to_seconds() - 5.5) < 1e-6
    assert tl.tracks.markers[0].name == "cut"


def test_foreign_otio_without_reelkit_metadata(media, tmp_path):
    """A plain OTIO timeline (no reelkit metadata) imports clips, gaps and transitions."""
    import opentimelineio as otio

    rt = lambda s: otio.opentime.RationalTime(s * 30, 30)  # noqa: E731
    tr = otio.schema.Track(name="V1")
    for name, src_start in ((media["red"], 0), (media["blue"], 0.5)):
        c = otio.schema.Clip(name="c", media_reference=otio.schema.ExternalReference(target_url=name),
                             source_range=otio.opentime.TimeRange(rt(src_start), rt(1)))
        tr.append(c)
        if src_start == 0:
            tr.append(otio.schema.Transition(in_offset=rt(0.25), out_offset=rt(0.25)))
    tl = otio.schema.Timeline(tracks=[tr])
    path = tmp_path / "f.otio"
    otio.adapters.write_to_file(tl, str(path))
    p = import_otio(str(path))
    a, b = p.tracks[0].clips
    assert (a.start, a.duration) == (0, 1.25)
    assert (b.start, b.source_in, b.duration, b.transition.duration) == (0.75, 0.25, 1.25, 0.5)


async def test_commands(make_kernel, media, tmp_path):
    doc = json.loads(showcase_like(media).model_dump_json())
    async with make_kernel(builtins=BUILTINS) as k:
        w = await k.invoke("compiler.export_otio", {"project": doc, "output": str(tmp_path / "x.otio")})
        r = await k.invoke("compiler.import_otio", {"path": w.path})
        v = await k.invoke("compiler.validate", {"project": r.project})
    assert w.clips == 5 and v.valid


def test_round_trip_keeps_a_length_given_by_source_out(media, tmp_path):
    """A clip sized by source_out (no duration) comes back sized by source_out."""
    p = Project.model_validate(project(video_track({"type": "media", "source": media["red"], "start": 0.5,
                                                    "source_in": 0.25, "source_out": 1.5})))
    export_otio(p, str(tmp_path / "s.otio"))
    back = import_otio(str(tmp_path / "s.otio"))
    assert back.model_dump() == p.model_dump()
