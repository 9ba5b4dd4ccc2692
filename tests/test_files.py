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
