"""ONNX Runtime sessions: providers from settings, the provider really in use, a warm-up run.

``auto`` asks for the accelerated providers that are present (TensorRT, CUDA, DirectML, CoreML) and
falls back to CPU. ONNX Runtime silently drops a provider that fails to initialise, so the provider
in use is read back from the session after it starts, and reported in health.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .cards import ModelCard, infer_card, read_card_file
from .errors import ModelInvalid, RuntimeConflict

AUTO_ORDER = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)

_ORT_DISTRIBUTIONS = ("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml", "onnxruntime-openvino")


def installed_runtimes() -> list[str]:
    """The ONNX Runtime distributions installed (they all provide the same ``onnxruntime`` module)."""
    found = []
    for dist in _ORT_DISTRIBUTIONS:
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        found.append(dist)
    return found


_CHOOSE = "install exactly one of the extras: reelkit[cpu] (onnxruntime) or reelkit[gpu] (onnxruntime-gpu, CUDA)"


def check_runtime(dists: list[str] | None = None) -> None:
    """Exactly one ONNX Runtime distribution: ``ExtraMissing`` for none, ``RuntimeConflict`` for several.

    The distributions share one ``onnxruntime`` module folder, so uninstalling one of two leaves the
    other broken: the fix for a conflict is to remove both and reinstall one extra.
    """
    dists = installed_runtimes() if dists is None else dists
    if not dists:
        from reelkit.kernel.extras import missing_extra

        raise missing_extra("recognition (ONNX Runtime)", "cpu", module="onnxruntime",
                            alternatives="or reelkit[gpu] for CUDA; never both")
    if len(dists) > 1:
        raise RuntimeConflict(
            f"{' and '.join(dists)} are installed together; they overwrite each other's 'onnxruntime' "
            f"module, and uninstalling just one leaves the other broken. Remove them all, then {_CHOOSE}: "
            f"pip uninstall -y {' '.join(dists)} && pip install 'reelkit[cpu]'  (or 'reelkit[gpu]')",
            details={"installed": dists, "extras": ["cpu", "gpu"]},
        )


def choose_providers(setting: str, available: list[str]) -> list[str]:
    """Providers to request: ``auto`` → accelerated ones present, then CPU; else a comma list, in order."""
    if setting.strip().lower() in ("", "auto"):
        return [p for p in AUTO_ORDER if p in available] or ["CPUExecutionProvider"]
    wanted = []
    for name in (p.strip() for p in setting.split(",")):
        if not name:
            continue
        full = name if name.endswith("ExecutionProvider") else f"{name.upper() if name.lower() == 'cpu' else name}ExecutionProvider"
        match = next((p for p in available if p.lower() == full.lower()), None)
        if match is None:
            raise ModelInvalid(
                f"execution provider {name!r} is not available; available: {', '.join(available)} "
                "(set [recognition] providers = \"auto\")",
                details={"provider": name, "available": available},
            )
        wanted.append(match)
    if "CPUExecutionProvider" not in wanted:
        wanted.append("CPUExecutionProvider")
    return wanted


@dataclass
class LoadedModel:
    """A started session and everything needed to feed it."""

    name: str
    path: Path
    session: Any  # onnxruntime.InferenceSession
    card: ModelCard
    input_name: str
    output_names: list[str]
    providers: list[str]  # actually in use, best first
    threads: int = 0  # intra-op threads of a run; 0: ONNX Runtime's choice (every core)

    @property
    def provider(self) -> str:
        return self.providers[0] if self.providers else "none"


def load_model(
    path: Path, *, providers: str = "auto", threads: int = 0, warmup: bool = True, spinning: bool = False
) -> LoadedModel:
    """Start a session for the model file at ``path`` and infer its card.

    ``threads`` 0 lets ONNX Runtime choose. ``spinning`` lets its idle worker threads busy-wait for
    the next run: a little faster alone, but it burns the CPU the video decoder needs, so it is off by
    default. Raises ``ModelInvalid`` for a missing or unreadable file.
    """
    check_runtime()
    import numpy as np
    import onnxruntime as ort

    name = path.stem
    if not path.is_file():
        raise ModelInvalid(f"model file {path} does not exist", details={"path": str(path)})
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "1" if spinning else "0")
    requested = choose_providers(providers, ort.get_available_providers())
    try:
        session = ort.InferenceSession(str(path), sess_options=opts, providers=requested)
    except Exception as e:  # onnxruntime raises its own Fail/InvalidProtobuf/… types
        raise ModelInvalid(
            f"model {path} cannot be loaded by ONNX Runtime: {str(e).strip()[:300]}; "
            "re-download it (`reelkit models pull NAME`) or check the file",
            details={"path": str(path)},
        ) from e
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    if len(inputs) != 1:
        raise ModelInvalid(f"model {path}: expected one image input, found {len(inputs)}", details={"path": str(path)})
    card = infer_card(
        name,
        list(inputs[0].shape),
        [list(o.shape) for o in outputs],
        [o.name for o in outputs],
        dict(session.get_modelmeta().custom_metadata_map),
        read_card_file(path),
    )
    model = LoadedModel(
        name=name,
        path=path,
        session=session,
        card=card,
        input_name=inputs[0].name,
        output_names=[o.name for o in outputs],
        providers=list(session.get_providers()),
        threads=threads,
    )
    if warmup:
        h, w = card.input_size
        dummy = np.full((1, 3, h, w), card.pad_value * card.scale, dtype=np.float32)
        try:
            session.run(model.output_names, {model.input_name: dummy})
        except Exception as e:
            raise ModelInvalid(
                f"model {path}: a warm-up run failed ({str(e).strip()[:300]})", details={"path": str(path)}
            ) from e
    return model
