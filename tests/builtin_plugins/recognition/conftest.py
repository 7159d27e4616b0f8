"""Fixtures of the recognition tests: tiny synthetic ONNX models, the shared real models, test media."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED_MODELS = REPO.parent / "shared" / "models"


def build_constant_model(
    path: Path,
    outputs: dict[str, np.ndarray],
    *,
    input_hw: tuple[int, int] = (64, 64),
    batch: int | str = 1,
    input_name: str = "images",
    brightness_term: dict[str, np.ndarray] | None = None,
    metadata: dict[str, str] | None = None,
    batched: bool = True,
) -> Path:
    """An ONNX model whose outputs are fixed tensors (broadcast over the batch).

    With ``brightness_term``, output ``k`` becomes ``outputs[k] + mean(image_b) * brightness_term[k]``
    per image ``b`` of the batch, so a test can tell frames of a batch apart. ``batched=False`` for
    outputs without a batch axis (YuNet's).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    h, w = input_hw
    nodes, inits, outs = [], [], []
    x = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch, 3, h, w])
    inits.append(numpy_helper.from_array(np.array([1, 2, 3], np.int64), "axes"))
    nodes.append(helper.make_node("ReduceMean", [input_name, "axes"], ["mean_b"], keepdims=0))  # [B]
    for name, value in outputs.items():
        value = np.asarray(value, np.float32)
        inits.append(numpy_helper.from_array(value, f"{name}_const"))
        rank = value.ndim
        shape = np.array([-1] + [1] * (rank - 1), np.int64)
        inits.append(numpy_helper.from_array(shape, f"{name}_shape"))
        nodes.append(helper.make_node("Reshape", ["mean_b", f"{name}_shape"], [f"{name}_mean"]))
        term = (brightness_term or {}).get(name)
        coef = np.zeros_like(value) if term is None else np.asarray(term, np.float32)
        inits.append(numpy_helper.from_array(coef, f"{name}_coef"))
        nodes.append(helper.make_node("Mul", [f"{name}_mean", f"{name}_coef"], [f"{name}_var"]))
        nodes.append(helper.make_node("Add", [f"{name}_const", f"{name}_var"], [name]))
        out_shape = [batch] + list(value.shape[1:]) if batched else list(value.shape)
        outs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, out_shape))
    graph = helper.make_graph(nodes, "synthetic", [x], outs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    for k, v in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


@pytest.fixture
def make_model(tmp_path):
    """``make_model(name, outputs, **kw)`` → path of a synthetic model in a fresh models dir."""

    def make(name: str, outputs: dict[str, np.ndarray], **kw) -> Path:
        return build_constant_model(tmp_path / "models" / f"{name}.onnx", outputs, **kw)

    return make


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """The directory of the real YOLOX-Nano and YuNet models (beside the repository)."""
    if not (SHARED_MODELS / "yolox_nano.onnx").is_file():
        pytest.fail(f"the shared models are missing from {SHARED_MODELS}; see ../shared/models/MODELS.md")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(ffmpeg: str, *args: str) -> None:
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", *args], check=True, timeout=60)


@pytest.fixture(scope="session")
def ffrun(ffmpeg):
    """``ffrun(*args)`` runs the bundled FFmpeg quietly, raising on failure."""
    return lambda *args: run_ffmpeg(ffmpeg, *args)


@pytest.fixture(scope="session")
def photo_video(tmp_path_factory, ffmpeg) -> Path:
    """astronaut, chelsea, coffee (skimage.data), 2 s each at 10 fps, 320x240 H.264: 6 s in all."""
    from PIL import Image
    from skimage import data

    d = tmp_path_factory.mktemp("photos")
    args: list[str] = []
    for name in ("astronaut", "chelsea", "coffee"):
        Image.fromarray(getattr(data, name)()).resize((320, 240)).save(d / f"{name}.png")
        args += ["-loop", "1", "-t", "2", "-framerate", "10", "-i", str(d / f"{name}.png")]
    out = d / "photos.mp4"
    run_ffmpeg(
        ffmpeg, *args, "-filter_complex", "[0][1][2]concat=n=3:v=1:a=0,format=yuv420p[v]",
        "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", str(out),
    )
    return out


@pytest.fixture(scope="session")
def gray_video(tmp_path_factory, ffmpeg) -> Path:
    """A 2 s, 10 fps, 160x120 clip whose brightness steps up every 0.5 s (for batch-order checks)."""
    d = tmp_path_factory.mktemp("gray")
    out = d / "gray.mp4"
    run_ffmpeg(
        ffmpeg, "-f", "lavfi", "-i", "color=c=black:s=160x120:r=10:d=2",
        "-vf", "geq=lum='40+40*floor(T/0.5)':cb=128:cr=128,format=yuv420p",
        "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", str(out),
    )
    return out
