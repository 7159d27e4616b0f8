"""The ``[sandbox]`` settings section."""

from __future__ import annotations

from reelkit.sdk import Field, SettingsSection


class SandboxSettings(SettingsSection, section="sandbox"):
    """Settings of the WASM plugin host."""

    autoload: bool = Field(True, description="Load installed, enabled WASM plugins when the kernel starts")
    worker_threads: int = Field(16, ge=1, le=256, description="Most threads running one plugin's guest calls "
                                "(each plugin has its own, at most its limits.max_instances: one cannot starve another)")
    max_log_bytes_per_call: int = Field(64 << 10, ge=0, le=64 << 20,
                                        description="Log text one guest call may write (sandbox.log_limit past it)")
    max_events_per_call: int = Field(256, ge=0, le=1 << 20,
                                     description="Events one guest call may emit (sandbox.event_limit past it)")
    subscriber_max_failures: int = Field(5, ge=1, le=10_000, description="A subscription failing this many events "
                                         "in a row is disabled (shown in health; sandbox.enable_subscriptions)")
    http_timeout_s: float = Field(10.0, gt=0, le=300, description="Time cap of one host-side HTTP request")
    http_max_bytes: int = Field(4 << 20, ge=1, le=256 << 20, description="Size cap of one HTTP response body")
    loop_budget_ms: int = Field(
        1, ge=0, le=20, description="Try each call on the event loop first, for at most this many ms (saves the "
        "40-70 µs worker-thread hop); a call that needs longer, or reaches invoke, http_request or kv_set, is "
        "dropped and re-run on a worker thread. 0 = always on a worker thread")
    plugin_config: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per-plugin configuration overriding manifest defaults: {id: {key: value}}")
