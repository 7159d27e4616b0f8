"""Fixtures of the security plugin tests (the servers themselves are in sec_fakes.py)."""

import sys
from pathlib import Path

import pytest
import structlog

sys.path.insert(0, str(Path(__file__).parent))  # so tests import the helpers as `sec_fakes`

from sec_fakes import closed_port_url, fake_provider, provider_api, sec_settings  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _structlog_sink_open():
    """A kernel binds structlog to the sys.stderr of its creation; after another test's capsys that stream is
    closed and every log call would raise. Point it at the live stderr for our tests, then put it back."""
    saved = structlog.get_config()
    sink = getattr(saved.get("logger_factory"), "_file", None)
    if sink is not None and getattr(sink, "closed", False):
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    yield
    structlog.configure(**saved)
