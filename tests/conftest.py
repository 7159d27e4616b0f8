"""Fixtures shared by the whole suite. Plugin-specific ones live beside their tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MODELS = REPO.parent / "shared" / "models"

# Extism prints a Rust backtrace capture on every call when RUST_BACKTRACE is set (notes/extism.md).
os.environ.pop("RUST_BACKTRACE", None)
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real data, cache or config dirs, or their reelkit.toml."""
    base = tmp_path_factory.mktemp("reelkit-home")
    for name in ("DATA", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"REELKIT_{name}_DIR", str(base / name.lower()))
    monkeypatch.delenv("REELKIT_CONFIG", raising=False)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """../shared/models beside the repository (YOLOX-Nano, YuNet): never committed."""
    if not (SHARED_MODELS / "yolox_nano.onnx").is_file():
        pytest.fail(f"the shared models are missing: expected {SHARED_MODELS}/yolox_nano.onnx (see README)")
    return SHARED_MODELS
