"""Cross-process faults: a writer killed mid-write, two writers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from reelkit.builtin_plugins.security.store import SecretStore
from reelkit.builtin_plugins.security.vault import KdfParams

FAST = KdfParams(iterations=1, lanes=1, memory_kib=1024)
ROOT = Path(__file__).resolve().parents[3]

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from reelkit.builtin_plugins.security.store import SecretStore
    from reelkit.builtin_plugins.security.vault import KdfParams
    path, prefix, count, size = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    s = SecretStore(backend="vault", vault_path=path, passphrase="pw", kdf=KdfParams(1, 1, 1024))
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    for i in range(count):
        s.set(f"{prefix}{i}", f"{prefix}{i}:" + "x" * size)
        if i == 0:
            print("first", flush=True)
    print("done", flush=True)
""")


def spawn(path: Path, prefix: str, count: int, size: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(path), prefix, str(count), str(size)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_writer_killed_mid_write_leaves_previous_vault_intact(tmp_path: Path) -> None:
    """SIGKILL a writing process at random moments, and once the moment its temp file appears: the vault always
    opens and holds a prefix of its writes."""
    path = tmp_path / "v"
    seed = SecretStore(backend="vault", vault_path=path, passphrase="pw", kdf=FAST)
    seed.set("seed", "kept")
    mid_write = 0
    for round_ in range(5):
        p = spawn(path, f"r{round_}-", 100000, 20000)  # ~20 kB values: each write takes a while
        p.stdin.write("go\n")
        p.stdin.flush()
        while (line := p.stdout.readline()) and line.strip() != "first":
            pass  # log lines; wait for a first write to land, so a loaded machine cannot make this flaky
        assert line.strip() == "first"
        time.sleep(0.02 + 0.037 * round_)  # let more writes land; vary the phase
        deadline = time.monotonic() + 10
        while round_ == 4 and not list(tmp_path.glob(".v.*.tmp")) and time.monotonic() < deadline:
            pass  # spin: the temp file exists only while a write is in flight
        caught = bool(list(tmp_path.glob(".v.*.tmp")))
        assert p.poll() is None, "the writer finished before it could be killed"
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        mid_write += caught and bool(list(tmp_path.glob(".v.*.tmp")))
        reader = SecretStore(backend="vault", vault_path=path, passphrase="pw", kdf=FAST)
        names = {i.name for i in reader.list()}  # decrypts every entry: the file is whole
        assert "seed" in names
        written = sorted(int(n.split("-")[1]) for n in names if n.startswith(f"r{round_}-"))
        assert written == list(range(len(written))), "writes must land in order, none half-done"
        assert written, "the writer should have completed some writes before the kill"
        for i in written[-2:]:
            assert reader.get(f"r{round_}-{i}") == f"r{round_}-{i}:" + "x" * 20000
    assert mid_write >= 1, "no kill landed while a temp file was being written"
    # the next write clears the temp file a killed writer left
    seed.set("after", "1")
    assert not list(tmp_path.glob(".v.*.tmp"))


def test_two_processes_writing_at_once_keep_both(tmp_path: Path) -> None:
    """Two writers interleave under the file lock; neither loses the other's entries, and a reader polling
    meanwhile never sees a half-written file."""
    path = tmp_path / "v"
    SecretStore(backend="vault", vault_path=path, passphrase="pw", kdf=FAST).set("seed", "1")
    procs = [spawn(path, prefix, 25, 500) for prefix in ("a", "b")]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    watcher = SecretStore(backend="vault", vault_path=path, passphrase="pw", kdf=FAST)
    reads = 0
    while any(p.poll() is None for p in procs):
        watcher.list()  # raises security.vault_corrupt on a torn file
        reads += 1
    assert reads > 5
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0 and "done" in out
    reader = SecretStore(backend="vault", vault_path=path, passphrase="pw", kdf=FAST)
    names = {i.name for i in reader.list()}
    assert names == {"seed"} | {f"a{i}" for i in range(25)} | {f"b{i}" for i in range(25)}
    assert reader.get("b24") == "b24:" + "x" * 500
