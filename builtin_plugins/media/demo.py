"""The media step of ``reelkit demo``: make the sample media, import it, show what was found."""

from __future__ import annotations

import asyncio
from pathlib import Path

from .api import FFmpegInfo, ImportResult
from .importer import summarize
from .tables import media_table


async def run(demo) -> None:
    """Generate samples into ``demo.workdir/samples``, publish them as artifacts, import them."""
    from .samples import generate

    ffmpeg = FFmpegInfo.model_validate(_plain(await demo.invoke("media.ffmpeg_info", {})))
    demo.say(f"FFmpeg {ffmpeg.version} ({ffmpeg.source}); generating sample media …")
    folder = Path(demo.workdir) / "samples"
    samples = await asyncio.to_thread(generate, folder, ffmpeg.path)
    demo.artifacts["clips"] = samples["clips"]
    demo.artifacts["music"] = samples["music"]
    demo.artifacts["image"] = samples["image"]
    ref = await demo.invoke("media.import", {"paths": [str(folder)]})
    result = ImportResult.model_validate(_plain(await demo.wait(ref)))
    demo.console.print(media_table([f.info for f in result.files], title=f"Imported from {folder}"))
    demo.say(summarize(result))
    for f in result.failed:
        demo.say(f"  failed: {f.path}: {f.code}: {f.message}")
    if result.failed or len(result.files) != 6:
        raise RuntimeError(f"media import of the samples found {len(result.files)} of 6 files; "
                           f"{len(result.failed)} failed")


def _plain(value):
    return value.model_dump() if hasattr(value, "model_dump") else value
