"""OTIO import fidelity: every clip where OpenTimelineIO itself puts it, at every common rate; nothing
changed silently; short timelines rendered and read back."""

from __future__ import annotations

import json
from fractions import Fraction

import opentimelineio as otio
import pytest

from reelkit.builtin_plugins.compiler.otio import ImportOptions, export_otio, read_otio

from .conftest import frame_at, near, video_facts
from .otio_timelines import RATES, RT, TR, expected, features, media_clip, reelkit_rows

BUILTINS = ["media", "subtitles", "compiler"]


def write(tl: otio.schema.Timeline, path) -> str:
    otio.adapters.write_to_file(tl, str(path))
    return str(path)


@pytest.mark.parametrize("label", list(RATES))
def test_every_clip_where_otio_puts_it(media, tmp_path, label):
    """Start, length and source_in of every clip, in frames, equal OTIO's own range_in_parent and
    visible_range (media from 01:00:00:00, asymmetric and edge transitions, gaps, warps, disabled,
    generators, offline media), and every approximation is in the report with its path."""
    rate = RATES[label]
    tl = features(media, rate)
    project, notes, adapter = read_otio(write(tl, tmp_path / "f.otio"))
    fps = Fraction(project.settings.fps)
    assert adapter == "otio_json" and abs(float(fps) - rate) < 1e-9
    assert reelkit_rows(project, fps) == expected(tl, fps)
    by_path = {(n["path"], n["action"]) for n in notes}
    assert {("tracks[0][0]", "approximated"), ("tracks[0][7]", "approximated"), ("tracks[1][0]", "offline"),
            ("tracks[1][1]", "offline")} <= by_path
    v, a = project.tracks
    blue = next(c for c in v.clips if c.name == "blue shot")
    assert blue.transition.in_offset == pytest.approx(5 / rate) and blue.transition.duration == pytest.approx(20 / rate)
    assert next(c for c in v.clips if c.name == "fast").speed == 2.0
    assert next(c for c in v.clips if c.name == "slug").color == "#00ff00"
    assert [(m.name, m.color) for m in v.clips[0].markers] == [("m1", "GREEN")]
    assert (v.name, [(m.name, m.color) for m in v.markers]) == ("Picture", [("track mark", "BLUE")])
    assert [(m.name, m.color) for m in project.markers] == [("whole", "PURPLE")]
    total = sum(c.duration for c in v.clips if c.start + c.duration >= max(x.start + x.duration for x in v.clips))
    ends = [t.range_of_child_at_index(len(t) - 1).end_time_exclusive().to_seconds() for t in tl.tracks]
    assert max(c.start + c.duration for c in v.clips) == pytest.approx(max(ends))  # the trailing gap is kept
    assert total > 0


def test_asymmetric_transition_of_issue_19(media, tmp_path):
    """5 and 15 frames at 25 fps around a cut at 5 s: the incoming clip starts at 4.8 s, not 4.6 s, and the
    imported project validates."""
    rate = 25.0
    tr = otio.schema.Track()
    tr.append(media_clip("a", media["counter"], rate, 0, 125, tc="00:00:00:00", length_s=19))
    tr.append(otio.schema.Transition(in_offset=RT(5, rate), out_offset=RT(15, rate)))
    tr.append(media_clip("b", media["counter"], rate, 250, 50, tc="00:00:00:00", length_s=19))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "t.otio"))
    a, b = project.tracks[0].clips
    assert (a.start, a.duration) == (0, 5.6)
    assert (b.start, b.source_in, b.duration) == (4.8, 9.8, 2.2)
    assert (b.transition.duration, b.transition.in_offset) == (0.8, 0.2)
    assert notes == []


