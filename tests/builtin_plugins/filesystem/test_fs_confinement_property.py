"""Property: whatever path a caller builds from `..`, `.`, symlinks and names, confinement either refuses it
or yields a real path inside a root — and reading never returns a file from outside."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelkit.builtin_plugins.filesystem.service import FilesystemService
from reelkit.sdk import KernelError, PermissionDenied

SEGMENTS = ["..", ".", "a", "b", "out", "in", "loop", "secret.txt", "inner.txt", ""]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("confine")
    root, outside = base / "root", base / "outside"
    (root / "a" / "b").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    (root / "a" / "inner.txt").write_text("inner")
    (root / "a" / "out").symlink_to(outside)          # escapes
    (root / "a" / "b" / "in").symlink_to(root / "a")   # stays inside
    (root / "loop").symlink_to(root / "loop")          # a symlink loop
    return FilesystemService([root]), root.resolve(), outside.resolve()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=8), st.booleans())
def test_resolution_never_leaves_the_roots(world, segments, follow_final):
    fs, root, outside = world
    path = os.path.join(str(root), *segments) if segments else str(root)
    try:
        real = fs.resolve(path, follow_final=follow_final)
    except PermissionDenied:
        return
    assert real == root or real.is_relative_to(root)
    if real != root:  # the parent is fully resolved: no symlink left to lead elsewhere
        assert Path(os.path.realpath(real.parent)) == real.parent
    if follow_final:
        assert Path(os.path.realpath(real)) == real


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=8))
def test_reading_never_returns_the_secret(world, segments):
    fs, root, _ = world
    try:
        _, text, _ = fs.read_text(os.path.join(str(root), *segments))
    except KernelError:
        return
    assert text != "SECRET"
