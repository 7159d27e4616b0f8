"""The one path policy (issue 14), attacked for real: symlink races, FIFOs, sockets, folders, big files.

Every test makes its own FIFOs, sockets and folders in a temporary directory; none touches /dev.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from reelkit import Kernel
from reelkit.kernel.errors import KernelError
from reelkit.sdk.files import atomic_write

CONFINED = ["filesystem", "subtitles", "compiler", "media", "sandbox"]
SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"


def _kernel(tmp_path: Path, root: Path, **paths: object) -> Kernel:
    dirs = {k: str(root / ".kernel" / k) for k in ("data_dir", "cache_dir", "config_dir")}
    return Kernel(settings={**dirs, "paths": {"roots": [str(root)], **paths}, "filesystem": {"roots": [str(root)]}},
                  builtins=["filesystem", "subtitles", "compiler", "media", "sandbox"], entry_points=False)


async def _code(k: Kernel, command: str, payload: dict, grants: list[str] | None = CONFINED) -> str:
    try:
        await k.invoke(command, payload, grants=grants)
    except KernelError as e:
        return e.code
    return "ok"


class Swapper:
    """Exchanges the folder ``root/real`` with a symlink to ``outside`` and back (renameat2
    RENAME_EXCHANGE: the name never goes missing), as fast as it can."""

    def __init__(self, root: Path, outside: Path) -> None:
        self.root, self.outside = root, outside
        self.stop = threading.Event()
        self.swaps = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        os.symlink(outside, root / "link")
        libc = ctypes.CDLL(None, use_errno=True)
        self._exchange = lambda a, b: libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2)

    def _run(self) -> None:
        real, link = self.root / "real", self.root / "link"
        while not self.stop.is_set():
            if self._exchange(real, link) != 0:  # now real is the symlink out
                raise OSError(ctypes.get_errno(), "renameat2")
            time.sleep(0.0005)
            self._exchange(real, link)
            self.swaps += 1
            time.sleep(0.001)  # some calls must find the real folder, or nothing races

    def __enter__(self) -> Swapper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def _race_tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (root / "real" / "f.txt").write_text("inside")
    (outside / "f.txt").write_text("OUTSIDE")
    return root, outside


async def test_symlink_swaps_never_leak_reads_or_writes_outside_the_root(tmp_path: Path) -> None:
    """filesystem.read_text/write_text and subtitles.convert's output while root/real flips to a symlink."""
    root, outside = _race_tree(tmp_path)
    target = str(root / "real" / "f.txt")
    codes: dict[str, int] = {}
    leaked: list[str] = []
    async with _kernel(tmp_path, root) as k:
        with Swapper(root, outside) as sw:
            i, deadline = 0, time.monotonic() + 60
            while (i < 150 or sw.swaps < 30) and time.monotonic() < deadline:
                i += 1
                for command, payload in (
                    ("filesystem.read_text", {"path": target}),
                    ("filesystem.write_text", {"path": target, "text": f"w{i}"}),
                    ("subtitles.convert", {"content": SRT, "to": "vtt", "output": str(root / "real" / "out.vtt"),
                                           "overwrite": True}),
                ):
                    try:
                        out = await k.invoke(command, payload, grants=CONFINED)
                        if command == "filesystem.read_text" and out.text == "OUTSIDE":
                            leaked.append(out.text)
                        codes["ok"] = codes.get("ok", 0) + 1
                    except KernelError as e:
                        codes[e.code] = codes.get(e.code, 0) + 1
        assert sw.swaps >= 30
    assert not leaked, f"{len(leaked)} reads returned the file outside the root"
    assert sorted(os.listdir(outside)) == ["f.txt"], "a write or a temporary file landed outside the root"
    assert (root / "real").is_dir() and not (root / "real").is_symlink()
    assert (outside / "f.txt").read_text() == "OUTSIDE"
    assert "command.failed" not in codes and codes.get("ok", 0) > 0, codes
    assert set(codes) <= {"ok", "path.outside_roots", "permission.denied", "path.not_found", "not_found",
                          "filesystem.not_found", "filesystem.not_a_directory", "path.not_directory",
                          "subtitles.output_invalid", "path.invalid"}, codes


