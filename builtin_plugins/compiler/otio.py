"""OpenTimelineIO import and export: the entry points behind ``compiler.import_otio`` / ``export_otio``.

Import never fails for a file OpenTimelineIO reads: what reelkit cannot show as is arrives converted
(offline clips, generators, fades for transitions into nothing, flattened nesting) and each such item
is a note in the report. Export writes back what the import kept. The modules:
:mod:`.otio_read` (files, adapters, newer schemas), :mod:`.otio_import` and :mod:`.otio_clips`
(timeline → project), :mod:`.otio_media` (relinking, offline media, generators, stills),
:mod:`.otio_export` (project → timeline), :mod:`.interchange` (what each editor format carries).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import ValidationError

from reelkit.sdk.files import atomic_output

from .otio_media import ImportOptions
from .project import Project, Track

KEY = "reelkit"
__all__ = ["ImportOptions", "import_otio", "read_otio", "export_otio", "project_from_timeline"]


def read_otio(path: str, options: ImportOptions | None = None,
              adapter: str | None = None) -> tuple[Project, list[dict[str, str]], str]:
    """Read any timeline file OTIO reads; returns (project, report notes, adapter used)."""
    from .otio_read import read_timeline

    tl, used, notes = read_timeline(path, adapter, (options or ImportOptions()).fps)
    project = project_from_timeline(tl, options or ImportOptions(), os.path.dirname(os.path.abspath(path)), notes,
                                    copy=False)
    return project, notes, used


def import_otio(path: str, options: ImportOptions | None = None) -> Project:
    """Read ``path`` into a Project (lossless for files reelkit wrote); the report is dropped."""
    return read_otio(path, options)[0]


def project_from_timeline(tl: Any, options: ImportOptions, base_dir: str, notes: list[dict[str, str]],
                          copy: bool = True) -> Project:
    """An ``otio.schema.Timeline`` as a Project; ``notes`` receives the report (``tl`` is left unchanged
    unless ``copy`` is false)."""
    from .otio_import import Importer

    from .errors import InterchangeUnsupported

    try:
        doc = Importer(tl, options, base_dir, notes, copy).run()
    except Exception as e:  # OTIO computes ranges lazily: a structure it reads but cannot measure lands here
        raise InterchangeUnsupported(f"the timeline {tl.name!r} could not be converted: {type(e).__name__}: {e}",
                                     details={"notes": notes}) from e
    tracks = []
    for ti, track in enumerate(doc.pop("tracks")):
        tracks.append(_valid_track(track, ti, notes))
    try:
        return Project.model_validate({**doc, "tracks": tracks})
    except ValidationError as e:  # a timeline-level field out of reelkit's bounds: keep the clips, drop it
        for err in e.errors():
            where = ".".join(str(x) for x in err["loc"])
            notes.append({"path": "", "item": "", "feature": where, "action": "dropped",
                          "message": f"{where}: {err['msg']}; the default was used"})
            if err["loc"] and err["loc"][0] in doc and err["loc"][0] not in ("tracks",):
                doc.pop(err["loc"][0])
        return Project.model_validate({**doc, "tracks": tracks})


def _valid_track(track: dict[str, Any], ti: int, notes: list[dict[str, str]]) -> dict[str, Any]:
    """The track, each clip that reelkit's model refuses left out with a note (never a failed import)."""
    try:
        Track.model_validate(track)
        return track  # the usual case: one validation for the whole track
    except ValidationError:
        pass
    clips = track.pop("clips", [])
    try:
        Track.model_validate({**track, "clips": []})
    except ValidationError as e:
        notes.append({"path": f"tracks[{ti}]", "item": track.get("name") or "", "feature": "track", "action":
                      "approximated", "message": f"track fields out of range were reset: {e.errors()[0]['msg']}"})
        track = {k: track[k] for k in ("id", "kind", "name") if k in track}
    good = []
    for ci, c in enumerate(clips):
        try:
            Track.model_validate({"id": "x", "kind": track["kind"], "clips": [c]})
        except ValidationError as e:
            err = e.errors()[0]
            notes.append({"path": f"tracks[{ti}]", "item": c.get("name") or "", "feature": "clip", "action": "dropped",
                          "message": f"clip {ci} at {c.get('start', 0):g}s was left out: "
                                     f"{'.'.join(str(x) for x in err['loc'][3:])}: {err['msg']}"})
            continue
        good.append(c)
    return {**track, "clips": good}


def export_otio(project: Project, path: str, adapter: str | None = None,
                durations: dict[str, float] | None = None) -> tuple[int, int, list[dict[str, str]]]:
    """Write ``project`` to ``path``: .otio, or an editor format its adapter writes (chosen by the extension).

    Returns (tracks, clips, not_carried): for an editor format, the file is read back with the same
    adapter and every difference is listed (see :mod:`.interchange`). ``durations`` (media path →
    seconds) gives editor formats the media's real length.
    """
    from .interchange import LIMITS, compare, shape
    from .otio_export import Exporter
    from .otio_read import adapter_for, read_back

    name = adapter_for(path, adapter)
    tl = Exporter(project).timeline()
    not_carried: list[dict[str, str]] = []
    if name != "otio_json":
        tl, not_carried = shape(tl, name, durations or {})
    _write(tl, path, name)
    if name != "otio_json":
        limits = [{"path": "", "item": "", "feature": "format", "action": "not_carried", "message": m}
                  for m in LIMITS.get(name, [])]
        not_carried = limits + not_carried + compare(tl, read_back(path, name, project.settings.rate))
    clips = sum(1 for t in project.tracks for c in t.clips if not (c.metadata.get("otio") or {}).get("filler"))
    return len(project.tracks), clips, not_carried


def _write(tl: Any, path: str, adapter: str) -> None:
    """Write through a temporary file beside ``path`` (the adapter is named, so its suffix does not matter)."""
    import opentimelineio as otio

    from .errors import InterchangeUnsupported

    with atomic_output(path) as tmp:
        try:
            kwargs = {"use_empty_mob_ids": True} if adapter == "AAF" else {}  # reelkit has no Avid mob ids
            # some writers change the timeline they write: keep ours intact for the comparison after
            otio.adapters.write_to_file(tl if adapter == "otio_json" else tl.deepcopy(), str(tmp),
                                        adapter_name=adapter, **kwargs)
        except Exception as e:  # the adapters refuse what their format cannot hold, each in its own words
            raise InterchangeUnsupported(f"the {adapter} adapter cannot write this project to {path!r}: "
                                         f"{type(e).__name__}: {e}", details={"adapter": adapter}) from e