async def test_asymmetric_transition_renders_where_it_was(make_kernel, media, tmp_path):
    """Red into blue with in 5 / out 15 frames at 25 fps: pure red until frame 19, mixing from frame 20,
    pure blue from frame 40 (a centred transition would start mixing at frame 15)."""
    rate = 25.0
    tr = otio.schema.Track()
    tr.append(media_clip("red", media["red"], rate, 0, 25, tc="00:00:00:00"))
    tr.append(otio.schema.Transition(in_offset=RT(5, rate), out_offset=RT(15, rate)))
    tr.append(media_clip("blue", media["blue"], rate, 10, 25, tc="00:00:00:00"))
    project, _, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "t.otio"))
    doc = project.model_dump(mode="json")
    doc["settings"].update(width=160, height=90)
    out = str(tmp_path / "t.mp4")
    async with make_kernel(builtins=BUILTINS) as k:
        assert (await k.invoke("compiler.validate", {"project": doc})).valid
        await k.wait(await k.invoke("compiler.render", {"project": doc, "output": out}))
    at = lambda f: frame_at(out, (f + 0.5) / rate)[45, 80]  # noqa: E731
    assert near(at(16), (255, 0, 0)) and near(at(19), (255, 0, 0), 40)
    assert not near(at(24), (255, 0, 0), 40) and not near(at(24), (0, 0, 255), 40)
    assert near(at(41), (0, 0, 255), 40)
    assert video_facts(out)[0] == 50


def test_track_range_and_nested_stack(media, tmp_path):
    """A track's own source_range trims it (otio.algorithms.track_trimmed_to_range) and a nested stack is
    flattened (otio.algorithms.flatten_stack: the upper track covers the lower): clips land where OTIO's
    algorithms put them, and the flattening is reported."""
    rate = 24.0
    inner_low, inner_high = otio.schema.Track(), otio.schema.Track()
    inner_low.append(media_clip("n1", media["red"], rate, 0, 24, tc="00:00:00:00"))
    inner_high.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(12, rate))))
    inner_high.append(media_clip("n2", media["blue"], rate, 0, 6, tc="00:00:00:00"))
    nested = otio.schema.Stack(name="compound", children=[inner_low, inner_high],
                               source_range=TR(RT(6, rate), RT(12, rate)))
    tr = otio.schema.Track(source_range=TR(RT(12, rate), RT(36, rate)))
    tr.append(media_clip("head", media["green"], rate, 0, 24, tc="00:00:00:00"))
    tr.append(nested)
    tr.append(media_clip("tail", media["green"], rate, 0, 24, tc="00:00:00:00"))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "n.otio"))
    got = [(c.name, round(c.start * rate), round(c.duration * rate), round(c.source_in * rate))
           for c in project.tracks[0].clips]
    # OTIO's own reading: the track trimmed to 12…48, the stack shows its 6…18 flattened
    trimmed = otio.algorithms.track_trimmed_to_range(tr, tr.source_range)
    flat = otio.algorithms.track_trimmed_to_range(otio.algorithms.flatten_stack(nested), nested.source_range)
    want = [("head", 0, 12, 12)]
    at = trimmed.range_of_child_at_index(1).start_time.value
    for i, c in enumerate(flat):
        if isinstance(c, otio.schema.Clip):
            want.append((c.name, round(at + flat.range_of_child_at_index(i).start_time.value),
                         round(c.trimmed_range().duration.value), round(c.trimmed_range().start_time.value)))
    want.append(("tail", 24, 12, 0))
    assert got == want == [("head", 0, 12, 12), ("n1", 12, 6, 6), ("n2", 18, 6, 0), ("tail", 24, 12, 0)]
    assert any(n["feature"] == "nested_stack" and n["path"] == "tracks[0][1]" for n in notes)


def test_relink_by_reference_folder_and_search(media, tmp_path):
    """Missing media is relinked by exact reference, by folder prefix and by searching folders; what is still
    missing is offline, shown as a slate colour when asked."""
    import os
    import shutil

    rate = 30.0
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(media["red"], moved / "red.mp4")
    shutil.copy(media["blue"], moved / "blue.mp4")
    tr = otio.schema.Track()
    tr.append(media_clip("exact", "/old/place/red.mp4", rate, 0, 10, tc="00:00:00:00"))
    tr.append(media_clip("folder", "file:///old/place/sub/blue.mp4", rate, 0, 10, tc="00:00:00:00"))
    tr.append(media_clip("search", "/elsewhere/blue.mp4", rate, 0, 10, tc="00:00:00:00"))
    tr.append(media_clip("gone", "/elsewhere/none.mp4", rate, 0, 10, tc="00:00:00:00"))
    path = write(otio.schema.Timeline(tracks=[tr]), tmp_path / "r.otio")
    opts = ImportOptions(relink={"/old/place/red.mp4": str(moved / "red.mp4"), "/old/place/sub/": str(moved)},
                         search_folders=[str(moved)], offline="slate", slate_color="#5a1a1a")
    project, notes, _ = read_otio(path, opts)
    c = project.tracks[0].clips
    assert [getattr(x, "source", None) for x in c[:3]] == [str(moved / "red.mp4"), os.path.join(str(moved), "blue.mp4"),
                                                          os.path.join(str(moved), "blue.mp4")]
    assert (c[3].type, c[3].color, c[3].metadata["otio"]["offline"]["reference"]) == ("color", "#5a1a1a",
                                                                                     "/elsewhere/none.mp4")
    assert [n["action"] for n in notes] == ["relinked", "relinked", "relinked", "offline"]


