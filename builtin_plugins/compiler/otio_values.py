"""OTIO values as plain JSON and back: seconds, metadata, media references."""

from __future__ import annotations

from typing import Any

PATH = "__reelkit_path"


def sec(x: float) -> float:
    """Seconds rounded to the nanosecond: exact frame times survive, float noise does not."""
    return round(float(x), 9) + 0.0


def plain(value: Any) -> Any:
    """OTIO metadata (AnyDictionary, AnyVector, OTIO objects) as plain JSON values, our path tags removed."""
    import opentimelineio as otio

    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, otio.core.SerializableObject) or isinstance(value, (otio.opentime.RationalTime,
                                                                             otio.opentime.TimeRange)):
        import json

        return json.loads(otio.adapters.write_to_string(value, adapter_name="otio_json")) \
            if isinstance(value, otio.core.SerializableObject) else _time_json(value)
    if hasattr(value, "items"):
        if not len(value):  # most items have none: skip OTIO's Python-level Mapping iteration
            return {}
        return {str(k): plain(v) for k, v in value.items() if k != PATH}
    try:
        return [plain(v) for v in value]
    except TypeError:
        return str(value)


def _time_json(t: Any) -> dict[str, Any]:
    import opentimelineio as otio

    if isinstance(t, otio.opentime.RationalTime):
        return {"OTIO_SCHEMA": "RationalTime.1", "rate": t.rate, "value": t.value}
    return {"OTIO_SCHEMA": "TimeRange.1", "start_time": _time_json(t.start_time), "duration": _time_json(t.duration)}


def ref_plain(ref: Any) -> dict[str, Any] | None:
    """A media reference as a small JSON dict (the common kinds field by field: a thousand clips import in
    milliseconds, not through a JSON round trip each); other kinds as OTIO's own JSON."""
    import opentimelineio as otio

    if ref is None:
        return None
    ar = ref.available_range
    out: dict[str, Any] = {"kind": type(ref).__name__, "name": ref.name,
                           "available_range": [ar.start_time.value, ar.duration.value, ar.start_time.rate]
                           if ar is not None else None}
    if ref.metadata:
        out["metadata"] = plain(ref.metadata)
    if isinstance(ref, otio.schema.ExternalReference):
        out["target_url"] = ref.target_url
    elif not isinstance(ref, (otio.schema.MissingReference, otio.schema.GeneratorReference)):
        return {"kind": "json", "json": plain(ref)}
    elif isinstance(ref, otio.schema.GeneratorReference):
        out.update(generator_kind=ref.generator_kind, parameters=plain(ref.parameters))
    return out


def ref_from_plain(d: dict[str, Any]) -> Any:
    """The media reference :func:`ref_plain` described."""
    import json

    import opentimelineio as otio

    if d.get("kind") == "json":
        return otio.adapters.read_from_string(json.dumps(d["json"]), adapter_name="otio_json")
    cls = {"ExternalReference": otio.schema.ExternalReference, "MissingReference": otio.schema.MissingReference,
           "GeneratorReference": otio.schema.GeneratorReference}[d["kind"]]
    ref = cls()
    ref.name = d.get("name") or ""
    if d.get("available_range"):
        s, n, r = d["available_range"]
        rt = otio.opentime.RationalTime
        ref.available_range = otio.opentime.TimeRange(rt(s, r), rt(n, r))
    for k, v in (d.get("metadata") or {}).items():
        ref.metadata[k] = v
    if d["kind"] == "ExternalReference":
        ref.target_url = d.get("target_url") or ""
    elif d["kind"] == "GeneratorReference":
        ref.generator_kind = d.get("generator_kind") or ""
        ref.parameters = d.get("parameters") or {}
    return ref
