"""Commands of the sandbox plugin: install, list, info, enable, disable, reload, remove, pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelkit.sdk import Field, Input, InputAny, InputDir, Output, OutputPathOrDir, command

from .service import SandboxService


class PermissionEntry(Input):
    kind: str = Field(description="command, event, setting, http, filesystem or storage")
    value: str = Field(description="The permission's canonical value, as sandbox.consent lists it")
    reason: str = Field("", description="The author's reason (not part of what is consented)")


class InstallInput(Input):
    path: InputAny = Field(description="Plugin directory, its plugin.json, or a .rkp package")
    replace: bool = Field(False, description="Replace an installed plugin with the same id (keeps its data)")
    consent: str | list[PermissionEntry] | None = Field(
        None, description="The permissions a person consented to: the exact list (kind, value) or its digest "
        "'sha256:…'. Needed whenever the plugin (or an update) asks for anything not granted before; without "
        "it the install is refused with sandbox.consent_required, whose details hold the diff and the digest")


class ConsentInput(Input):
    path: InputAny = Field(description="Plugin directory, its plugin.json, or a .rkp package")


class ConsentOutput(Output):
    id: str = Field(description="Plugin id")
    version: str = Field(description="Version of the package")
    digest: str = Field(description="permissions_digest of what it asks for: pass it as sandbox.install consent")
    permissions: list[dict[str, str]] = Field(description="What it asks for: kind, value, reason")
    diff: dict[str, Any] = Field(description="Against the installed version: added, widened, narrowed, removed, "
                                             "unchanged, needs_consent")


class PluginIdInput(Input):
    id: str = Field(description="Id of an installed WASM plugin")


class PackInput(Input):
    path: InputDir = Field(description="Plugin directory holding plugin.json, the built module and README.md")
    output: OutputPathOrDir | None = Field(None, description="Archive path or directory (default: <path>/dist/)")
    overwrite: bool = Field(False, description="Replace an existing archive")


class EmptyInput(Input):
    pass


class PluginSummary(Output):
    id: str = Field(description="Plugin id (its command namespace)")
    name: str = Field("", description="Display name")
    version: str = Field("", description="Version")
    state: str = Field(description="active, disabled or failed")
    enabled: bool = Field(description="Whether it loads with the kernel")
    commands: list[str] = Field(default_factory=list, description="Commands it offers")
    error: str | None = Field(None, description="Why it failed, if it did")


class PluginList(Output):
    plugins: list[PluginSummary] = Field(description="Installed WASM plugins")


class PluginDetail(Output):
    plugin: dict[str, Any] = Field(description="Manifest, permissions with reasons, limits, state, stats")


class PackResult(Output):
    path: str = Field(description="The archive written")
    size: int = Field(description="Its size in bytes")


def _summary(svc: SandboxService, plugin_id: str) -> PluginSummary:
    d = svc.describe(plugin_id)
    return PluginSummary(id=d["id"], name=d.get("name", ""), version=d.get("version", ""), state=d["state"],
                         enabled=d["enabled"], commands=d.get("commands", []), error=d.get("error"))


@command("sandbox.install", summary="Install a WASM plugin (directory, plugin.json or .rkp) and load it")
async def install(inp: InstallInput, svc: SandboxService) -> PluginSummary:
    consent = inp.consent if inp.consent is None or isinstance(inp.consent, str) else \
        [e.model_dump() for e in inp.consent]
    man = await svc.install(Path(inp.path), replace=inp.replace, consent=consent)
    return _summary(svc, man.id)


@command("sandbox.consent", summary="What installing a package would grant: permissions with reasons, the diff "
                                    "against the installed version, and the digest to consent with")
async def consent(inp: ConsentInput, svc: SandboxService) -> ConsentOutput:
    return ConsentOutput(**await svc.consent_preview(Path(inp.path)))


@command("sandbox.enable_subscriptions", summary="Re-enable a WASM plugin's subscriptions disabled after failing "
                                                 "events in a row")
async def enable_subscriptions(inp: PluginIdInput, svc: SandboxService) -> PluginSummary:
    svc.enable_subscriptions(inp.id)
    return _summary(svc, inp.id)


@command("sandbox.list", summary="List installed WASM plugins")
async def list_plugins(inp: EmptyInput, svc: SandboxService) -> PluginList:
    return PluginList(plugins=[_summary(svc, pid) for pid in svc.installed()])


@command("sandbox.info", summary="A WASM plugin's manifest, permissions with reasons, limits and state")
async def info(inp: PluginIdInput, svc: SandboxService) -> PluginDetail:
    return PluginDetail(plugin=svc.describe(inp.id))


@command("sandbox.enable", summary="Enable a WASM plugin and load it now")
async def enable(inp: PluginIdInput, svc: SandboxService) -> PluginSummary:
    await svc.set_enabled(inp.id, True)
    return _summary(svc, inp.id)


@command("sandbox.disable", summary="Disable a WASM plugin and unload it now")
async def disable(inp: PluginIdInput, svc: SandboxService) -> PluginSummary:
    await svc.set_enabled(inp.id, False)
    return _summary(svc, inp.id)


@command("sandbox.reload", summary="Reload a WASM plugin from its installed files (hot)")
async def reload(inp: PluginIdInput, svc: SandboxService) -> PluginSummary:
    await svc.reload(inp.id)
    return _summary(svc, inp.id)


@command("sandbox.remove", summary="Unload and delete a WASM plugin, its data and its cached modules")
async def remove(inp: PluginIdInput, svc: SandboxService) -> PluginSummary:
    await svc.remove(inp.id)
    return PluginSummary(id=inp.id, state="removed", enabled=False)


@command("sandbox.pack", summary="Pack a plugin directory into a .rkp archive")
def pack(inp: PackInput) -> PackResult:
    from .package import pack as do_pack

    out = do_pack(Path(inp.path), Path(inp.output) if inp.output else None)
    return PackResult(path=str(out), size=out.stat().st_size)


ALL = (install, consent, list_plugins, info, enable, disable, reload, remove, pack, enable_subscriptions)
