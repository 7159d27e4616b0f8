"""The render pipeline's stages: validate → probe → plan → encode → finalize.

Each stage reads and fills a :class:`RenderState`. The output path never holds a partial file: FFmpeg
writes a temporary name beside it, ``finalize`` fsyncs and renames it, and every failure or cancel
removes the temporary file (``cleanup``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from reelkit.sdk import get_logger
from pydantic import ValidationError

from reelkit.sdk.files import atomic_write

from .encoders import choose_encoder, container_for, output_plan
from .errors import OutputInvalid, ProjectInvalid, RenderFailed, RenderStalled
from .executor import FFmpegRun, Progress, commit, discard, temp_target
from .planner import Plan, PlanOptions, plan
from .project import Project
from .timeline import Problem, Timeline, pydantic_problems, resolve, window

log = get_logger("reelkit.compiler")


@dataclass
class RenderState:
    """Everything a render knows, stage by stage."""

    document: Any  # dict, JSON path or Project
    output: str
    service: Any  # CompilerService
    invoker: Any = None
    on_progress: Callable[[Progress], None] | None = None
    on_process: Callable[[FFmpegRun], None] | None = None  # lets the caller cancel the running FFmpeg
    preview: dict[str, Any] | None = None  # {"height", "start", "end"} for preview renders
    overwrite: bool = True
    project: Project | None = None
    timeline: Timeline | None = None
    subtitles: dict[int, str] = field(default_factory=dict)
    workdir: str | None = None
    temp: str | None = None
    plan: Plan | None = None
    encoder: str | None = None
    vcodec: str | None = None
    fallback_from: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # for plugins' stages


def load_document(document: Any) -> Project:
    """A Project from a model, a dict or a JSON file path; schema problems raise ProjectInvalid."""
    if isinstance(document, Project):
        return document
    base_dir = None
    if isinstance(document, (str, os.PathLike)):
        path = os.fspath(document)
        try:
            with open(path, encoding="utf-8") as fh:
                document = json.load(fh)
        except OSError as e:
            raise ProjectInvalid(f"cannot read project file {path!r}: {e.strerror}", details={"problems": [
                Problem("(file)", str(e), "missing_file").as_dict()]}) from e
        except ValueError as e:
            raise ProjectInvalid(f"project file {path!r} is not valid JSON: {e}", details={"problems": [
                Problem("(file)", str(e), "json").as_dict()]}) from e
        base_dir = os.path.dirname(os.path.abspath(path))
    try:
        project = Project.model_validate(document)
    except ValidationError as e:
        raise_problems(pydantic_problems(e))
        raise  # unreachable
    return resolve_paths(project, base_dir) if base_dir else project


def resolve_paths(project: Project, base_dir: str) -> Project:
    """Relative media, subtitle and LUT paths in a project file are relative to that file's folder."""
    def fix(p: str) -> str:
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(base_dir, p))

    project = project.model_copy(deep=True)
    for track in project.tracks:
        if track.source:
            track.source = fix(track.source)
        for clip in track.clips:
            if getattr(clip, "source", None):
                clip.source = fix(clip.source)
            if clip.mask is not None and clip.mask.source:
                clip.mask.source = fix(clip.mask.source)
            for ref in clip.effects:
                if ref.name == "lut3d" and isinstance(ref.params.get("file"), str):
                    ref.params["file"] = fix(ref.params["file"])
    return project


def check_output(output: str, project: Project, overwrite: bool) -> None:
    """The output's folder must exist, and the output may not be one of the project's own sources."""
    from .errors import OutputExists

    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise OutputInvalid(f"the output folder {folder} does not exist; create it or choose another output path",
                            details={"output": output})
    target = os.path.realpath(output)
    for track in project.tracks:
        sources = [track.source] + [getattr(c, "source", None) for c in track.clips]
        if any(s and os.path.realpath(s) == target for s in sources):
            raise OutputInvalid(f"the output {output} is also a source of the project; render to another file",
                                details={"output": output})
    if not overwrite and os.path.exists(output):
        raise OutputExists(f"{output} exists; pass overwrite=true or choose another path", details={"output": output})


def raise_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    lines = "; ".join(f"{p.path}: {p.message}" for p in problems[:8])
    more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
    raise ProjectInvalid(f"the project has {len(problems)} problem(s): {lines}{more}",
                         details={"problems": [p.as_dict() for p in problems]})


async def stage_validate(st: RenderState) -> None:
    st.project = load_document(st.document)
    if st.preview:
        st.preview = {**st.preview, "source_height": st.project.settings.height}
        st.project = preview_project(st.project, st.preview.get("height", 360))


async def stage_probe(st: RenderState) -> None:
    assert st.project is not None
    probe = await st.service.prober(st.project, st.invoker)
    tl, problems = resolve(st.project, probe, st.service.catalog())
    raise_problems(problems)
    st.timeline = tl
    st.workdir = tempfile.mkdtemp(prefix="reelkit-render-")
    st.subtitles = await st.service.prepare_subtitles(st.project, st.workdir, st.invoker)