async def test_offline_generator_disabled_and_trailing_gap_render(make_kernel, media, tmp_path):
    """Offline media shows the background, a SolidColor generator its colour, a disabled clip nothing, and
    a trailing gap keeps the timeline's length (held in the background colour): 2.0 s, not 1.6 s."""
    rate = 30.0
    tr = otio.schema.Track()
    tr.append(media_clip("red", media["red"], rate, 0, 12, tc="00:00:00:00"))
    tr.append(otio.schema.Clip(name="offline", media_reference=otio.schema.MissingReference(),
                               source_range=TR(RT(0, rate), RT(12, rate))))
    tr.append(otio.schema.Clip(name="green", source_range=TR(RT(0, rate), RT(12, rate)),
                               media_reference=otio.schema.GeneratorReference(generator_kind="SolidColor",
                                                                              parameters={"color": "#00ff00"})))
    off = media_clip("blue off", media["blue"], rate, 0, 12, tc="00:00:00:00")
    off.enabled = False
    tr.append(off)
    tr.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(12, rate))))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "o.otio"))
    doc = project.model_dump(mode="json")
    doc["settings"].update(width=160, height=90, background="#202020")
    doc["tracks"][0]["clips"][-1]["color"] = "#202020"  # the trailing gap's filler takes the background's colour
    out = str(tmp_path / "o.mp4")
    async with make_kernel(builtins=BUILTINS) as k:
        await k.wait(await k.invoke("compiler.render", {"project": doc, "output": out}))
    px = lambda t: frame_at(out, t)[45, 80]  # noqa: E731
    assert near(px(0.2), (255, 0, 0)) and near(px(0.6), (32, 32, 32)) and near(px(1.0), (0, 255, 0))
    assert near(px(1.4), (32, 32, 32)) and near(px(1.85), (32, 32, 32))
    assert video_facts(out)[0] == 60
    assert [n["action"] for n in notes] == ["offline"]


