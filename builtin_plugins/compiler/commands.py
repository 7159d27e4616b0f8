"""Command handlers of the compiler."""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

from reelkit.sdk import Bus, Cluster, Invoker, JobContext, Paths, Telemetry, command

from . import api
from .events import RenderCompleted, RenderProgressed, StageCompleted
from .service import CompilerService

# planning and running modules (ffmpeg-python, the executor) load on first use, not at kernel boot


async def run_render(svc: CompilerService, document: Any, output: str, *, invoker: Any = None,
                     job: JobContext | None = None, bus: Bus | None = None, telemetry: Telemetry | None = None,
                     preview: dict[str, Any] | None = None, overwrite: bool = True,
                     cluster: Cluster | None = None) -> api.RenderResult:
    """Run the whole pipeline for one render (the body of ``compiler.render``); with a cluster the
    encode stage spreads segments over its workers (:mod:`.distributed`)."""
    from .render import RenderState, cleanup
    await svc.locate(invoker)
    job_id = job.job_id if job else ""
    stage = ["validate"]

    def on_progress(p: Any) -> None:
        msg = f"frame {p.frame}, {p.fps:.0f} fps, {p.speed or 0:.2f}x"
        if job is not None:
            job.progress(p.fraction, stage="encode", message=msg, eta=p.eta)
        if bus is not None:
            bus.publish(RenderProgressed(job_id=job_id, fraction=p.fraction, stage="encode", frame=p.frame, fps=p.fps,
                                         speed=p.speed, out_time=p.out_time, eta=p.eta))

    def on_process(run: Any) -> None:
        if job is not None:
            job.on_cancel(run.cancel)

    def on_stage(name: str, seconds: float) -> None:
        st.stats.setdefault("stages", {})[name] = round(seconds, 4)
        if bus is not None:
            bus.publish(StageCompleted(job_id=job_id, stage=name, seconds=seconds))
        if job is not None:
            job.raise_if_cancelled()
            if name == "plan":  # the first progress: encoding begins now
                job.progress(0.0, stage="encode", message="starting FFmpeg")
                if bus is not None:
                    bus.publish(RenderProgressed(job_id=job_id, fraction=0.0, stage="encode"))
        stage[0] = name

    st = RenderState(document, output, svc, invoker, on_progress, on_process, preview, overwrite)
    pipeline = svc.pipeline()
    if cluster is not None and cluster.enabled and preview is None:
        from .distributed import encode_stage
        from .pipeline import StageExtension

        st.extra["cluster"] = cluster
        pipeline.extend(StageExtension("encode", encode_stage, when="wrap"))
    t0 = time.perf_counter()
    span = telemetry.span if telemetry is not None else None
    try:
        await pipeline.run(st, span, on_stage)
    finally:
        cleanup(st)
    wall = time.perf_counter() - t0
    if bus is not None:
        bus.publish(RenderCompleted(job_id=job_id, output=os.path.abspath(output), seconds=wall))
    s = st.stats
    return api.RenderResult(output=s["output"], duration=s["duration"], frames=s.get("frames") or 0, bytes=s["bytes"],
                            encoder=s["encoder"], fallback_from=s.get("fallback_from"),
                            sidecar=s["output"] + ".render.json", stats=s)


@command("compiler.validate", summary="Check a project; report every problem with its path")
async def validate(inp: api.ProjectInput, svc: CompilerService, inv: Invoker) -> api.ValidateResult:
    from .errors import ProjectInvalid
    from .render import load_document
    from .timeline import resolve

    try:
        project = load_document(inp.project)
    except ProjectInvalid as e:
        return api.ValidateResult(valid=False, problems=e.details.get("problems", []))
    probe = await svc.prober(project, inv)
    tl, problems = resolve(project, probe, svc.catalog())
    problems += await _subtitle_problems(project, inv)
    return api.ValidateResult(valid=not problems, problems=[p.as_dict() for p in problems],
                              duration=tl.seconds(tl.frames) if not problems else None,
                              frames=tl.frames if not problems else None)


