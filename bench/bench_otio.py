"""OTIO import benchmark (issue 20): a 1,000-clip timeline, reelkit's import against OpenTimelineIO's load.

    python bench/bench_otio.py

The timeline (built with the OTIO API, 29.97 fps): a video track of 1,000 clips whose media starts at
01:00:00:00, a dissolve every 10th cut (half of them asymmetric), a marker on every 5th clip, a gap every
50th, and an audio track of 100 clips; a tenth of the media is missing (offline clips). reelkit's import
is everything ``compiler.import_otio`` does: OpenTimelineIO's own load of the file, then placement,
relinking, the report and validation of the project. So the ratio is reelkit's total over the load
alone; the issue sets no figure, the target used here is ours: the whole import within 3x the load.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import best_of, table, timed, verdict  # noqa: E402

N = 1000
TARGET = 3.0


def build(folder: str):
    import opentimelineio as otio

    rate = 30000 / 1001
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    start = otio.opentime.from_timecode("01:00:00:00", rate)
    files = []
    for i in range(20):
        p = os.path.join(folder, f"shot{i:02d}.mov")
        if i % 10:  # every tenth file is missing
            Path(p).write_bytes(b"")
        files.append(p)
    video = otio.schema.Track(name="V1")
    for i in range(N):
        ref = otio.schema.ExternalReference(target_url="file://" + files[i % 20],
                                            available_range=TR(start, RT(3000, rate)))
        clip = otio.schema.Clip(name=f"clip {i}", media_reference=ref,
                                source_range=TR(start + RT(30 + i % 100, rate), RT(48 + i % 24, rate)))
        if i % 5 == 0:
            clip.markers.append(otio.schema.Marker(name=f"m{i}", color=otio.schema.MarkerColor.GREEN,
                                                   marked_range=TR(clip.source_range.start_time + RT(3, rate),
                                                                   RT(0, rate))))
        if i and i % 10 == 0:
            a = 6 if i % 20 else 4
            video.append(otio.schema.Transition(in_offset=RT(a, rate), out_offset=RT(6, rate)))
        video.append(clip)
        if i % 50 == 49:
            video.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(12, rate))))
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for i in range(N // 10):
        ref = otio.schema.ExternalReference(target_url=files[(i * 3) % 20], available_range=TR(start, RT(3000, rate)))
        audio.append(otio.schema.Clip(name=f"sound {i}", media_reference=ref,
                                      source_range=TR(start + RT(10, rate), RT(400, rate))))
    tl = otio.schema.Timeline(name="bench", tracks=[video, audio])
    path = os.path.join(folder, "bench.otio")
    otio.adapters.write_to_file(tl, path)
    return path


def main() -> int:
    import opentimelineio as otio

    from reelkit.builtin_plugins.compiler.otio import ImportOptions, export_otio, read_otio

    with tempfile.TemporaryDirectory() as d:
        path = build(d)
        project, notes, _ = read_otio(path, ImportOptions(stills_dir=d))
        clips = sum(len(t.clips) for t in project.tracks)
        load = best_of(lambda: timed(lambda: otio.adapters.read_from_file(path)))
        ours = best_of(lambda: timed(lambda: read_otio(path, ImportOptions(stills_dir=d))))
        tl = otio.adapters.read_from_file(path)
        write_load = best_of(lambda: timed(lambda: otio.adapters.write_to_file(tl, os.path.join(d, "o.otio"))))
        write_ours = best_of(lambda: timed(lambda: export_otio(project, os.path.join(d, "r.otio"))))
    ratio = ours / load
    table(f"OTIO import, {N:,} video + {N // 10} audio clips ({clips} reelkit clips, {len(notes)} report notes)",
          ["what", "OpenTimelineIO", "reelkit", "ratio", "target"],
          [["import (load + convert + validate)", f"{load * 1000:.1f} ms", f"{ours * 1000:.1f} ms", f"{ratio:.2f}x",
            f"<= {TARGET:g}x {verdict(ratio <= TARGET)}"],
           ["export (build + write)", f"{write_load * 1000:.1f} ms", f"{write_ours * 1000:.1f} ms",
            f"{write_ours / write_load:.2f}x", "-"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
