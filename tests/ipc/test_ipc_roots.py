"""IPC clients are strangers: their paths stay inside [paths] roots whatever their token's grants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reelkit import Kernel
from reelkit.kernel.errors import KernelError
from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher


async def test_a_token_granted_everything_is_still_confined_to_the_roots(tmp_path: Path, media_dir: Path):
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir(), outside.mkdir()
    shutil.copy(media_dir / "clip.mp4", inside / "a.mp4")
    shutil.copy(media_dir / "clip.mp4", outside / "b.mp4")
    settings = {**{k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")},
                "paths": {"roots": [str(inside)]}}
    async with Kernel(settings=settings, builtins=["media"], entry_points=False) as k:
        ipc = KernelDispatcher(k)
        ok = await ipc.call("media.probe", {"path": str(inside / "a.mp4")}, ["*"])
        assert b'"duration"' in ok if isinstance(ok, bytes) else "duration" in str(ok)
        with pytest.raises(KernelError) as e:
            await ipc.call("media.probe", {"path": str(outside / "b.mp4")}, ["*"])
        assert e.value.code == "path.outside_roots"
        # the embedding app itself is not confined (unless [paths] confine_app)
        assert (await k.invoke("media.probe", {"path": str(outside / "b.mp4")})).duration > 1
