"""The sandbox as a builtin kernel plugin: settings, the service, commands, CLI.

Installed WASM plugins are loaded in ``reelkit_start`` and each becomes a runtime kernel plugin
of its own (``Plugins.register``), so its commands and subscriptions come and go with it.
"""

from __future__ import annotations

import weakref
from typing import Any

from reelkit.sdk import HealthResult, PluginContext, PluginInfo, hookimpl

_SERVICES: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="sandbox", version="0.1.0",
                      summary="Third-party plugins as WebAssembly (Extism), under permissions and limits")


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    from .service import SandboxService, service_factory
    from .settings import SandboxSettings

    holder: dict[str, Any] = {}
    _SERVICES[ctx] = holder
    ctx.add_settings(SandboxSettings)
    ctx.add_service(SandboxService, service_factory(holder))
    ctx.add_commands_from(f"{__package__}.commands")  # from commands.manifest.json: imported on first call
    from .market_events import MarketSettings
    from .market_service import MarketService, market_factory

    ctx.add_settings(MarketSettings)
    ctx.add_service(MarketService, market_factory())
    ctx.add_commands_from(f"{__package__}.market_commands")

    def health() -> HealthResult:
        svc = holder.get("svc")
        if svc is None:
            return HealthResult(state="warn", detail="sandbox service not started")
        failed = {k: v for k, v in svc.errors.items()}
        detail = f"{len(svc.loaded)} WASM plugin(s) active"
        if failed:
            detail += "; failed: " + "; ".join(f"{k}: {v[:160]}" for k, v in failed.items())
        return HealthResult(state="warn" if failed else "ok", detail=detail)

    ctx.add_health_check("plugins", health)


@hookimpl
async def reelkit_start(ctx: PluginContext) -> None:
    holder = _SERVICES.get(ctx, {})
    svc = holder.get("svc")
    if svc is not None and svc.settings.autoload:
        await svc.start()


@hookimpl
async def reelkit_stop(ctx: PluginContext) -> None:
    holder = _SERVICES.get(ctx, {})
    svc = holder.get("svc")
    if svc is not None:
        await svc.close()


@hookimpl
def reelkit_cli(cli: Any) -> None:
    from .cli import register
    from .market_cli import register as register_market

    register(cli)
    register_market(cli)


@hookimpl
async def reelkit_demo(demo: Any) -> None:
    from .demo import run
    from .market_demo import run as run_market

    await run(demo)
    await run_market(demo)
