"""Telemetry: a span and metrics per command and job; JSON logs carrying trace ids; health."""

from __future__ import annotations

import json

import pytest

from reelkit.kernel.errors import CommandFailed
from tests.kernel.plugins_for_tests import DemoPlugin

MEMORY = {"telemetry": {"exporter": "memory", "log_level": "info"}}


async def test_commands_and_jobs_get_spans_and_metrics(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()], settings=MEMORY) as k:
        await k.invoke("demo.echo", {"text": "a"})
        await k.invoke("demo.echo", {"text": "b"})
        with pytest.raises(CommandFailed):
            await k.invoke("demo.boom")
        ref = await k.invoke("demo.count", {"text": "x", "times": 2})
        await k.wait(ref)
        names = [s.name for s in k.telemetry.span_exporter.get_finished_spans()]
        assert names.count("command demo.echo") == 2
        assert "command demo.boom" in names and "job demo.count" in names
        boom = next(s for s in k.telemetry.span_exporter.get_finished_spans() if s.name == "command demo.boom")
        assert boom.attributes["error.code"] == "command.failed"
        m = k.telemetry.metrics()
        assert m["reelkit.command.calls"] >= 4 and m["reelkit.command.errors"] == 1
        assert m["reelkit.command.duration"] > 0 and m["reelkit.job.runs"] == 1
        assert k.telemetry.command_stats["demo.echo"][0] == 2


async def test_telemetry_off_adds_no_layer(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        assert not k.telemetry.enabled and k.telemetry.metrics() == {}
        assert len(k._layers) == 3  # errors, permission, validation


async def test_logs_are_json_and_carry_trace_ids(make_kernel, capsys):
    import structlog

    async with make_kernel(plugins=[DemoPlugin()], settings=MEMORY) as k:
        with k.telemetry.span("outer"):
            structlog.get_logger("test").info("inside a span", answer=42)
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    line = next(x for x in lines if x["event"] == "inside a span")
    assert line["answer"] == 42 and len(line["trace_id"]) == 32 and len(line["span_id"]) == 16


async def test_health_aggregates_plugin_checks(make_kernel):
    async with make_kernel(plugins=[DemoPlugin()]) as k:
        k.health_checks["demo.warny"] = lambda: ("warn", "disk almost full")
        report = await k.invoke("kernel.health")
        assert report.checks["demo.always"].detail == "fine"
        assert report.state == "warn" and report.checks["demo.warny"].detail == "disk almost full"

        def broken():
            raise RuntimeError("probe crashed")

        k.health_checks["demo.broken"] = broken
        report = await k.invoke("kernel.health")
        assert report.state == "error" and "probe crashed" in report.checks["demo.broken"].detail
