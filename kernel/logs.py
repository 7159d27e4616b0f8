"""The kernel's loggers, created on first use.

structlog (with the rich tracebacks it pulls in) costs ~40 ms to import; ``reelkit --help`` and a bare
``import kernel`` should not pay it. A :class:`Logger` imports structlog the first time it logs.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["Logger", "get_logger"]


class Logger:
    """A structlog logger bound on its first line: ``log.warning("event", key=value)``.

    A line below the configured level costs one stdlib level check and never imports structlog.
    """

    __slots__ = ("_name", "_log", "_std")

    def __init__(self, name: str) -> None:
        self._name = name
        self._log: Any = None
        self._std = logging.getLogger(name)

    def _bound(self) -> Any:
        if self._log is None:
            import structlog

            from .telemetry import ensure_structlog

            ensure_structlog()
            self._log = structlog.get_logger(self._name)
        return self._log

    def debug(self, event: str, **kw: Any) -> None:
        if self._std.isEnabledFor(logging.DEBUG):
            self._bound().debug(event, **kw)

    def info(self, event: str, **kw: Any) -> None:
        if self._std.isEnabledFor(logging.INFO):
            self._bound().info(event, **kw)

    def warning(self, event: str, **kw: Any) -> None:
        if self._std.isEnabledFor(logging.WARNING):
            self._bound().warning(event, **kw)

    def error(self, event: str, **kw: Any) -> None:
        self._bound().error(event, **kw)

    def exception(self, event: str, **kw: Any) -> None:
        self._bound().exception(event, **kw)


def get_logger(name: str) -> Logger:
    """A logger for ``name`` (a plugin's ``__name__``): its lines have the kernel's shape (JSON with the
    level, the logger name, a timestamp and the current trace and span ids) and honour ``[telemetry]
    log_level``. Keyword arguments become fields: ``log.info("thumbnail made", path=p, ms=12)``."""
    return Logger(name)
