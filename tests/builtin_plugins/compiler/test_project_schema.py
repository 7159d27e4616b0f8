"""The project document is a public format: its JSON Schema is published and projects may name it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema_rs

REPO = Path(__file__).resolve().parents[3]
PUBLISHED = REPO / "docs" / "project.schema.json"


def test_the_published_schema_is_current_and_validates_the_examples():
    r = subprocess.run([sys.executable, "-m", "reelkit.kernel", "schema", "--project", "-"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    schema = json.loads(r.stdout)
    assert schema == json.loads(PUBLISHED.read_text()), "docs/project.schema.json is stale: reelkit schema --project"
    validator = jsonschema_rs.validator_for(schema)
    for example in (REPO / "examples" / "projects").glob("*.json"):
        doc = json.loads(example.read_text())
        assert doc["$schema"] == "../../docs/project.schema.json"
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == [], (example.name, errors)
    assert not validator.is_valid({"version": 1, "tracks": [{"kind": "video", "clips": [{"nope": 1}]}]})


async def test_a_project_naming_its_schema_validates_and_unknown_keys_are_still_refused(make_kernel):
    async with make_kernel(builtins=["compiler", "media"]) as k:
        doc = {"$schema": "./project.schema.json", "version": 1, "name": "x",
               "tracks": [{"id": "v", "kind": "video", "clips": [{"type": "color", "color": "#ff0000", "start": 0,
                                                       "duration": 1}]}]}
        report = await k.invoke("compiler.validate", {"project": doc})
        assert report.valid, report
        bad = await k.invoke("compiler.validate", {"project": {**doc, "$schemaa": "x"}})
        assert not bad.valid and any("$schemaa" in (p.path + p.message) for p in bad.problems), bad
