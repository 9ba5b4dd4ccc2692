"""The data root's own word vectors for recipes that ask for them (`data_word_vectors = true`).

The reference's bundle ships the gloss vectors its authors trained with (fastText, one 300-d
vector per gloss: `wlasl_word_embeddings.pkl`, `msasl_word_embeddings_fasttext.pkl`). The paper
recipes set `data_word_vectors = true`: when the benchmark's data root holds such a file
(`DatasetBase.gloss_vectors_file`), the run reads it with the `precomputed` embedder instead of the
recipe's embedder, unless the command line chooses the embedder (`--embedder`, `-o embedder.name=`)
or sets one of its options (`-o embedder.path=...`). A note says so; config.json records the
embedder the run used, so `--resume` and `eval` do not depend on this rule.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

from slrbench.errors import SlrbenchError
from slrbench.registry import Registry

DATA_EMBEDDER = "precomputed"


def data_word_vectors(registry: Registry, benchmark: str, data_root: Any,
                      dataset_options: Mapping[str, Any]) -> Optional[Path]:
    """The gloss-vector file the benchmark's data root holds, or None. Data that cannot be read here
    is left to the run's own checks, which say why (`slrbench.preflight`)."""
    if not isinstance(data_root, (str, Path)) or not Path(data_root).is_dir():
        return None  # none, or a value of the wrong type (the settings' validation reports it)
    from slrbench.data.benchmark import open_benchmark

    try:
        opened = open_benchmark(registry, benchmark, Path(data_root), dict(dataset_options))
        return opened.dataset.gloss_vectors_file(benchmark)
    except SlrbenchError:
        return None


def use_data_word_vectors(registry: Registry, given: dict[str, Any], recipe_options: dict[str, dict[str, Any]],
                          command_line_options: Mapping[str, dict[str, Any]],
                          flags: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    """(run settings, recipe options, notes) with the data root's word vectors as the recipe's
    embedder, where the recipe asks for them, the data root has them and the command line chose none."""
    if not given.get("data_word_vectors") or flags.get("embedder") is not None or "embedder" in command_line_options:
        return given, recipe_options, []
    dataset_options = {**recipe_options.get("dataset", {}), **command_line_options.get("dataset", {})}
    try:
        benchmark = str(given.get("benchmark", "synthetic"))
        registry.find_benchmark(benchmark)
    except SlrbenchError:
        return given, recipe_options, []  # reported where the plan is resolved
    path = data_word_vectors(registry, benchmark, given.get("data_root"), dataset_options)
    if path is None:
        return given, recipe_options, []
    replaced = given.get("embedder", "the default embedder")
    note = (f"embedder: '{DATA_EMBEDDER}' with the data root's word vectors {path} (data_word_vectors = true) "
            f"replaces the recipe's '{replaced}'; --embedder NAME or -o embedder.KEY=VALUE keeps the recipe's")
    return ({**given, "embedder": DATA_EMBEDDER}, {**recipe_options, "embedder": {"path": str(path)}}, [note])
