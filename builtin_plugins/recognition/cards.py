"""Model cards: what a detection model expects and what its output means.

A card is inferred from the model's input/output shapes and metadata, and any field can be overridden
by a JSON file beside the model (``yolox_nano.json`` next to ``yolox_nano.onnx``)::

    {"layout": "yolov8", "input_size": [640, 640], "color": "rgb", "scale": 0.00392156862745098,
     "pad": "center", "pad_value": 114, "class_names": ["person", "car"]}

Layouts (output tensor shapes, N candidate boxes, C classes):

========  ===============  ==============================================================
yolov8    ``[1, 4+C, N]``  cx, cy, w, h (input pixels), C class scores; no objectness
yolov5    ``[1, N, 5+C]``  cx, cy, w, h (input pixels), objectness, C class scores
yolox     ``[1, N, 5+C]``  raw: grid offsets and log sizes, decoded with the strides
end2end   ``[1, K, 6]``    x1, y1, x2, y2, score, class (NMS already done)
yunet     loc/conf/iou     YuNet face detector, prior-box decoding
========  ===============  ==============================================================
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ModelInvalid

LAYOUTS = ("yolov8", "yolov5", "yolox", "end2end", "yunet")

COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)


@dataclass(frozen=True)
class ModelCard:
    """How to feed a model and read its output."""

    layout: str
    input_size: tuple[int, int]  # (height, width)
    color: str = "rgb"  # channel order the model wants: "rgb" or "bgr"
    scale: float = 1.0 / 255.0  # 0..255 pixel values are multiplied by this
    pad: str = "center"  # letterbox placement: "center" or "topleft"
    pad_value: float = 114.0  # in 0..255 units, before scaling
    class_names: tuple[str, ...] = ()
    strides: tuple[int, ...] = (8, 16, 32)
    batch: int | None = 1  # fixed batch size, or None when the batch axis is dynamic

    @property
    def task(self) -> str:
        """``faces`` for a face detector, ``objects`` otherwise."""
        return "faces" if self.layout == "yunet" else "objects"

    def class_name(self, class_id: int) -> str:
        """The class's name, or ``class_<id>`` when the card has none."""
        if 0 <= class_id < len(self.class_names):
            return self.class_names[class_id]
        return f"class_{class_id}"


# What each layout's family was trained with; a card file overrides any of these.
_FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "yolox": {"color": "bgr", "scale": 1.0, "pad": "topleft", "pad_value": 114.0},
    "yolov5": {"color": "rgb", "scale": 1.0 / 255.0, "pad": "center", "pad_value": 114.0},
    "yolov8": {"color": "rgb", "scale": 1.0 / 255.0, "pad": "center", "pad_value": 114.0},
    "end2end": {"color": "rgb", "scale": 1.0 / 255.0, "pad": "center", "pad_value": 114.0},
    "yunet": {"color": "bgr", "scale": 1.0, "pad": "topleft", "pad_value": 0.0},
}


