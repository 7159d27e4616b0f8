"""media.import over a LocalCluster of 2 workers: the same result as in one process, the work on workers."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from reelkit.builtin_plugins.media.distributed import count
from reelkit.sdk import Cluster

CLUSTER = {"address": "local", "workers": 2, "threads_per_worker": 1}


async def _import(make_kernel, root: Path, cluster: dict | None, tmp: Path):
    settings = {"cache_dir": str(tmp / ("cache-cluster" if cluster else "cache-one"))}
    if cluster:
        settings["cluster"] = cluster
    async with make_kernel(builtins=["media"], settings=settings) as k:
        ref = await k.invoke("media.import", {"paths": [str(root)]})
        result = await k.wait(ref, timeout=240)
        per_worker = None
        if cluster:
            client = k.services.instances[Cluster].client()
            per_worker = await asyncio.to_thread(client.run, count)
        return result, per_worker


async def test_import_on_two_workers_matches_one_process(make_kernel, media, broken, tmp_path):
    """Same files, same probes, a thumbnail for every video, the bad file failing alone, both workers used."""
    root = tmp_path / "library"
    root.mkdir()
    for name in ("clip.mp4", "clip.webm", "clip.mov", "tone.wav", "still.png"):
        shutil.copy(media / name, root / name)
    shutil.copy(broken / "corrupt.mp4", root / "corrupt.mp4")
    one, _ = await _import(make_kernel, root, None, tmp_path)
    two, per_worker = await _import(make_kernel, root, CLUSTER, tmp_path)
    assert [f.path for f in two.files] == [f.path for f in one.files] and len(two.files) == 5
    assert [f.info.model_dump() for f in two.files] == [f.info.model_dump() for f in one.files]
    assert [(f.path, f.code) for f in two.failed] == [(f.path, f.code) for f in one.failed]
    assert [f.path.endswith("corrupt.mp4") for f in two.failed] == [True]
    for f in two.files:
        if any(s.kind == "video" for s in f.info.streams):
            assert f.thumbnail and "cache-cluster" in f.thumbnail and Path(f.thumbnail).stat().st_size > 0
    assert sorted(per_worker.values())[0] >= 1 and sum(per_worker.values()) == 5  # both workers imported (the corrupt file failed)
