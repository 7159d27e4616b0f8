"""The metadata cache: keyed by path, size and mtime; TTL; size bound; survives restarts; fast hits."""

from __future__ import annotations

import os
import sqlite3
import statistics
import time

from reelkit.builtin_plugins.media.cache import MetadataCache, file_key
from reelkit.builtin_plugins.media.probe import probe_file



def mtime_bump(path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def make(cache_dir, **kw) -> MetadataCache:
    from reelkit.sdk.perf import make_cache

    kw.setdefault("ttl", 3600)
    kw.setdefault("max_entries", 100)
    return MetadataCache(cache_dir / "media.sqlite", memory=make_cache("ttl", maxsize=64, ttl=kw["ttl"]), **kw)


def test_miss_then_hit(media, cache_dir):
    """A file is a miss until put, then a hit returning the same facts; both are counted."""
    c = make(cache_dir)
    path = str(media / "clip.mp4")
    assert c.get(path) is None
    info = probe_file(path)
    c.put(info)
    assert c.get(path) == info
    assert (c.hits, c.misses) == (1, 1)


def test_changed_file_misses(media_copy, cache_dir):
    """Touching a file (new mtime) or rewriting it (new size) makes its old entry useless."""
    c = make(cache_dir)
    path = media_copy / "clip.mp4"
    c.put(probe_file(str(path)))
    mtime_bump(path)
    assert c.get(str(path)) is None
    c.put(probe_file(str(path)))
    assert c.get(str(path)) is not None
    assert len(c) == 1  # the stale version's row was replaced, not kept


def test_survives_restart(media, cache_dir):
    """A new cache on the same database answers from sqlite, then from memory."""
    path = str(media / "tone.flac")
    first = make(cache_dir)
    first.put(probe_file(path))
    first.close()
    second = make(cache_dir)
    assert len(second.memory) == 0
    hit = second.get(path)
    assert hit is not None and hit.audio.codec == "flac"
    assert len(second.memory) == 1


def test_ttl_expires(media, cache_dir):
    """An entry older than the TTL is a miss, in memory and in the database."""
    c = make(cache_dir, ttl=0.2)
    path = str(media / "tone.wav")
    c.put(probe_file(path))
    assert c.get(path) is not None
    time.sleep(0.3)
    assert c.get(path) is None
    fresh = make(cache_dir, ttl=0.2)
    assert fresh.get(path) is None and len(fresh) == 0


def test_size_bound_evicts_least_recently_used(media, cache_dir):
    """With max_entries=3, a fourth file evicts the entry used longest ago."""
    c = make(cache_dir, max_entries=3)
    names = ["tone.wav", "tone.mp3", "tone.flac", "tone.ogg"]
    for n in names[:3]:
        c.put(probe_file(str(media / n)))
        time.sleep(0.01)
    c.memory.clear()
    assert c.get(str(media / "tone.wav")) is not None  # now the most recently used
    c.put(probe_file(str(media / "tone.ogg")))
    assert len(c) == 3
    c.memory.clear()
    assert c.get(str(media / "tone.mp3")) is None
    assert c.get(str(media / "tone.wav")) is not None


def test_rows_are_whole_json(media, cache_dir):
    """Each row holds a complete, parseable MediaInfo (no half-written state)."""
    c = make(cache_dir)
    for n in ("clip.mp4", "tone.wav", "still.png"):
        c.put(probe_file(str(media / n)))
    from reelkit.builtin_plugins.media.api import MediaInfo

    rows = sqlite3.connect(cache_dir / "media.sqlite").execute("SELECT path, info FROM probes").fetchall()
    assert len(rows) == 3
    assert all(MediaInfo.model_validate_json(info).path == path for path, info in rows)


def test_hit_is_fast(media, cache_dir):
    """A memory hit, stat included, takes at most 50 µs (median of 2000)."""
    c = make(cache_dir)
    path = str(media / "clip.mp4")
    c.put(probe_file(path))
    samples = []
    for _ in range(2000):
        t = time.perf_counter()
        c.get(path)
        samples.append(time.perf_counter() - t)
    assert statistics.median(samples) < 50e-6


def test_file_key_uses_absolute_path(media, monkeypatch):
    """Relative and absolute spellings of a path share one key."""
    monkeypatch.chdir(media)
    assert file_key("clip.mp4")[0] == file_key(str(media / "clip.mp4"))[0]
