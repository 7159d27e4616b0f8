"""The one import a reelkit plugin author needs.

See docs/plugin-api.md for the contract. Everything here is stable public surface; the kernel's
modules behind it are not.
"""

from pydantic import Field

from reelkit.kernel.cluster import Cluster, ClusterSettings, ClusterUnavailable, StorageUnreachable
from reelkit.kernel.commands import CallContext, CancelToken, Empty, Input, Output, command
from reelkit.kernel.commands import current_call as _current_call
from reelkit.kernel.errors import (
    CommandFailed,
    CommandNotFound,
    Conflict,
    ExtraMissing,
    InputInvalid,
    JobCancelled,
    JobNotFound,
    KernelError,
    NotFound,
    PermissionDenied,
    PluginDisabled,
    PluginFailed,
    ServiceCycle,
    ServiceMissing,
    SettingsInvalid,
    Timeout,
    Unavailable,
)
from reelkit.kernel.demo import DemoContext
from reelkit.kernel.events import Bus, DynamicEvent, Event, ProgressEvent, Subscription
from reelkit.kernel.hookspecs import hookimpl, hookspec
from reelkit.kernel.jobs import JobContext, JobInfo, JobProgress, JobRef, Jobs, JobState
from reelkit.kernel.kernel import Invoker
from reelkit.kernel.logs import Logger, get_logger
from reelkit.kernel.oserrors import coded_error
from reelkit.kernel.paths import PathPolicy, open_in, read_bounded
from reelkit.kernel.pathtypes import AnyPath, InputAny, InputDir, InputDocument, InputPath, OutputPath, OutputPathOrDir
from reelkit.kernel.plugins import HealthResult, PluginContext, PluginInfo, Plugins, PluginState
from reelkit.kernel.settings import Paths, SettingsSection
from reelkit.kernel.telemetry import Telemetry

def current_call() -> CallContext | None:
    """The call being handled on this task or worker thread (its grants, roots, cancel token), or None."""
    return _current_call.get()


__all__ = [
    # plugin structure
    "hookimpl", "hookspec", "PluginContext", "PluginInfo", "PluginState", "Plugins", "HealthResult",
    # commands
    "command", "Input", "Output", "Empty", "Field", "CallContext", "CancelToken", "Invoker",
    # events
    "Event", "ProgressEvent", "DynamicEvent", "Bus", "Subscription",
    # jobs
    "Jobs", "JobContext", "JobInfo", "JobProgress", "JobRef", "JobState",
    # path types of command inputs (issue 14: one path policy), bounded reads
    "InputPath", "InputDocument", "InputDir", "InputAny", "OutputPath", "OutputPathOrDir", "AnyPath",
    "read_bounded", "PathPolicy", "open_in", "current_call", "coded_error",
    # settings, paths, telemetry, logging, the demo
    "SettingsSection", "Paths", "Telemetry", "DemoContext", "get_logger", "Logger",
    # scale-out
    "Cluster", "ClusterSettings", "ClusterUnavailable", "StorageUnreachable",
    # errors
    "KernelError", "CommandNotFound", "NotFound", "JobNotFound", "InputInvalid", "PermissionDenied",
    "PluginFailed", "ServiceMissing", "ServiceCycle", "SettingsInvalid", "JobCancelled", "CommandFailed",
    "Unavailable", "Timeout", "Conflict", "PluginDisabled", "ExtraMissing",
]
