"""The language step of `reelkit demo`: every translated locale, plural forms, the fallback chain."""

from __future__ import annotations

from typing import Any


async def run(demo: Any) -> None:
    from rich.table import Table

    listing = await demo.invoke("language.list", {})
    table = Table("locale", "name", "1", "3", "5", title="kernel.plugins.loaded")
    for info in listing.locales:
        row = [info.locale, info.native_name]
        for count in (1, 3, 5):
            t = await demo.invoke(
                "language.translate",
                {"key": "kernel.plugins.loaded", "params": {"count": count}, "locale": info.locale},
            )
            row.append(t.text)
        table.add_row(*row)
    demo.console.print(table)
    t = await demo.invoke("language.translate", {"key": "common.retry", "locale": "pt_BR"})
    demo.say(f"pt_BR has no catalog: common.retry falls back to {t.locale!r}: {t.text}")
    current = await demo.invoke("language.get", {})
    demo.say(f"current locale: {current.locale} ({current.native_name})")
