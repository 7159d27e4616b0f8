"""Builtin plugin `language`: the app's locale, and translations collected from every plugin.

Other plugins contribute catalogs by implementing the hook declared here,
``reelkit_language_catalogs() -> {locale: {key: text or plural forms}}``. Locale data is Babel's.
"""

from reelkit.sdk import Bus, Paths, PluginContext, PluginInfo, hookimpl

__version__ = "0.1.0"


@hookimpl
def reelkit_plugin_info() -> PluginInfo:
    return PluginInfo(name="language", version=__version__, requires=[], summary="Locale and translations")


@hookimpl
def reelkit_addhooks(pluginmanager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def reelkit_language_catalogs() -> dict:
    """The kernel's own messages (en, de, fr, ru, ja), shipped as JSON in the package."""
    from .catalogs import load_packaged

    return load_packaged()


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    from . import events
    from .service import LanguageService, catalogs_health
    from .settings import LanguageSettings

    ctx.add_settings(LanguageSettings)
    created: list[LanguageService] = []

    # A closure, not a module-level factory: the service collects catalogs through this plugin's ctx.
    def create(settings: LanguageSettings, paths: Paths, bus: Bus) -> LanguageService:
        def changed(previous: str, new: str) -> None:
            bus.publish(events.LocaleChanged(locale=new, previous=previous))

        service = LanguageService(
            config_dir=paths.config_dir,
            default_locale=settings.default_locale,
            collect=lambda: ctx.call_hook("reelkit_language_catalogs"),
            on_change=changed,
        )
        service.reload()
        created.append(service)
        return service

    # The kernel may announce plugin changes as plugin.* events; catalogs are collected again then.
    def plugins_changed(event) -> None:
        for service in created:
            service.reload()

    ctx.add_service(LanguageService, create)
    ctx.add_commands_from(f"{__name__}.commands")  # from commands.manifest.json: imported on first call
    ctx.add_events(events.LocaleChanged)
    ctx.subscribe("plugin.*", plugins_changed)
    ctx.add_health_check("catalogs", catalogs_health)


@hookimpl
async def reelkit_demo(demo) -> None:
    from .demo import run

    await run(demo)