def grid_cells(input_size: tuple[int, int], strides: tuple[int, ...]) -> int:
    """Number of anchor-free grid cells over all strides (YOLOX's N)."""
    h, w = input_size
    return sum((h // s) * (w // s) for s in strides)


def _dim(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _names_from_metadata(meta: dict[str, str]) -> tuple[str, ...]:
    """Ultralytics exports store ``names`` as a Python dict literal ``{0: 'person', ...}``."""
    raw = meta.get("names") or meta.get("classes")
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return ()
    if isinstance(value, dict):
        return tuple(str(value[k]) for k in sorted(value, key=int))
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def infer_card(
    name: str,
    input_shape: list[Any],
    output_shapes: list[list[Any]],
    output_names: list[str],
    metadata: dict[str, str],
    overrides: dict[str, Any] | None = None,
) -> ModelCard:
    """Work out a model's card from its tensors, metadata and an optional card file's fields.

    Raises ``ModelInvalid`` when the layout cannot be told and no card names it.
    """
    overrides = dict(overrides or {})
    if len(input_shape) != 4:
        raise ModelInvalid(
            f"model {name!r}: input has shape {input_shape}, expected [batch, 3, height, width]",
            details={"model": name},
        )
    h = _dim(input_shape[2]) or _dim(overrides.get("input_size", [None, None])[0])
    w = _dim(input_shape[3]) or _dim(overrides.get("input_size", [None, None])[1])
    if "input_size" in overrides:
        h, w = (int(v) for v in overrides["input_size"])
    if not h or not w:
        imgsz = metadata.get("imgsz")
        if imgsz:
            h, w = (int(v) for v in ast.literal_eval(imgsz))
        else:
            h = w = 640
    strides = tuple(overrides.get("strides", (8, 16, 32)))
    layout = overrides.get("layout") or _guess_layout(name, (h, w), strides, output_shapes, output_names)
    if layout not in LAYOUTS:
        raise ModelInvalid(
            f"model {name!r}: unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}",
            details={"model": name},
        )
    names = tuple(overrides.get("class_names") or _names_from_metadata(metadata))
    if not names and layout != "yunet":
        classes = _class_count(layout, output_shapes[0])
        names = COCO_CLASSES if classes == 80 else ()
    if layout == "yunet":
        names = ("face",)
    base: dict[str, Any] = dict(_FAMILY_DEFAULTS[layout])
    base.update(
        layout=layout,
        input_size=(h, w),
        class_names=names,
        strides=strides,
        batch=_dim(input_shape[0]),
    )
    allowed = {f.name for f in fields(ModelCard)}
    for key, value in overrides.items():
        if key not in allowed:
            raise ModelInvalid(
                f"model {name!r}: card field {key!r} is unknown; known fields: {', '.join(sorted(allowed))}",
                details={"model": name},
            )
        if key not in ("layout", "input_size", "class_names", "strides"):
            base[key] = value
    card = ModelCard(**base)
    if card.color not in ("rgb", "bgr") or card.pad not in ("center", "topleft"):
        raise ModelInvalid(
            f"model {name!r}: color must be rgb|bgr and pad center|topleft (got {card.color!r}, {card.pad!r})",
            details={"model": name},
        )
    return card


def _class_count(layout: str, shape: list[Any]) -> int | None:
    if layout == "yolov8":
        return _dim(shape[1]) - 4 if _dim(shape[1]) else None
    if layout in ("yolov5", "yolox"):
        return _dim(shape[2]) - 5 if _dim(shape[2]) else None
    return None


def _guess_layout(
    name: str,
    input_size: tuple[int, int],
    strides: tuple[int, ...],
    output_shapes: list[list[Any]],
    output_names: list[str],
) -> str:
    if {"loc", "conf", "iou"} <= set(output_names):
        return "yunet"
    if len(output_shapes) >= 1 and len(output_shapes[0]) == 3:
        _, a, b = output_shapes[0]
        a, b = _dim(a), _dim(b)
        cells = grid_cells(input_size, strides)
        if a and b:
            if b == 6 and a not in (cells, 3 * cells):
                return "end2end"
            if a == cells and b > 5:
                return "yolox"
            if a == 3 * cells and b > 5:
                return "yolov5"
            if b == cells and a > 4:
                return "yolov8"
            if a < b and a > 4:
                return "yolov8"
        elif b and b > 5:
            return "yolov5"
    raise ModelInvalid(
        f"model {name!r}: cannot tell its output layout from shapes {output_shapes}; "
        f"put a card file '{name}.json' beside it with a 'layout' of {', '.join(LAYOUTS)}",
        details={"model": name, "outputs": [str(s) for s in output_shapes]},
    )


def read_card_file(model_path: Path) -> dict[str, Any]:
    """The overrides from the JSON card beside a model, or ``{}`` when there is none."""
    path = model_path.with_suffix(".json")
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelInvalid(
            f"model card {path}: not valid JSON ({e}); fix or remove it", details={"path": str(path)}
        ) from e
    if not isinstance(data, dict):
        raise ModelInvalid(f"model card {path}: must be a JSON object", details={"path": str(path)})
    return data


def with_overrides(card: ModelCard, **changes: Any) -> ModelCard:
    """A copy of ``card`` with some fields changed."""
    return replace(card, **changes)


__all__ = ["COCO_CLASSES", "LAYOUTS", "ModelCard", "grid_cells", "infer_card", "read_card_file"]
