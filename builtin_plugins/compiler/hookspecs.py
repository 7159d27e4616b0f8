"""Hooks the compiler offers other plugins (declared through ``reelkit_addhooks``)."""

from __future__ import annotations

from typing import Any

from reelkit.sdk import hookspec


@hookspec
def reelkit_compiler_effects() -> list[Any]:
    """Return a list of :class:`builtin_plugins.compiler.api.EffectSpec` to add to the effects catalog.

    Called whenever the catalog is needed (validation, planning, ``compiler.effects``), so a plugin
    registered at run time contributes at once. A later effect with the same name replaces a builtin.
    """


@hookspec
def reelkit_compiler_stages() -> list[Any]:
    """Return a list of :class:`builtin_plugins.compiler.api.StageExtension` for the render pipeline.

    Stages are ``validate → probe → plan → encode → finalize``; an extension adds a stage
    ``before``/``after`` one of them or ``wrap``s it (``async def wrap(state, inner)``). Called per render.
    """
