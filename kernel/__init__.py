"""reelkit's kernel: commands, events, services, jobs, plugins and telemetry — and no business domain.

    from reelkit import Kernel
    async with Kernel() as k:
        info = await k.invoke("media.probe", {"path": "clip.mp4"})
        sub = k.bus.subscribe("compiler.render.*", handler)

``Kernel`` loads on first access (PEP 562), so ``reelkit --help`` and the CLI manifest do not import
the kernel's machinery.
"""

from typing import TYPE_CHECKING, Any

from .errors import KernelError

__all__ = ["Kernel", "KernelError"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .kernel import Kernel


def __getattr__(name: str) -> Any:
    if name == "Kernel":
        from .kernel import Kernel

        return Kernel
    raise AttributeError(f"module 'reelkit.kernel' has no attribute {name!r}")