async def stage_plan(st: RenderState) -> None:
    assert st.timeline is not None and st.project is not None and st.workdir is not None
    out = st.project.output
    if st.preview:
        out = out.model_copy(update={"preset": "ultrafast", "crf": 30, "encoder": "software", "loudness": None})
    container = container_for(st.output, out)
    from .encoders import CONTAINERS

    vdefault = CONTAINERS[container][1]
    vcodec = (out.video_codec or vdefault) if vdefault else None
    if container == "gif":
        vcodec = "gif"
    st.vcodec = vcodec
    if st.encoder is None:
        from .encoders import check_encoder

        await asyncio.to_thread(check_encoder, st.service.exe(), vcodec, out.encoder)
        hw = await asyncio.to_thread(st.service.hardware) if out.encoder == "auto" else None
        st.encoder = choose_encoder(vcodec, out.encoder, hw)
    check_output(st.output, st.project, st.overwrite)
    st.temp = temp_target(st.output)
    soft = any(t.kind == "subtitle" and t.mode == "soft" for t in st.project.tracks)
    oplan = output_plan(out, st.temp, container, st.encoder if vcodec else None, soft)
    scale = st.project.settings.height / st.preview["source_height"] if st.preview else 1.0
    rng = st.preview or {}
    tl, start, end = st.timeline, rng.get("start"), rng.get("end")
    if start and not st.subtitles:
        # a preview of a late range should not decode everything before it: cut the timeline there
        rate = tl.rate
        last = tl.frames - 1 if end is None else min(tl.frames - 1, round(end * rate))
        tl, shift = window(tl, min(round(start * rate), tl.frames - 1), last)
        start, end = start - float(shift / rate), None if end is None else end - float(shift / rate)
    t0 = time.perf_counter()
    st.plan = plan(tl, PlanOptions(st.service.exe(), oplan, st.workdir, st.subtitles, scale, start, end))
    st.stats["plan_ms"] = round((time.perf_counter() - t0) * 1000, 3)


async def stage_encode(st: RenderState) -> None:
    assert st.plan is not None
    try:
        retries = st.service.stall_retries()
        for attempt in range(retries + 1):
            try:
                result = await _run(st)
                break
            except RenderStalled as e:
                # FFmpeg 9's scheduler deadlock is random: the same command usually goes through again
                # (measured: it hangs in 10-35 % of the runs of the commands that can hang at all)
                if attempt == retries:
                    raise
                log.warning("FFmpeg stalled; retrying the encode", output=st.output, attempt=attempt + 1,
                            retries=retries, error=e.message[:200])
                discard(st.temp or "")
                st.stats["retried_after_stall"] = attempt + 1
    except RenderFailed:
        if st.encoder is None or st.encoder == _software(st) or st.fallback_from:
            raise
        # a hardware encoder that passed its test encode can still fail on a real stream: retry in software
        discard(st.temp or "")
        st.fallback_from, st.encoder = st.encoder, _software(st)
        await stage_plan(st)
        result = await _run(st)
    st.stats.update(encode_wall=round(result.wall, 3), encode_cpu=result.cpu and round(result.cpu, 3),
                    frames=result.last.frame, first_progress_after=result.first_progress_after)


def _software(st: RenderState) -> str | None:
    from .encoders import SOFTWARE

    return SOFTWARE.get(st.vcodec or "")


async def _run(st: RenderState):
    assert st.plan is not None
    rate = st.plan.frames / st.plan.duration if st.vcodec and st.plan.duration > 0 else None
    run = FFmpegRun(st.plan.command.args, st.plan.duration, st.on_progress, grace=st.service.cancel_grace(),
                    stall=st.service.stall_seconds(), rate=rate)
    run.start()
    if st.on_process is not None:
        st.on_process(run)
    try:
        return await asyncio.to_thread(run.wait)
    except BaseException:
        if run.proc is not None and run.proc.poll() is None:
            run.cancel()
            await asyncio.to_thread(run.proc.wait)
        raise


async def stage_finalize(st: RenderState) -> None:
    assert st.temp is not None and st.plan is not None
    await asyncio.to_thread(commit, st.temp, st.output)
    st.stats.update(output=os.path.abspath(st.output), bytes=os.path.getsize(st.output),
                    duration=st.plan.duration, encoder=st.encoder, fallback_from=st.fallback_from)
    write_sidecar(st.output + ".render.json", st.stats)


def write_sidecar(path: str, stats: dict[str, Any]) -> None:
    """Render statistics next to the output (temp + fsync + rename)."""
    atomic_write(path, json.dumps(stats, indent=2, default=str))


def cleanup(st: RenderState) -> None:
    """Remove the temporary output and work files, whatever happened."""
    if st.temp:
        discard(st.temp)
    if st.workdir:
        shutil.rmtree(st.workdir, ignore_errors=True)


STAGES = [("validate", stage_validate), ("probe", stage_probe), ("plan", stage_plan), ("encode", stage_encode),
          ("finalize", stage_finalize)]


def preview_project(project: Project, height: int) -> Project:
    """A copy of ``project`` scaled to ``height`` pixels (even sizes; text scaled alike)."""
    s = project.settings
    h = max(16, min(height, s.height) // 2 * 2)
    w = max(16, round(s.width * h / s.height / 2) * 2)
    return project.model_copy(update={"settings": s.model_copy(update={"width": w, "height": h})})
