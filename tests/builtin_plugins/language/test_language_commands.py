"""The language plugin through the kernel: commands, persistence across restarts, catalogs from other plugins."""

import json
import types

import pytest

from reelkit.sdk import KernelError, PluginInfo, hookimpl


def catalog_plugin(name: str, catalogs=None, *, fail: bool = False):
    """A small plugin (a namespace of hook implementations) contributing a catalog."""

    @hookimpl
    def reelkit_plugin_info():
        return PluginInfo(name=name)

    @hookimpl
    def reelkit_language_catalogs():
        if fail:
            raise RuntimeError("catalog exploded")
        return catalogs

    return types.SimpleNamespace(
        __name__=name, reelkit_plugin_info=reelkit_plugin_info, reelkit_language_catalogs=reelkit_language_catalogs
    )


async def test_get_set_list_translate(make_kernel, events):
    async with make_kernel(builtins=["language"]) as k:
        rec = events(k, "language.*")
        assert (await k.invoke("language.get", {})).locale == "en"
        listing = await k.invoke("language.list", {})
        assert [(l.locale, l.native_name) for l in listing.locales] == [
            ("de", "Deutsch"), ("en", "English"), ("fr", "français"), ("ja", "日本語"), ("ru", "русский"),
        ]
        state = await k.invoke("language.set", {"locale": "ru-RU"})
        assert (state.locale, state.has_catalog, state.fallback) == ("ru_RU", True, ["ru_RU", "ru", "en"])
        [changed] = await rec.wait_for("language.locale.changed")
        assert (changed.previous, changed.locale) == ("en", "ru_RU")
        t = await k.invoke("language.translate", {"key": "kernel.plugins.loaded", "params": {"count": 5}})
        assert (t.text, t.locale) == ("Загружено 5 плагинов", "ru")
        t = await k.invoke("language.translate", {"key": "job.eta", "params": {"count": 2}, "locale": "ja"})
        assert t.text == "残り 2 秒"


async def test_locale_survives_a_restart(make_kernel, tmp_path):
    async with make_kernel(builtins=["language"]) as k:
        await k.invoke("language.set", {"locale": "fr"})
    assert json.loads((tmp_path / "config" / "language.json").read_text()) == {"locale": "fr"}
    async with make_kernel(builtins=["language"]) as k:
        assert (await k.invoke("language.get", {})).locale == "fr"
        assert (await k.invoke("language.translate", {"key": "common.cancel"})).text == "Annuler"


async def test_bad_input_codes(make_kernel):
    async with make_kernel(builtins=["language"]) as k:
        for command, payload, code in [
            ("language.set", {"locale": "zz-not-a-locale"}, "language.locale_unknown"),
            ("language.set", {}, "input.invalid"),
            ("language.translate", {"key": "filesystem.files", "params": {"count": "lots"}}, "input.invalid"),
            ("language.translate", {"key": "x", "locale": "qqq"}, "language.locale_unknown"),
        ]:
            with pytest.raises(KernelError) as e:
                await k.invoke(command, payload)
            assert e.value.code == code, (command, e.value)
        assert (await k.invoke("language.get", {})).locale == "en"


async def test_default_locale_from_settings(make_kernel):
    async with make_kernel(builtins=["language"], settings={"language": {"default_locale": "de-DE"}}) as k:
        state = await k.invoke("language.get", {})
        assert state.locale == "de_DE" and state.native_name == "Deutsch (Deutschland)"
        assert (await k.invoke("language.translate", {"key": "common.retry"})).text == "Erneut versuchen"


async def test_catalogs_from_other_plugins_and_a_failing_one(make_kernel):
    good = catalog_plugin("greeter", {"en": {"greeter.hi": "Hi {name}"}, "de": {"greeter.hi": "Hallo {name}"}})
    bad = catalog_plugin("broken_catalog", fail=True)
    async with make_kernel(builtins=["language"], plugins=[good, bad]) as k:
        t = await k.invoke("language.translate", {"key": "greeter.hi", "params": {"name": "Ada"}, "locale": "de_AT"})
        assert (t.text, t.locale) == ("Hallo Ada", "de")
        states = {p.name: p for p in k.plugins.states()}
        assert states["broken_catalog"].state == "failed"
        assert "catalog exploded" in states["broken_catalog"].error["message"]
        assert states["language"].state == "active" and states["greeter"].state == "active"
        health = await k.health()
        assert health["checks"]["language.catalogs"]["state"] == "ok"


async def test_health_warns_when_the_locale_has_no_translations(make_kernel):
    async with make_kernel(builtins=["language"]) as k:
        await k.invoke("language.set", {"locale": "es"})
        check = (await k.health())["checks"]["language.catalogs"]
        assert check["state"] == "warn" and "es" in check["detail"]
        assert (await k.invoke("language.translate", {"key": "common.ok"})).locale == "en"


async def test_reload_picks_up_a_plugin_registered_at_runtime(make_kernel):
    async with make_kernel(builtins=["language"]) as k:
        late = catalog_plugin("late", {"es": {"late.hi": "Hola"}})
        await k.plugins.register(late)
        listing = await k.invoke("language.reload", {})
        assert "es" in [l.locale for l in listing.locales]
        assert (await k.invoke("language.translate", {"key": "late.hi", "locale": "es_MX"})).text == "Hola"
        await k.plugins.unregister("late")
        await k.invoke("language.reload", {})
        assert (await k.invoke("language.translate", {"key": "late.hi", "locale": "es"})).found is False
