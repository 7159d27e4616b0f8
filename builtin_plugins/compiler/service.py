"""CompilerService: FFmpeg location, probing (through ``media.probe``), subtitles, encoders, renders."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from typing import TYPE_CHECKING, Any, Callable

from reelkit.sdk import Jobs

from .errors import FFmpegMissing, ProjectInvalid, SubtitlesUnavailable
from .settings import CompilerSettings

if TYPE_CHECKING:  # the project format, effects and planner load with the first render, not at boot
    from .effects import Catalog
    from .pipeline import Pipeline
    from .project import Project
    from .timeline import SourceInfo


@functools.lru_cache(maxsize=1)
def bundled_ffmpeg() -> str:
    """FFmpeg from the imageio-ffmpeg wheel (used until the media plugin tells us its binary)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as e:
        raise FFmpegMissing("no FFmpeg found: install imageio-ffmpeg or set [media] ffmpeg_path") from e


class CompilerService:
    """The compiler's long-lived state; one per kernel."""

    def __init__(self, settings: CompilerSettings, cache_dir: str | None = None):
        self.settings = settings
        self.cache_dir = cache_dir
        self._exe: str | None = settings.ffmpeg_path
        from reelkit.sdk.perf import make_cache

        # keyed by (path, size, mtime): an edited file is probed again
        self._probe_cache = make_cache("lru", maxsize=4096, name="compiler.probe")
        self._hw: dict[str, Any] | None = None
        self._hw_lock = threading.Lock()
        self.effects_provider: Callable[[], list[Any]] = lambda: []
        self.stages_provider: Callable[[], list[Any]] = lambda: []
        self.preview_cache: dict[str, str] = {}

    # ------------------------------------------------------------ FFmpeg
    def exe(self) -> str:
        """The FFmpeg binary: the media plugin's (set at start) or the bundled one."""
        return self._exe or bundled_ffmpeg()

    async def locate(self, invoker: Any) -> str:
        """Ask the media plugin which FFmpeg to use (``media.ffmpeg_info``); fall back to the bundled one."""
        if self._exe is None and invoker is not None:
            try:
                info = await invoker.invoke("media.ffmpeg_info", {})
                self._exe = info.path
            except Exception:  # noqa: BLE001 - media may be absent or failing: the bundled FFmpeg still works
                self._exe = bundled_ffmpeg()
        return self.exe()

    def cancel_grace(self) -> float:
        return self.settings.cancel_grace

    def stall_seconds(self) -> float:
        return self.settings.stall_seconds

    def stall_retries(self) -> int:
        return self.settings.stall_retries

    # ------------------------------------------------------------ effects and stages
    def catalog(self) -> Catalog:
        """Builtin effects plus what plugins contribute through ``reelkit_compiler_effects``."""
        from .effects import Catalog, EffectSpec

        extra: list[EffectSpec] = []
        for result in self.effects_provider():
            extra.extend(e for e in (result or []) if isinstance(e, EffectSpec))
        return Catalog(extra)

    def pipeline(self) -> Pipeline:
        """The render stages with plugins' extensions applied."""
        from .pipeline import Pipeline, StageExtension
        from .render import STAGES

        p = Pipeline(STAGES)
        for result in self.stages_provider():
            for ext in result or []:
                if isinstance(ext, StageExtension):
                    p.extend(ext)
        return p

    # ------------------------------------------------------------ probing
    async def prober(self, project: Project, invoker: Any) -> Callable[[str], SourceInfo | None]:
        """Probe every source of ``project`` once (concurrently, cached by file) and return a lookup."""
        from .project import MediaClip
        from .sources import file_key

        paths = {c.source for t in project.tracks for c in t.clips if isinstance(c, MediaClip)}
        found: dict[str, SourceInfo | None] = {}

        async def one(path: str) -> None:
            try:
                key = file_key(path)
            except OSError:
                found[path] = None
                return
            missing = object()
            info = self._probe_cache.get(key, missing)
            if info is missing:
                info = self._probe_cache[key] = await self._probe(path, invoker)
            found[path] = info

        await asyncio.gather(*(one(p) for p in paths))
        return lambda path: found.get(path)

    async def _probe(self, path: str, invoker: Any) -> SourceInfo | None:
        from .sources import from_probe_result, local_probe

        if invoker is not None:
            from reelkit.sdk import CommandNotFound, KernelError

            try:
                return from_probe_result(await invoker.invoke("media.probe", {"path": path}), path)
            except CommandNotFound:
                pass  # media not loaded: probe in-process below
            except KernelError:
                return None
        return await asyncio.to_thread(local_probe, path)

    # ------------------------------------------------------------ subtitles
    async def prepare_subtitles(self, project: Project, workdir: str, invoker: Any) -> dict[int, str]:
        """Check each subtitle track with ``subtitles.validate`` and convert it for FFmpeg."""
        out: dict[int, str] = {}
        for ti, track in enumerate(project.tracks):
            if track.kind != "subtitle" or track.hidden or not track.source:
                continue
            if invoker is None:
                raise SubtitlesUnavailable("subtitle tracks need the subtitles plugin; none is available here")
            from reelkit.sdk import CommandNotFound

            target = "ass" if track.mode == "burn" else "srt"
            dest = os.path.join(workdir, f"subs_{ti}.{target}")
            try:
                report = await invoker.invoke("subtitles.validate", {"path": track.source})
                if not getattr(report, "ok", True):
                    problems = [{"path": f"tracks[{ti}].source", "code": "subtitles",
                                 "message": f"cue {i.cue}: {i.message}"}
                                for i in report.issues if i.severity == "error"]
                    raise ProjectInvalid(f"subtitle file {track.source!r} has {len(problems)} timing error(s); "
                                         "fix them (subtitles.fix) first", details={"problems": problems})
                await invoker.invoke("subtitles.convert", {"path": track.source, "to": target, "output": dest})
            except CommandNotFound as e:
                raise SubtitlesUnavailable(
                    f"track {track.id!r} has subtitles but the subtitles plugin is not loaded; enable it "
                    "or remove the track") from e
            out[ti] = dest
        return out

    # ------------------------------------------------------------ encoders
    def hardware(self, refresh: bool = False) -> dict[str, Any]:
        """Hardware encoder test results (cached per FFmpeg binary)."""
        from .encoders import probe_hardware

        with self._hw_lock:
            if self._hw is None or refresh:
                self._hw = probe_hardware(self.exe(), self.cache_dir, refresh=refresh)
            return self._hw


