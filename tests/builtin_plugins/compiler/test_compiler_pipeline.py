"""The stage pipeline: order, before/after/wrap extensions, errors naming the stages."""

from __future__ import annotations

import asyncio

import pytest

from reelkit.builtin_plugins.compiler.pipeline import Pipeline, StageExtension


def make(log):
    def stage(name):
        async def run(state):
            log.append(name)
        return run

    return Pipeline([(n, stage(n)) for n in ("validate", "probe", "plan", "encode", "finalize")]), stage


def test_extensions_insert_and_wrap_in_place():
    log: list[str] = []
    p, stage = make(log)

    async def around(state, inner):
        log.append("<")
        await inner(state)
        log.append(">")

    p.extend(StageExtension("plan", stage("lint"), when="before", name="lint"))
    p.extend(StageExtension("finalize", stage("upload"), when="after", name="upload"))
    p.extend(StageExtension("encode", around, when="wrap"))
    timings: list[str] = []
    asyncio.run(p.run(object(), on_stage=lambda name, secs: timings.append(name)))
    assert log == ["validate", "probe", "lint", "plan", "<", "encode", ">", "finalize", "upload"]
    assert timings == ["validate", "probe", "lint", "plan", "encode", "finalize", "upload"]


def test_unknown_stage_names_the_known_ones():
    p, stage = make([])
    with pytest.raises(ValueError, match="validate, probe, plan, encode, finalize"):
        p.extend(StageExtension("render", stage("x")))


def test_a_failing_stage_stops_the_pipeline():
    log: list[str] = []
    p, stage = make(log)

    async def boom(state):
        raise RuntimeError("no")

    p.extend(StageExtension("probe", boom, when="after", name="boom"))
    with pytest.raises(RuntimeError):
        asyncio.run(p.run(object()))
    assert log == ["validate", "probe"]
