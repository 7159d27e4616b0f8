"""Real OpenTimelineIO timelines built with the OTIO API, and OpenTimelineIO's own reading of them.

``expected`` is the yardstick: where OpenTimelineIO says each clip is seen — ``range_in_parent`` for its
place, ``visible_range`` for the media it shows including the handles that adjacent transitions use,
``available_range.start`` as the media's first frame — in whole frames of the timeline's rate.
"""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
RATES = {"23.976": 24000 / 1001, "24": 24.0, "25": 25.0, "29.97": 30000 / 1001, "30": 30.0, "50": 50.0,
         "59.94": 60000 / 1001}


def media_clip(name: str, url: str, rate: float, src: int, frames: int, tc: str = "01:00:00:00",
               length_s: float = 1.9) -> otio.schema.Clip:
    """A clip of a file whose media time starts at timecode ``tc`` (``src`` frames into the media)."""
    start = otio.opentime.from_timecode(tc, rate)
    ar = TR(start, RT(int(length_s * rate), rate))
    ref = otio.schema.ExternalReference(target_url=url, available_range=ar)
    return otio.schema.Clip(name=name, media_reference=ref, source_range=TR(start + RT(src, rate), RT(frames, rate)))


def frames(seconds: float, rate: float) -> int:
    return round(seconds * rate)


def features(media: dict[str, str], rate: float, missing_dir: str = "/nonexistent-media") -> otio.schema.Timeline:
    """Every feature of issue 20 in one timeline at ``rate``."""
    f = lambda s: frames(s, rate)  # noqa: E731
    v = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    v.append(otio.schema.Transition(name="from black", in_offset=RT(3, rate), out_offset=RT(4, rate),
                                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve))
    a = media_clip("red shot", "file://" + media["red"], rate, 6, f(0.6))
    a.markers.append(otio.schema.Marker(name="m1", marked_range=TR(a.source_range.start_time + RT(4, rate),
                                                                    RT(0, rate)), color=otio.schema.MarkerColor.GREEN))
    v.append(a)
    v.append(otio.schema.Transition(name="asym", in_offset=RT(5, rate), out_offset=RT(15, rate),
                                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve))
    v.append(media_clip("blue shot", media["blue"], rate, 10, f(0.6)))
    v.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(f(0.2), rate))))
    off = media_clip("disabled green", media["green"], rate, 0, f(0.3))
    off.enabled = False
    v.append(off)
    v.append(otio.schema.Clip(name="slug", source_range=TR(RT(0, rate), RT(f(0.2), rate)),
                              media_reference=otio.schema.GeneratorReference(
                                  generator_kind="SolidColor", parameters={"color": [0.0, 1.0, 0.0]})))
    v.append(otio.schema.Transition(name="to nothing", in_offset=RT(2, rate), out_offset=RT(3, rate),
                                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve))
    v.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(f(0.2), rate))))
    fast = media_clip("fast", media["counter"], rate, 0, f(0.4), tc="00:00:00:00", length_s=19)
    fast.effects.append(otio.schema.LinearTimeWarp(name="2x", time_scalar=2.0))
    v.append(fast)
    v.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(f(0.3), rate))))
    v.markers.append(otio.schema.Marker(name="track mark", marked_range=TR(RT(f(0.5), rate), RT(f(0.1), rate)),
                                        color=otio.schema.MarkerColor.BLUE))
    au = otio.schema.Track(name="Sound", kind=otio.schema.TrackKind.Audio)
    au.append(otio.schema.Clip(name="lost.wav", media_reference=otio.schema.MissingReference(),
                               source_range=TR(RT(f(1), rate), RT(f(0.5), rate))))
    au.append(media_clip("moved music", f"{missing_dir}/music.m4a", rate, 0, f(0.5), tc="00:00:00:00"))
    au.append(media_clip("music", media["music"], rate, f(0.5), f(0.5), tc="00:00:00:00", length_s=5))
    tl = otio.schema.Timeline(name=f"features @ {rate:.3f}", tracks=[v, au])
    tl.tracks.markers.append(otio.schema.Marker(name="whole", marked_range=TR(RT(f(0.1), rate), RT(0, rate)),
                                                color=otio.schema.MarkerColor.PURPLE))
    return tl


def expected(tl: otio.schema.Timeline, fps: Fraction) -> list[list[tuple]]:
    """Per track, (name, start, duration, source_in, enabled) of each clip in frames at ``fps``, as OTIO
    reads them; a transition at a track's start cannot begin before 0, so that part is cut off."""
    out = []
    for track in tl.tracks:
        if track.source_range is not None:
            track = otio.algorithms.track_trimmed_to_range(track, track.source_range)
        rows = []
        for clip in track.find_clips(shallow_search=True):
            vr, sr, rip = clip.visible_range(), clip.trimmed_range(), clip.range_in_parent()
            ar = clip.media_reference.available_range
            start = rip.start_time - (sr.start_time - vr.start_time)
            source_in = vr.start_time - ar.start_time if ar is not None else vr.start_time
            dur = vr.duration
            fr = lambda t: round(Fraction(t.to_seconds()).limit_denominator(10**7) * fps)  # noqa: E731
            s, d, si = fr(start), fr(dur), fr(source_in)
            if s < 0:
                s, d, si = 0, d + s, si - s
            rows.append((clip.name, s, d, si, clip.enabled))
        out.append(rows)
    return out


def reelkit_rows(project, fps: Fraction) -> list[list[tuple]]:
    """The same tuple for each clip of an imported project (offline clips keep their source_in)."""
    out = []
    for track in project.tracks:
        rows = []
        for c in track.clips:
            meta = c.metadata.get("otio") or {}
            if meta.get("filler"):
                continue
            offline = meta.get("offline")
            enabled = offline["enabled"] if offline else c.enabled
            source_in = offline["source_in"] if offline else getattr(c, "source_in", 0.0)
            fr = lambda s: round(Fraction(s).limit_denominator(10**7) * fps)  # noqa: E731
            rows.append((c.name, fr(c.start), fr(c.duration), fr(source_in), enabled))
        out.append(rows)
    return out
