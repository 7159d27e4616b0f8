"""The ``[sandbox]`` settings section."""

from __future__ import annotations

from reelkit.sdk import Field, SettingsSection


class SandboxSettings(SettingsSection, section="sandbox"):
    """Settings of the WASM plugin host."""

    autoload: bool = Field(True, description="Load installed, enabled WASM plugins when the kernel starts")
    worker_threads: int = Field(16, ge=1, le=256, description="Threads running guest calls (all plugins)")
    http_timeout_s: float = Field(10.0, gt=0, le=300, description="Time cap of one host-side HTTP request")
    http_max_bytes: int = Field(4 << 20, ge=1, le=256 << 20, description="Size cap of one HTTP response body")
    loop_budget_ms: int = Field(
        1, ge=0, le=20, description="Try each call on the event loop first, for at most this many ms (saves the "
        "40-70 µs worker-thread hop); a call that needs longer, or reaches invoke, http_request or kv_set, is "
        "dropped and re-run on a worker thread. 0 = always on a worker thread")
    plugin_config: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per-plugin configuration overriding manifest defaults: {id: {key: value}}")
