"""Preview frames: the composed timeline at one time, as a PNG, cached by content and time.

The cache key hashes the project document, every source file's identity (path, size, mtime), the
time and the height, so an edit or a changed source gives a new frame and nothing stale is served.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

from reelkit.sdk.files import atomic_output

from . import api
from .encoders import OutputPlan
from .executor import FFmpegRun
from .planner import PlanOptions, plan
from .project import MediaClip
from .render import load_document, preview_project, raise_problems
from .sources import file_key
from .timeline import resolve, window


def _key(project, time: float, height: int, exe: str) -> str:
    h = hashlib.sha256(project.model_dump_json().encode())
    for t in project.tracks:
        for c in t.clips:
            if isinstance(c, MediaClip) and os.path.exists(c.source):
                h.update(repr(file_key(c.source)).encode())
    h.update(f"|{time:.6f}|{height}|{exe}".encode())
    return h.hexdigest()[:32]


async def preview_frame(svc, inp: api.PreviewFrameInput, invoker) -> api.PreviewFrameResult:
    import asyncio

    original = load_document(inp.project)
    project = preview_project(original, inp.height)
    s = project.settings
    key = _key(project, inp.time, inp.height, svc.exe())
    cache_dir = os.path.join(svc.cache_dir or tempfile.gettempdir(), "previews")
    path = os.path.join(cache_dir, f"{key}.png")
    if os.path.isfile(path):
        return api.PreviewFrameResult(path=path, width=s.width, height=s.height, cached=True)
    probe = await svc.prober(project, invoker)
    tl, problems = resolve(project, probe, svc.catalog())
    raise_problems(problems)
    if inp.time >= tl.seconds(tl.frames):
        from .errors import ProjectInvalid

        raise ProjectInvalid(f"time {inp.time:g}s is past the end of the timeline ({tl.seconds(tl.frames):.3f}s)",
                             details={"problems": [{"path": "time", "code": "range", "message": "past the end"}]})
    os.makedirs(cache_dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="reelkit-preview-")
    try:
        with atomic_output(path, durable=False) as tmp:  # a cache entry: no fsync, as before
            subs = await svc.prepare_subtitles(project, workdir, invoker)
            out = OutputPlan(str(tmp), "png", "png", "png", None,
                             ["-f", "image2", "-c:v", "png", "-frames:v", "1", "-update", "1"],
                             ["-hide_banner", "-nostdin", "-y", "-v", "error"])
            at = min(round(inp.time * tl.rate), tl.frames - 1)
            near_tl, shift = window(tl, at)
            # subtitles keep their own clock: shift them along with the window
            start = float((at - shift) / tl.rate)
            p = plan(near_tl, PlanOptions(svc.exe(), out, workdir, subs if not shift else {},
                                          s.height / original.settings.height, range_start=start, range_end=None))
            if shift and subs:
                p = plan(tl, PlanOptions(svc.exe(), out, workdir, subs, s.height / original.settings.height,
                                         range_start=inp.time, range_end=None))
            await asyncio.to_thread(FFmpegRun(p.command.args, p.duration).run)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _trim_cache(cache_dir, svc.settings.preview_cache_size)
    return api.PreviewFrameResult(path=path, width=s.width, height=s.height, cached=False)


def _trim_cache(cache_dir: str, keep: int) -> None:
    files = sorted((e for e in os.scandir(cache_dir) if e.name.endswith(".png")), key=lambda e: e.stat().st_mtime)
    for e in files[: max(0, len(files) - keep)]:
        try:
            os.unlink(e.path)
        except OSError:
            pass
