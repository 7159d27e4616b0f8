"""Reading a timeline file through OpenTimelineIO, with every failure a specific code.

The adapter comes from the file's extension (``.otio``, ``.xml`` Final Cut Pro 7 / Premiere / Resolve,
``.fcpxml``, ``.edl`` CMX 3600, ``.aaf``) unless one is named. A file written by a newer OpenTimelineIO
(``UnsupportedSchemaError``: a schema version above the installed one) is read again with each newer
version label lowered to the installed one; OpenTimelineIO keeps fields it does not know, so nothing is
lost that the installed version could show, and the downgrade is reported.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from reelkit.sdk import InputInvalid

from .errors import OtioAdapterMissing, OtioNotFound, OtioSchemaUnsupported, OtioUnreadable

#: The formats the opentimelineio-plugins adapters read and write, by file extension
ADAPTERS = {".otio": "otio_json", ".otioz": "otioz", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml",
            ".edl": "cmx_3600", ".aaf": "AAF", ".ale": "ale", ".xges": "xges"}

_SCHEMA = re.compile(r"^([A-Za-z_][\w]*)\.(\d+)$")


def adapter_for(path: str, adapter: str | None = None) -> str:
    """The adapter name for ``path`` (or the one given), checked against the installed adapters."""
    import opentimelineio as otio

    name = adapter or ADAPTERS.get(os.path.splitext(path)[1].lower())
    installed = {a.name for a in otio.plugins.ActiveManifest().adapters}
    if name is None:
        ext = os.path.splitext(path)[1] or "(no extension)"
        raise InputInvalid(f"{path!r}: no OpenTimelineIO adapter reads {ext!r} files; name one with 'adapter' "
                           f"({', '.join(sorted(installed))})", details={"path": path, "adapters": sorted(installed)})
    if name not in installed:
        raise OtioAdapterMissing(f"the OpenTimelineIO adapter {name!r} for {path!r} is not installed; install the "
                             "opentimelineio-plugins package that provides it "
                             f"(installed: {', '.join(sorted(installed))})",
                             details={"adapter": name, "installed": sorted(installed)})
    return name


def read_back(path: str, adapter: str, rate: Any) -> Any:
    """Read a file reelkit just wrote (to compare it with what was written)."""
    import opentimelineio as otio

    kwargs = {"rate": float(rate)} if adapter == "cmx_3600" else {}
    return otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)


def read_timeline(path: str, adapter: str | None = None,
                  fps: str | None = None) -> tuple[Any, str, list[dict[str, str]]]:
    """Read ``path`` into an ``otio.schema.Timeline``; returns (timeline, adapter, notes).

    An EDL has no frame rate of its own: it is read at ``fps`` (24 when not given, with a note).
    """
    from fractions import Fraction

    import opentimelineio as otio

    if not os.path.isfile(path):
        raise OtioNotFound(f"timeline file {path!r} does not exist", details={"path": path})
    name = adapter_for(path, adapter)
    notes: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {}
    if name == "cmx_3600":
        kwargs["rate"] = float(Fraction(fps)) if fps else 24.0
        if not fps:
            notes.append({"path": "", "item": "", "feature": "rate", "action": "approximated",
                          "message": "an EDL does not say its frame rate: read at 24 fps; pass fps to choose"})
    try:
        result = otio.adapters.read_from_file(path, adapter_name=name, **kwargs)
    except otio.exceptions.UnsupportedSchemaError as e:
        if name != "otio_json":
            raise OtioSchemaUnsupported(f"{path!r} uses a schema newer than OpenTimelineIO {otio.__version__} "
                                        f"reads ({e}); upgrade opentimelineio", details={"path": path}) from e
        result = _read_downgraded(path, notes)
    except otio.exceptions.OTIOError as e:
        raise OtioUnreadable(f"OpenTimelineIO cannot read {path!r} with the {name} adapter: {e}",
                             details={"path": path, "adapter": name}) from e
    except Exception as e:  # adapters raise what their parsers raise (XML, AAF, EDL syntax)
        raise OtioUnreadable(f"OpenTimelineIO's {name} adapter cannot read {path!r}: {type(e).__name__}: {e}; "
                             "check that the file is complete and of that format",
                             details={"path": path, "adapter": name}) from e
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline, shallow_search=True))
        if not timelines:
            raise InputInvalid(f"{path!r} holds no timeline", details={"path": path})
        if len(timelines) > 1:
            notes.append({"path": "", "item": "", "feature": "collection", "action": "dropped",
                          "message": f"the file holds {len(timelines)} timelines; the first, {timelines[0].name!r}, "
                                     "was imported"})
        result = timelines[0]
    if not isinstance(result, otio.schema.Timeline):
        raise InputInvalid(f"{path!r} holds a {type(result).__name__}, not a timeline", details={"path": path})
    return result, name, notes


def _read_downgraded(path: str, notes: list[dict[str, str]]) -> Any:
    """Lower every schema version above the installed one and read again (OTIO keeps unknown fields)."""
    import opentimelineio as otio

    installed = otio.core.type_version_map()
    lowered: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            label = node.get("OTIO_SCHEMA")
            m = _SCHEMA.match(label) if isinstance(label, str) else None
            if m and m.group(1) in installed and int(m.group(2)) > installed[m.group(1)]:
                node["OTIO_SCHEMA"] = f"{m.group(1)}.{installed[m.group(1)]}"
                lowered[label] = node["OTIO_SCHEMA"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    try:
        with open(path, "rb") as f:
            doc = json.load(f)
        walk(doc)
        result = otio.adapters.read_from_string(json.dumps(doc), adapter_name="otio_json")
    except Exception as e:
        raise OtioSchemaUnsupported(f"{path!r} uses a schema newer than OpenTimelineIO {otio.__version__} reads and "
                                    f"cannot be read as an older one ({e}); upgrade opentimelineio",
                                    details={"path": path}) from e
    for old, new in sorted(lowered.items()):
        notes.append({"path": "", "item": "", "feature": "schema", "action": "approximated",
                      "message": f"schema {old} is newer than the installed OpenTimelineIO {otio.__version__}: read "
                                 f"as {new} (fields {new} does not know are kept in the object, not used)"})
    return result
