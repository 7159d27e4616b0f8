"""The project document: models, schema, and validation reporting every problem with its path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reelkit.builtin_plugins.compiler.effects import Catalog
from reelkit.builtin_plugins.compiler.project import Project, parse_rate, project_schema
from reelkit.builtin_plugins.compiler.sources import local_probe
from reelkit.builtin_plugins.compiler.timeline import pydantic_problems, resolve

from .conftest import clip, project, video_track

BUILTINS = ["media", "subtitles", "compiler"]


def test_rates_parse_as_fractions():
    """Rates accept numbers and ratios and land on exact fractions."""
    assert str(parse_rate("30000/1001")) == "30000/1001"
    assert str(parse_rate(29.97)) == "2997/100"
    assert Project.model_validate({"settings": {"fps": 25}}).settings.fps == "25/1"
    with pytest.raises(ValidationError):
        Project.model_validate({"settings": {"fps": "fast"}})


def test_schema_is_exported_and_versioned():
    """The JSON Schema names the version and the clip kinds."""
    schema = project_schema()
    assert schema["properties"]["version"]["const"] == 1
    assert {"MediaClip", "ColorClip", "TextClip", "Track"} <= set(schema["$defs"])


def test_colours_cannot_smuggle_filter_syntax():
    """A colour with graph syntax is refused by the schema, at its path."""
    doc = project(video_track({"type": "color", "color": "red:s=1x1[x];", "start": 0, "duration": 1}))
    with pytest.raises(ValidationError) as e:
        Project.model_validate(doc)
    assert [p.path for p in pydantic_problems(e.value)] == ["tracks[0].clips[0].color"]


def test_schema_problems_carry_document_paths():
    """Pydantic errors become paths like tracks[0].clips[1].speed."""
    doc = project(video_track(clip("a.mp4", 0, 1), clip("b.mp4", 1, 1, speed=9)))
    with pytest.raises(ValidationError) as e:
        Project.model_validate(doc)
    assert [p.path for p in pydantic_problems(e.value)] == ["tracks[0].clips[1].speed"]


def test_every_semantic_problem_is_reported_at_once(media):
    """Overlap, range, missing file, unknown effect, bad parameter, long transition: all in one report."""
    doc = project(
        video_track(
            clip(media["red"], 0, 1.5),
            clip(media["blue"], 1.0, 1.0),  # overlaps the red clip, no transition
            clip(media["green"], 3, 1, source_in=1.5),  # needs 2.5 s of a 2 s source
            clip("/no/such/file.mp4", 5, 1),
            clip(media["red"], 6, 1, effects=[{"name": "blurr"}, {"name": "blur", "params": {"sigma": 1000}}]),
            clip(media["blue"], 5.0, 1.5, transition={"type": "fade", "duration": 2}),
        ),
        {"id": "a", "kind": "audio", "clips": [clip(media["music"], 0, 1, effects=[{"name": "grayscale"}])]},
    )
    p = Project.model_validate(doc)
    _, problems = resolve(p, local_probe, Catalog())
    got = {(x.path, x.code) for x in problems}
    assert ("tracks[0].clips[1].start", "overlap") in got
    assert ("tracks[0].clips[2].duration", "range") in got
    assert ("tracks[0].clips[3].source", "missing_file") in got
    assert ("tracks[0].clips[4].effects[0].name", "effect") in got
    assert ("tracks[0].clips[4].effects[1].params.sigma", "effect") in got
    assert ("tracks[0].clips[5].transition.duration", "transition") in got
    assert ("tracks[1].clips[0].effects[0].name", "effect") in got


def test_transition_must_match_the_overlap(media):
    """A transition whose clips do not overlap by its length says where the clip should start."""
    doc = project(video_track(clip(media["red"], 0, 2), clip(media["blue"], 2, 2, transition={"duration": 0.5})))
    _, problems = resolve(Project.model_validate(doc), local_probe, Catalog())
    assert [(x.path, x.code) for x in problems] == [("tracks[0].clips[1].transition.duration", "transition")]
    assert "1.500s" in problems[0].message


def test_frames_snap_to_the_grid(media):
    """Seconds become whole frames: 2 clips with a 0.5 s transition at 30 fps → 105 frames."""
    doc = project(video_track(clip(media["red"], 0, 2), clip(media["blue"], 1.5, 2, transition={"duration": 0.5})))
    tl, problems = resolve(Project.model_validate(doc), local_probe, Catalog())
    assert problems == []
    assert tl.frames == 105
    assert [(c.start, c.frames, c.trans_in, c.trans_out) for c in tl.tracks[0]] == [(0, 60, 0, 15), (45, 60, 15, 0)]


async def test_validate_command_reports_paths(make_kernel, media):
    """compiler.validate answers valid=False with each problem's path and a message."""
    doc = project(video_track(clip(media["red"], 0, 5)))
    async with make_kernel(builtins=BUILTINS) as k:
        bad = await k.invoke("compiler.validate", {"project": doc})
        good = await k.invoke("compiler.validate", {"project": project(video_track(clip(media["red"], 0, 1)))})
        schema_bad = await k.invoke("compiler.validate", {"project": {"version": 2}})
    assert not bad.valid and bad.problems[0].path == "tracks[0].clips[0].duration"
    assert "shorten" in bad.problems[0].message
    assert good.valid and good.frames == 30
    assert not schema_bad.valid and schema_bad.problems[0].path == "version"


def test_effects_catalog_is_bounded():
    """At least 20 effects, each with a schema; out-of-range parameters are refused."""
    cat = Catalog()
    assert len(cat.names()) >= 20
    for e in cat:
        assert e.schema()["type"] == "object"
    assert cat.check("contrast", {"value": 99})[1]
    assert cat.check("contrast", {"value": 1.5})[1] == []
    assert cat.check("contrast", {"valeu": 1.5})[1]