async def test_freeze_frame_and_bars_render(make_kernel, media, tmp_path):
    """A FreezeFrame shows one frame for its whole length; SMPTE bars show bars."""
    rate = 30.0
    tr = otio.schema.Track()
    frozen = media_clip("frozen", media["counter"], rate, 45, 18, tc="00:00:00:00", length_s=19)
    frozen.effects.append(otio.schema.FreezeFrame())
    tr.append(frozen)
    tr.append(otio.schema.Clip(name="bars", source_range=TR(RT(0, rate), RT(12, rate)),
                               media_reference=otio.schema.GeneratorReference(generator_kind="SMPTEBars")))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "z.otio"),
                                  ImportOptions(width=160, height=90, stills_dir=str(tmp_path / "stills")))
    doc = project.model_dump(mode="json")
    doc["settings"].update(width=160, height=90)
    out = str(tmp_path / "z.mp4")
    async with make_kernel(builtins=BUILTINS) as k:
        await k.wait(await k.invoke("compiler.render", {"project": doc, "output": out}))
    import numpy as np

    a, b = frame_at(out, 0.05).astype(int), frame_at(out, 0.5).astype(int)
    assert np.abs(a - b).mean() < 3  # the same frame, 0.45 s apart
    src = frame_at(media["counter"], 1.5).astype(int)
    assert np.abs(a - src).mean() < 12  # and it is the source's frame at 45 / 30 s
    bars = frame_at(out, 0.8)
    assert len({tuple(int(v) // 40 for v in bars[20, x]) for x in range(0, 160, 10)}) >= 5  # many colours
    assert {n["feature"] for n in notes} == {"freeze_frame"}


def test_newer_schema_is_read_as_the_installed_one(media, tmp_path):
    """A file from a newer OpenTimelineIO (Clip.9) reads, with the downgrade reported."""
    tr = otio.schema.Track()
    tr.append(media_clip("a", media["red"], 24.0, 0, 10, tc="00:00:00:00"))
    text = otio.adapters.write_to_string(otio.schema.Timeline(tracks=[tr]))
    assert '"Clip.2"' in text
    path = tmp_path / "new.otio"
    path.write_text(text.replace('"Clip.2"', '"Clip.9"'))
    with pytest.raises(otio.exceptions.UnsupportedSchemaError):
        otio.adapters.read_from_file(str(path))
    project, notes, _ = read_otio(str(path))
    assert project.tracks[0].clips[0].name == "a"
    assert notes[0]["feature"] == "schema" and "Clip.9" in notes[0]["message"]


@pytest.mark.parametrize("content,name,code", [
    ("{not json", "bad.otio", "compiler.otio_unreadable"),
    (None, "absent.otio", "compiler.otio_not_found"),
    ("x", "timeline.unknownext", "input.invalid"),
    ('{"OTIO_SCHEMA": "Clip.9", "name": 5, "source_range": "no"}', "worse.otio", "compiler.otio_schema_unsupported"),
    ("<xml", "bad.xml", "compiler.otio_unreadable"),
    ("TITLE: x\n001  AX V C 00:00:00:00\n", "bad.edl", "compiler.otio_unreadable"),
])
async def test_failures_have_specific_codes(make_kernel, tmp_path, content, name, code):
    """Files OpenTimelineIO cannot read fail with a specific code naming the file, never command.failed."""
    from reelkit.sdk import KernelError

    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    async with make_kernel(builtins=BUILTINS) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("compiler.import_otio", {"path": str(path)})
    assert e.value.code == code and name in e.value.message


def test_round_trip_keeps_what_reelkit_kept(media, tmp_path):
    """Foreign timeline → reelkit → OTIO: every clip where it was, and names, enabled flags, marker
    colours, asymmetric offsets, generators, missing references and the trailing gap written back."""
    rate = 30000 / 1001
    tl = features(media, rate)
    project, _, _ = read_otio(write(tl, tmp_path / "a.otio"))
    export_otio(project, str(tmp_path / "b.otio"))
    back = otio.adapters.read_from_file(str(tmp_path / "b.otio"))
    fps = Fraction(project.settings.fps)
    assert expected(back, fps) == expected(tl, fps)
    assert back.duration() == tl.duration()

    def shape(t):
        rows = []
        for track in t.tracks:
            rows.append((track.name, track.kind, [(m.name, m.color) for m in track.markers]))
            for item in track:
                if isinstance(item, otio.schema.Transition):
                    rows.append(("T", item.name, round(item.in_offset.value), round(item.out_offset.value)))
                elif isinstance(item, otio.schema.Clip):
                    ref = item.media_reference
                    rows.append((item.name, item.enabled, type(ref).__name__, getattr(ref, "generator_kind", None),
                                 [(m.name, m.color) for m in item.markers],
                                 [type(e).__name__ for e in item.effects]))
                else:
                    rows.append((type(item).__name__, round(item.duration().value)))
        return rows + [(m.name, m.color) for m in t.tracks.markers]

    assert shape(back) == shape(tl)
    again, notes, _ = read_otio(str(tmp_path / "b.otio"))
    assert again.model_dump() == project.model_dump()


async def test_commands_report(make_kernel, media, tmp_path):
    """compiler.import_otio returns the report and the offline count; the project validates."""
    path = write(features(media, 25.0), tmp_path / "f.otio")
    async with make_kernel(builtins=BUILTINS) as k:
        r = await k.invoke("compiler.import_otio", {"path": path, "relink": {}})
        v = await k.invoke("compiler.validate", {"project": r.project})
    assert r.adapter == "otio_json" and r.offline == 2 and v.valid, v.problems
    assert {n.action for n in r.report} == {"approximated", "offline"}
    json.dumps(r.project)


def test_source_timecode_without_available_range(tmp_path):
    """A reference without available_range (as EDLs give) whose file starts at 01:00:00:00: a source time of
    01:00:00:10 is 10 frames into the file, and the reading is reported."""
    import subprocess

    import imageio_ffmpeg

    src = str(tmp_path / "tc.mov")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=red:s=160x90:r=25:d=2", "-timecode", "01:00:00:00", src], check=True)
    rate = 25.0
    tr = otio.schema.Track()
    tr.append(otio.schema.Clip(name="tc", media_reference=otio.schema.ExternalReference(target_url=src),
                               source_range=TR(otio.opentime.from_timecode("01:00:00:10", rate), RT(20, rate))))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "tc.otio"))
    assert project.tracks[0].clips[0].source_in == 0.4
    assert notes[0]["feature"] == "source_range" and "01:00:00:00" in notes[0]["message"]
    export_otio(project, str(tmp_path / "back.otio"))
    back = otio.adapters.read_from_file(str(tmp_path / "back.otio")).tracks[0][0]
    assert otio.opentime.to_timecode(back.source_range.start_time, rate) == "01:00:00:10"


def test_a_clip_without_any_length_is_left_out_and_reported(media, tmp_path):
    """A clip with no source_range whose media has no available_range cannot be measured, even by OTIO:
    it is left out with a note, and the clips after it keep their place."""
    rate = 24.0
    tr = otio.schema.Track()
    tr.append(media_clip("a", media["red"], rate, 0, 12, tc="00:00:00:00"))
    tr.append(otio.schema.Clip(name="unmeasurable", media_reference=otio.schema.MissingReference()))
    tr.append(media_clip("b", media["blue"], rate, 0, 12, tc="00:00:00:00"))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "u.otio"))
    assert [(c.name, c.start) for c in project.tracks[0].clips] == [("a", 0), ("b", 0.5)]
    assert (notes[0]["path"], notes[0]["action"]) == ("tracks[0][1]", "dropped")


