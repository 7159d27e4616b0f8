"""The language step of `reelkit demo`."""

import io

from rich.console import Console

from reelkit.kernel.demo import run_demo


async def test_demo_step_shows_every_locale_with_plural_forms(make_kernel, tmp_path):
    buf = io.StringIO()
    async with make_kernel(builtins=["language"]) as k:
        status = await run_demo(k, tmp_path / "demo", Console(file=buf, width=200))
    text = buf.getvalue()
    assert status == 0, text
    for expected in ("Deutsch", "日本語", "Загружен 1 плагин", "Загружено 5 плагинов", "3 extensions chargées"):
        assert expected in text
    assert "falls back to 'en': Try again" in text
