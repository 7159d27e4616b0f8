"""Merging many JSON Schemas (one per command input, output and event) into one set of named definitions.

pydantic gives each model's schema its own ``$defs``; two commands may each define a different ``Options``.
:class:`SchemaSet` hoists every ``$defs`` entry into one namespace, reusing a name when the definition is
identical and suffixing it (``Options2``) when it is not, and rewrites ``$ref``\\ s to point at the result.
Used by ``rpc.discover`` (OpenRPC ``components.schemas``) and the TypeScript generator.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

__all__ = ["SchemaSet", "type_name"]

_LOCAL_REF = "#/$defs/"


def type_name(text: str) -> str:
    """A PascalCase identifier from a dotted or snake_case name: ``media.probe`` → ``MediaProbe``."""
    parts = [w for w in re.split(r"[^0-9A-Za-z]+", text) if w]
    name = "".join(w[:1].upper() + w[1:] for w in parts) or "Anonymous"
    return name if not name[0].isdigit() else "_" + name


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class SchemaSet:
    """A growing set of named schema definitions shared by many top-level schemas."""

    def __init__(self, ref_prefix: str = "#/components/schemas/") -> None:
        self.ref_prefix = ref_prefix
        self.defs: dict[str, dict[str, Any]] = {}
        self._origin: dict[str, str] = {}

    def _claim(self, wanted: str, raw: dict[str, Any]) -> str:
        key = _canonical(raw)
        name, i = type_name(wanted), 2
        base = name
        while name in self._origin and self._origin[name] != key:
            name, i = f"{base}{i}", i + 1
        return name

    def add(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Hoist ``schema``'s ``$defs`` into the set; return a copy of the schema without them."""
        schema = copy.deepcopy(schema)
        local = schema.pop("$defs", None) or {}
        mapping = {n: self._claim(n, body) for n, body in local.items()}
        for local_name, body in local.items():
            name = mapping[local_name]
            if name not in self.defs:
                self._origin[name] = _canonical(body)
                self.defs[name] = self._rewrite(body, mapping)
        return self._rewrite(schema, mapping)

    def add_named(self, wanted: str, schema: dict[str, Any]) -> str:
        """Add a top-level schema as a definition of its own; return the name it got."""
        body = self.add(schema)
        name = self._claim(wanted, schema)
        if name not in self.defs:
            self._origin[name] = _canonical(schema)
            self.defs[name] = body
        return name

    def _rewrite(self, value: Any, mapping: dict[str, str]) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "$ref" and isinstance(v, str) and v.startswith(_LOCAL_REF):
                    local = v[len(_LOCAL_REF):]
                    out[k] = self.ref_prefix + mapping.get(local, type_name(local))
                else:
                    out[k] = self._rewrite(v, mapping)
            return out
        if isinstance(value, list):
            return [self._rewrite(v, mapping) for v in value]
        return value
