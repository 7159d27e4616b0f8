"""``rpc.discover``: an OpenRPC 1.3 document of what one client may call and observe.

Each command becomes a method with ``paramStructure: "by-name"``: one content descriptor per input field
(positional params are accepted too, in field order), the output as ``result``, shared definitions under
``components.schemas``. Methods the client's grants do not allow are left out. Events the client may
subscribe to are listed under the extension member ``x-events`` (topic → schema).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reelkit.kernel.grants import Grants

from .dispatch import Dispatcher
from .schemas import SchemaSet

__all__ = ["openrpc_document", "OPENRPC_VERSION"]

OPENRPC_VERSION = "1.3.2"

_BUILTINS = [
    {
        "name": "rpc.subscribe",
        "summary": "Receive events whose topic matches a glob as rpc.event notifications",
        "paramStructure": "either",
        "params": [{"name": "pattern", "required": True, "schema": {"type": "string"}}],
        "result": {"name": "result", "schema": {"type": "object", "properties": {"subscription": {"type": "string"}},
                                                "required": ["subscription"]}},
    },
    {
        "name": "rpc.unsubscribe",
        "summary": "Stop a subscription",
        "paramStructure": "either",
        "params": [{"name": "subscription", "required": True, "schema": {"type": "string"}}],
        "result": {"name": "result", "schema": {"type": "boolean"}},
    },
    {
        "name": "rpc.cancel",
        "summary": "Cancel a job this client started",
        "paramStructure": "either",
        "params": [{"name": "job_id", "required": True, "schema": {"type": "string"}}],
        "result": {"name": "result", "schema": {"type": "object"}},
    },
]


def _descriptors(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        item = {"name": name, "required": name in required, "schema": sub}
        if isinstance(sub, dict) and sub.get("description"):
            item["description"] = sub["description"]
        out.append(item)
    return out


def openrpc_document(dispatcher: Dispatcher, grants: Grants | Sequence[str], *, version: str = "0") -> dict[str, Any]:
    """The OpenRPC document for a client holding ``grants`` (matched by :class:`reelkit.kernel.grants.Grants`)."""
    grants = Grants.of(grants)
    # the same grants with every positive glob widened to "*": what no exclusion covers
    unexcluded = Grants([["*", *(g for g in level if g.startswith("!"))] for level in grants.levels])
    schemas = SchemaSet("#/components/schemas/")
    methods: list[dict[str, Any]] = []
    for info in sorted(dispatcher.methods(), key=lambda m: m.name):
        if not grants.allows(info.capability, info.name):
            continue
        params = schemas.add(info.params_schema or {"type": "object"})
        result = schemas.add(info.result_schema or {})
        method: dict[str, Any] = {
            "name": info.name,
            "summary": info.summary,
            "paramStructure": "by-name",
            "params": _descriptors(params),
            "result": {"name": "result", "schema": result},
        }
        if info.job:
            method["x-job"] = True
        methods.append(method)
    events = {}
    for ev in sorted(dispatcher.events(), key=lambda e: e.topic):
        # job.* events reach a client for the jobs its grants allow (see KernelDispatcher), so listed
        # whenever an exclusion does not cover them
        if grants.allows_topic(ev.topic) or (ev.topic.startswith("job.") and unexcluded.allows(ev.topic)):
            events[ev.topic] = schemas.add(ev.schema or {"type": "object"})
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {"title": "reelkit", "version": version},
        "methods": methods + _BUILTINS,
        "components": {"schemas": schemas.defs},
        "x-events": events,
    }
