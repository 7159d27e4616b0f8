"""The WASM plugin manifest (``plugin.json`` beside the module): models, loading, checks.

Every model forbids unknown fields and describes every field; the JSON Schema is exported by
:func:`manifest_schema` (and committed as ``sandbox/manifest.schema.json``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reelkit.sdk import read_bounded

from .errors import ApiIncompatible, HashMismatch, ManifestInvalid

#: The host API this reelkit offers to WASM plugins (the ``reelkit:host/v1`` imports).
HOST_API_VERSION = "1.0.0"
MANIFEST_NAME = "plugin.json"

_ID = r"^[a-z][a-z0-9_]{1,39}$"
_FUNC = r"^[a-z_][a-z0-9_]{0,63}$"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Grant(_Strict):
    reason: str = Field(min_length=3, description="Why the plugin needs this; shown to the person installing it")


class CommandGrant(Grant):
    pattern: str = Field(description="Kernel command id or capability glob it may invoke, e.g. 'subtitles.*'")


class EventGrant(Grant):
    pattern: str = Field(description="Event topic glob it may publish outside its own '<id>.' namespace")


class HttpGrant(Grant):
    host: str = Field(description="Host name or IP it may reach; '*.example.com' matches subdomains")
    schemes: list[Literal["http", "https"]] = Field(["https"], description="Allowed URL schemes")
    ports: list[int] | None = Field(None, description="Allowed ports; default: the scheme's default port")
    allow_private: bool = Field(False, description="Allow loopback/private/link-local addresses for this host")


class PathGrant(Grant):
    host: str = Field(description="Directory on the host: '{data}' or '{data}/sub/dir' (inside the plugin's own "
                                  "data directory), or an absolute path; never '..'")
    guest: str = Field(description="Where the guest sees it (an absolute guest path, e.g. '/data')")
    mode: Literal["ro", "rw"] = Field("ro", description="Read-only or read-write")

    @field_validator("host")
    @classmethod
    def _host_inside(cls, v: str) -> str:
        # '{data}/..' would let a plugin read other plugins' files or rewrite its own manifest:
        # a placeholder resolves strictly inside the plugin's folder, so '..' is never accepted
        parts = v.replace("\\", "/").split("/")
        if ".." in parts:
            raise ValueError(f"'{v}' contains '..'; a filesystem grant names a directory without '..' "
                             f"(write '{{data}}/sub' for a folder of the plugin's own data)")
        if "{" in v or "}" in v:
            if parts[0] != "{data}" or any("{" in p or "}" in p for p in parts[1:]):
                raise ValueError(f"'{v}': the only placeholder is '{{data}}', at the start "
                                 f"('{{data}}' or '{{data}}/sub/dir')")
        elif not (v.startswith("/") or v.startswith("~")):
            raise ValueError(f"'{v}' is neither '{{data}}/…' nor an absolute path")
        return v

    @field_validator("guest")
    @classmethod
    def _guest_absolute(cls, v: str) -> str:
        if not v.startswith("/") or ".." in v.split("/"):
            raise ValueError(f"'{v}': the guest path must be absolute and without '..', e.g. '/data'")
        return v


class SettingsGrant(Grant):
    pattern: str = Field(description="Settings keys ('section.key' glob) it may read through config_get")


class StorageGrant(Grant):
    quota_bytes: int = Field(ge=0, le=64 * 2**20, description="Key-value storage quota (keys + values)")


class Permissions(_Strict):
    commands: list[CommandGrant] = Field([], description="Kernel commands it may invoke")
    events: list[EventGrant] = Field([], description="Event topics beyond '<id>.*' it may publish")
    http: list[HttpGrant] = Field([], description="HTTP destinations (requests are made by the host)")
    filesystem: list[PathGrant] = Field([], description="Directories mapped into the guest (WASI)")
    settings: list[SettingsGrant] = Field([], description="Kernel settings keys it may read")
    storage: StorageGrant | None = Field(None, description="Its own key-value storage")


class Limits(_Strict):
    memory_mb: int = Field(32, ge=1, le=2048, description="Linear memory cap (MiB); growth past it traps")
    time_ms: int = Field(1000, ge=1, le=600_000, description="Wall-clock time per call")
    fuel: int | None = Field(None, ge=1, description="Instructions budget per call (optional)")
    max_output_bytes: int = Field(1 << 20, ge=1, le=256 << 20, description="Largest output a call may return")
    max_instances: int = Field(4, ge=1, le=64, description="Most instances (parallel calls) of this plugin")


class Export(_Strict):
    function: str = Field(pattern=_FUNC, description="Exported function; command '<id>.<function>'")
    summary: str = Field("", description="One line describing the command")
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"},
                                         description="JSON Schema of the command input")
    output_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"},
                                          description="JSON Schema of the command output")

    @field_validator("input_schema", "output_schema")
    @classmethod
    def _valid_schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        from reelkit.kernel.commands import json_schema_validator

        json_schema_validator(v, "the schema")  # ValueError: the metaschema's complaint, or a remote $ref
        return v


class Subscription(_Strict):
    topic: str = Field(min_length=1, description="Event topic pattern, e.g. 'media.file.*'")
    function: str = Field(pattern=_FUNC, description="Exported function receiving the event JSON")


class Module(_Strict):
    file: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.wasm$",
                      description="The .wasm file name, in the manifest's directory")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Lower-case hex sha256 of the module")


class Manifest(_Strict):
    """A WASM plugin, as its author declares it."""

    id: str = Field(pattern=_ID, description="Unique id and command namespace (snake_case)")
    name: str = Field(min_length=1, description="Display name")
    version: str = Field(description="Semantic version, e.g. 1.2.0")
    description: str = Field("", description="What it does")
    authors: list[str] = Field([], description="Authors")
    license: str = Field("", description="SPDX licence expression")
    publisher: str = Field("", description="Who publishes it (marketplace namespace)")
    api: str = Field(description="Host API range it is built for, e.g. '>=1.0,<2'")
    module: Module = Field(description="The WebAssembly module")
    exports: list[Export] = Field([], description="Functions offered as kernel commands")
    subscriptions: list[Subscription] = Field([], description="Events delivered to functions")
    permissions: Permissions = Field(default_factory=Permissions, description="What it may do")
    limits: Limits = Field(default_factory=Limits, description="Resource limits per call")
    config: dict[str, str] = Field({}, description="Default configuration values read by config_get")

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"'{v}' is not a semantic version; write MAJOR.MINOR.PATCH, e.g. 1.0.0")
        return v

    @field_validator("api")
    @classmethod
    def _range(cls, v: str) -> str:
        try:
            SpecifierSet(v)
        except InvalidSpecifier:
            raise ValueError(f"'{v}' is not a version range; write e.g. '>=1.0,<2'") from None
        return v

    @model_validator(mode="after")
    def _unique(self) -> "Manifest":
        names = [e.function for e in self.exports]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"export(s) declared twice: {sorted(dup)}")
        if not self.exports and not self.subscriptions:
            raise ValueError("declare at least one export or subscription")
        return self

    def command_id(self, function: str) -> str:
        return f"{self.id}.{function}"

    def functions(self) -> set[str]:
        """Every guest function the manifest relies on."""
        return {e.function for e in self.exports} | {s.function for s in self.subscriptions}


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of ``plugin.json``."""
    return Manifest.model_json_schema()


