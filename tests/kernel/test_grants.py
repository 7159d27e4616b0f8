"""The one grant matcher: globs, exclusions that cover a whole namespace, and chains that only narrow."""

from __future__ import annotations

import pytest

from reelkit.kernel.errors import CallDepthExceeded, PermissionDenied
from reelkit.kernel.grants import Grants
from reelkit.sdk import CallContext, Input, Invoker, Output, command, hookimpl


def test_a_glob_matches_a_capability_or_an_id_and_an_exclusion_wins():
    g = Grants.of(["*", "!security.secret_read"])
    assert g.allows("media", "media.probe")
    assert not g.allows("security.secret_read", "security.secret_get")
    assert Grants.of(["media"]).allows("media", "media.probe")
    assert not Grants.of(["media"]).allows("compiler", "compiler.render")


def test_an_exclusion_covers_everything_below_it():
    g = Grants.of(["*", "!security"])
    assert not g.allows("security.secret_read", "security.secret_get")
    assert not g.allows_topic("security.vault.opened")
    assert g.allows_topic("media.thumbnail.created")
    assert g.allows("securityx", "securityx.run")  # dot boundaries, not string prefixes


def test_a_namespace_grant_does_not_cover_a_narrower_capability():
    assert not Grants.of(["security"]).allows("security.secret_read", "security.secret_get")


def test_a_chain_allows_only_what_every_level_allows():
    outer = Grants.of(["*", "!security.secret_read"])
    inner = outer.narrow(["*"]).narrow(["plugin", "security"])
    assert inner.allows("plugin", "plugin.call")
    assert not inner.allows("security.secret_read", "security.secret_get")
    assert not inner.allows("media", "media.probe")
    assert Grants.ALL.narrow(["media"]) == Grants.of(["media"])
    assert outer.narrow(None) is outer


class Hop(Input):
    times: int = 0
    grants: list[str] | None = None


class HopOut(Output):
    text: str


@command("chain.hop", summary="Calls itself `times` more times, narrowing to `grants`, then reads a secret")
async def hop(inp: Hop, invoker: Invoker) -> HopOut:
    if inp.times:
        return await invoker.invoke("chain.hop", {"times": inp.times - 1}, grants=inp.grants)
    return await invoker.invoke("chain.secret", {})


@command("chain.secret", summary="Needs the secret capability", capability="chain.secret_read")
async def secret(_: Input, call: CallContext) -> HopOut:
    return HopOut(text=f"secret at depth {call.depth}")


class ChainPlugin:
    @hookimpl
    def reelkit_setup(self, ctx):
        ctx.add_commands(hop, secret)


async def test_nested_calls_cannot_launder_grants(make_kernel):
    async with make_kernel(plugins=[ChainPlugin()]) as k:
        # two hops, the inner one asking for everything again: the outer caller's exclusion still holds
        with pytest.raises(PermissionDenied):
            await k.invoke("chain.hop", {"times": 2, "grants": ["*"]}, grants=["chain", "!chain.secret_read"])
        out = await k.invoke("chain.hop", {"times": 2}, grants=["chain", "chain.secret_read"])
        assert out.text == "secret at depth 3"


async def test_self_recursion_ends_at_the_depth_limit(make_kernel):
    async with make_kernel(plugins=[ChainPlugin()], settings={"kernel": {"max_call_depth": 5}}) as k:
        with pytest.raises(CallDepthExceeded) as e:
            await k.invoke("chain.hop", {"times": 50})
        assert e.value.code == "command.depth_exceeded"
