"""The model registry: the models in ``models_dir`` plus a catalog of known downloadable models.

``pull`` downloads to ``.<name>.onnx.part`` beside the target, resuming an interrupted download with
an HTTP Range request, verifies the sha256 and only then renames the file into place, so a model file
that exists is always complete and verified. A lock file keeps two pulls of one model apart.

The built-in catalog can be extended or overridden by a JSON file (setting ``catalog_file``)::

    {"my_model": {"url": "https://…/my_model.onnx", "sha256": "…", "task": "objects", "license": "MIT"}}
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelkit.sdk.files import atomic_output

from .api import ModelEntry
from .errors import DownloadFailed, ModelInvalid, ModelNotFound


@dataclass(frozen=True)
class CatalogEntry:
    """A downloadable model."""

    name: str
    url: str
    sha256: str
    task: str = "objects"
    license: str | None = None
    size: int | None = None


# sha256 values are those published with the files (YOLOX release 0.1.1rc0: 3,659,407 bytes).
BUILTIN_CATALOG: dict[str, CatalogEntry] = {
    "yolox_nano": CatalogEntry(
        name="yolox_nano",
        url="https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx",
        sha256="c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d",
        task="objects",
        license="Apache-2.0",
        size=3659407,
    ),
    "face_detection_yunet_120x160": CatalogEntry(
        name="face_detection_yunet_120x160",
        url="https://github.com/Kazuhito00/YuNet-ONNX-TFLite-Sample/raw/main/model/face_detection_yunet_120x160.onnx",
        sha256="c89f94fc04a5db6f9ab39df6b1e4142007dd61781ef7e3a5b9b175bb0abb8c11",
        task="faces",
        license="Apache-2.0",
        size=346295,
    ),
}


def load_catalog(catalog_file: str | Path | None) -> dict[str, CatalogEntry]:
    """The built-in catalog, updated by the entries of ``catalog_file`` when given."""
    catalog = dict(BUILTIN_CATALOG)
    if not catalog_file:
        return catalog
    path = Path(catalog_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for name, entry in data.items():
            catalog[name] = CatalogEntry(name=name, **entry)
    except (OSError, ValueError, TypeError, AttributeError) as e:
        raise ModelInvalid(
            f"model catalog {path} is not a JSON object of {{name: {{url, sha256, …}}}} ({e})",
            details={"path": str(path)},
        ) from e
    return catalog


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_model_name(name: str) -> str:
    """A model name is one file name without .onnx: never a path that could leave models_dir."""
    if not name or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        raise ModelNotFound(f"{name!r} is not a model name (a file name without .onnx)", details={"model": name})
    return name


def model_path(models_dir: Path, name: str) -> Path:
    """The file of model ``name``; raises ``recognition.model_not_found`` when absent."""
    check_model_name(name)
    path = models_dir / f"{name}.onnx"
    if not path.is_file():
        raise ModelNotFound(
            f"model {name!r} is not in {models_dir}; `reelkit models pull {name}` downloads a catalog model, "
            f"`reelkit models add FILE` installs one, or set [recognition] models_dir",
            details={"model": name, "models_dir": str(models_dir)},
        )
    return path


def list_models(models_dir: Path, catalog: dict[str, CatalogEntry]) -> list[ModelEntry]:
    """Installed models and catalog models, by name."""
    installed = {p.stem: p for p in models_dir.glob("*.onnx")} if models_dir.is_dir() else {}
    out = []
    for name in sorted(set(installed) | set(catalog)):
        p, c = installed.get(name), catalog.get(name)
        out.append(
            ModelEntry(
                name=name,
                installed=p is not None,
                path=str(p) if p else None,
                size=p.stat().st_size if p else None,
                task=c.task if c else None,
                url=c.url if c else None,
                sha256=c.sha256 if c else None,
                license=c.license if c else None,
            )
        )
    return out


def add_model(models_dir: Path, source: Path, name: str | None = None) -> Path:
    """Copy a model file (and its ``.json`` card, if any) into ``models_dir``; returns the new path.

    The file is checked to be loadable first; a bad file never lands in the directory.
    """
    source = Path(source)
    if not source.is_file():
        raise ModelInvalid(f"model file {source} does not exist", details={"path": str(source)})
    from .runtime import load_model

    load_model(source, warmup=False)  # raises recognition.model_invalid for anything unusable
    name = check_model_name(name or source.stem)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / f"{name}.onnx"
    card = source.with_suffix(".json")
    # A temporary name of its own (not pull's resumable `.<name>.onnx.part`); ".part" keeps it out of `*.onnx`.
    with atomic_output(target, suffix=".part") as tmp:
        shutil.copyfile(source, tmp)
        if card.is_file():
            shutil.copyfile(card, target.with_suffix(".json"))
    return target


def pull(
    entry: CatalogEntry,
    models_dir: Path,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download a catalog model into ``models_dir`` (resuming a partial download), verify, install."""
    import httpx
    from filelock import FileLock

    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / f"{entry.name}.onnx"
    part = models_dir / f".{entry.name}.onnx.part"
    with FileLock(str(models_dir / f".{entry.name}.lock")):
        if target.is_file() and sha256_of(target) == entry.sha256:
            return target
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with httpx.stream("GET", entry.url, headers=headers, follow_redirects=True, timeout=timeout) as r:
                if r.status_code == 416 and offset:
                    pass  # the part already holds the whole file; verify below
                elif r.status_code in (200, 206):
                    resumed = r.status_code == 206
                    total = _total_size(r, offset if resumed else 0)
                    done = offset if resumed else 0
                    with open(part, "ab" if resumed else "wb") as f:
                        try:
                            for chunk in r.iter_bytes():  # as received: a dropped link loses nothing read
                                f.write(chunk)
                                done += len(chunk)
                                if progress:
                                    progress(done, total)
                        finally:
                            f.flush()
                            os.fsync(f.fileno())
                else:
                    raise DownloadFailed(
                        f"downloading {entry.name} from {entry.url}: HTTP {r.status_code}",
                        details={"model": entry.name, "url": entry.url, "status": r.status_code},
                    )
        except httpx.HTTPError as e:
            # The part stays: the next pull resumes from where this one stopped.
            raise DownloadFailed(
                f"downloading {entry.name} from {entry.url} failed ({e}); run the pull again to resume",
                details={"model": entry.name, "url": entry.url},
            ) from e
        digest = sha256_of(part)
        if digest != entry.sha256:
            part.unlink(missing_ok=True)
            raise DownloadFailed(
                f"{entry.name}: downloaded file has sha256 {digest}, expected {entry.sha256}; "
                "it was discarded (wrong URL or a tampered file)",
                details={"model": entry.name, "sha256": digest, "expected": entry.sha256},
            )
        os.replace(part, target)
        return target


def _total_size(r, offset: int) -> int | None:
    rng = r.headers.get("content-range")  # "bytes 100-999/1000"
    if rng and "/" in rng and not rng.endswith("*"):
        return int(rng.rsplit("/", 1)[1])
    length = r.headers.get("content-length")
    return offset + int(length) if length else None
