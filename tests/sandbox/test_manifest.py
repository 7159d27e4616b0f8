"""Manifest validation: every refusal names the field and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelkit.sandbox.errors import ApiIncompatible, HashMismatch, ManifestInvalid
from reelkit.sandbox.manifest import HOST_API_VERSION, load_manifest, manifest_schema, parse_manifest, read_module, sha256_hex

BASE = {"id": "demo", "name": "Demo", "version": "1.2.3", "api": ">=1.0,<2",
        "module": {"file": "demo.wasm", "sha256": "a" * 64}, "exports": [{"function": "run"}]}


def test_a_minimal_manifest_gets_safe_defaults():
    man = parse_manifest(BASE)
    assert man.command_id("run") == "demo.run"
    assert man.permissions.commands == [] and man.permissions.http == [] and man.permissions.storage is None
    assert (man.limits.memory_mb, man.limits.time_ms, man.limits.fuel) == (32, 1000, None)
    assert man.exports[0].input_schema == {"type": "object"}


@pytest.mark.parametrize("change, needle", [
    ({"colour": "red"}, "unknown field 'colour'"),
    ({"limits": {"memory_mb": 4, "cpu": 1}}, "unknown field 'limits.cpu'"),
    ({"permissions": {"http": [{"host": "a.com"}]}}, "missing field 'permissions.http.0.reason'"),
    ({"version": "1.2"}, "not a semantic version"),
    ({"api": "one"}, "not a version range"),
    ({"id": "Bad-Id"}, "'id'"),
    ({"module": {"file": "../x.wasm", "sha256": "a" * 64}}, "'module.file'"),
    ({"exports": [{"function": "run"}, {"function": "run"}]}, "declared twice"),
    ({"exports": []}, "at least one export or subscription"),
    ({"limits": {"memory_mb": 0}}, "'limits.memory_mb'"),
    ({"exports": [{"function": "run", "input_schema": {"type": "nope"}}]},
     "'exports.0.input_schema': Value error, the schema is not a valid JSON Schema"),
    # a schema from an untrusted plugin must not make the host fetch anything
    ({"exports": [{"function": "run", "output_schema": {"$ref": "http://169.254.169.254/s.json"}}]},
     "remote $ref 'http://169.254.169.254/s.json' is not allowed"),
])
def test_invalid_manifests_are_refused_with_the_field_named(change, needle):
    with pytest.raises(ManifestInvalid) as err:
        parse_manifest({**BASE, **change})
    assert needle in err.value.message
    assert err.value.code == "sandbox.manifest_invalid"


def test_incompatible_api_range_is_refused():
    with pytest.raises(ApiIncompatible) as err:
        parse_manifest({**BASE, "api": ">=2"})
    assert HOST_API_VERSION in err.value.message and err.value.details["api"] == ">=2"


def test_not_json_is_refused():
    with pytest.raises(ManifestInvalid, match="not valid JSON"):
        parse_manifest(b"{id: 1")


def test_module_hash_is_checked(tmp_path: Path):
    (tmp_path / "demo.wasm").write_bytes(b"\0asm\1\0\0\0")
    man = parse_manifest({**BASE, "module": {"file": "demo.wasm", "sha256": sha256_hex(b"\0asm\1\0\0\0")}})
    assert read_module(man, tmp_path) == b"\0asm\1\0\0\0"
    (tmp_path / "demo.wasm").write_bytes(b"\0asm\1\0\0\0\0")
    with pytest.raises(HashMismatch):
        read_module(man, tmp_path)
    with pytest.raises(ManifestInvalid, match="cannot read"):
        load_manifest(tmp_path / "nowhere")


def test_the_committed_schema_is_current():
    committed = json.loads((Path(__file__).parents[2] / "sandbox" / "manifest.schema.json").read_text())
    assert committed == manifest_schema(), "regenerate sandbox/manifest.schema.json from manifest_schema()"


def test_every_example_manifest_is_valid():
    for p in (Path(__file__).parents[2] / "examples" / "wasm").glob("*/plugin.json"):
        man = load_manifest(p)
        for g in [*man.permissions.commands, *man.permissions.http, *man.permissions.filesystem]:
            assert len(g.reason) > 10, f"{p}: give every grant a real reason"