def make_factory(ctx: Any) -> Callable[..., CompilerService]:
    """The service factory; it wires the plugin hooks (effects, stages) through ``ctx.call_hook``."""
    from reelkit.sdk import Paths

    def create(settings: CompilerSettings, paths: Paths) -> CompilerService:
        svc = CompilerService(settings, str(paths.cache_dir / "compiler"))
        svc.effects_provider = lambda: ctx.call_hook("reelkit_compiler_effects")
        svc.stages_provider = lambda: ctx.call_hook("reelkit_compiler_stages")
        return svc

    create.__annotations__ = {"settings": CompilerSettings, "paths": Paths, "return": CompilerService}
    return create


REQUIRED_FILTERS = ("xfade", "overlay", "drawtext", "amix", "adelay", "afade", "atempo", "sidechaincompress",
                    "loudnorm", "subtitles")


async def health(svc: CompilerService, jobs: Jobs) -> Any:
    """ok when FFmpeg has every filter the compiler plans with; lists renders running and queued."""
    import subprocess

    from reelkit.sdk import HealthResult, KernelError

    try:
        exe = svc.exe()
        out = (await asyncio.to_thread(subprocess.run, [exe, "-hide_banner", "-filters"], capture_output=True,
                                       text=True, timeout=30)).stdout
    except (KernelError, OSError, subprocess.SubprocessError) as e:
        return HealthResult(state="error", detail=f"FFmpeg unusable: {e}")
    have = {line.split()[1] for line in out.splitlines() if len(line.split()) > 2 and len(line.split()[0]) <= 3}
    missing = [f for f in REQUIRED_FILTERS if f not in have]
    renders = [j for j in jobs.list() if j.kind in ("compiler.render", "compiler.preview_render")]
    running = sum(1 for j in renders if j.state.value == "running")
    queued = sum(1 for j in renders if j.state.value == "queued")
    detail = f"{exe}: renders running {running}, queued {queued}"
    if missing:
        return HealthResult(state="warn", detail=f"{detail}; FFmpeg lacks {', '.join(missing)}: projects using "
                                                 "them will fail (use a full FFmpeg build)")
    return HealthResult(state="ok", detail=detail)
