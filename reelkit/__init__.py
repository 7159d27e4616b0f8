"""reelkit: a plugin-first microkernel for the backend of media applications.

    from reelkit import Kernel
    async with Kernel() as k:
        info = await k.invoke("media.probe", {"path": "clip.mp4"})

The repository keeps its folders at the top level (``kernel/``, ``sdk/``, ``sandbox/``,
``builtin_plugins/``); ``pyproject.toml`` maps them under this package, so they install as
``reelkit.kernel``, ``reelkit.sdk``, ``reelkit.sandbox`` and ``reelkit.builtin_plugins`` and never as
top-level names of their own.
"""

from reelkit.kernel import Kernel, KernelError, __version__

__all__ = ["Kernel", "KernelError", "__version__"]
