"""compiler.render over a real Dask LocalCluster (2 worker processes, 1 thread each) against one process."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from .cluster_media import counter_values, facts, make_media, psnr, rgb_frames, seam_project

BUILTINS = ["media", "compiler", "cluster"]
LOCAL = {"address": "local", "workers": 2, "threads_per_worker": 1, "segment_seconds": 3, "min_segment_seconds": 1}


@pytest.fixture(scope="module")
def seam_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import imageio_ffmpeg

    return make_media(imageio_ffmpeg.get_ffmpeg_exe(), str(tmp_path_factory.mktemp("cluster-media")))


async def _render(make_kernel, doc: dict, out: str, cluster: dict | None) -> object:
    settings = {"cluster": cluster} if cluster else {}
    async with make_kernel(builtins=BUILTINS, settings=settings) as k:
        ref = await k.invoke("compiler.render", {"project": doc, "output": out})
        info = await k.jobs.wait(ref.job_id, timeout=240)
        assert info.state.value == "succeeded", info.error
        return info.result


async def test_segmented_render_matches_the_single_process_render(make_kernel, seam_media, tmp_path):
    """Three segments, each boundary inside a transition, a speed change and a text fade: same frame count
    and duration, every frame identical (lossless encode, so PSNR is infinite), the counter shows every
    frame exactly once, the audio packets and samples identical."""
    doc = seam_project(seam_media, crf=0)
    (tmp_path / "out").mkdir()
    single, split = str(tmp_path / "out" / "single.mp4"), str(tmp_path / "out" / "split.mp4")
    await _render(make_kernel, doc, single, None)
    result = await _render(make_kernel, doc, split, LOCAL)
    sidecar = json.loads(open(split + ".render.json").read())
    assert sidecar["cluster"]["segments"] == 3, sidecar["cluster"]
    assert sidecar["cluster"]["windows"] == [[0, 90], [90, 180], [180, 270]]
    assert len(sidecar["cluster"]["on"]) == 2  # both workers rendered
    assert result["frames"] == 270
    a, b = facts(single), facts(split)
    assert b["frames"] == a["frames"] == 270
    assert b["pts"] == a["pts"]
    assert b["v_duration"] == a["v_duration"] and b["a_duration"] == a["a_duration"]
    assert counter_values(split) == list(range(270))  # no frame dropped or repeated at a seam
    worst = min(psnr(x, y) for x, y in zip(rgb_frames(single), rgb_frames(split)))
    assert worst >= 45, worst
    assert worst == float("inf")  # lossless: the composition itself is identical at every seam
    assert b["packets"] == a["packets"]  # the audio is mixed once: bit-identical
    assert np.array_equal(b["samples"], a["samples"])
    assert sorted(os.listdir(tmp_path / "out")) == ["single.mp4", "single.mp4.render.json", "split.mp4",
                                            "split.mp4.render.json"]  # no parts left


async def test_the_storage_assumption_is_checked_on_every_worker_up_front(make_kernel, tmp_path):
    """Workers that cannot read a source or do not see the parts folder: cluster.storage_unreachable,
    naming each worker and the path, before any segment is submitted."""
    import asyncio
    from types import SimpleNamespace

    from reelkit.builtin_plugins.compiler.distributed import ClusterRender
    from reelkit.sdk import Cluster, StorageUnreachable

    missing = str(tmp_path / "only-on-my-laptop.mp4")
    clip = SimpleNamespace(clip=SimpleNamespace(source=missing))
    st = SimpleNamespace(timeline=SimpleNamespace(tracks=[[clip]]))
    async with make_kernel(builtins=BUILTINS, settings={"cluster": LOCAL}) as k:
        cluster = k.services.instances[Cluster]
        client = await asyncio.to_thread(cluster.client)
        job = ClusterRender(st, cluster)
        parts = tmp_path / "parts"
        parts.mkdir()
        with pytest.raises(StorageUnreachable) as e:
            await asyncio.to_thread(job._check_storage, client, str(parts))
        status = await k.invoke("cluster.status", {})
    assert e.value.code == "cluster.storage_unreachable"
    assert missing in e.value.message and "same paths" in e.value.message
    assert sorted(e.value.details["workers"]) == sorted(w.address for w in status.workers)
    assert len(status.workers) == 2 and status.threads == 2
    assert all(w.memory_limit > 0 and w.memory_used > 0 for w in status.workers)


async def test_cluster_off_status_and_health(make_kernel):
    """With no address the status says off and the health check is ok (no cluster is started)."""
    async with make_kernel(builtins=["cluster"]) as k:
        health = await k.invoke("kernel.health", {})
        status = await k.invoke("cluster.status", {})
    assert not status.enabled and status.workers == []
    row = health.checks["cluster.scheduler"]
    assert row.state == "ok" and "off" in row.detail
