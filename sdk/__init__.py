"""The one import a reelkit plugin author needs.

See docs/plugin-api.md for the contract. Everything here is stable public surface; the kernel's
modules behind it are not.
"""

from pydantic import Field

from reelkit.kernel.cluster import Cluster, ClusterSettings, ClusterUnavailable, StorageUnreachable
from reelkit.kernel.commands import CallContext, CancelToken, Empty, Input, Output, command
from reelkit.kernel.errors import (
    CommandFailed,
    CommandNotFound,
    Conflict,
    InputInvalid,
    JobCancelled,
    JobNotFound,
    KernelError,
    NotFound,
    PermissionDenied,
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
from reelkit.kernel.plugins import HealthResult, PluginContext, PluginInfo, Plugins, PluginState
from reelkit.kernel.settings import Paths, SettingsSection
from reelkit.kernel.telemetry import Telemetry

__all__ = [
    # plugin structure
    "hookimpl", "hookspec", "PluginContext", "PluginInfo", "PluginState", "Plugins", "HealthResult",
    # commands
    "command", "Input", "Output", "Empty", "Field", "CallContext", "CancelToken", "Invoker",
    # events
    "Event", "ProgressEvent", "DynamicEvent", "Bus", "Subscription",
    # jobs
    "Jobs", "JobContext", "JobInfo", "JobProgress", "JobRef", "JobState",
    # settings, paths, telemetry, the demo
    "SettingsSection", "Paths", "Telemetry", "DemoContext",
    # scale-out
    "Cluster", "ClusterSettings", "ClusterUnavailable", "StorageUnreachable",
    # errors
    "KernelError", "CommandNotFound", "NotFound", "JobNotFound", "InputInvalid", "PermissionDenied",
    "PluginFailed", "ServiceMissing", "ServiceCycle", "SettingsInvalid", "JobCancelled", "CommandFailed",
    "Unavailable", "Timeout", "Conflict",
]
