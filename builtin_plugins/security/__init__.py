"""Security: a secret store that never leaks (OS keychain or an AES-256-GCM vault), API key validation
against the providers, and OAuth 2.0 with PKCE for publishing accounts. See docs/security.md."""

from __future__ import annotations

from typing import Any

from reelkit.sdk import PluginContext, PluginInfo, hookimpl


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="security", version="0.1.0", requires=[],
                      summary="Secret store, API key validation, OAuth 2.0 with PKCE")


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    from . import events, service, settings
    from .oauth import OAuthManager
    from .store import SecretStore

    ctx.add_settings(settings.SecuritySettings)
    ctx.add_service(SecretStore, service.create_store)
    ctx.add_service(OAuthManager, service.create_oauth)
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(events.SecretChanged, events.OAuthConnected)
    ctx.add_health_check("secret_store", service.store_health)


@hookimpl
def reelkit_cli(cli: Any) -> None:
    from .cli import security

    cli.add_command(security)


@hookimpl
async def reelkit_demo(demo: Any) -> None:
    from .demo import run

    await run(demo)
