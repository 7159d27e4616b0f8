"""The ``[ipc]`` settings section (``REELKIT_IPC__PORT=9000`` in the environment)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator, model_validator

from reelkit.kernel.settings import SettingsSection

from .session import Limits

__all__ = ["IpcSettings", "DEFAULT_ORIGINS"]

#: Browser origins allowed by default: the Tauri and local dev-server pages. Any other web page is refused.
DEFAULT_ORIGINS = [
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
    "http://localhost",
    "http://localhost:*",
    "http://127.0.0.1",
    "http://127.0.0.1:*",
]


class IpcSettings(SettingsSection, section="ipc"):
    """How ``reelkit serve`` listens and what its clients may do."""

    host: str = Field("127.0.0.1", description="Address to bind; anything but loopback needs allow_remote")
    port: int = Field(8765, ge=0, le=65535, description="TCP port of the WebSocket server (0 picks a free one)")
    allow_remote: bool = Field(False, description="Allow binding a non-loopback address (exposes the kernel)")
    token: str | None = Field(None, min_length=16, description="Fixed token; a random one per run when unset")
    token_file: str | None = Field(None, description="Where `serve` writes the token (mode 0600)")
    grants: list[str] = Field(default_factory=lambda: ["*", "!security.secret_read"],
                              description="Grants of the main token (everything but reading secrets by default)")
    tokens: dict[str, list[str]] = Field(
        default_factory=dict, description="More tokens and their grants, e.g. a frontend token with ['media', 'compiler']"
    )
    stdio_grants: list[str] = Field(default_factory=lambda: ["*", "!security.secret_read"],
                                    description="Grants of the stdio client (everything but reading secrets by default)")
    allowed_origins: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ORIGINS), description="Origin globs a browser client may come from"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host header names accepted besides the loopback ones and the bound "
        "address (DNS-rebinding check); only useful with allow_remote")
    max_message_bytes: int = Field(1 << 20, ge=1024, description="Largest incoming message; bigger ones close the connection")
    max_batch: int = Field(100, ge=1, description="Most requests in one batch")
    max_depth: int = Field(64, ge=2, le=1000, description="Deepest JSON nesting accepted")
    max_in_flight: int = Field(64, ge=1, description="Calls one client may have running; more wait (backpressure)")
    send_queue_limit: int = Field(
        1000, ge=1, description="Unsent messages after which a client not reading (for stall_seconds) is closed; "
        "ten times this closes any client")
    stall_seconds: float = Field(2.0, gt=0, description="How long a client may leave its socket full")
    cancel_jobs_on_disconnect: bool = Field(True, description="Cancel a client's unfinished jobs when it leaves")
    shutdown_grace: float = Field(5.0, ge=0, description="Seconds in-flight calls get to finish at shutdown")

    @field_validator("tokens")
    @classmethod
    def _long_tokens(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        short = [t[:4] + "…" for t in value if len(t) < 16]
        if short:
            raise ValueError(f"tokens {short} are shorter than 16 characters; use `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
        return value

    @model_validator(mode="after")
    def _loopback_only(self) -> IpcSettings:
        if not self.allow_remote and not is_loopback(self.host):
            raise ValueError(f"host {self.host!r} is not a loopback address; set allow_remote = true to expose the kernel")
        return self

    def limits(self) -> Limits:
        """The per-client limits these settings describe."""
        return Limits(
            max_batch=self.max_batch,
            max_depth=self.max_depth,
            max_in_flight=self.max_in_flight,
            send_queue_limit=self.send_queue_limit,
            stall_seconds=self.stall_seconds,
            cancel_jobs_on_disconnect=self.cancel_jobs_on_disconnect,
        )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