async def test_transitions_from_and_into_nothing_render_as_fades(make_kernel, media, tmp_path):
    """A transition at the track's start fades the first clip in over its out_offset; one into a gap fades
    the clip out over in_offset + out_offset, the clip playing out_offset past the cut; then background."""
    rate = 30.0
    tr = otio.schema.Track()
    tr.append(otio.schema.Transition(in_offset=RT(3, rate), out_offset=RT(9, rate)))
    tr.append(media_clip("red", media["red"], rate, 0, 30, tc="00:00:00:00"))
    tr.append(otio.schema.Transition(in_offset=RT(6, rate), out_offset=RT(6, rate)))
    tr.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(15, rate))))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "f.otio"))
    red = project.tracks[0].clips[0]
    assert (red.start, red.duration, red.fade_in, red.fade_out) == (0, 1.2, 0.3, 0.4)
    doc = project.model_dump(mode="json")
    doc["settings"].update(width=160, height=90)
    out = str(tmp_path / "f.mp4")
    async with make_kernel(builtins=BUILTINS) as k:
        await k.wait(await k.invoke("compiler.render", {"project": doc, "output": out}))
    level = lambda f: int(frame_at(out, (f + 0.5) / rate)[45, 80][0])  # noqa: E731
    assert level(0) < 60 and 60 < level(5) < 230 and level(15) > 230  # fading in over 9 frames
    assert level(24) > 230 and 40 < level(30) < 215 and level(37) < 30  # out from frame 24 to 36
    assert video_facts(out)[0] == 45  # the trailing gap's 15 frames stay