async def _subtitle_problems(project: Any, inv: Invoker) -> list[Any]:
    from reelkit.sdk import CommandNotFound, KernelError

    from .timeline import Problem

    out = []
    for ti, t in enumerate(project.tracks):
        if t.kind == "subtitle" and t.source and os.path.isfile(t.source):
            try:
                r = await inv.invoke("subtitles.validate", {"path": t.source})
            except CommandNotFound:
                out.append(Problem(f"tracks[{ti}]", "subtitle tracks need the subtitles plugin, which is not loaded",
                                   "unavailable"))
                continue
            except KernelError as e:
                out.append(Problem(f"tracks[{ti}].source", e.message, "subtitles"))
                continue
            out += [Problem(f"tracks[{ti}].source", f"cue {i.cue}: {i.message}", "subtitles")
                    for i in r.issues if i.severity == "error"]
    return out


@command("compiler.render", summary="Render a project to a video file", job=True)
async def render(inp: api.RenderInput, svc: CompilerService, job: JobContext, inv: Invoker, bus: Bus,
                 telemetry: Telemetry, cluster: Cluster) -> api.RenderResult:
    return await run_render(svc, inp.project, inp.output, invoker=inv, job=job, bus=bus, telemetry=telemetry,
                            overwrite=inp.overwrite, cluster=cluster)


@command("compiler.preview_render", summary="A fast low-resolution render of a range", job=True)
async def preview_render(inp: api.PreviewRenderInput, svc: CompilerService, job: JobContext, inv: Invoker, bus: Bus,
                         telemetry: Telemetry) -> api.RenderResult:
    preview = {"height": inp.height, "start": inp.start, "end": inp.end}
    return await run_render(svc, inp.project, inp.output, invoker=inv, job=job, bus=bus, telemetry=telemetry,
                            preview=preview)


@command("compiler.preview_frame", summary="The composed timeline at a time, as a PNG (cached)")
async def preview_frame(inp: api.PreviewFrameInput, svc: CompilerService, inv: Invoker) -> api.PreviewFrameResult:
    from .preview import preview_frame as make

    await svc.locate(inv)
    return await make(svc, inp, inv)


@command("compiler.build_command", summary="The FFmpeg command and filter graph for a project, without running it")
async def build_command(inp: api.BuildCommandInput, svc: CompilerService, inv: Invoker) -> api.BuildCommandResult:
    from .encoders import container_for, output_plan
    from .planner import PlanOptions, plan
    from .render import load_document, raise_problems
    from .timeline import resolve

    exe = await svc.locate(inv)
    project = load_document(inp.project)
    probe = await svc.prober(project, inv)
    tl, problems = resolve(project, probe, svc.catalog())
    raise_problems(problems)
    workdir = tempfile.mkdtemp(prefix="reelkit-cmd-")  # text and graph files the command refers to stay
    subs = {i: t.source for i, t in enumerate(project.tracks) if t.kind == "subtitle" and t.source}
    container = container_for(inp.output, project.output)
    soft = any(t.kind == "subtitle" and t.mode == "soft" for t in project.tracks)
    oplan = output_plan(project.output, inp.output, container, None, soft)
    t0 = time.perf_counter()
    p = plan(tl, PlanOptions(exe, oplan, workdir, subs))
    ms = (time.perf_counter() - t0) * 1000
    return api.BuildCommandResult(args=p.command.args, command=p.command.shell(), graph=p.command.graph,
                                  graph_file_used=p.command.graph_file is not None, duration=p.duration, plan_ms=ms)


