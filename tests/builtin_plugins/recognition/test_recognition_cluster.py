"""recognition.detect_video over a LocalCluster of 2 workers gives what one process gives."""

from __future__ import annotations

CLUSTER = {"address": "local", "workers": 2, "threads_per_worker": 1}


def _loaded_models() -> list[str]:
    """On a worker: the models its kernel keeps loaded."""
    from reelkit.builtin_plugins.recognition.service import RecognitionService
    from reelkit.kernel.cluster_worker import runtime

    return sorted(runtime().service(RecognitionService)._loaded)


async def _detect(make_kernel, models, path, cluster):
    import asyncio

    from reelkit.sdk import Cluster

    settings = {"recognition": {"models_dir": str(models)}}
    if cluster:
        settings["cluster"] = cluster
    async with make_kernel(builtins=["recognition"], settings=settings) as k:
        ref = await k.invoke("recognition.detect_video", {"path": str(path), "fps": 0})
        report = await k.wait(ref, timeout=240)
        warm = None
        if cluster:
            client = k.services.instances[Cluster].client()
            warm = await asyncio.to_thread(client.run, _loaded_models)
        return report, warm


async def test_two_workers_find_the_same_detections_as_one_process(make_kernel, shared_models, photo_video):
    """Same frames, same classes, boxes within 1 px, same tracks and per-class aggregation."""
    one, _ = await _detect(make_kernel, shared_models, photo_video, None)
    two, warm = await _detect(make_kernel, shared_models, photo_video, CLUSTER)
    assert list(warm.values()) == [["yolox_nano"], ["yolox_nano"]]  # both workers ran, each keeps its session
    assert two.frames_analysed == one.frames_analysed == 60
    assert [f.index for f in two.frames] == [f.index for f in one.frames]
    for a, b in zip(one.frames, two.frames):
        assert [d.class_name for d in b.detections] == [d.class_name for d in a.detections], a.index
        for da, db in zip(a.detections, b.detections):
            assert max(abs(x - y) for x, y in zip(da.box, db.box)) <= 1, (a.index, da.box, db.box)
            assert da.track_id == db.track_id  # tracks stitched across the range boundary
    def summary(r):
        return [(c.class_name, c.detections, c.frames, c.objects, c.segments) for c in r.classes]

    assert summary(two) == summary(one)
    assert {"person", "cat", "cup"} <= {c.class_name for c in two.classes}
    assert [(t.track_id, t.class_name, t.start, t.end, t.frames) for t in two.tracks] == \
        [(t.track_id, t.class_name, t.start, t.end, t.frames) for t in one.tracks]
    assert two.markers == one.markers
