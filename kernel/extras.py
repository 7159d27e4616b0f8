"""Optional dependencies, chosen by extras: ``reelkit[cpu]`` or ``reelkit[gpu]`` (ONNX Runtime),
``reelkit[sandbox]`` (WASM plugins), ``reelkit[cluster]`` (Dask), ``reelkit[otlp]``.

:func:`require` imports a module of an extra or raises :class:`~reelkit.kernel.errors.ExtraMissing`
naming the extra to install, so the base install stays usable and a missing piece reads as an
instruction, never as an ``ImportError`` from deep inside a plugin.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import ExtraMissing

__all__ = ["require", "missing_extra"]


def missing_extra(feature: str, extra: str, *, module: str, alternatives: str = "") -> ExtraMissing:
    """The error for ``feature`` needing ``pip install 'reelkit[extra]'``."""
    also = f" ({alternatives})" if alternatives else ""
    return ExtraMissing(
        f"{feature} needs the {extra!r} extra, which is not installed (no module {module!r}): "
        f"pip install 'reelkit[{extra}]'{also}",
        details={"extra": extra, "module": module, "feature": feature},
    )


def require(module: str, *, extra: str, feature: str, alternatives: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`ExtraMissing` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] != module.split(".")[0]:
            raise  # the extra is there but one of its own dependencies is broken: show the real error
        raise missing_extra(feature, extra, module=module, alternatives=alternatives) from e
