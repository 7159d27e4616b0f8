"""Hooks the language plugin declares for other plugins (added through `reelkit_addhooks`)."""

from __future__ import annotations

from reelkit.sdk import hookspec


@hookspec
def reelkit_language_catalogs() -> dict[str, dict[str, str | dict[str, str]]]:  # type: ignore[empty-body]
    """Return translations: ``{locale: {key: entry}}``.

    An entry is a template (``"Hello {name}"``) or plural forms chosen by ``params["count"]``
    (``{"one": "{count} file", "other": "{count} files"}``; CLDR categories zero/one/two/few/many/other,
    and exact forms such as ``"=0"``). Prefix keys with your plugin's name. Called when the language
    service starts and again whenever plugins come or go.
    """
