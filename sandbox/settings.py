"""The ``[sandbox]`` settings section."""

from __future__ import annotations

from sdk import Field, SettingsSection


class SandboxSettings(SettingsSection, section="sandbox"):
    """Settings of the WASM plugin host."""

    autoload: bool = Field(True, description="Load installed, enabled WASM plugins when the kernel starts")
    worker_threads: int = Field(16, ge=1, le=256, description="Threads running guest calls (all plugins)")
    http_timeout_s: float = Field(10.0, gt=0, le=300, description="Time cap of one host-side HTTP request")
    http_max_bytes: int = Field(4 << 20, ge=1, le=256 << 20, description="Size cap of one HTTP response body")
    inline_max_ms: int = Field(
        0, ge=0, le=50, description="Run calls of plugins whose time limit is at most this many ms on the event "
        "loop instead of a worker thread (saves the thread hop, ~20-80 µs; blocks the loop up to that limit). "
        "Only plugins granted neither commands nor HTTP qualify. 0 = never")
    plugin_config: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per-plugin configuration overriding manifest defaults: {id: {key: value}}")
