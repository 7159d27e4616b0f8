"""media.import: discovery, events, bad files failing alone, progress, cancel."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from reelkit.builtin_plugins.media.api import ImportResult, MediaInfo
from reelkit.builtin_plugins.media.importer import discover
from reelkit.sdk import KernelError


@pytest.fixture
def library(media, broken, tmp_path) -> Path:
    """A folder tree: good media at two depths, bad files beside them, and things to skip."""
    root = tmp_path / "library"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ("clip.mp4", "tone.wav", "still.png"):
        shutil.copy(media / name, root / name)
    shutil.copy(media / "clip.webm", root / "sub" / "clip.webm")
    shutil.copy(media / "tone.flac", root / "sub" / "deeper" / "tone.flac")
    shutil.copy(media / "clip.mov", root / ".hidden" / "secret.mov")  # hidden: skipped
    shutil.copy(broken / "notes.txt", root / "notes.txt")  # unsupported extension: skipped
    shutil.copy(broken / "corrupt.mp4", root / "sub" / "corrupt.mp4")  # supported name, bad data: fails
    shutil.copy(broken / "empty.mp4", root / "empty.mp4")
    return root


def test_discover_walks_filters_and_dedupes(library):
    files, missing = discover([str(library), str(library / "clip.mp4"), str(library / "notes.txt"),
                               str(library / "gone.mov")])
    names = [Path(f).relative_to(library).as_posix() for f in files]
    assert names == ["clip.mp4", "empty.mp4", "still.png", "tone.wav", "sub/clip.webm", "sub/corrupt.mp4",
                     "sub/deeper/tone.flac", "notes.txt"]  # explicit files are tried whatever their name
    assert [(m.path, m.code) for m in missing] == [(str(library / "gone.mov"), "media.not_found")]


async def test_import_folder(make_kernel, events, library):
    """Good files are probed and thumbnailed; bad ones fail alone; events and progress tell the story."""
    async with make_kernel(builtins=["media"]) as k:
        rec = events(k, "*")
        ref = await k.invoke("media.import", {"paths": [str(library), str(library / "missing.mp4")],
                                              "max_parallel": 3})
        result = await k.wait(ref)
        assert isinstance(result, ImportResult)
        got = {Path(f.path).name: f for f in result.files}
        assert set(got) == {"clip.mp4", "tone.wav", "still.png", "clip.webm", "tone.flac"}
        assert got["clip.mp4"].thumbnail and Path(got["clip.mp4"].thumbnail).exists()
        assert got["still.png"].thumbnail and got["tone.wav"].thumbnail is None
        assert all(isinstance(f.info, MediaInfo) for f in result.files)
        failed = {Path(f.path).name: f.code for f in result.failed}
        assert failed == {"corrupt.mp4": "media.unreadable", "empty.mp4": "media.unreadable",
                          "missing.mp4": "media.not_found"}
        assert result.total == 8
        await rec.wait_for("job.succeeded")
        assert len(rec.of("media.file.discovered")) == 7
        assert len(rec.of("media.metadata.ready")) == 5
        assert len(rec.of("media.thumbnail.created")) == 3
        assert sorted(Path(e.path).name for e in rec.of("media.file.failed")) == sorted(failed)
        assert {e.job_id for e in rec.of("media.*")} == {ref.job_id}
        progress = [e.job.progress.fraction for e in rec.of("job.progressed")]
        assert progress == sorted(progress) and progress[-1] == 1.0
        # every discovered file was announced before its metadata
        topics = [(e.topic, e.path) for e in rec.of("media.*")]
        for topic, path in topics:
            if topic == "media.metadata.ready":
                assert topics.index(("media.file.discovered", path)) < topics.index((topic, path))


async def test_second_import_uses_cache(make_kernel, events, library):
    async with make_kernel(builtins=["media"]) as k:
        await k.wait(await k.invoke("media.import", {"paths": [str(library)]}))
        rec = events(k, "media.metadata.ready")
        await k.wait(await k.invoke("media.import", {"paths": [str(library)]}))
        ready = await rec.wait_for("media.metadata.ready", count=5)
        assert all(e.cached for e in ready)


async def test_cancel_leaves_cache_consistent(make_kernel, events, media, tmp_path):
    """Cancelling stops taking new files; the job ends cancelled; every cache row and picture is whole."""
    root = tmp_path / "many"
    root.mkdir()
    for i in range(120):
        shutil.copy(media / "clip.mp4", root / f"c{i:03}.mp4")
    async with make_kernel(builtins=["media"], settings={"media": {"max_parallel": 2}}) as k:
        rec = events(k, "media.metadata.ready")
        ref = await k.invoke("media.import", {"paths": [str(root)]})
        await rec.wait_for("media.metadata.ready", count=2)
        await k.invoke("kernel.job_cancel", {"job_id": ref.job_id})
        with pytest.raises(KernelError) as e:
            await k.wait(ref)
        assert e.value.code == "job.cancelled"
        assert k.jobs.get(ref.job_id).state == "cancelled"
        done = len(rec.events)
        assert done < 120
        cache_root = Path(k.paths.cache_dir) / "media"
    rows = sqlite3.connect(cache_root / "media.sqlite").execute("SELECT info FROM probes").fetchall()
    assert 2 <= len(rows) < 120  # stopped early; every file it did finish is cached
    assert all(MediaInfo.model_validate_json(r[0]) for r in rows)
    pictures = [p for p in (cache_root / "pictures").rglob("*") if p.is_file()]
    assert not [p for p in pictures if p.name.startswith(".")]
