"""Issue 15, item 5 (fuzzed): mutated WLASL / MS-ASL / manifest annotations, recipe TOML and
config.json contents reach the readers and commands, which return or raise a one-line
`SlrbenchError` (exit 0 or 2), never a traceback. The readers are called directly (fast); a
few examples go through the CLI."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotation_fixtures import msasl_samples, wlasl_entries, write_msasl, write_wlasl
from slrbench.cli.app import app
from slrbench.errors import SlrbenchError

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
                    | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
WLASL_KEYS = ("gloss", "instances", "video_id", "split", "frame_start", "frame_end")
MSASL_KEYS = ("label", "url", "start", "end")


def _mutate(document: list, position: int, key: str, value, delete: bool, nested: bool) -> list:
    entry = document[position % len(document)]
    if nested and isinstance(entry.get("instances"), list) and entry["instances"]:
        entry = entry["instances"][0]
    if delete:
        entry.pop(key, None)
    else:
        entry[key] = value
    return document


def _returns_or_says_one_line(call) -> None:
    try:
        call()
    except SlrbenchError as error:
        assert error.exit_code == 2 and error.lines() and all("\n" not in line for line in error.lines())


@FAST
@given(position=st.integers(0, 19), key=st.sampled_from(WLASL_KEYS), value=JSON, delete=st.booleans(),
       nested=st.booleans())
def test_mutated_wlasl_files_are_read_or_refused_in_lines(position, key, value, delete, nested):
    from slrbench.data.annotations import read_wlasl

    with tempfile.TemporaryDirectory() as folder:
        root = write_wlasl(Path(folder), _mutate(wlasl_entries(), position, key, value, delete, nested))
        _returns_or_says_one_line(lambda: read_wlasl(root))


@FAST
@given(position=st.integers(0, 400), key=st.sampled_from(MSASL_KEYS), value=JSON, delete=st.booleans(),
       classes=st.one_of(st.none(), JSON))
def test_mutated_msasl_files_are_read_or_refused_in_lines(position, key, value, delete, classes):
    from slrbench.data.annotations import read_msasl

    samples = msasl_samples()
    samples["train"] = _mutate(samples["train"], position, key, value, delete, nested=False)
    with tempfile.TemporaryDirectory() as folder:
        root = write_msasl(Path(folder), samples, classes)  # classes None: the generated class list
        _returns_or_says_one_line(lambda: read_msasl(root))


CELLS = st.sampled_from(["", "a", "b", "0", "1", "-1", "x", "train", "test", "val", "dev", "256x256", "0x0",
                         "k.npy", "k.pkl#a", "v.mp4", "3", "1e9", '"', ",", "\u00e9"])
COLUMNS = st.lists(st.sampled_from(["sample_id", "split", "label", "gloss", "video", "keypoints", "start", "end",
                                    "keypoints_frame", "extra"]), min_size=1, max_size=9, unique=True)


@FAST
@given(columns=COLUMNS, rows=st.lists(st.lists(CELLS, min_size=1, max_size=10), max_size=6),
       noise=st.binary(max_size=8))
def test_mutated_manifests_are_read_or_refused_in_lines(columns, rows, noise):
    from slrbench.registry import default_registry
    from slrbench.data.benchmark import open_benchmark

    text = ",".join(columns) + "\n" + "".join(",".join(row) + "\n" for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "manifest.csv").write_bytes(text.encode() + noise)

        def read():
            opened = open_benchmark(default_registry(), "manifest", root)
            opened.manifest(), opened.class_names()

        _returns_or_says_one_line(read)


TOML_LINES = st.sampled_from([
    "epochs = 3", "epochs = 1e400", "epochs = -1", "lr = inf", "lr = nan", "lr = 0.01", "batch_size = 0",
    "micro_batch_size = 7", "seed = -5", "[smoother]", 'name = "lang"', 'name = "nope"', "epsilon = 2",
    "[backbone]", 'name = "posegcn"', "width = 16", "[variants.a]", "[stages.x]", 'init_from = ["stage:x"]',
    "benchmark = 5", 'benchmark = "wlasl100"', "[mixup]", "= broken", "heads = [1, 2]", "crops = 2",
])


@FAST
@given(lines=st.lists(TOML_LINES, max_size=8), noise=st.binary(max_size=4))
def test_mutated_recipes_are_planned_or_refused_in_lines(lines, noise):
    from slrbench.config import load_config_file
    from slrbench.registry import default_registry
    from slrbench.stages import resolve_staged_plan

    with tempfile.TemporaryDirectory() as folder:
        recipe = Path(folder) / "recipe.toml"
        recipe.write_bytes("\n".join(lines).encode() + noise)
        _returns_or_says_one_line(lambda: resolve_staged_plan(
            default_registry(), load_config_file(recipe), None, str(recipe), {}, [], None))


@FAST
@given(plan=JSON | st.fixed_dictionaries({"settings": JSON, "plugins": st.dictionaries(
    st.sampled_from(["dataset", "backbone", "smoother", "mixup", "embedder"]),
    st.fixed_dictionaries({"name": st.sampled_from(["lang", "vknet", "x", "synthetic"]), "options": JSON}))}))
def test_mutated_config_json_plans_are_read_or_refused_in_lines(plan):
    from slrbench.registry import default_registry
    from slrbench.runconfig import RunPlan

    _returns_or_says_one_line(lambda: RunPlan.read(plan if isinstance(plan, dict) else {"x": plan},
                                                   default_registry(), "config.json"))


@settings(max_examples=8, deadline=None)
@given(document=JSON, metrics=JSON)
def test_eval_table_and_data_check_through_the_cli_exit_0_or_2(document, metrics):
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder)
        (run / "config.json").write_text(json.dumps(document))
        (run / "metrics.json").write_text(json.dumps(metrics))
        (run / "manifest.csv").write_text("sample_id,split,label\n" + json.dumps(document)[:40] + "\n")
        for args in (["eval", str(run)], ["table", str(run)],
                     ["data", "check", "--benchmark", "manifest", "--data-root", str(run)]):
            result = runner.invoke(app, args, catch_exceptions=False)
            assert result.exit_code in (0, 2) and "Traceback" not in result.output, (args, result.output)
