"""Confinement: every path a command touches must really lie inside one of the configured roots.

"Really" means after resolving symlinks and `..` (`os.path.realpath`), so neither
`root/../etc/passwd` nor a symlink inside a root that points outside it gets through.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from reelkit.sdk import InputInvalid, PermissionDenied


class Confinement:
    """The set of root directories that commands may touch, with path resolution against them."""

    def __init__(self, roots: Iterable[Path | str]) -> None:
        resolved: list[Path] = []
        for root in roots:
            real = Path(os.path.realpath(Path(root).expanduser()))
            if real not in resolved:
                resolved.append(real)
        self.roots: tuple[Path, ...] = tuple(resolved)

    def contains(self, real: Path) -> bool:
        """True when the already-resolved path is a root or lies below one."""
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def is_root(self, real: Path) -> bool:
        """True when the resolved path is one of the roots themselves."""
        return real in self.roots

    def resolve(self, path: str | os.PathLike[str], *, follow_final: bool = True) -> Path:
        """Return the real path of `path`, or raise `PermissionDenied` when it is outside the roots.

        With `follow_final=False` only the parent is resolved and the last component is kept as is,
        so that a symlink itself (not its target) can be deleted or moved.
        Relative paths are refused: there is no working directory a caller could rely on.
        """
        text = os.fspath(path)
        if not text or "\x00" in text:
            raise InputInvalid(
                f"{text!r}: not a usable path; give an absolute path without NUL bytes",
                details={"path": text},
            )
        raw = Path(text).expanduser()
        if not raw.is_absolute():
            raise InputInvalid(
                f"{text}: relative paths are not accepted; give an absolute path inside one of the "
                f"roots {[str(r) for r in self.roots]}",
                details={"path": text},
            )
        if follow_final or raw.name in ("", ".", ".."):
            real = Path(os.path.realpath(raw))
        else:
            real = Path(os.path.realpath(raw.parent)) / raw.name
        if not self.contains(real):
            raise PermissionDenied(
                f"{text}: outside the filesystem roots (it resolves to {real}); allowed roots are "
                f"{[str(r) for r in self.roots]} — add a root under [filesystem] roots in reelkit.toml",
                details={"path": text, "resolved": str(real), "roots": [str(r) for r in self.roots]},
            )
        return real
