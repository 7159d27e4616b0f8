"""FilesystemService: confinement, listing, atomic writes, moves and deletes, on a real temporary tree."""

import os
from pathlib import Path

import pytest

from reelkit.builtin_plugins.filesystem.errors import FileTooLarge, IsADirectory, NotADirectory, NotARegularFile, NotText
from reelkit.builtin_plugins.filesystem.media_types import media_type_of
from reelkit.builtin_plugins.filesystem.service import FilesystemService
from reelkit.sdk import Conflict, InputInvalid, NotFound, PermissionDenied


@pytest.fixture
def tree(tmp_path: Path) -> tuple[FilesystemService, Path, Path]:
    """A root with some files, and a sibling directory outside it holding a secret."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "clips" / "deep").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "clips" / "a.mp4").write_bytes(b"\0" * 10)
    (root / "clips" / "b.WAV").write_bytes(b"\0" * 20)
    (root / "clips" / "deep" / "c.srt").write_text("1\n")
    (root / "clips" / "deep" / "d.png").write_bytes(b"\x89PNG")
    (root / "notes.txt").write_text("hello")
    (root / ".hidden").write_text("h")
    return FilesystemService([root]), root, outside


def test_media_type_by_extension_is_case_insensitive():
    assert media_type_of("a.MP4") == "video"
    assert media_type_of("x.flac") == "audio"
    assert media_type_of("pic.jpeg") == "image"
    assert media_type_of("subs.vtt") == "subtitle"
    assert media_type_of("notes.txt") is None
    assert media_type_of("mp4") is None


def test_dotdot_out_of_the_root_is_denied(tree):
    fs, root, outside = tree
    with pytest.raises(PermissionDenied) as e:
        fs.read_text(str(root / ".." / "outside" / "secret.txt"))
    assert e.value.code == "permission.denied"
    assert "outside the filesystem roots" in e.value.message


def test_symlink_pointing_outside_is_denied_for_every_operation(tree):
    fs, root, outside = tree
    (root / "escape").symlink_to(outside)
    (root / "file_link").symlink_to(outside / "secret.txt")
    with pytest.raises(PermissionDenied):
        fs.list(str(root / "escape"))
    with pytest.raises(PermissionDenied):
        fs.read_text(str(root / "file_link"))
    with pytest.raises(PermissionDenied):
        fs.write_text(str(root / "escape" / "new.txt"), "x")
    with pytest.raises(PermissionDenied):
        fs.write_text(str(root / "file_link"), "overwritten")
    with pytest.raises(PermissionDenied):
        fs.mkdir(str(root / "escape" / "sub"))
    with pytest.raises(PermissionDenied):
        fs.move(str(root / "notes.txt"), str(root / "escape" / "notes.txt"))
    with pytest.raises(PermissionDenied):
        fs.stat(str(root / "escape" / "secret.txt"))
    assert (outside / "secret.txt").read_text() == "secret"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_deleting_a_symlink_removes_the_link_not_its_target(tree):
    fs, root, outside = tree
    (root / "file_link").symlink_to(outside / "secret.txt")
    real, deleted = fs.delete(str(root / "file_link"))
    assert deleted and real == root.resolve() / "file_link"
    assert not os.path.lexists(root / "file_link")
    assert (outside / "secret.txt").read_text() == "secret"


def test_symlink_inside_the_root_is_followed(tree):
    fs, root, _ = tree
    (root / "alias.txt").symlink_to(root / "notes.txt")
    real, text, size = fs.read_text(str(root / "alias.txt"))
    assert (text, size, real) == ("hello", 5, (root / "notes.txt").resolve())


def test_relative_and_nul_paths_are_invalid_input(tree):
    fs, _, _ = tree
    with pytest.raises(InputInvalid):
        fs.stat("notes.txt")
    with pytest.raises(InputInvalid):
        fs.stat("/tmp/a\x00b")


def test_list_sorted_with_kinds_sizes_and_media_types(tree):
    fs, root, _ = tree
    real, entries, truncated, skipped = fs.list(str(root / "clips"))
    assert real == (root / "clips").resolve() and not truncated and skipped == []
    assert [(e.name, e.kind, e.size, e.media_type) for e in entries] == [
        ("a.mp4", "file", 10, "video"),
        ("b.WAV", "file", 20, "audio"),
        ("deep", "directory", entries[2].size, None),
    ]


def test_list_recursive_with_media_filter(tree):
    fs, root, _ = tree
    _, entries, _, _ = fs.list(str(root), recursive=True, media_type="subtitle")
    assert [Path(e.path).relative_to(root.resolve()).as_posix() for e in entries] == ["clips/deep/c.srt"]
    _, everything, _, _ = fs.list(str(root), recursive=True)
    assert len(everything) == 8  # clips, a, b, deep, c, d, notes, .hidden


def test_list_hidden_and_limit(tree):
    fs, root, _ = tree
    _, visible, _, _ = fs.list(str(root), include_hidden=False)
    assert ".hidden" not in [e.name for e in visible]
    _, some, truncated, _ = fs.list(str(root), recursive=True, limit=3)
    assert len(some) == 3 and truncated


def test_list_of_a_file_or_missing_dir(tree):
    fs, root, _ = tree
    with pytest.raises(NotADirectory):
        fs.list(str(root / "notes.txt"))
    with pytest.raises(NotFound) as e:
        fs.list(str(root / "nope"))
    assert e.value.code == "not_found"


def test_write_is_atomic_and_keeps_no_temporary_files(tree):
    fs, root, _ = tree
    target = root / "out.txt"
    entry = fs.write_text(str(target), "première ligne\n")
    assert entry.kind == "file" and entry.size == len("première ligne\n".encode())
    assert target.read_text(encoding="utf-8") == "première ligne\n"
    fs.write_text(str(target), "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in root.iterdir() if "reelkit" in p.name) == []


def test_write_keeps_the_existing_mode(tree):
    fs, root, _ = tree
    (root / "notes.txt").chmod(0o640)
    fs.write_text(str(root / "notes.txt"), "new")
    assert (root / "notes.txt").stat().st_mode & 0o777 == 0o640


def test_write_without_overwrite_refuses_and_leaves_the_file(tree):
    fs, root, _ = tree
    with pytest.raises(Conflict):
        fs.write_text(str(root / "notes.txt"), "clobber", overwrite=False)
    assert (root / "notes.txt").read_text() == "hello"
    fs.write_text(str(root / "fresh.txt"), "new", overwrite=False)
    assert (root / "fresh.txt").read_text() == "new"


def test_write_that_cannot_encode_leaves_nothing(tree):
    fs, root, _ = tree
    with pytest.raises(InputInvalid):
        fs.write_text(str(root / "notes.txt"), "日本", encoding="ascii")
    with pytest.raises(InputInvalid):
        fs.write_text(str(root / "notes.txt"), "x", encoding="no-such-codec")
    assert (root / "notes.txt").read_text() == "hello"
    assert not [p for p in root.iterdir() if p.name.endswith(".reelkit-tmp")]


def test_write_needs_the_parent_unless_make_parents(tree):
    fs, root, _ = tree
    with pytest.raises(NotFound):
        fs.write_text(str(root / "a" / "b" / "c.txt"), "x")
    fs.write_text(str(root / "a" / "b" / "c.txt"), "x", make_parents=True)
    assert (root / "a" / "b" / "c.txt").read_text() == "x"
    with pytest.raises(IsADirectory):
        fs.write_text(str(root / "a"), "x")


def test_read_limits_and_encodings(tree):
    fs, root, _ = tree
    (root / "latin.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(NotText) as e:
        fs.read_text(str(root / "latin.txt"))
    assert e.value.code == "filesystem.not_text"
    assert fs.read_text(str(root / "latin.txt"), encoding="latin-1")[1] == "café"
    small = FilesystemService([root], max_read_bytes=3)
    with pytest.raises(FileTooLarge):
        small.read_text(str(root / "notes.txt"))
    with pytest.raises(IsADirectory):
        fs.read_text(str(root / "clips"))
    with pytest.raises(NotFound):
        fs.read_text(str(root / "missing.txt"))
    os.mkfifo(root / "pipe")
    with pytest.raises(NotARegularFile):  # refused at once, not blocked waiting for a writer
        fs.read_text(str(root / "pipe"))


def test_mkdir(tree):
    fs, root, _ = tree
    entry = fs.mkdir(str(root / "x" / "y"))
    assert entry.kind == "directory" and (root / "x" / "y").is_dir()
    fs.mkdir(str(root / "x" / "y"))  # exist_ok by default
    with pytest.raises(Conflict):
        fs.mkdir(str(root / "x" / "y"), exist_ok=False)
    with pytest.raises(Conflict):
        fs.mkdir(str(root / "notes.txt"))
    with pytest.raises(NotFound):
        fs.mkdir(str(root / "p" / "q"), parents=False)


def test_move_file_and_directory(tree):
    fs, root, _ = tree
    entry = fs.move(str(root / "notes.txt"), str(root / "clips" / "renamed.txt"))
    assert entry.path == str((root / "clips" / "renamed.txt").resolve())
    assert not (root / "notes.txt").exists() and (root / "clips" / "renamed.txt").read_text() == "hello"
    fs.move(str(root / "clips" / "deep"), str(root / "deeper"))
    assert (root / "deeper" / "c.srt").exists()
    with pytest.raises(InputInvalid):
        fs.move(str(root / "clips"), str(root / "clips" / "inside"))


def test_move_refuses_to_clobber_unless_asked(tree):
    fs, root, _ = tree
    (root / "other.txt").write_text("other")
    with pytest.raises(Conflict):
        fs.move(str(root / "notes.txt"), str(root / "other.txt"))
    assert (root / "other.txt").read_text() == "other"
    fs.move(str(root / "notes.txt"), str(root / "other.txt"), overwrite=True)
    assert (root / "other.txt").read_text() == "hello"
    with pytest.raises(Conflict):
        fs.move(str(root / "other.txt"), str(root / "clips"), overwrite=True)
    with pytest.raises(NotFound):
        fs.move(str(root / "ghost.txt"), str(root / "x.txt"))


def test_delete(tree):
    fs, root, _ = tree
    fs.delete(str(root / "notes.txt"))
    assert not (root / "notes.txt").exists()
    with pytest.raises(Conflict):
        fs.delete(str(root / "clips"))
    assert (root / "clips" / "a.mp4").exists()
    fs.delete(str(root / "clips"), recursive=True)
    assert not (root / "clips").exists()
    assert not [p for p in root.iterdir() if "reelkit" in p.name]
    with pytest.raises(NotFound):
        fs.delete(str(root / "clips"))
    assert fs.delete(str(root / "clips"), missing_ok=True)[1] is False


def test_roots_cannot_be_deleted_or_moved(tree):
    fs, root, _ = tree
    with pytest.raises(PermissionDenied):
        fs.delete(str(root), recursive=True)
    with pytest.raises(PermissionDenied):
        fs.move(str(root), str(root / "x"))
    assert (root / "notes.txt").exists()


def test_stat_follows_links_and_reports_missing(tree):
    fs, root, _ = tree
    entry = fs.stat(str(root / "clips" / "a.mp4"))
    assert (entry.kind, entry.size, entry.media_type) == ("file", 10, "video")
    assert entry.modified.tzinfo is not None
    with pytest.raises(NotFound):
        fs.stat(str(root / "nothing"))


def test_several_roots(tmp_path: Path):
    a, b, c = (tmp_path / n for n in "abc")
    for d in (a, b, c):
        d.mkdir()
    fs = FilesystemService([a, b])
    fs.write_text(str(b / "x.txt"), "x")
    fs.move(str(b / "x.txt"), str(a / "x.txt"))
    assert (a / "x.txt").read_text() == "x"
    with pytest.raises(PermissionDenied):
        fs.write_text(str(c / "x.txt"), "x")


def _other_device_dir(tmp_path: Path) -> Path | None:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shm.stat().st_dev != tmp_path.stat().st_dev:
        return shm
    return None


@pytest.mark.skipif(_other_device_dir(Path(__file__).parent) is None, reason="needs /dev/shm on another device")
def test_move_across_devices_copies_then_removes(tmp_path: Path):
    import tempfile

    other = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="reelkit-test-"))
    try:
        (tmp_path / "tree" / "sub").mkdir(parents=True)
        (tmp_path / "tree" / "sub" / "a.txt").write_text("a")
        (tmp_path / "tree" / "link").symlink_to("sub/a.txt")
        (tmp_path / "f.txt").write_text("f")
        fs = FilesystemService([tmp_path, other])
        fs.move(str(tmp_path / "f.txt"), str(other / "f.txt"))
        fs.move(str(tmp_path / "tree"), str(other / "tree"))
        assert (other / "f.txt").read_text() == "f" and not (tmp_path / "f.txt").exists()
        assert (other / "tree" / "sub" / "a.txt").read_text() == "a" and not (tmp_path / "tree").exists()
        assert os.readlink(other / "tree" / "link") == "sub/a.txt"  # links copied as links
        assert sorted(p.name for p in other.iterdir()) == ["f.txt", "tree"]  # no temporaries left
    finally:
        import shutil

        shutil.rmtree(other, ignore_errors=True)
