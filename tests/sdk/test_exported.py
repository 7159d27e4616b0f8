"""The sdk's exported names are public surface (httpx pins its exports the same way)."""

import reelkit
import reelkit.kernel as kernel
import reelkit.sdk as sdk
import reelkit.sdk.perf

EXPECTED = {
    "hookimpl", "hookspec", "PluginContext", "PluginInfo", "PluginState", "Plugins", "HealthResult",
    "command", "Input", "Output", "Empty", "Field", "CallContext", "CancelToken", "Invoker",
    "Event", "ProgressEvent", "DynamicEvent", "Bus", "Subscription",
    "Jobs", "JobContext", "JobInfo", "JobProgress", "JobRef", "JobState",
    "SettingsSection", "Paths", "Telemetry", "DemoContext", "get_logger", "Logger",
    "Cluster", "ClusterSettings", "ClusterUnavailable", "StorageUnreachable",
    "KernelError", "CommandNotFound", "NotFound", "JobNotFound", "InputInvalid", "PermissionDenied",
    "PluginFailed", "ServiceMissing", "ServiceCycle", "SettingsInvalid", "JobCancelled", "CommandFailed",
    "Unavailable", "Timeout", "Conflict", "PluginDisabled", "ExtraMissing",
    "InputPath", "InputDocument", "InputDir", "InputAny", "OutputPath", "OutputPathOrDir", "AnyPath", "read_bounded",
    "PathPolicy", "open_in", "current_call", "coded_error",
}


def test_sdk_exports_exactly_the_public_names():
    assert set(sdk.__all__) == EXPECTED
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None


def test_perf_kit_exports():
    assert set(sdk.perf.__all__) == {"make_cache", "MeteredCache", "WorkerPool", "ThreadWorkerPool",
                                     "ProcessWorkerPool", "BufferPool"}


def test_kernel_exports():
    assert set(kernel.__all__) == {"Kernel", "KernelError"}
