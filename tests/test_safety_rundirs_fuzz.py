"""Fuzzed run directories (issue 15, items 3 and 6): whatever already lies at `--out` (user files and
folders, a marker or config.json of garbage, a lock file, a file instead of a folder), claiming it for
`slrbench run` or `import-checkpoint` either succeeds or stops with a one-line UsageError (exit 2),
and no file that was there before is changed, a folder of other files not even touched.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from slrbench.cli.import_checkpoint_cmd import check_import_destination
from slrbench.errors import UsageError
from slrbench.ownership import LOCK, MARKER, made_by_slrbench, marker_document
from slrbench.registry import default_registry
from slrbench.runconfig import resolve_run_plan
from slrbench.training.distributed import World
from slrbench.training.run import choose_run_dir

NAMES = [MARKER, LOCK, "config.json", "metrics.json", "import_report.json", "predictions.csv", "notes.txt",
         "checkpoint", "best", ".hidden", "run.old"]
LEGACY_CONFIG = json.dumps({"plan": {"settings": {"benchmark": "synthetic"}, "plugins": {}}, "versions": {}})
CONTENTS = st.one_of(
    st.binary(max_size=64),
    st.just(json.dumps(marker_document("run")).encode()),
    st.just(json.dumps({"made_by": "someone else"}).encode()),
    st.just(LEGACY_CONFIG.encode()),
    st.just(b"\xff\xfe not utf-8"),
)
ENTRY = st.tuples(st.sampled_from(NAMES), st.sampled_from(["file", "folder"]), CONTENTS)
LAYOUT = st.one_of(
    st.just(("absent", [])),
    st.just(("file", [])),  # --out is a regular file
    st.just(("under-a-file", [])),  # --out is a path below a regular file
    st.tuples(st.just("folder"), st.lists(ENTRY, max_size=5, unique_by=lambda entry: entry[0])),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lay_out(base: Path, layout) -> Path:
    kind, entries = layout
    out = base / "out"
    if kind == "file":
        out.write_bytes(b"a user's file\n")
    elif kind == "under-a-file":
        (base / "file").write_bytes(b"a user's file\n")
        out = base / "file" / "out"
    elif kind == "folder":
        out.mkdir()
        for name, what, content in entries:
            if what == "folder":
                (out / name).mkdir()
                (out / name / "inside.bin").write_bytes(content)
            else:
                (out / name).write_bytes(content)
    return out


def tree(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))}


def owned_or_empty(out: Path) -> bool:
    return out.is_dir() and (made_by_slrbench(out) or not [p for p in out.iterdir() if p.name != LOCK])


def check_nothing_of_the_users_changed(base: Path, before: dict[str, str], after: dict[str, str], out: Path,
                                       refused: bool, was_ours: bool) -> None:
    ours = {str((out / name).relative_to(base)) for name in (MARKER, LOCK)}
    for path, digest in before.items():
        if path in ours and was_ours:
            continue  # slrbench's own marker and lock file
        assert after.get(path) == digest, f"{path} changed"
    assert set(after) - set(before) <= ours, set(after) - set(before)
    if refused and not was_ours:
        assert after == before  # a folder that is not slrbench's is not even touched


@FUZZ
@given(layout=LAYOUT, resume=st.booleans())
def test_claiming_any_out_for_a_run_succeeds_or_is_one_line_and_keeps_user_files(layout, resume):
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        out = lay_out(base, layout)
        plan = resolve_run_plan(default_registry(), {}, {"benchmark": "synthetic", "out": out, "resume": resume}, [])
        before, was_ours = tree(base), owned_or_empty(out)
        try:
            run_dir, lock = choose_run_dir(plan, World())
        except UsageError as error:
            assert "\n" not in str(error) and str(error)
            refused = True
        else:
            assert run_dir == out and (layout[0] == "absent" or was_ours)
            lock.release(remove_unused=True)
            refused = False
        check_nothing_of_the_users_changed(base, before, tree(base), out, refused, was_ours)


@FUZZ
@given(layout=LAYOUT, force=st.booleans())
def test_import_accepts_only_new_or_its_own_directories(layout, force):
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        out = lay_out(base, layout)
        before, exists = tree(base), out.exists()
        try:
            check_import_destination(out, force)
        except UsageError as error:
            assert "\n" not in str(error) and str(error)
        else:  # what the import may then replace: nothing, an empty folder, or slrbench's own
            assert not exists or (force and owned_or_empty(out))
        assert tree(base) == before  # the check itself writes nothing


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(ENTRY, max_size=4, unique_by=lambda entry: entry[0]), marked=st.booleans())
def test_slrbench_run_on_any_out_exits_0_or_2_with_one_line_and_keeps_user_files(entries, marked):
    """The whole command, as a user types it (a tiny one-epoch run)."""
    from test_safety_rundirs import run

    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        if marked:
            entries = [(MARKER, "file", json.dumps(marker_document("run")).encode()),
                       *[entry for entry in entries if entry[0] != MARKER]]
        out = lay_out(base, ("folder", entries))
        before, was_ours = tree(base), owned_or_empty(out)
        result = run(out, "--epochs", "1")
        assert result.returncode in (0, 2) and "Traceback" not in result.stderr, result.stderr[-2000:]
        if result.returncode == 2:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        else:
            assert was_ours and (out / "metrics.json").is_file()
        after = {path: digest for path, digest in tree(base).items() if path in before}
        if not was_ours:
            assert after == before
        else:  # a run may overwrite its own files (a rerun), never anything else
            own = {"config.json", "class_names.json", "metrics.json", "history.csv", "per_class.csv",
                   "predictions.parquet", "checkpoint", "best", MARKER, LOCK}
            changed = {Path(path).parts[1] for path in before if before[path] != after.get(path)}
            assert changed <= own, changed
