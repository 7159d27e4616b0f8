"""The error tree of reelkit.

Every error a caller can see is a :class:`KernelError` with a stable dotted ``code``::

    KernelError                      kernel.error
    ├── CommandNotFound (LookupError)    command.not_found
    ├── NotFound (LookupError)           not_found
    │   └── JobNotFound                  job.not_found
    ├── InputInvalid (ValueError)        input.invalid
    ├── PermissionDenied (PermissionError) permission.denied
    ├── PluginFailed                     plugin.failed
    │   └── PluginDisabled               plugin.disabled  (a command of a disabled or failed plugin)
    ├── ServiceMissing                   service.missing
    ├── ServiceCycle                     service.cycle
    ├── SettingsInvalid (ValueError)     settings.invalid
    ├── JobCancelled                     job.cancelled
    ├── CommandFailed                    command.failed   (an unexpected exception in a handler)
    ├── Unavailable                      unavailable
    │   └── ExtraMissing (ImportError)   extra.missing    (install reelkit[EXTRA])
    ├── Timeout (TimeoutError)           timeout
    ├── Conflict                         conflict
    └── CallDepthExceeded (RecursionError) command.depth_exceeded

Plugins subclass the nearest one and set their own ``code`` (``media.unreadable``). Every subclass is
recorded in :func:`error_codes`, so a test can pin the whole list. Foreign errors are translated at the
edge with ``raise … from e``.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "KernelError",
    "CommandNotFound",
    "NotFound",
    "JobNotFound",
    "InputInvalid",
    "PermissionDenied",
    "PluginFailed",
    "ServiceMissing",
    "ServiceCycle",
    "SettingsInvalid",
    "JobCancelled",
    "CommandFailed",
    "Unavailable",
    "Timeout",
    "Conflict",
    "PluginDisabled",
    "ExtraMissing",
    "CallDepthExceeded",
    "error_codes",
]

_CODES: dict[str, type[KernelError]] = {}


class KernelError(Exception):
    """Root of every error reelkit reports to a caller.

    ``message`` names the culprit and the fix; ``details`` is JSON-ready context.
    """

    code: ClassVar[str] = "kernel.error"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            _CODES.setdefault(cls.code, cls)

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}
        if code is not None:
            self.code = code  # type: ignore[misc]  # an ad-hoc code on an instance

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the CLI and IPC: ``{"code", "message", "details"}``."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


_CODES[KernelError.code] = KernelError


class CommandNotFound(KernelError, LookupError):
    code = "command.not_found"


class NotFound(KernelError, LookupError):
    code = "not_found"


class JobNotFound(NotFound):
    code = "job.not_found"


class InputInvalid(KernelError, ValueError):
    code = "input.invalid"


class PermissionDenied(KernelError, PermissionError):
    code = "permission.denied"


class PluginFailed(KernelError):
    code = "plugin.failed"


class PluginDisabled(PluginFailed):
    """A command whose plugin is disabled (by settings or by the user) or failed; ``details`` say why."""

    code = "plugin.disabled"


class ServiceMissing(KernelError):
    code = "service.missing"


class ServiceCycle(KernelError):
    code = "service.cycle"


class SettingsInvalid(KernelError, ValueError):
    code = "settings.invalid"


class JobCancelled(KernelError):
    code = "job.cancelled"


class CommandFailed(KernelError):
    code = "command.failed"


class Unavailable(KernelError):
    code = "unavailable"


class ExtraMissing(Unavailable, ImportError):
    """A feature whose optional dependencies are not installed: the message names the extra."""

    code = "extra.missing"


class Timeout(KernelError, TimeoutError):
    code = "timeout"


class Conflict(KernelError):
    code = "conflict"


class CallDepthExceeded(KernelError, RecursionError):
    """Commands calling commands nested deeper than ``[kernel] max_call_depth``."""

    code = "command.depth_exceeded"


def error_codes() -> dict[str, type[KernelError]]:
    """Every error code defined so far (kernel and imported plugins), mapped to its class."""
    return dict(sorted(_CODES.items()))
