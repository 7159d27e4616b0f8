"""A file name that is not UTF-8 is imported, or fails alone with a specific code: never command.failed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


async def test_non_utf8_names_import_or_fail_with_a_specific_code(make_kernel, events, media_dir: Path, tmp_path: Path):
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(media_dir / "clip.mp4", lib / "ok.mp4")
    shutil.copy(media_dir / "clip.mp4", os.fsdecode(os.fsencode(lib) + b"/good\xff-clip.mp4"))
    (Path(os.fsdecode(os.fsencode(lib) + b"/broken\xfe.mp4"))).write_bytes(b"not a video")
    async with make_kernel(builtins=["media"]) as k:
        rec = events(k, "media.file.*")
        result = await k.wait(await k.invoke("media.import", {"paths": [str(lib)], "thumbnails": True}))
    name = lambda p: os.fsencode(p).rsplit(b"/", 1)[1]  # noqa: E731 - the exact bytes, surrogate-escaped in text
    assert {name(f.path) for f in result.files} >= {b"ok.mp4"}
    failed = {name(f.path): f.code for f in result.failed}
    # PyAV takes UTF-8 names only: such a file fails alone as path.not_utf8 (or imports), never as a bug
    assert failed.get(b"good\xff-clip.mp4", "path.not_utf8") == "path.not_utf8", failed
    assert failed[b"broken\xfe.mp4"] in ("path.not_utf8", "media.unreadable"), failed
    assert len(result.files) + len(result.failed) == 3
    assert all(getattr(e, "code", "x") != "command.failed" for e in rec.of("media.file.failed"))