def parse_manifest(data: dict[str, Any] | str | bytes, source: str = MANIFEST_NAME) -> Manifest:
    """Validate manifest data; errors name each offending field and how to fix it."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise ManifestInvalid(f"{source}: not valid JSON ({e}); fix the syntax",
                                  details={"file": source}) from e
    try:
        man = Manifest.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown field '{where}' (remove it or fix its spelling)")
            elif err["type"] == "missing":
                problems.append(f"missing field '{where}'")
            else:
                problems.append(f"'{where}': {err['msg']}")
        raise ManifestInvalid(f"{source}: " + "; ".join(problems),
                              details={"file": source, "problems": problems}) from None
    check_api(man, source)
    return man


def check_api(man: Manifest, source: str = MANIFEST_NAME) -> None:
    """Refuse a plugin whose declared API range does not contain this host's API."""
    if Version(HOST_API_VERSION) not in SpecifierSet(man.api):
        raise ApiIncompatible(
            f"{source}: plugin '{man.id}' needs host API '{man.api}' but this reelkit offers "
            f"{HOST_API_VERSION}; rebuild it against API {HOST_API_VERSION.split('.')[0]}.x "
            f"(api = '>={HOST_API_VERSION.rsplit('.', 1)[0]},<{int(HOST_API_VERSION.split('.')[0]) + 1}')",
            details={"plugin": man.id, "api": man.api, "host_api": HOST_API_VERSION})


def load_manifest(path: Path) -> Manifest:
    """Read ``plugin.json`` (or the manifest inside a plugin directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        raw = read_bounded(path)
    except OSError as e:
        raise ManifestInvalid(f"{path}: cannot read the manifest ({e.strerror}); point at a plugin "
                              f"directory holding {MANIFEST_NAME}", details={"file": str(path)}) from e
    return parse_manifest(raw, str(path))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_module(man: Manifest, root: Path) -> bytes:
    """The module bytes, checked against the manifest's sha256."""
    path = Path(root) / man.module.file
    try:
        data = read_bounded(path)
    except OSError as e:
        raise ManifestInvalid(f"plugin '{man.id}': module file {path} cannot be read ({e.strerror}); "
                              f"build the plugin first (reelkit plugins build)",
                              details={"plugin": man.id, "file": str(path)}) from e
    digest = sha256_hex(data)
    if digest != man.module.sha256:
        raise HashMismatch(f"plugin '{man.id}': {man.module.file} has sha256 {digest} but the manifest "
                           f"says {man.module.sha256}; the module was changed or corrupted — rebuild "
                           f"it or reinstall from the original package",
                           details={"plugin": man.id, "expected": man.module.sha256, "actual": digest})
    return data