def test_nested_track_is_flattened_where_otio_puts_it(media, tmp_path):
    """A track inside a track, trimmed by its own source_range, plays its visible part in place."""
    rate = 25.0
    inner = otio.schema.Track(name="inner", source_range=TR(RT(5, rate), RT(20, rate)))
    inner.append(media_clip("x", media["red"], rate, 0, 15, tc="00:00:00:00"))
    inner.append(media_clip("y", media["blue"], rate, 3, 15, tc="00:00:00:00"))
    outer = otio.schema.Track()
    outer.append(media_clip("head", media["green"], rate, 0, 10, tc="00:00:00:00"))
    outer.append(inner)
    outer.append(media_clip("tail", media["green"], rate, 0, 10, tc="00:00:00:00"))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[outer]), tmp_path / "t.otio"))
    got = [(c.name, round(c.start * rate), round(c.duration * rate), round(c.source_in * rate))
           for c in project.tracks[0].clips]
    cut = otio.algorithms.track_trimmed_to_range(inner, inner.source_range)
    at = outer.range_of_child_at_index(1).start_time.value
    want = [("head", 0, 10, 0)] + [(c.name, round(at + cut.range_of_child_at_index(i).start_time.value),
                                    round(c.trimmed_range().duration.value), round(c.trimmed_range().start_time.value))
                                   for i, c in enumerate(cut)] + [("tail", 30, 10, 0)]
    assert got == want == [("head", 0, 10, 0), ("x", 10, 10, 5), ("y", 20, 10, 3), ("tail", 30, 10, 0)]
    assert [n["feature"] for n in notes] == ["nested_track"]


def test_items_directly_in_the_stack_import_as_tracks(media, tmp_path):
    """A clip and a stack placed straight in the timeline's stack (no track) each become a track."""
    rate = 24.0
    inner = otio.schema.Track()
    inner.append(media_clip("in stack", media["blue"], rate, 0, 12, tc="00:00:00:00"))
    tl = otio.schema.Timeline(tracks=[media_clip("bare", media["red"], rate, 0, 24, tc="00:00:00:00"),
                                      otio.schema.Stack(children=[inner])])
    project, notes, _ = read_otio(write(tl, tmp_path / "s.otio"))
    assert [[(c.name, c.start, c.duration) for c in t.clips] for t in project.tracks] == \
        [[("bare", 0, 1.0)], [("in stack", 0, 0.5)]]
    assert [n["path"] for n in notes if n["feature"] == "stack_item"] == ["tracks[0]", "tracks[1]"]


def test_a_clip_outside_reelkits_bounds_is_left_out_with_a_note(media, tmp_path):
    """A 25-hour clip exceeds the project format's 24 hours: that clip alone is left out, and said so."""
    rate = 24.0
    tr = otio.schema.Track()
    tr.append(media_clip("ok", media["red"], rate, 0, 12, tc="00:00:00:00"))
    tr.append(otio.schema.Clip(name="endless", media_reference=otio.schema.MissingReference(),
                               source_range=TR(RT(0, rate), RT(25 * 3600 * rate, rate))))
    project, notes, _ = read_otio(write(otio.schema.Timeline(tracks=[tr]), tmp_path / "b.otio"))
    assert [c.name for c in project.tracks[0].clips] == ["ok"]
    assert any(n["item"] == "endless" and n["action"] == "dropped" for n in notes)


async def test_a_negative_time_warp_imports_as_reverse_and_exports_back(make_kernel, tmp_path):
    """OTIO's LinearTimeWarp(-1) plays the source range backwards: reelkit's reverse, written back as is."""
    import opentimelineio as otio

    from reelkit.builtin_plugins.compiler.otio import import_otio as read_project

    media = tmp_path / "m.mp4"
    media.write_bytes(b"")  # only the reference is read here
    rate = 25
    tl = otio.schema.Timeline(name="rev")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    clip = otio.schema.Clip(name="c", media_reference=otio.schema.ExternalReference(target_url=str(media)),
                            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(10, rate),
                                                                 otio.opentime.RationalTime(50, rate)))
    clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=-1.0))
    track.append(clip)
    tl.tracks.append(track)
    src = tmp_path / "rev.otio"
    otio.adapters.write_to_file(tl, str(src))
    async with make_kernel(builtins=["compiler", "media"]) as k:
        out = await k.invoke("compiler.import_otio", {"path": str(src)})
        (c,) = out.project["tracks"][0]["clips"]
        assert c.get("reverse") is True and c["speed"] == 1.0
        assert not any(n.feature == "time_warp" for n in out.report), out.report
        dst = tmp_path / "back.otio"
        await k.invoke("compiler.export_otio", {"project": out.project, "output": str(dst)})
    back = otio.adapters.read_from_file(str(dst)).tracks[0][0]
    assert [e.time_scalar for e in back.effects if isinstance(e, otio.schema.LinearTimeWarp)] == [-1.0]
