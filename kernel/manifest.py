"""Command manifests: a plugin's commands registered at boot without importing their module.

A plugin's ``reelkit_setup`` calls ``ctx.add_commands_from("pkg.commands")``. The kernel reads
``pkg/commands.manifest.json`` beside the module — each command's id, summary, capability, job flag
and input and result JSON Schemas — and registers the commands from it (npe2 does the same for napari
plugins). The module is imported on the first call of one of its commands, so a boot, ``reelkit
commands``, discovery over IPC and the TypeScript bindings never pay for the handlers, their pydantic
models and what they import.

The manifest is generated from the module itself (``make manifests``, or ``python -m
reelkit.kernel.manifest MODULE …``) and a test fails when one is stale. A module without a manifest
is imported at boot, as before, so a plugin author may skip the step.

A module's commands are its ``COMMANDS`` (or ``ALL``) sequence when it has one, else every function
decorated with ``@command`` in it, in definition order.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .commands import CommandSpec, resolve_signature

__all__ = ["manifest_path", "commands_in", "build_manifest", "write_manifest", "read_manifest", "load_lazy"]

VERSION = 1


def manifest_path(module: str) -> Path | None:
    """Where ``module``'s manifest lives (beside its file), found without importing the module."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin).with_suffix(".manifest.json")


def commands_in(mod: ModuleType) -> list[CommandSpec]:
    """The command specs ``mod`` declares (see the module docstring for the rule)."""
    listed = getattr(mod, "COMMANDS", None) or getattr(mod, "ALL", None)
    fns = list(listed) if listed is not None else [
        v for v in vars(mod).values() if getattr(v, "__module__", None) == mod.__name__]
    return [fn.__reelkit_command__ for fn in fns if hasattr(fn, "__reelkit_command__")]


def build_manifest(module: str) -> dict[str, Any]:
    """Import ``module`` and describe its commands."""
    mod = importlib.import_module(module)
    entries = []
    for marked in commands_in(mod):
        spec = CommandSpec(id=marked.id, handler=marked.handler, summary=marked.summary,
                           capability=marked.capability, job=marked.job, is_async=marked.is_async)
        resolve_signature(spec)
        entries.append({"id": spec.id, "function": spec.handler.__name__, "summary": spec.summary,
                        "capability": spec.capability, "job": spec.job, "input": spec.input_schema(),
                        "result": spec.result_schema()})
    return {"manifest": VERSION, "module": module, "commands": entries}


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"  # key order is field order


def write_manifest(module: str) -> Path:
    from .files import atomic_write

    path = manifest_path(module)
    if path is None:
        raise ValueError(f"{module} is not a Python source module; it cannot have a manifest")
    atomic_write(path, _dumps(build_manifest(module)))
    return path


def read_manifest(module: str) -> dict[str, Any] | None:
    """The manifest of ``module``, or None when it has none (or one of another format version)."""
    path = manifest_path(module)
    if path is None or not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if data.get("manifest") == VERSION and data.get("module") == module else None


def load_lazy(spec: CommandSpec) -> None:
    """Import a manifest command's module and complete ``spec`` with its real handler and models."""
    from .errors import PluginFailed

    try:
        mod = importlib.import_module(spec.module)  # type: ignore[arg-type]
    except Exception as e:
        raise PluginFailed(f"{spec.id}: its module {spec.module} failed to import: {type(e).__name__}: {e}",
                           details={"command": spec.id, "module": spec.module}) from e
    real = next((s for s in commands_in(mod) if s.id == spec.id), None)
    if real is None:
        raise PluginFailed(f"{spec.id} is in {spec.module}'s manifest but not in the module: the manifest is "
                           "stale (regenerate it: make manifests)", details={"command": spec.id})
    spec.handler, spec.is_async = real.handler, real.is_async
    resolve_signature(spec)


def builtin_command_modules() -> list[str]:
    """Every module the builtin plugins register through manifests (a boot finds them)."""
    import asyncio
    import tempfile

    from reelkit import Kernel

    async def boot() -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            dirs = {"data_dir": tmp, "cache_dir": tmp, "config_dir": tmp}
            async with Kernel(settings=dirs, entry_points=False) as k:
                return sorted(k.command_modules)

    return asyncio.run(boot())


def main(argv: list[str]) -> int:
    """``python -m reelkit.kernel.manifest [--all | MODULE …]``: (re)write manifests (``--all``: every
    builtin command manifest and the CLI manifest)."""
    if argv in ([], ["--all"]):
        from .cli import write_cli_manifest

        print(write_cli_manifest())
        argv = builtin_command_modules()
    for module in argv:
        print(write_manifest(module))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