async def test_outputs_are_never_written_through_a_fifo_socket_or_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    os.mkfifo(root / "out.srt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock.vtt"))
    (root / "folder.vtt").mkdir()
    try:
        async with _kernel(tmp_path, root) as k:
            for grants in (None, CONFINED):  # the embedding app too: no command writes through one
                for name in ("out.srt", "sock.vtt", "folder.vtt"):
                    code = await _code(k, "subtitles.convert", {"content": SRT, "output": str(root / name),
                                                                "overwrite": True}, grants)
                    assert code == "subtitles.output_invalid", (name, code)
            t0 = time.perf_counter()
            project = {"tracks": []}
            assert await _code(k, "compiler.render", {"project": project, "output": str(root / "folder.vtt")}) \
                == "compiler.output_invalid"
            assert time.perf_counter() - t0 < 5  # refused before any encoding starts
    finally:
        sock.close()
    assert (root / "out.srt").is_fifo() and (root / "sock.vtt").is_socket() and (root / "folder.vtt").is_dir()
    assert sorted(os.listdir(root)) == [".kernel", "folder.vtt", "out.srt", "sock.vtt"]


async def test_replacing_an_existing_output_needs_overwrite(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    out = root / "a.vtt"
    out.write_text("keep me")
    async with _kernel(tmp_path, root) as k:
        assert await _code(k, "subtitles.convert", {"content": SRT, "output": str(out)}) == "subtitles.output_exists"
        assert out.read_text() == "keep me"
        assert await _code(k, "subtitles.convert", {"content": SRT, "output": str(out), "overwrite": True}) == "ok"
        assert "Hello" in out.read_text()


def test_helper_files_beside_an_output_follow_the_same_rule(tmp_path: Path) -> None:
    """X.json beside an export X: a FIFO there is refused by atomic_write itself, for every caller."""
    os.mkfifo(tmp_path / "X.json")
    with pytest.raises(KernelError) as e:
        atomic_write(tmp_path / "X.json", "{}")
    assert e.value.code.endswith(".output_invalid") and (tmp_path / "X.json").is_fifo()


async def test_reads_refuse_special_files_and_are_bounded(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "plugin").mkdir(parents=True)
    os.mkfifo(root / "fifo.json")
    (root / "big.json").write_text('{"tracks": []}' + " " * 5000)
    (root / "big.srt").write_text(SRT * 200)
    (root / "plain.txt").write_text("x")
    async with _kernel(tmp_path, root, max_read_bytes=2000) as k:
        for grants in (None, CONFINED):
            fifo = str(root / "fifo.json")
            assert await _code(k, "compiler.validate", {"project": fifo}, grants) == "compiler.input_invalid"
            assert await _code(k, "compiler.build_command", {"project": fifo}, grants) == "compiler.input_invalid"
            assert await _code(k, "subtitles.merge", {"content": SRT, "second_path": fifo}, grants) \
                == "subtitles.input_invalid"
            assert await _code(k, "sandbox.pack", {"path": fifo}, grants) == "path.not_directory"
            assert await _code(k, "sandbox.pack", {"path": str(root / "plain.txt")}, grants) == "path.not_directory"
            assert await _code(k, "compiler.validate", {"project": str(root / "big.json")}, grants) == "compiler.too_large"
            assert await _code(k, "subtitles.parse", {"path": str(root / "big.srt")}, grants) == "subtitles.too_large"


async def test_bad_paths_and_numbers_get_specific_codes_before_any_handler(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.srt").write_text(SRT)
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    async with _kernel(tmp_path, root) as k:
        cases = [
            ("media.thumbnail", {"path": str(root / "a.srt"), "time": 1e308}, "input.invalid"),
            ("subtitles.parse", {"path": str(root / "a\x00.srt")}, "input.invalid"),
            ("subtitles.parse", {"content": "lone \ud800"}, "input.invalid"),
            ("subtitles.parse", {"path": str(root / ("n" * 300))}, "input.invalid"),
            ("compiler.import_otio", {"path": ""}, "input.invalid"),
            ("subtitles.retime", {"content": SRT.replace("00:00:01", "9" * 400 + ":00:01"), "from_fps": 25,
                                  "to_fps": 24}, "subtitles.time_out_of_range"),
            ("subtitles.shift", {"content": SRT, "offset_ms": 10**400}, "input.invalid"),
            ("compiler.import_otio", {"path": str(root / "a.srt")}, "input.invalid"),
            ("subtitles.convert", {"content": SRT, "output": str(root / "a.srt" / "x.vtt")}, "path.not_directory"),
            ("subtitles.parse", {"path": str(tmp_path / "elsewhere.srt")}, "path.outside_roots"),
            ("subtitles.parse", {"path": str(root / ".." / "elsewhere.srt")}, "path.outside_roots"),
            ("subtitles.parse", {"path": "relative.srt"}, "input.invalid"),
        ]
        for command, payload, code in cases:
            assert await _code(k, command, payload) == code, (command, payload)
        assert await _code(k, "subtitles.parse", {"path": str(root / "loop1")}) in ("path.symlink_loop",
                                                                                    "path.outside_roots")


async def test_the_embedding_app_is_unconfined_unless_configured(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (elsewhere / "a.srt").write_text(SRT)
    async with _kernel(tmp_path, root) as k:
        assert await _code(k, "subtitles.parse", {"path": str(elsewhere / "a.srt")}, None) == "ok"
        assert await _code(k, "subtitles.parse", {"path": str(elsewhere / "a.srt")}, CONFINED) == "path.outside_roots"
        roots = [str(elsewhere)]
        out = await k.invoke("subtitles.parse", {"path": str(elsewhere / "a.srt")}, grants=CONFINED, roots=roots)
        assert out.cue_count == 1
    async with _kernel(tmp_path, root, confine_app=True) as k:
        assert await _code(k, "subtitles.parse", {"path": str(elsewhere / "a.srt")}, None) == "path.outside_roots"


def test_no_fd_is_left_open_after_calls(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.srt").write_text(SRT)

    async def main() -> tuple[int, int]:
        async with _kernel(tmp_path, root) as k:
            await k.invoke("subtitles.parse", {"path": str(root / "a.srt")}, grants=CONFINED)
            before = len(os.listdir("/proc/self/fd"))
            for _ in range(50):
                await k.invoke("subtitles.convert", {"path": str(root / "a.srt"), "to": "vtt",
                                                     "output": str(root / "a.vtt"), "overwrite": True},
                               grants=CONFINED)
            await asyncio.sleep(0)
            return before, len(os.listdir("/proc/self/fd"))

    before, after = asyncio.run(main())
    assert after <= before + 2


async def test_paths_in_lists_and_mappings_are_confined_too(tmp_path: Path) -> None:
    """compiler.import_otio's relink targets (a mapping) and search folders (a list) name files: a confined
    caller cannot point them outside its roots, while the same call inside them goes on."""
    import opentimelineio as otio

    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    tl = otio.schema.Timeline(name="t")
    tl.tracks.append(otio.schema.Track())
    timeline = root / "t.otio"
    otio.adapters.write_to_file(tl, str(timeline))
    async with _kernel(tmp_path, root) as k:
        base = {"path": str(timeline)}
        assert await _code(k, "compiler.import_otio", {**base, "search_folders": [str(elsewhere)]}) == "path.outside_roots"
        assert await _code(k, "compiler.import_otio", {**base, "relink": {"a.mov": str(elsewhere)}}) == "path.outside_roots"
        assert await _code(k, "compiler.import_otio", {**base, "search_folders": [str(root)],
                                                       "relink": {"a.mov": str(root)}}) == "ok"
