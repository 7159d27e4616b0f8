"""Settings: defaults < ``reelkit.toml`` < environment < explicit overrides.

The kernel's own sections (``telemetry``, ``plugins``, ``kernel``) live in :class:`KernelSettings`.
Every plugin declares its own :class:`SettingsSection` and validates it itself: a key ``key`` of
section ``media`` is ``[media] key`` in the file and ``REELKIT_MEDIA__KEY`` in the environment.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import SettingsInvalid

__all__ = ["SettingsSection", "KernelSettings", "TelemetrySettings", "PluginsSettings", "Paths", "load_settings"]

ENV_PREFIX = "REELKIT_"
# Sections the kernel owns, including those read only by a CLI command (``reelkit serve`` reads [ipc]).
KERNEL_SECTIONS = frozenset({"telemetry", "plugins", "kernel", "ipc", "cluster", "paths"})
S = TypeVar("S", bound="SettingsSection")


class SettingsSection(BaseModel):
    """Base of a plugin's settings: ``class MediaSettings(SettingsSection, section="media")``."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    section: ClassVar[str] = ""

    def __init_subclass__(cls, section: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if section is not None:
            cls.section = section


class TelemetrySettings(SettingsSection, section="telemetry"):
    exporter: Literal["none", "console", "otlp", "memory"] = Field(
        "none", description="Where spans and metrics go; 'none' turns telemetry off (no per-call cost)"
    )
    otlp_endpoint: str | None = Field(None, description="OTLP/HTTP collector base URL, e.g. http://localhost:4318; "
                                      "spans go to /v1/traces, metrics to /v1/metrics (needs the 'otlp' extra)")
    log_level: Literal["debug", "info", "warning", "error"] = Field("warning", description="Log level")
    log_format: Literal["json", "console"] = Field("json", description="structlog renderer for stderr")


class PluginsSettings(SettingsSection, section="plugins"):
    disabled: list[str] = Field(default_factory=list, description="Plugin names not to load")
    entry_points: bool = Field(True, description="Load third-party plugins from the reelkit.plugins group")


class KernelOptions(SettingsSection, section="kernel"):
    bus_queue_size: int = Field(1000, ge=1, description="Soft limit of each subscriber's queue")
    job_history: int = Field(500, ge=1, description="Finished jobs kept for status queries")
    worker_threads: int = Field(8, ge=1, le=256, description="Threads for sync command handlers")
    max_call_depth: int = Field(16, ge=1, le=1000, description="How deep commands may call commands "
                                "(command.depth_exceeded beyond it)")


@dataclass(frozen=True)
class Paths:
    """Where reelkit keeps its data, cache and config (platformdirs, overridable by environment)."""

    data_dir: Path
    cache_dir: Path
    config_dir: Path

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Paths:
        import platformdirs

        o = overrides or {}

        def pick(key: str, default: str) -> Path:
            value = o.get(key) or os.environ.get(f"{ENV_PREFIX}{key.upper()}") or default
            return Path(value).expanduser()

        return cls(
            data_dir=pick("data_dir", platformdirs.user_data_dir("reelkit")),
            cache_dir=pick("cache_dir", platformdirs.user_cache_dir("reelkit")),
            config_dir=pick("config_dir", platformdirs.user_config_dir("reelkit")),
        )

    def ensure(self) -> None:
        for p in (self.data_dir, self.cache_dir, self.config_dir):
            p.mkdir(parents=True, exist_ok=True)


def _env_section(section: str) -> dict[str, Any]:
    """``REELKIT_MEDIA__MAX_PARALLEL=4`` → ``{"max_parallel": 4}`` (nested with more ``__``)."""
    prefix = f"{ENV_PREFIX}{section.upper()}__"
    out: dict[str, Any] = {}
    for name, raw in os.environ.items():
        if not name.startswith(prefix):
            continue
        keys = name[len(prefix) :].lower().split("__")
        value: Any = raw  # pydantic's lax mode turns "4" into 4 and "true" into True
        if raw.lstrip()[:1] in ("[", "{"):
            try:
                value = json.loads(raw)
            except ValueError:
                pass
        node = out
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return out


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class KernelSettings:
    """The loaded configuration: the raw sections plus where they came from.

    ``section(MediaSettings)`` validates and returns one section; errors name the file and the key.
    """

    def __init__(self, raw: dict[str, Any], *, source: Path | None, paths: Paths) -> None:
        self.raw = raw
        self.source = source
        self.paths = paths
        self._cache: dict[type, SettingsSection] = {}
        self.telemetry = self.section(TelemetrySettings)
        self.plugins = self.section(PluginsSettings)
        self.kernel = self.section(KernelOptions)

    def section(self, cls: type[S]) -> S:
        cached = self._cache.get(cls)
        if cached is not None:
            return cached  # type: ignore[return-value]
        data = self.raw.get(cls.section, {})
        if not isinstance(data, dict):
            raise SettingsInvalid(f"{self._where()}: [{cls.section}] must be a table, not {type(data).__name__}")
        try:
            value = cls.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(
                f"[{cls.section}] {'.'.join(map(str, err['loc']))}: {err['msg']}{_suggest(cls, err)}"
                for err in e.errors()
            )
            raise SettingsInvalid(
                f"{self._where()}: {problems}",
                details={"section": cls.section, "source": str(self.source) if self.source else None,
                         "errors": [{"loc": list(err["loc"]), "msg": err["msg"]} for err in e.errors()]},
            ) from e
        self._cache[cls] = value
        return value

    def unknown_sections(self, known: set[str]) -> list[str]:
        """Sections in the file or environment that nothing reads, each with the closest known name."""
        out = []
        for name in sorted(set(self.raw) - known - KERNEL_SECTIONS):
            near = difflib.get_close_matches(name, sorted(known | KERNEL_SECTIONS), n=1, cutoff=0.6)
            out.append(f"[{name}]" + (f" (did you mean [{near[0]}]?)" if near else ""))
        return out

    def _where(self) -> str:
        return f"settings ({self.source})" if self.source else "settings (environment and defaults)"


def _suggest(cls: type[SettingsSection], err: Any) -> str:
    """For an unknown key, the closest valid name (and the valid ones when nothing is close)."""
    if err.get("type") != "extra_forbidden" or not err.get("loc"):
        return ""
    names = sorted(cls.model_fields)
    near = difflib.get_close_matches(str(err["loc"][-1]), names, n=1, cutoff=0.5)
    return f" (did you mean {near[0]!r}?)" if near else f" (valid keys: {', '.join(names)})"


def load_settings(
    overrides: dict[str, Any] | None = None, *, config_file: str | Path | None = None
) -> KernelSettings:
    """Load defaults < file < environment < ``overrides`` (a dict of sections; top-level keys
    ``data_dir``/``cache_dir``/``config_dir`` override the paths)."""
    overrides = dict(overrides or {})
    path_keys = {k: overrides.pop(k) for k in ("data_dir", "cache_dir", "config_dir") if k in overrides}
    paths = Paths.from_env(path_keys)
    file = Path(config_file) if config_file else None
    if file is None and os.environ.get(f"{ENV_PREFIX}CONFIG"):
        file = Path(os.environ[f"{ENV_PREFIX}CONFIG"])
    if file is None and (paths.config_dir / "reelkit.toml").is_file():
        file = paths.config_dir / "reelkit.toml"
    raw: dict[str, Any] = {}
    if file is not None:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise SettingsInvalid(f"settings file {file} does not exist", details={"source": str(file)}) from e
        except tomllib.TOMLDecodeError as e:
            raise SettingsInvalid(
                f"settings file {file} is not valid TOML: {e}", details={"source": str(file)}
            ) from e
        except UnicodeDecodeError as e:
            raise SettingsInvalid(f"settings file {file} is not UTF-8 text", details={"source": str(file)}) from e
    sections = set(raw) | {
        name[len(ENV_PREFIX) :].split("__", 1)[0].lower()
        for name in os.environ
        if name.startswith(ENV_PREFIX) and "__" in name
    }
    merged: dict[str, Any] = {}
    for name in sections:
        base = raw.get(name, {})
        merged[name] = _merge(base, _env_section(name)) if isinstance(base, dict) else base
    merged = _merge(merged, overrides)
    return KernelSettings(merged, source=file, paths=paths)
