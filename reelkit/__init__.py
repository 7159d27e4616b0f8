"""reelkit: a plugin-first microkernel for the backend of media applications.

    from reelkit import Kernel
    async with Kernel() as k:
        info = await k.invoke("media.probe", {"path": "clip.mp4"})

The repository keeps its folders at the top level (``kernel/``, ``sdk/``, ``sandbox/``,
``builtin_plugins/``); ``pyproject.toml`` maps them under this package, so they install as
``reelkit.kernel``, ``reelkit.sdk``, ``reelkit.sandbox`` and ``reelkit.builtin_plugins`` and never as
top-level names of their own.

``Kernel`` is imported on first access (PEP 562): the ``reelkit`` command imports this package, and
``reelkit --help`` must not pay for the kernel and pydantic.
"""

from typing import TYPE_CHECKING, Any

__all__ = ["Kernel", "KernelError", "__version__"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from reelkit.kernel import Kernel, KernelError


def __getattr__(name: str) -> Any:
    if name in ("Kernel", "KernelError"):
        import reelkit.kernel

        return getattr(reelkit.kernel, name)
    raise AttributeError(f"module 'reelkit' has no attribute {name!r}")
