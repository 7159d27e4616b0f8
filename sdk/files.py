"""Atomic file writes for plugins: a reader sees the old file or the new one, never a part of one.

See :mod:`kernel.files` (the kernel's own transports use the same two functions).
"""

from reelkit.kernel.files import atomic_output, atomic_write, opened_folder

__all__ = ["atomic_write", "atomic_output", "opened_folder"]
