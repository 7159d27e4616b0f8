"""The kernel's own commands (``kernel.*``): health, jobs, plugins, commands."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .commands import Input, Output, command
from .hookspecs import hookimpl
from .jobs import JobInfo, Jobs, JobState
from .plugins import PluginContext, PluginInfo, Plugins, PluginState

INFO = PluginInfo(name="kernel", version="0.1.0", summary="The kernel's own commands")


class HealthCheck(Output):
    state: Literal["ok", "warn", "error"] = Field(description="ok, warn or error")
    detail: str = Field("", description="What was checked, or what is wrong")


class HealthReport(Output):
    state: Literal["ok", "warn", "error"] = Field(description="The worst state of any check")
    checks: dict[str, HealthCheck] = Field(description="Each check by name (plugin.check)")
    plugins: dict[str, str] = Field(description="Each plugin's state: active, disabled or failed")


class JobsInput(Input):
    kind: str | None = Field(None, description="Only jobs of this kind")
    state: JobState | None = Field(None, description="Only jobs in this state")


class JobList(Output):
    jobs: list[JobInfo] = Field(description="The jobs, oldest first")


class JobIdInput(Input):
    job_id: str = Field(description="A job id from a job command's answer")


class JobWaitInput(Input):
    job_id: str = Field(description="A job id from a job command's answer")
    timeout: float | None = Field(None, gt=0, description="Seconds to wait at most")


class PluginList(Output):
    plugins: list[PluginState] = Field(description="Every plugin the kernel knows, with its state")


class CommandsInput(Input):
    prefix: str | None = Field(None, description="Only commands whose id starts with this")


class CommandInfo(Output):
    id: str = Field(description="Command id")
    summary: str = Field(description="What it does")
    capability: str = Field(description="The capability a caller needs")
    job: bool = Field(description="Whether it answers with a job id")
    plugin: str | None = Field(description="The plugin that provides it")
    input: dict[str, Any] = Field(description="JSON Schema of the input")
    output: dict[str, Any] = Field(description="JSON Schema of the output")
    result: dict[str, Any] | None = Field(None, description="JSON Schema of a job's result")


class CommandList(Output):
    commands: list[CommandInfo] = Field(description="Every command, sorted by id")


@command("kernel.health", summary="Overall state, each health check and each plugin's state")
async def health(_: Input, plugins: Plugins) -> HealthReport:
    kernel = plugins._kernel
    return HealthReport.model_validate(await kernel.health())


@command("kernel.jobs", summary="List jobs, optionally of one kind or state")
async def jobs(inp: JobsInput, jobs: Jobs) -> JobList:
    return JobList(jobs=jobs.list(kind=inp.kind, state=inp.state))


@command("kernel.job_status", summary="One job's state, progress and result or error")
async def job_status(inp: JobIdInput, jobs: Jobs) -> JobInfo:
    return jobs.get(inp.job_id)


@command("kernel.job_cancel", summary="Cancel a job (no effect on a finished one)")
async def job_cancel(inp: JobIdInput, jobs: Jobs) -> JobInfo:
    return jobs.cancel(inp.job_id)


@command("kernel.job_wait", summary="Wait for a job to finish and return its final state")
async def job_wait(inp: JobWaitInput, jobs: Jobs) -> JobInfo:
    import asyncio

    from .errors import Timeout

    try:
        return await jobs.wait(inp.job_id, inp.timeout)
    except (TimeoutError, asyncio.TimeoutError) as e:
        raise Timeout(f"job {inp.job_id} did not finish within {inp.timeout} s", details={"job_id": inp.job_id}) from e


@command("kernel.plugins", summary="Every plugin with its version, source, state and what it provides")
async def plugins_(_: Input, plugins: Plugins) -> PluginList:
    return PluginList(plugins=plugins.states())


@command("kernel.commands", summary="Every command with its input and output JSON Schemas")
async def commands_(inp: CommandsInput, plugins: Plugins) -> CommandList:
    specs = plugins._kernel.commands.list()
    return CommandList(commands=[CommandInfo.model_validate(s.describe()) for s in specs
                                 if inp.prefix is None or s.id.startswith(inp.prefix)])


@hookimpl
def reelkit_setup(ctx: PluginContext) -> None:
    ctx.add_commands(health, jobs, job_status, job_cancel, job_wait, plugins_, commands_)
