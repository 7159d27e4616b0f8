"""reelkit's kernel: commands, events, services, jobs, plugins and telemetry — and no business domain.

    from reelkit import Kernel
    async with Kernel() as k:
        info = await k.invoke("media.probe", {"path": "clip.mp4"})
        sub = k.bus.subscribe("compiler.render.*", handler)
"""

from .errors import KernelError
from .kernel import Kernel

__all__ = ["Kernel", "KernelError"]
__version__ = "0.1.0"
