"""The filesystem plugin through the kernel: commands, error codes, watches and their events."""

import asyncio
from pathlib import Path

import pytest

from reelkit.sdk import KernelError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "media").mkdir(parents=True)
    (r / "media" / "clip.mov").write_bytes(b"\0" * 3)
    (r / "media" / "song.mp3").write_bytes(b"\0" * 4)
    (r / "readme.txt").write_text("read me")
    return r


def fs_kernel(make_kernel, root: Path, **fs_settings):
    return make_kernel(builtins=["filesystem"], settings={"filesystem": {"roots": [str(root)], **fs_settings}})


async def test_list_stat_read_write_mkdir_move_delete(make_kernel, root):
    async with fs_kernel(make_kernel, root) as k:
        listing = await k.invoke("filesystem.list", {"path": str(root), "recursive": True, "media_type": "audio"})
        assert [e.name for e in listing.entries] == ["song.mp3"]
        assert (await k.invoke("filesystem.stat", {"path": str(root / "readme.txt")})).size == 7
        assert (await k.invoke("filesystem.read_text", {"path": str(root / "readme.txt")})).text == "read me"
        await k.invoke("filesystem.mkdir", {"path": str(root / "out")})
        await k.invoke("filesystem.write_text", {"path": str(root / "out" / "a.txt"), "text": "ä"})
        assert (root / "out" / "a.txt").read_text(encoding="utf-8") == "ä"
        moved = await k.invoke("filesystem.move", {"source": str(root / "out" / "a.txt"), "target": str(root / "b.txt")})
        assert Path(moved.path).read_text(encoding="utf-8") == "ä"
        deleted = await k.invoke("filesystem.delete", {"path": str(root / "out")})
        assert deleted.deleted and not (root / "out").exists()


async def test_errors_keep_their_codes_through_the_kernel(make_kernel, root, tmp_path):
    (tmp_path / "secret.txt").write_text("s")
    (root / "link").symlink_to(tmp_path)
    async with fs_kernel(make_kernel, root) as k:
        cases = [
            ("filesystem.read_text", {"path": str(root / "link" / "secret.txt")}, "permission.denied"),
            ("filesystem.list", {"path": str(root / ".." )}, "permission.denied"),
            ("filesystem.stat", {"path": str(root / "ghost")}, "not_found"),
            ("filesystem.list", {"path": str(root), "media_type": "movies"}, "input.invalid"),
            ("filesystem.list", {"path": str(root), "bogus": 1}, "input.invalid"),
            ("filesystem.delete", {"path": str(root / "media")}, "conflict"),
            ("filesystem.unwatch", {"watch_id": "w-nope"}, "not_found"),
        ]
        for command, payload, code in cases:
            with pytest.raises(KernelError) as e:
                await k.invoke(command, payload)
            assert e.value.code == code, (command, payload, e.value)
    assert (tmp_path / "secret.txt").read_text() == "s"


async def test_default_roots_are_home_and_the_data_dir(make_kernel, tmp_path):
    async with make_kernel(builtins=["filesystem"]) as k:
        health = await k.health()
        detail = health["checks"]["filesystem.roots"]["detail"]
        assert health["checks"]["filesystem.roots"]["state"] == "ok", detail
        data = tmp_path / "data"
        await k.invoke("filesystem.write_text", {"path": str(data / "x.txt"), "text": "x", "make_parents": True})
        assert (data / "x.txt").read_text() == "x"
        listing = await k.invoke("filesystem.list", {"path": str(Path.home()), "limit": 1})
        assert listing.path == str(Path.home().resolve())


async def test_watch_publishes_changes_until_unwatched(make_kernel, events, root):
    async with fs_kernel(make_kernel, root, watch_debounce_ms=20) as k:
        rec = events(k, "filesystem.file.changed")
        w = await k.invoke("filesystem.watch", {"path": str(root / "media")})
        (root / "media" / "new.mkv").write_bytes(b"1")
        got = await rec.wait_for("filesystem.file.changed", where=lambda e: e.path.endswith("new.mkv"))
        assert got[0].watch_id == w.watch_id and got[0].change == "added" and got[0].media_type == "video"
        (root / "media" / "song.mp3").unlink()
        await rec.wait_for(
            "filesystem.file.changed", where=lambda e: e.path.endswith("song.mp3") and e.change == "deleted"
        )
        # an atomic write through the plugin shows up as the final name only, never the temporary one
        await k.invoke("filesystem.write_text", {"path": str(root / "media" / "notes.srt"), "text": "1"})
        await rec.wait_for("filesystem.file.changed", where=lambda e: e.path.endswith("notes.srt"))
        assert not [e for e in rec.events if "reelkit-tmp" in e.path]
        # deleting a tree renames it away first; nothing of the temporary name leaks into events
        (root / "media" / "tree" / "sub").mkdir(parents=True)
        (root / "media" / "tree" / "sub" / "x.png").write_bytes(b"1")
        # (not waiting for x.png: inotify may miss a file made right after its new directory)
        await rec.wait_for("filesystem.file.changed", where=lambda e: e.path.endswith("tree"))
        await asyncio.sleep(0.2)
        await k.invoke("filesystem.delete", {"path": str(root / "media" / "tree"), "recursive": True})
        await rec.wait_for(
            "filesystem.file.changed", where=lambda e: e.path.endswith("tree") and e.change == "deleted"
        )
        await asyncio.sleep(0.2)
        assert not [e for e in rec.events if "reelkit-" in e.path], [e.path for e in rec.events]
        await k.invoke("filesystem.unwatch", {"watch_id": w.watch_id})
        before = len(rec.events)
        (root / "media" / "after.mkv").write_bytes(b"1")
        await asyncio.sleep(0.4)
        assert len(rec.events) == before
        with pytest.raises(KernelError) as e:
            await k.invoke("filesystem.unwatch", {"watch_id": w.watch_id})
        assert e.value.code == "not_found"


async def test_watch_outside_roots_or_missing_is_refused(make_kernel, root, tmp_path):
    async with fs_kernel(make_kernel, root, max_watches=1) as k:
        with pytest.raises(KernelError) as e:
            await k.invoke("filesystem.watch", {"path": str(tmp_path)})
        assert e.value.code == "permission.denied"
        with pytest.raises(KernelError) as e:
            await k.invoke("filesystem.watch", {"path": str(root / "nope")})
        assert e.value.code == "not_found"
        await k.invoke("filesystem.watch", {"path": str(root)})
        with pytest.raises(KernelError) as e:
            await k.invoke("filesystem.watch", {"path": str(root / "media")})
        assert e.value.code == "filesystem.too_many_watches"


async def test_kernel_shutdown_stops_running_watches(make_kernel, root):
    async with fs_kernel(make_kernel, root) as k:
        for sub in ("media", ""):
            await k.invoke("filesystem.watch", {"path": str(root / sub)})
        fs = k.services.instances[next(t for t in k.services.instances if t.__name__ == "FilesystemService")]
        tasks = [w.task for w in fs.watches._watches.values()]
        assert len(tasks) == 2 and not any(t.done() for t in tasks)
    # ended by their stop event (a clean return), not cancelled after the timeout
    assert all(t.done() and not t.cancelled() and t.exception() is None for t in tasks)
    assert len(fs.watches) == 0
