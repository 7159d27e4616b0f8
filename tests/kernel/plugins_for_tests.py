"""Small plugins the kernel tests boot: each shows one part of the plugin contract."""

from __future__ import annotations

import asyncio
import threading
import time

from reelkit.sdk import (
    CallContext,
    CancelToken,
    Event,
    Field,
    Input,
    Invoker,
    JobContext,
    KernelError,
    Output,
    PluginInfo,
    ProgressEvent,
    SettingsSection,
    command,
    hookimpl,
    hookspec,
)


class EchoIn(Input):
    text: str = Field(description="What to echo")
    times: int = Field(1, ge=1, le=10, description="How many times")


class EchoOut(Output):
    text: str = Field(description="The echo")


class Greeted(Event, topic="demo.greeting.sent"):
    text: str


class Ticked(ProgressEvent, topic="demo.tick.progressed"):
    job_id: str
    n: int


class Counter:
    """A kernel-lifetime service."""

    def __init__(self) -> None:
        self.calls = 0


class Scratch:
    """An invocation-lifetime service: one per call, closed after it."""

    made = 0
    closed = 0

    def __init__(self) -> None:
        Scratch.made += 1


def scratch_factory():  # noqa: ANN201 - a generator factory: cleanup after the yield
    s = Scratch()
    yield s
    Scratch.closed += 1


class DemoSettings(SettingsSection, section="demo"):
    greeting: str = Field("hello", description="Word used by demo.greet")
    limit: int = Field(3, ge=1, le=100, description="A bounded number")


@command("demo.echo", summary="Echo the text")
async def echo(inp: EchoIn, counter: Counter) -> EchoOut:
    counter.calls += 1
    return EchoOut(text=" ".join([inp.text] * inp.times))


@command("demo.greet", summary="Greet and publish an event")
async def greet(inp: EchoIn, settings: DemoSettings, inv: Invoker) -> EchoOut:
    out = await inv.invoke("demo.echo", {"text": f"{settings.greeting} {inp.text}"})
    return out


@command("demo.publish", summary="Publish a Greeted event")
async def publish(inp: EchoIn, bus: "BusT") -> EchoOut:
    bus.publish(Greeted(text=inp.text))
    return EchoOut(text=inp.text)


@command("demo.thread_name", summary="Sync handler: returns the thread it ran on")
def thread_name(_: Input) -> EchoOut:
    return EchoOut(text=threading.current_thread().name)


@command("demo.wait_cancel", summary="Sync handler that waits until cancelled")
def wait_cancel(_: Input, cancel: CancelToken) -> EchoOut:
    WAITERS["sync_started"].set()
    got = cancel.wait(10)
    WAITERS["sync_result"] = got
    return EchoOut(text=str(got))


@command("demo.sleep", summary="Async handler that sleeps (to be cancelled)")
async def sleep(_: Input) -> EchoOut:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        WAITERS["async_cancelled"] = True
        raise
    return EchoOut(text="slept")


@command("demo.scratch", summary="Uses an invocation-lifetime service")
async def scratch(_: Input, s: Scratch) -> EchoOut:
    return EchoOut(text=str(id(s)))


@command("demo.boom", summary="Raises an unexpected error")
async def boom(_: Input) -> EchoOut:
    raise ZeroDivisionError("division by zero in the handler")


@command("demo.bad_output", summary="Returns a result that does not fit its model")
async def bad_output(_: Input) -> EchoOut:
    return {"nope": 1}  # type: ignore[return-value]


@command("demo.caller", summary="Reports its caller's grants")
async def caller(_: Input, call: CallContext) -> EchoOut:
    return EchoOut(text=";".join(",".join(level) for level in call.grants.as_lists()))


@command("demo.secret", summary="Needs a narrower capability", capability="demo.secret_read")
async def secret(_: Input) -> EchoOut:
    return EchoOut(text="s3cret")


