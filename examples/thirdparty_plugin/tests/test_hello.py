"""How a plugin author tests a plugin: reelkit's pytest plugin gives `make_kernel` and `events`.

    pip install -e examples/thirdparty_plugin && pytest examples/thirdparty_plugin/tests
"""

import pytest

import reelkit_example_plugin
from reelkit.sdk import KernelError


async def test_greets_in_the_apps_language(make_kernel, events):
    async with make_kernel(builtins=["language"], plugins=[reelkit_example_plugin]) as k:
        rec = events(k, "hello.*")
        assert (await k.invoke("hello.greet", {"name": "Ada"})).greeting == "Hello, Ada!"
        await k.invoke("language.set", {"locale": "fr"})
        out = await k.invoke("hello.greet", {"name": "Ada"})
        assert (out.greeting, out.locale_changes_seen) == ("Bonjour, Ada !", ["fr"])
        greeted = await rec.wait_for("hello.greeted", count=2)
        assert [e.name for e in greeted] == ["Ada", "Ada"]


async def test_an_empty_name_is_invalid_input(make_kernel):
    async with make_kernel(builtins=["language"], plugins=[reelkit_example_plugin]) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("hello.greet", {"name": ""})
        assert e.value.code == "input.invalid"


async def test_without_the_language_plugin_it_is_reported_failed(make_kernel):
    async with make_kernel(builtins=[], plugins=[reelkit_example_plugin]) as k:
        [state] = [p for p in k.plugins.states() if p.name == "hello"]
        assert state.state == "failed" and "language" in state.error["message"]
