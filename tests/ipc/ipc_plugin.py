"""A plugin the IPC integration tests boot in a real kernel: plain calls, a job with progress, a secret."""

from __future__ import annotations

import asyncio

from reelkit.sdk import Event, Field, Input, JobContext, Output, PluginInfo, command, hookimpl


class AddIn(Input):
    a: float = Field(description="First addend")
    b: float = Field(0, description="Second addend")


class AddOut(Output):
    total: float = Field(description="a + b")


class NoteIn(Input):
    text: str = Field(description="What to post")
    tags: list[str] = Field(default_factory=list, description="Labels")


class NoteOut(Output):
    posted: bool = Field(description="Always true")


class NotePosted(Event, topic="ipcdemo.note.posted"):
    text: str
    tags: list[str] = []


class CountIn(Input):
    steps: int = Field(10, ge=1, le=100_000, description="How many steps")
    delay: float = Field(0.01, ge=0, le=1, description="Seconds per step")


class CountOut(Output):
    counted: int = Field(description="Steps done")


class SecretIn(Input):
    name: str = Field(description="Secret name")


class SecretOut(Output):
    value: str = Field(description="The secret")


STATE: dict = {}


@command("ipcdemo.add_numbers", summary="Add two numbers")
async def add_numbers(inp: AddIn) -> AddOut:
    return AddOut(total=inp.a + inp.b)


@command("ipcdemo.post_note", summary="Publish a note event")
async def post_note(inp: NoteIn, bus: "Bus") -> NoteOut:
    bus.publish(NotePosted(text=inp.text, tags=inp.tags))
    return NoteOut(posted=True)


@command("ipcdemo.count_up", summary="Count with progress (a job)", job=True)
async def count_up(inp: CountIn, job: JobContext) -> CountOut:
    STATE["started"] = STATE.get("started", 0) + 1
    for i in range(inp.steps):
        job.raise_if_cancelled()
        job.progress((i + 1) / inp.steps, stage="count", message=f"{i + 1}/{inp.steps}")
        await asyncio.sleep(inp.delay)
    return CountOut(counted=inp.steps)


@command("vault.secret_get", summary="Read a secret", capability="vault.secret_get")
async def secret_get(inp: SecretIn) -> SecretOut:
    return SecretOut(value=f"secret-of-{inp.name}")


from reelkit.kernel.events import Bus  # noqa: E402  (forward reference above)


class IpcDemoPlugin:
    @hookimpl
    def reelkit_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="ipcdemo", version="0.1.0", summary="IPC test plugin")

    @hookimpl
    def reelkit_setup(self, ctx) -> None:  # noqa: ANN001
        ctx.add_events(NotePosted)
        ctx.add_commands(add_numbers, post_note, count_up, secret_get)


PLUGIN = IpcDemoPlugin()
