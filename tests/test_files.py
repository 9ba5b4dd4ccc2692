"""The one atomic writer (slrbench.files) for files and folders."""
from __future__ import annotations

import pytest

from slrbench.files import atomic_folder, atomic_path, previous_folder


def test_an_atomic_folder_replaces_the_old_one_only_when_complete(tmp_path):
    target = tmp_path / "best"
    with atomic_folder(target) as fresh:
        (fresh / "a.txt").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_folder(target) as fresh:
            (fresh / "a.txt").write_text("2")
            raise RuntimeError("interrupted")
    assert (target / "a.txt").read_text() == "1"
    with atomic_folder(target) as fresh:
        (fresh / "b.txt").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert list(tmp_path.iterdir()) == [target] and not previous_folder(target).exists()


def test_a_write_once_folder_keeps_what_another_process_published(tmp_path):
    target = tmp_path / "cache"
    with atomic_folder(target, keep_existing=True) as fresh:
        (fresh / "mine.txt").write_text("first")
        target.mkdir()  # another process publishes while this one writes
        (target / "theirs.txt").write_text("won")
    assert [p.name for p in target.iterdir()] == ["theirs.txt"] and list(tmp_path.iterdir()) == [target]


def test_an_atomic_file_is_written_whole_or_not_at_all(tmp_path):
    target = tmp_path / "metrics.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("{")
            raise RuntimeError("interrupted")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_an_atomic_folder_over_a_file_leaves_no_leftover(tmp_path):
    target = tmp_path / "out"
    target.write_text("a file in the way")
    with atomic_folder(target) as fresh:
        (fresh / "a.txt").write_text("1")
    assert (target / "a.txt").read_text() == "1" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("below", ["out.md", "a/out.md"])
def test_a_path_below_a_file_is_an_os_error_naming_both(tmp_path, below):
    """`table --out notes.txt/out.md` was a FileExistsError traceback; now one line (reporting_errors)."""
    from slrbench.cli.output import STORAGE_ERRNOS, storage_error_line
    from slrbench.files import write_text_atomically

    (tmp_path / "notes.txt").write_text("mine")
    for write in (lambda path: write_text_atomically(path, "x"), lambda path: atomic_folder(path).__enter__()):
        with pytest.raises(OSError) as caught:
            write(tmp_path / "notes.txt" / below)
        assert caught.value.errno in STORAGE_ERRNOS
        assert storage_error_line(caught.value) == f"{tmp_path}/notes.txt/{below}: {tmp_path}/notes.txt is a file, not a folder"
    assert (tmp_path / "notes.txt").read_text() == "mine" and sorted(tmp_path.iterdir()) == [tmp_path / "notes.txt"]
