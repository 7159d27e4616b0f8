"""Helpers of the untrusted-caller tests: a confined root with hostile entries, and a JSON-Schema fuzzer.

The root holds regular files, a FIFO, a socket, a folder and symlinks that lead out of it; a sibling
folder ``outside`` holds a secret. :func:`snapshot` records everything under a folder so a test can
prove that nothing outside the root was touched.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,500\nWorld\n"


def make_root(base: Path) -> tuple[Path, Path, list[socket.socket]]:
    """``(root, outside, open sockets)``: the confined folder and its hostile neighbours."""
    root, outside = base / "root", base / "outside"
    for d in (root, outside, root / "dir", root / "sub"):
        d.mkdir(parents=True)
    (outside / "secret.txt").write_text("outside secret")
    (outside / "victim.mp4").write_bytes(b"not yours")
    (root / "a.txt").write_text("inside text")
    (root / "a.srt").write_text(SRT)
    (root / "project.json").write_text('{"tracks": []}')
    (root / "sub" / "b.txt").write_text("b")
    os.mkfifo(root / "fifo")
    with open(os.path.join(os.fsencode(root), b"bad\xff-name.srt"), "w") as f:  # a name that is not UTF-8
        f.write(SRT)
    os.mkfifo(root / "fifo.srt")
    os.mkfifo(root / "fifo.json")
    sockets = []
    for name in ("sock", "sock.mp4"):
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(root / name))
        sockets.append(s)
    os.symlink(outside, root / "link_out")
    os.symlink(outside / "secret.txt", root / "link_secret.txt")
    os.symlink(outside / "victim.mp4", root / "link_victim.mp4")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    return root, outside, sockets


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry below ``folder`` (symlinks not followed): kind, size, mtime."""
    out: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st_ = os.lstat(p)
            out[p] = (oct(st_.st_mode), st_.st_size, st_.st_mtime_ns)
    return out


def path_pool(root: Path, outside: Path) -> list[str]:
    """Paths a hostile caller would try: inside, outside, through links, special files, malformed."""
    r, o = str(root), str(outside)
    return [
        f"{r}/a.txt", f"{r}/a.srt", f"{r}/project.json", f"{r}/sub/b.txt", f"{r}/dir", r, f"{r}/fifo",
        f"{r}/fifo.srt", f"{r}/fifo.json", f"{r}/sock", f"{r}/sock.mp4", f"{r}/new.srt", f"{r}/new.mp4",
        f"{r}/new.otio", f"{r}/sub/new.json", f"{r}/missing/new.srt", f"{r}/a.txt/child", f"{r}/loop1",
        f"{r}/link_out/secret.txt", f"{r}/link_out/new.mp4", f"{r}/link_secret.txt", f"{r}/link_victim.mp4",
        f"{r}/../outside/secret.txt", f"{o}/secret.txt", f"{o}/new.mp4", f"{o}", f"{r}/" + "x" * 300,
        f"{r}/" + "d/" * 2100 + "f", "relative.txt", "", ".", f"{r}/bad\udcff-name.srt", f"{r}/bad\udcff-name.srt", f"{r}/new\udcfe.mp4", f"{r}/nul\x00.txt",
        f"{r}/lone\ud800.txt", f"{r}/new.unknownsuffix", f"{r}/dir/",
    ]


HOSTILE_STRINGS = ["", "\x00", "a\x00b", "\ud800", "\udcff", "x" * 5000, "99999999999999999999:99:99,999",
                   "%s%n{0}", "../../..", "\n\r\t", "😀", "-1", "1e308"]
HOSTILE_NUMBERS = [0, -1, 1, 2**63, -(2**63), 10**400, 1e308, -1e308, 0.5, 1e-300]


class Fuzzer:
    """A hypothesis strategy for a JSON Schema, mixing valid values with hostile ones."""

    def __init__(self, schema: dict[str, Any], paths: list[str]) -> None:
        self.root = schema
        self.paths = paths

    def _resolve(self, s: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in s:
            ref = s["$ref"]
            node: Any = self.root
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
            s = node
        return s

    def strategy(self, s: dict[str, Any] | None = None, depth: int = 0) -> st.SearchStrategy[Any]:
        s = self._resolve(self.root if s is None else s)
        junk = st.sampled_from([None, True, 1, "x", [], {}])
        if depth > 4:
            return junk
        for key in ("anyOf", "oneOf"):
            if key in s:
                return st.one_of(*(self.strategy(x, depth + 1) for x in s[key]))
        if "allOf" in s:
            return self.strategy(s["allOf"][0], depth + 1)
        if "enum" in s:
            return st.one_of(st.sampled_from(s["enum"]), st.sampled_from(HOSTILE_STRINGS))
        if "const" in s:
            return st.just(s["const"])
        t = s.get("type")
        if isinstance(t, list):
            return st.one_of(*(self.strategy({**s, "type": x}, depth + 1) for x in t))
        if t == "string" or (t is None and "x-reelkit-path" in s):
            if s.get("format") == "path" or "x-reelkit-path" in s:
                return st.sampled_from(self.paths)
            return st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE_STRINGS + self.paths[:4]))
        if t == "integer":
            lo, hi = s.get("minimum", -1000), s.get("maximum", 1000)
            return st.one_of(st.integers(min_value=lo, max_value=max(lo, min(hi, lo + 10_000))),
                             st.sampled_from([n for n in HOSTILE_NUMBERS if isinstance(n, int)]))
        if t == "number":
            return st.one_of(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
                             st.sampled_from(HOSTILE_NUMBERS))
        if t == "boolean":
            return st.one_of(st.booleans(), junk)
        if t == "null":
            return st.none()
        if t == "array":
            item = s.get("items") or {}
            return st.lists(self.strategy(item, depth + 1), max_size=3)
        if t == "object" or "properties" in s:
            props = s.get("properties") or {}
            required = [k for k in s.get("required", []) if k in props]
            optional = {k: self.strategy(v, depth + 1) for k, v in props.items() if k not in required}
            base = st.fixed_dictionaries({k: self.strategy(props[k], depth + 1) for k in required},
                                         optional=optional)
            return st.one_of(base, base, base, base.map(lambda d: {**d, "unknown_field": 1}), junk)
        return junk


class LoopThread:
    """An event loop in a thread, so synchronous hypothesis tests can await a kernel."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self, cleanup: Callable[[], Any] | None = None) -> None:
        if cleanup is not None:
            self.run(cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
