"""Errors raised by the WASM sandbox.

    KernelError
    ├── InputInvalid
    │   ├── ManifestInvalid        sandbox.manifest_invalid   (unknown field, bad value, missing file)
    │   ├── ApiIncompatible        sandbox.api_incompatible   (host API range does not include ours)
    │   ├── HashMismatch           sandbox.hash_mismatch      (module bytes differ from manifest sha256)
    │   ├── ModuleInvalid          sandbox.module_invalid     (not WebAssembly, fails to compile)
    │   ├── ExportMissing          sandbox.export_missing     (manifest names a function the module lacks)
    │   ├── ExportInvalid          sandbox.export_invalid     (an export with a signature other than () -> i32)
    │   ├── InitialMemoryTooLarge  sandbox.initial_memory_too_large (declares more memory than limits.memory_mb)
    │   ├── InputTooLarge          sandbox.input_too_large    (a call input the guest's memory cannot hold)
    │   └── PackageInvalid         sandbox.package_invalid    (archive layout)
    ├── PermissionDenied           permission.denied          (a grant is missing; host-side refusal)
    ├── NotFound
    │   └── PluginNotInstalled     sandbox.not_installed
    ├── Conflict
    │   └── PluginExists           sandbox.already_installed
    ├── Timeout
    │   └── GuestTimeout           sandbox.timeout
    │       ├── StartTimeout       sandbox.start_timeout      (start function / _initialize / constructors)
    │       └── HttpTimeout        sandbox.http_timeout       (one deadline per request: connect, headers, body)
    └── CommandFailed-like guest failures (subclass GuestError, code sandbox.*):
        GuestTrap sandbox.trap · MemoryExceeded sandbox.memory_exceeded · FuelExhausted
        sandbox.fuel_exhausted · OutputTooLarge sandbox.output_too_large · GuestCancelled
        sandbox.cancelled · HostFunctionFailed sandbox.host_error · QuotaExceeded sandbox.quota_exceeded
        · StartFailed sandbox.start_failed · LogLimit sandbox.log_limit · EventLimit sandbox.event_limit
        · RecursionLimit sandbox.recursion_limit
    ConsentRequired sandbox.consent_required (a PermissionDenied) lives in sandbox.consent.
"""

from __future__ import annotations

from reelkit.sdk import Conflict, InputInvalid, KernelError, NotFound, PermissionDenied, Timeout

__all__ = [
    "ApiIncompatible", "ExportMissing", "FuelExhausted", "GuestCancelled", "GuestError",
    "GuestTimeout", "GuestTrap", "GuestReported", "KernelError", "HashMismatch", "HostFunctionFailed", "MemoryExceeded",
    "ManifestInvalid", "ModuleInvalid", "OutputTooLarge", "PackageInvalid", "PermissionDenied",
    "PluginExists", "PluginNotInstalled", "QuotaExceeded", "ToolchainMissing", "BuildFailed", "HttpFailed",
    "ExportInvalid", "InitialMemoryTooLarge", "InputTooLarge", "StartTimeout", "HttpTimeout", "StartFailed",
    "LogLimit", "EventLimit", "RecursionLimit",
]


class ManifestInvalid(InputInvalid):
    code = "sandbox.manifest_invalid"


class ApiIncompatible(InputInvalid):
    code = "sandbox.api_incompatible"


class HashMismatch(InputInvalid):
    code = "sandbox.hash_mismatch"


class ModuleInvalid(InputInvalid):
    code = "sandbox.module_invalid"


class ExportMissing(InputInvalid):
    code = "sandbox.export_missing"


class ExportInvalid(InputInvalid):
    code = "sandbox.export_invalid"


class InitialMemoryTooLarge(InputInvalid):
    code = "sandbox.initial_memory_too_large"


class InputTooLarge(InputInvalid):
    code = "sandbox.input_too_large"


class PackageInvalid(InputInvalid):
    code = "sandbox.package_invalid"


class PluginNotInstalled(NotFound):
    code = "sandbox.not_installed"


class PluginExists(Conflict):
    code = "sandbox.already_installed"


class GuestError(KernelError):
    """A call into a WASM guest failed; the instance that ran it has been discarded."""

    code = "sandbox.trap"


class GuestTrap(GuestError):
    code = "sandbox.trap"


class GuestReported(GuestError):
    """The guest itself reported an error for this call (Extism ``error_set``)."""

    code = "sandbox.guest_error"


class GuestTimeout(Timeout):
    code = "sandbox.timeout"


class StartTimeout(GuestTimeout):
    """The module's start-up code (start function, ``_initialize``, constructors) ran past its time limit."""

    code = "sandbox.start_timeout"


class HttpTimeout(GuestTimeout):
    code = "sandbox.http_timeout"


class StartFailed(GuestError):
    code = "sandbox.start_failed"


class LogLimit(GuestError):
    code = "sandbox.log_limit"


class EventLimit(GuestError):
    code = "sandbox.event_limit"


class RecursionLimit(GuestError):
    code = "sandbox.recursion_limit"


class MemoryExceeded(GuestError):
    code = "sandbox.memory_exceeded"


class FuelExhausted(GuestError):
    code = "sandbox.fuel_exhausted"


class OutputTooLarge(GuestError):
    code = "sandbox.output_too_large"


class GuestCancelled(GuestError):
    code = "sandbox.cancelled"


class HostFunctionFailed(GuestError):
    code = "sandbox.host_error"


class QuotaExceeded(GuestError):
    code = "sandbox.quota_exceeded"


class HttpFailed(GuestError):
    """A host-side HTTP request could not complete (network error, size or time cap)."""

    code = "sandbox.http_failed"


class ToolchainMissing(KernelError):
    code = "sandbox.toolchain_missing"


class BuildFailed(KernelError):
    code = "sandbox.build_failed"
