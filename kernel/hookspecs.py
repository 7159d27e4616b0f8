"""The hooks a reelkit plugin may implement, grouped by lifecycle phase.

Hooks are called with keyword arguments; an implementation may accept a subset of them, so a spec can
grow without breaking plugins. The kernel calls each plugin's implementation on its own (not through
one pluggy hook call), so a plugin that raises is disabled alone and the others carry on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .demo import DemoContext
    from .plugins import PluginContext, PluginInfo

hookspec = pluggy.HookspecMarker("reelkit")
hookimpl = pluggy.HookimplMarker("reelkit")

# -- registration: the plugin is imported and registered -------------------------------------------


@hookspec(firstresult=True)
def reelkit_plugin_info() -> PluginInfo:  # type: ignore[empty-body]
    """Describe the plugin: name, version, summary, the plugins it requires.

    Called once per plugin when it is registered. Without it a plugin is named after its module.
    """


@hookspec
def reelkit_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add hookspecs of your own, for other plugins to implement (pytest's ``pytest_addhooks``).

    Called once per plugin, before any setup, with the kernel's pluggy manager.
    """


# -- setup: declare what the plugin adds -------------------------------------------------------------


@hookspec
def reelkit_setup(ctx: PluginContext) -> None:
    """Declare settings, services, commands, events, health checks and subscriptions through ``ctx``.

    Called once per plugin, in dependency order. Everything added through ``ctx`` is removed when
    the plugin is unloaded or fails. Do no heavy work here: boot must stay fast.
    """


# -- run: the kernel is serving ------------------------------------------------------------------------


@hookspec
def reelkit_start(ctx: PluginContext) -> Any:
    """The kernel is up: every service exists. May be ``async``. Called in dependency order."""


@hookspec
def reelkit_stop(ctx: PluginContext) -> Any:
    """The kernel (or this plugin) is stopping; services still exist. May be ``async``.

    Called in reverse dependency order.
    """


# -- edges: the CLI and the demo ---------------------------------------------------------------------


@hookspec
def reelkit_cli(cli: click.Group) -> None:
    """Add commands to the ``reelkit`` CLI. Import only click here; load heavy modules inside commands."""


@hookspec
def reelkit_demo(demo: DemoContext) -> Any:
    """Run this plugin's step of ``reelkit demo`` (may be ``async``), in dependency order."""
