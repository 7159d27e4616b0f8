"""Fixtures of the security plugin tests (the servers themselves are in sec_fakes.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # so tests import the helpers as `sec_fakes`

from sec_fakes import closed_port_url, fake_provider, provider_api, sec_settings  # noqa: E402, F401
