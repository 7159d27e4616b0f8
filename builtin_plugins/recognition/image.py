"""Reading still images for detection (Pillow), with the checks that keep bad input out."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ImageInvalid


def load_rgb(path: str | Path, max_pixels: int) -> np.ndarray:
    """An ``[H, W, 3]`` RGB uint8 array of the image at ``path``, EXIF orientation applied.

    Raises ``recognition.image_invalid`` for a missing file, something that is not an image, or an
    image larger than ``max_pixels`` (checked from the header, before decoding).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise ImageInvalid(f"image {p} does not exist or is not a file", details={"path": str(p)})
    try:
        with Image.open(p) as im:
            w, h = im.size
            if w < 1 or h < 1 or w * h > max_pixels:
                raise ImageInvalid(
                    f"image {p} is {w}x{h} ({w * h} pixels); the limit is {max_pixels} "
                    "([recognition] max_image_pixels); downscale it first",
                    details={"path": str(p), "width": w, "height": h},
                )
            im = ImageOps.exif_transpose(im)
            return np.asarray(im.convert("RGB"))
    except ImageInvalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise ImageInvalid(
            f"{p} is not a readable image ({e}); for a video use recognition.detect_video", details={"path": str(p)}
        ) from e