@command("demo.count", summary="A job that counts with progress", job=True)
async def count(inp: EchoIn, job: JobContext, bus: "BusT") -> EchoOut:
    for i in range(inp.times):
        job.progress((i + 1) / inp.times, stage="count", message=f"{i + 1}/{inp.times}")
        bus.publish(Ticked(job_id=job.job_id, n=i))
        await asyncio.sleep(0.01)
    return EchoOut(text=f"counted {inp.times}")


@command("demo.stuck", summary="A job that runs until cancelled", job=True)
async def stuck(_: Input, job: JobContext) -> EchoOut:
    job.on_cancel(lambda: WAITERS.__setitem__("on_cancel_ran", True))
    job.progress(0.1, stage="waiting")
    await asyncio.sleep(30)
    return EchoOut(text="never")


@command("demo.fail_job", summary="A job that fails", job=True)
async def fail_job(_: Input) -> EchoOut:
    raise KernelError("the job went wrong on purpose", code="demo.broken")


@command("demo.sync_job", summary="A sync job polling for cancel", job=True)
def sync_job(_: Input, job: JobContext) -> EchoOut:
    while not job.cancelled:
        time.sleep(0.005)
    WAITERS["sync_job_saw_cancel"] = True
    return EchoOut(text="stopped")


WAITERS: dict = {}

from reelkit.kernel.events import Bus as BusT  # noqa: E402  (forward reference used above)


class DemoPlugin:
    """The main test plugin."""

    @hookimpl
    def reelkit_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="demo", version="1.2.3", summary="Test plugin")

    @hookimpl
    def reelkit_setup(self, ctx) -> None:  # noqa: ANN001
        ctx.add_settings(DemoSettings)
        ctx.add_service(Counter, Counter)
        ctx.add_service(Scratch, scratch_factory, lifetime="invocation")
        ctx.add_events(Greeted, Ticked)
        ctx.add_commands(echo, greet, publish, thread_name, wait_cancel, sleep, scratch, boom, bad_output,
                         caller, secret, count, stuck, fail_job, sync_job)
        ctx.add_health_check("always", lambda: ("ok", "fine"))


class Hooks:
    """Hookspecs another plugin may implement (declared through reelkit_addhooks)."""

    @hookspec
    def demo_colours(self) -> list[str]:  # type: ignore[empty-body]
        """Colours this plugin contributes."""


class HookOwner:
    @hookimpl
    def reelkit_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="palette")

    @hookimpl
    def reelkit_addhooks(self, pluginmanager) -> None:  # noqa: ANN001
        pluginmanager.add_hookspecs(Hooks)

    @hookimpl
    def reelkit_setup(self, ctx) -> None:  # noqa: ANN001
        self.ctx = ctx


class Red:
    @hookimpl
    def reelkit_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="red")

    @hookimpl
    def demo_colours(self) -> list[str]:
        return ["red"]


class BrokenColours:
    @hookimpl
    def reelkit_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="brokencolours")

    @hookimpl
    def demo_colours(self) -> list[str]:
        raise RuntimeError("no colours today")

    @hookimpl
    def reelkit_setup(self, ctx) -> None:  # noqa: ANN001
        ctx.add_commands(echo_other)


@command("brokencolours.echo")
async def echo_other(inp: EchoIn) -> EchoOut:
    return EchoOut(text=inp.text)


def plugin(name: str, *, requires=(), setup=None, start=None, stop=None, after=()):  # noqa: ANN001, ANN201
    """A plugin object built on the fly."""

    class P:
        @hookimpl
        def reelkit_plugin_info(self) -> PluginInfo:
            return PluginInfo(name=name, requires=list(requires), after=list(after))

        if setup is not None:
            @hookimpl
            def reelkit_setup(self, ctx) -> None:  # noqa: ANN001
                setup(ctx)

        if start is not None:
            @hookimpl
            async def reelkit_start(self, ctx) -> None:  # noqa: ANN001
                await start(ctx)

        if stop is not None:
            @hookimpl
            async def reelkit_stop(self, ctx) -> None:  # noqa: ANN001
                await stop(ctx)

    P.__name__ = name
    return P()