@command("compiler.encoders", summary="Video encoders: software ones and hardware ones that pass a test encode")
def encoders(inp: api.EncodersInput, svc: CompilerService) -> api.EncodersResult:
    from .encoders import HARDWARE, SOFTWARE, choose_encoder, compiled_encoders

    hw = svc.hardware(refresh=inp.refresh)
    present = compiled_encoders(svc.exe())
    rows = [api.EncoderStatus(name=name, codec=codec, hardware=False, works=name in present,
                              error=None if name in present else "not compiled into this FFmpeg")
            for codec, name in SOFTWARE.items() if codec != "gif"]
    for codec, names in HARDWARE.items():
        for name in names:
            r = hw.get(name)
            rows.append(api.EncoderStatus(name=name, codec=codec, hardware=True, works=bool(r and r["ok"]),
                                          test_ms=r["ms"] if r else None,
                                          error=(r or {}).get("error") or (None if r else "not compiled into this FFmpeg")))
    auto = {c: choose_encoder(c, "auto", hw) for c in SOFTWARE if c != "gif"}
    return api.EncodersResult(ffmpeg=svc.exe(), encoders=rows, auto=auto)


@command("compiler.effects", summary="The effects catalog with each effect's parameter schema")
def effects(svc: CompilerService) -> api.EffectsResult:
    return api.EffectsResult(effects=[
        api.EffectInfo(name=e.name, summary=e.summary, kind=e.kind, params_schema=e.schema()) for e in svc.catalog()
    ])


@command("compiler.project_schema", summary="The JSON Schema of the project document (for editors and validators)")
def project_schema() -> api.ProjectSchemaResult:
    from .project import project_schema as schema

    return api.ProjectSchemaResult(schema=schema())


@command("compiler.presets", summary="Named output presets (YouTube, Shorts/TikTok/Reels, Instagram, ProRes, GIF)")
def presets() -> api.PresetsResult:
    from .presets import PRESETS, names

    return api.PresetsResult(presets=[
        api.PresetInfo(name=n, summary=PRESETS[n]["summary"], settings=PRESETS[n]["settings"],
                       output=PRESETS[n]["output"]) for n in names()
    ])


@command("compiler.import_otio", summary="Read an OpenTimelineIO timeline (or an editor's XML, EDL, AAF) into a "
                                         "reelkit project, with a report of what changed")
def import_otio(inp: api.ImportOtioInput, paths: Paths) -> api.ImportOtioResult:
    from .otio import ImportOptions, read_otio

    opts = ImportOptions(relink=inp.relink, search_folders=inp.search_folders, offline=inp.offline,
                         slate_color=inp.slate_color, fps=inp.fps,
                         stills_dir=os.path.join(str(paths.cache_dir), "otio-stills"))
    project, notes, adapter = read_otio(inp.path, opts, inp.adapter)
    return api.ImportOtioResult(project=project.model_dump(mode="json", exclude_none=True), adapter=adapter,
                                report=[api.InterchangeNote(**n) for n in notes],
                                offline=sum(1 for n in notes if n["action"] == "offline"))


@command("compiler.export_otio", summary="Write a project as an OpenTimelineIO timeline or an editor's format "
                                         "(XML, EDL, AAF), listing what the format cannot carry")
async def export_otio(inp: api.ExportOtioInput, svc: CompilerService, inv: Invoker) -> api.ExportOtioResult:
    import asyncio

    from .otio import export_otio as write
    from .otio_read import adapter_for
    from .render import load_document

    project = load_document(inp.project)
    adapter = adapter_for(inp.output, inp.adapter)
    durations: dict[str, float] = {}
    if adapter != "otio_json":  # editor formats want each media file's real length
        probe = await svc.prober(project, inv)
        for path in {c.source for t in project.tracks for c in t.clips if getattr(c, "source", None)}:
            info = probe(path) if os.path.isfile(path) else None
            if info is not None and info.duration:
                durations[os.path.abspath(path)] = info.duration
    tracks, clips, lost = await asyncio.to_thread(write, project, inp.output, adapter, durations)
    return api.ExportOtioResult(path=os.path.abspath(inp.output), adapter=adapter, tracks=tracks, clips=clips,
                                not_carried=[api.InterchangeNote(**n) for n in lost])


ALL = [validate, render, preview_render, preview_frame, build_command, encoders, effects, presets, project_schema, import_otio,
       export_otio]
