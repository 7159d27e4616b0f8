"""Plugins: metadata, dependency order, isolation (rule 4), settings enable/disable, own hooks, hot load."""

from __future__ import annotations

import pytest

from reelkit.kernel.errors import PluginDisabled, CommandNotFound, PluginFailed
from tests.kernel.plugins_for_tests import BrokenColours, DemoPlugin, EchoIn, HookOwner, Red, plugin


async def test_plugin_metadata_lists_what_it_provides(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        state = k.plugins.get("demo")
        assert state.version == "1.2.3" and state.summary == "Test plugin" and state.source == "explicit"
        assert "demo.echo" in state.commands and "Counter" in state.services
        assert "demo.greeting.sent" in state.events and "demo.always" in state.health_checks


async def test_plugins_set_up_in_dependency_order(make_kernel):
    order = []

    def rec(name):
        return lambda ctx: order.append(name)

    plugins = [plugin("c", setup=rec("c"), requires=["b"]), plugin("b", setup=rec("b"), requires=["a"]),
               plugin("a", setup=rec("a")), plugin("z", setup=rec("z"), after=["c"])]
    async with make_kernel(plugins=plugins):
        assert order == ["a", "b", "c", "z"]


async def test_missing_requirement_fails_only_the_dependent(make_kernel):
    async with make_kernel(plugins=[plugin("needs", requires=["ghost"]), DemoPlugin()]) as k:
        state = k.plugins.get("needs")
        assert state.state == "failed" and "requires plugin ghost, which is not installed" in state.error["message"]
        assert (await k.invoke("demo.echo", {"text": "still here"})).text == "still here"


async def test_a_plugin_raising_in_a_hook_is_disabled_and_the_kernel_serves_on(make_kernel, capsys):
    def bad_setup(ctx):
        ctx.add_commands(__import__("tests.kernel.plugins_for_tests", fromlist=["x"]).echo_other)
        raise RuntimeError("setup exploded")

    async def bad_start(ctx):
        raise OSError("start exploded")

    async with make_kernel(plugins=[plugin("s1", setup=bad_setup), plugin("s2", start=bad_start),
                                    DemoPlugin()]) as k:
        s1, s2 = k.plugins.get("s1"), k.plugins.get("s2")
        assert s1.state == "failed" and "setup exploded" in s1.error["message"]
        assert s2.state == "failed" and "start exploded" in s2.error["message"]
        assert "brokencolours.echo" not in k.commands  # what s1 added before raising is gone
        health = await k.invoke("kernel.health")
        assert health.state == "error"
        assert health.checks["plugin.s1"].state == "error" and health.plugins["demo"] == "active"
        assert (await k.invoke("demo.echo", {"text": "ok"})).text == "ok"
    assert "plugin disabled" in capsys.readouterr().err


async def test_disabled_in_settings_means_not_loaded(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()], settings={"plugins": {"disabled": ["demo"]}}) as k:
        assert k.plugins.get("demo").state == "disabled"
        assert "demo.echo" not in k.commands
        with pytest.raises(PluginDisabled) as e:
            await k.invoke("demo.echo", {"text": "x"})
        assert e.value.code == "plugin.disabled" and "disabled in settings" in e.value.message


async def test_commands_of_a_plugin_disabled_by_bad_settings_say_why(make_kernel):
    async with make_kernel(builtins=["media"], settings={"media": {"max_parallel": "lots"}}) as k:
        assert k.plugins.get("media").state == "failed"
        with pytest.raises(PluginDisabled) as e:
            await k.invoke("media.probe", {"path": "x.mp4"})
        assert "max_parallel" in e.value.message
        with pytest.raises(CommandNotFound):  # an unknown namespace is still not_found
            await k.invoke("nosuch.thing", {})


async def test_plugins_declare_hooks_for_others_and_failures_are_isolated(make_kernel):
    owner = HookOwner()
    async with make_kernel(plugins=[owner, Red(), BrokenColours()]) as k:
        assert "brokencolours.echo" in k.commands
        results = owner.ctx.call_hook("demo_colours")
        assert results == [["red"]]
        assert k.plugins.get("brokencolours").state == "failed"
        assert "brokencolours.echo" not in k.commands
        assert k.plugins.get("red").state == "active"


async def test_hot_register_and_unregister_leave_nothing_behind(make_kernel, events):
    async with make_kernel() as k:
        before_cmds = {s.id for s in k.commands.list()}
        before_subs = len(k.bus.subscriptions())
        seen = []

        def setup(ctx):
            ctx.add_commands(__import__("tests.kernel.plugins_for_tests", fromlist=["x"]).echo_other)
            ctx.subscribe("job.*", seen.append)
            ctx.add_health_check("hot", lambda: True)

        name = await k.plugins.register(plugin("brokencolours", setup=setup))
        assert (await k.invoke("brokencolours.echo", EchoIn(text="hot"))).text == "hot"
        assert "brokencolours.hot" in k.health_checks
        await k.plugins.unregister(name)
        assert {s.id for s in k.commands.list()} == before_cmds
        assert len(k.bus.subscriptions()) == before_subs
        assert "brokencolours.hot" not in k.health_checks
        assert name not in k.plugins


async def test_register_refuses_an_unmet_requirement(make_kernel):
    async with make_kernel() as k:
        with pytest.raises(PluginFailed):
            await k.plugins.register(plugin("lonely", requires=["nobody"]))


async def test_builtins_come_from_one_list():
    from reelkit.builtin_plugins import BUILTIN_PLUGINS

    assert "reelkit.builtin_plugins.media" in BUILTIN_PLUGINS and "reelkit.sandbox.plugin" in BUILTIN_PLUGINS
    assert len(set(BUILTIN_PLUGINS)) == len(BUILTIN_PLUGINS)


async def test_plugin_lifecycle_is_published_on_the_bus(make_kernel, events):
    async with make_kernel() as k:
        rec = events(k, "plugin.*")

        def bad_start_setup(ctx):
            ctx.add_service(int, lambda: 42)

        async def start(ctx):
            assert ctx.get(int) == 42  # a plugin reaches its own services from reelkit_start on

        name = await k.plugins.register(plugin("hot", setup=bad_start_setup, start=start))
        await k.plugins.unregister(name)
        with __import__("pytest").raises(Exception):
            await k.plugins.register(plugin("cold", requires=["nobody"]))
        await rec.wait_for("plugin.failed")
        assert rec.topics() == ["plugin.started", "plugin.stopped", "plugin.failed"]
        assert rec.events[0].plugin.name == "hot" and rec.events[2].plugin.error["code"] == "plugin.failed"
