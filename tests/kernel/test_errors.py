"""The error codes are public surface: this test pins the whole list."""

from __future__ import annotations

import importlib

from reelkit.kernel.errors import InputInvalid, KernelError, PermissionDenied, error_codes

KERNEL_CODES = {
    "kernel.error", "command.not_found", "not_found", "job.not_found", "input.invalid", "permission.denied",
    "plugin.failed", "service.missing", "service.cycle", "settings.invalid", "job.cancelled", "command.failed",
    "unavailable", "timeout", "conflict", "command.depth_exceeded", "plugin.disabled", "extra.missing",
}


def test_kernel_codes_are_pinned():
    import reelkit.kernel.errors  # noqa: F401

    assert KERNEL_CODES <= set(error_codes())
    kernel_classes = {code for code, cls in error_codes().items() if cls.__module__ == "reelkit.kernel.errors"}
    assert kernel_classes == KERNEL_CODES


def test_every_builtin_error_code_is_dotted_and_unique():
    from reelkit.builtin_plugins import BUILTIN_PLUGINS

    for mod in BUILTIN_PLUGINS:
        pkg = mod if mod.startswith("reelkit.builtin_plugins") else mod.rsplit(".", 1)[0]
        try:
            importlib.import_module(f"{pkg}.errors")
        except ModuleNotFoundError:
            pass
    for code, cls in error_codes().items():
        assert code == cls.code
        assert code.replace("_", "").replace(".", "").isalnum(), code


def test_errors_refine_builtin_exceptions_and_serialise():
    e = InputInvalid("bad", details={"errors": []})
    assert isinstance(e, ValueError) and isinstance(e, KernelError)
    assert isinstance(PermissionDenied("no"), PermissionError)
    assert e.to_dict() == {"code": "input.invalid", "message": "bad", "details": {"errors": []}}
    assert KernelError("x", code="media.custom").code == "media.custom"
