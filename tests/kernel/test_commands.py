"""Commands: dispatch, injection, validation, permissions, errors, cancellation, schemas, disposal."""

from __future__ import annotations

import asyncio

import pytest

from reelkit.kernel.errors import CommandFailed, CommandNotFound, InputInvalid, PermissionDenied
from tests.kernel.plugins_for_tests import WAITERS, DemoPlugin, EchoOut, Scratch


async def test_async_handler_gets_validated_input_and_injected_service(make_kernel):
    """A dict payload is validated into the input model; the Counter service is injected by type."""
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        out = await k.invoke("demo.echo", {"text": "hi", "times": 2})
        assert out == EchoOut(text="hi hi")
        counter = k.services.instances[__import__("tests.kernel.plugins_for_tests", fromlist=["Counter"]).Counter]
        assert counter.calls == 1


async def test_sync_handler_runs_in_a_worker_thread(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        out = await k.invoke("demo.thread_name")
        assert out.text.startswith("reelkit")


async def test_unknown_command_suggests_near_matches(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        with pytest.raises(CommandNotFound) as e:
            await k.invoke("demo.ecko", {})
        assert e.value.code == "command.not_found"
        assert "demo.echo" in e.value.details["near"]
        assert "did you mean demo.echo" in e.value.message


async def test_invalid_input_lists_every_failing_field(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        with pytest.raises(InputInvalid) as e:
            await k.invoke("demo.echo", {"times": 99, "colour": "red"})
        paths = {err["path"] for err in e.value.details["errors"]}
        assert paths == {"text", "times", "colour"}
        assert e.value.code == "input.invalid"


async def test_grants_are_matched_against_capability_or_id(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        assert (await k.invoke("demo.echo", {"text": "a"}, grants=["demo"])).text == "a"
        assert (await k.invoke("demo.echo", {"text": "a"}, grants=["demo.echo"])).text == "a"
        with pytest.raises(PermissionDenied) as e:
            await k.invoke("demo.echo", {"text": "a"}, grants=["media", "compiler.*"])
        assert e.value.code == "permission.denied" and "capability 'demo'" in e.value.message
        # a narrower capability is not covered by the namespace grant
        with pytest.raises(PermissionDenied):
            await k.invoke("demo.secret", {}, grants=["demo"])
        assert (await k.invoke("demo.secret", {}, grants=["demo.secret_read"])).text == "s3cret"
        # exclusions: everything but the narrower capability
        assert (await k.invoke("demo.echo", {"text": "a"}, grants=["*", "!demo.secret_read"])).text == "a"
        with pytest.raises(PermissionDenied):
            await k.invoke("demo.secret", {}, grants=["*", "!demo.secret_read"])


async def test_nested_call_inherits_and_cannot_widen_grants(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        # demo.greet calls demo.echo through the Invoker: allowed under grant "demo"
        assert (await k.invoke("demo.greet", {"text": "Ada"}, grants=["demo"])).text == "hello Ada"
        # a caller granted only demo.greet cannot reach demo.echo through it
        with pytest.raises(PermissionDenied):
            await k.invoke("demo.greet", {"text": "Ada"}, grants=["demo.greet"])


async def test_unexpected_exception_becomes_command_failed(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        with pytest.raises(CommandFailed) as e:
            await k.invoke("demo.boom")
        assert "demo.boom failed: ZeroDivisionError" in e.value.message
        assert isinstance(e.value.__cause__, ZeroDivisionError)
        with pytest.raises(CommandFailed):
            await k.invoke("demo.bad_output")


async def test_cancelling_the_caller_cancels_an_async_handler(make_kernel):
    WAITERS.clear()
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        task = asyncio.create_task(k.invoke("demo.sleep"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert WAITERS["async_cancelled"] is True


async def test_cancelling_the_caller_sets_a_sync_handlers_cancel_token(make_kernel):
    import threading

    WAITERS.clear()
    WAITERS["sync_started"] = threading.Event()
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        task = asyncio.create_task(k.invoke("demo.wait_cancel"))
        await asyncio.to_thread(WAITERS["sync_started"].wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(200):
            if "sync_result" in WAITERS:
                break
            await asyncio.sleep(0.01)
        assert WAITERS["sync_result"] is True


async def test_invocation_services_are_made_per_call_and_closed(make_kernel):
    Scratch.made = Scratch.closed = 0
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        a = await k.invoke("demo.scratch")
        b = await k.invoke("demo.scratch")
        assert Scratch.made == 2 and Scratch.closed == 2
        assert a.text != b.text or Scratch.made == 2


async def test_schemas_are_exported_for_input_and_output(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        spec = k.commands.get("demo.echo")
        schema = spec.input_schema()
        assert schema["properties"]["text"]["description"] == "What to echo"
        assert schema["additionalProperties"] is False
        assert spec.output_schema()["properties"]["text"]["type"] == "string"
        job = k.commands.get("demo.count").describe()
        assert job["output"]["properties"].keys() == {"job_id", "kind"}
        assert "text" in job["result"]["properties"]


async def test_unloading_a_plugin_removes_exactly_its_commands(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        before = {s.id for s in k.commands.list()}
        await k.plugins.unregister("demo")
        after = {s.id for s in k.commands.list()}
        assert {x for x in before if x.startswith("demo.")} and not {x for x in after if x.startswith("demo.")}
        assert {x for x in before if x.startswith("kernel.")} == {x for x in after if x.startswith("kernel.")}
        with pytest.raises(CommandNotFound):
            await k.invoke("demo.echo", {"text": "x"})
