"""The previous version of each marketplace plugin, kept with its data, and putting it back.

``<data_dir>/market/previous/<id>/`` is a copy of the plugin's installed directory (manifest, module,
README, ``data/``) as it was before the last successful update. A copy is staged beside it first and
becomes the kept one only once the update has succeeded, so a failed update never loses it.
Restoring swaps directories under the sandbox's lock for that plugin and loads it again, with the
consent digest of the version restored (it was consented to when it was installed).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from .market_errors import NoPrevious


class KeptVersions:
    """Kept previous versions under ``root`` for the plugins of ``sandbox``."""

    def __init__(self, root: Path, sandbox) -> None:
        self.root = Path(root)
        self.sandbox = sandbox

    def path(self, name: str) -> Path:
        return self.root / name

    def forget(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)

    async def stage(self, name: str) -> Path:
        """A copy of the installed version (files and data), not yet the kept one."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{name}-"))
        async with self.sandbox._lock(name):  # no install or removal of it while copying
            await asyncio.to_thread(shutil.copytree, self.sandbox.root / name, staging / "p", symlinks=True)
        return staging / "p"

    def commit(self, name: str, copy: Path) -> None:
        """Make a staged copy the kept version (replacing the one kept before)."""
        dest = self.root / name
        if dest.exists():
            shutil.rmtree(dest)
        copy.rename(dest)
        shutil.rmtree(copy.parent, ignore_errors=True)

    @staticmethod
    def discard(copy: Path) -> None:
        shutil.rmtree(copy.parent, ignore_errors=True)

    async def restore(self, name: str, saved: Path) -> None:
        """Make the copy at ``saved`` the installed plugin again (unload, swap directories, load)."""
        from .consent import permissions_digest
        from .manifest import load_manifest

        svc = self.sandbox
        async with svc._lock(name):
            await svc._unload(name)
            target = svc.root / name
            staging = Path(tempfile.mkdtemp(dir=svc.root, prefix=f".{name}.rollback-"))
            try:
                await asyncio.to_thread(shutil.copytree, saved, staging / "p", symlinks=True)
                if target.exists():
                    target.rename(staging / "old")
                (staging / "p").rename(target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            state = svc._state()
            state[name] = {**state.get(name, {}), "enabled": True,
                           "consent": permissions_digest(load_manifest(target))}
            svc._save_state(state)
            await svc._load(name)

    async def swap(self, name: str) -> None:
        """Restore the kept version and keep the one it replaces (rolling back twice swaps back)."""
        saved = self.root / name
        if not (saved / "plugin.json").is_file() or not (self.sandbox.root / name / "plugin.json").is_file():
            raise NoPrevious(f"no previous version of '{name}' is kept; rollback needs an earlier update "
                             f"through the marketplace", details={"plugin": name})
        current = await self.stage(name)
        try:
            await self.restore(name, saved)
        except BaseException:
            self.discard(current)
            raise
        self.commit(name, current)
