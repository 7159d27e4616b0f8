"""sdk.files: atomic writes leave the old file or the new one, never a part, and no temporary file."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

import pytest

import reelkit.kernel.files
import reelkit.sdk.files
from reelkit.sdk.files import atomic_output, atomic_write


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_exports():
    assert set(reelkit.sdk.files.__all__) == {"atomic_write", "atomic_output", "opened_folder"}


def test_bytes_and_text_land_and_no_temp_is_left(tmp_path):
    p = tmp_path / "a.bin"
    assert atomic_write(p, b"\x00\x01") == p
    assert p.read_bytes() == b"\x00\x01"
    atomic_write(p, "héllo\nworld", encoding="cp1252", durable=False)
    assert p.read_bytes() == "héllo\nworld".encode("cp1252")  # no newline translation
    assert os.listdir(tmp_path) == ["a.bin"]


def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "a.txt"
    p.write_text("old")

    def boom(src, dst, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(reelkit.kernel.files.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(p, "new")
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_encoding_error_writes_nothing(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        atomic_write(tmp_path / "a.txt", "Привет", encoding="ascii")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_mode_new_kept_and_set(tmp_path):
    new = atomic_write(tmp_path / "new", b"x")
    assert _mode(new) == 0o666 & ~_umask()  # not mkstemp's 0600
    kept = tmp_path / "kept"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o640)
    atomic_write(kept, b"new")
    assert _mode(kept) == 0o640
    atomic_write(kept, b"newer", mode=0o600)
    assert _mode(kept) == 0o600 and kept.read_bytes() == b"newer"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_umask_read_matches_the_process_umask(tmp_path):
    code = ("import os; os.umask(0o027); from reelkit.sdk.files import atomic_write;"
            f"p = atomic_write({str(tmp_path / 'f')!r}, b'x'); print(oct(os.stat(p).st_mode & 0o777))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "0o640", r.stderr


def test_atomic_output_renames_on_success(tmp_path):
    p = tmp_path / "out.mp4"
    p.write_bytes(b"old")
    with atomic_output(p) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp.exists()  # same muxer for FFmpeg
        assert p.read_bytes() == b"old"  # nothing visible until the block ends
        tmp.write_bytes(b"new")
    assert p.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.mp4"]
    if os.name == "posix":
        assert _mode(p) == 0o666 & ~_umask()


def test_atomic_output_suffix(tmp_path):
    with atomic_output(tmp_path / "model.onnx", suffix=".part") as tmp:
        assert tmp.name.endswith(".part")
        tmp.write_bytes(b"m")
    with atomic_output(tmp_path / "noext") as tmp:
        tmp.write_bytes(b"n")
    assert sorted(os.listdir(tmp_path)) == ["model.onnx", "noext"]


@pytest.mark.parametrize("exc", [RuntimeError("ffmpeg failed"), KeyboardInterrupt(), asyncio.CancelledError()])
def test_atomic_output_removes_the_temp_on_exception(tmp_path, exc):
    p = tmp_path / "out.mkv"
    p.write_bytes(b"old")
    with pytest.raises(type(exc)):
        with atomic_output(p) as tmp:
            tmp.write_bytes(b"half")
            raise exc
    assert not tmp.exists()
    assert p.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.mkv"]


def test_atomic_output_when_the_producer_removed_its_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        with atomic_output(tmp_path / "x.png") as tmp:
            tmp.unlink()
    assert os.listdir(tmp_path) == []


def test_import_is_light():
    code = "import sys, reelkit.sdk.files; print(','.join(sorted(m for m in ('numpy', 'av', 'httpx') if m in sys.modules)))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout + r.stderr


def test_temporary_names_are_hidden_siblings(tmp_path, monkeypatch):
    """Callers sweep stale temps by this pattern (the vault: `.<name>.*.tmp`); keep it stable."""
    seen = []
    real_replace = os.replace

    def spy(src, dst, **kw):
        seen.append(os.path.basename(src))
        real_replace(src, dst, **kw)

    monkeypatch.setattr(reelkit.kernel.files.os, "replace", spy)
    atomic_write(tmp_path / "v.json", b"{}")
    with atomic_output(tmp_path / "out.mp4") as tmp:
        tmp.write_bytes(b"x")
    assert seen[0].startswith(".v.json.") and seen[0].endswith(".tmp")
    assert seen[1].startswith(".out.mp4.") and seen[1].endswith(".mp4")
