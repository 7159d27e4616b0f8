"""The `[filesystem]` settings section."""

from __future__ import annotations

from pathlib import Path

from reelkit.sdk import Field, SettingsSection


class FilesystemSettings(SettingsSection, section="filesystem"):
    roots: list[Path] = Field(
        default_factory=list,
        description="Directories commands may touch; empty means the user's home and reelkit's data dir",
    )
    max_read_bytes: int = Field(16 * 2**20, ge=1, description="Largest file filesystem.read_text reads")
    max_watches: int = Field(16, ge=1, le=32, description="Watches running at once")
    watch_debounce_ms: int = Field(100, ge=1, le=10_000, description="Changes are grouped over this window")
    watch_force_polling: bool = Field(False, description="Poll instead of OS notifications (network drives)")
