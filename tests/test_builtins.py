"""Behaviour of the built-in plugins registered so far: smoothers, mixups, embedder, dataset."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from slrbench.embeddings.vocabulary import OutOfVocabularyWarning
from slrbench.errors import UsageError
from slrbench.interfaces import DatasetContext, EmbedderContext, MixupContext, SmootherContext
from slrbench.registry import default_registry


def build(kind, name, options, context):
    return default_registry().build(kind, name, options, context)


def test_vanilla_smoothing_follows_eq_1():
    table = build("smoothers", "vanilla", {"epsilon": 0.2}, SmootherContext(num_classes=5)).target_table()
    assert torch.allclose(table.diagonal(), torch.full((5,), 0.8))
    assert torch.allclose(table[0, 1:], torch.full((4,), 0.2 / 4))


def test_one_hot_is_the_identity():
    assert torch.equal(build("smoothers", "none", {}, SmootherContext(num_classes=3)).target_table(), torch.eye(3))


def test_intra_mixup_blends_every_declared_stream_with_one_lambda_and_partner():
    blends = {"video": "linear", "heatmaps": "linear", "keypoint_coordinates": "linear", "crop": "sample"}
    mixup = build("mixups", "intra", {"probability": 1.0}, MixupContext(num_classes=4, input_blends=blends))
    inputs = {"video": torch.randn(4, 3, 2, 4, 4), "heatmaps": torch.randn(4, 5, 2, 4, 4),
              "keypoint_coordinates": torch.rand(4, 2, 5, 3), "crop": torch.rand(4, 2),
              "keypoint_zoom": torch.rand(4, 2)}  # not in the context: its built-in kind (sample) applies
    labels = torch.tensor([0, 1, 2, 3])
    result = mixup.mix(inputs, labels, torch.Generator().manual_seed(3))
    order = result.labels_b  # labels are 0..3, so the partner labels are the permutation itself
    for stream in ("video", "heatmaps", "keypoint_coordinates"):  # skeletons blend like images
        expected = result.lam * inputs[stream] + (1 - result.lam) * inputs[stream][order]
        assert torch.allclose(result.inputs[stream], expected)
    for stream in ("crop", "keypoint_zoom"):
        assert torch.equal(result.inputs[stream], inputs[stream])  # descriptions of the sample travel with it
    assert 0 < result.lam < 1
    refusing = build("mixups", "intra", {"probability": 1.0}, MixupContext(4, input_blends={"ids": "categorical"}))
    with pytest.raises(ValueError, match="cannot blend input 'ids' of kind 'categorical'"):
        refusing.mix({"ids": torch.zeros(4, 2)}, labels, torch.Generator().manual_seed(3))


def test_intra_mixup_probability_and_beta_distribution():
    mixup = build("mixups", "intra", {}, MixupContext(num_classes=2))
    generator = torch.Generator().manual_seed(0)
    lams = [mixup.mix({"video": torch.zeros(2, 1)}, torch.tensor([0, 1]), generator).lam for _ in range(2000)]
    mixed = np.array([lam for lam in lams if lam != 1.0])
    assert abs(len(mixed) / len(lams) - 0.75) < 0.03  # p = 0.75
    assert abs(mixed.mean() - 0.5) < 0.03 and abs(mixed.var() - 0.25 / (2 * 0.8 + 1)) < 0.01  # Beta(0.8, 0.8)


@pytest.mark.parametrize("suffix", [".pkl", ".npz", ".json"])
def test_precomputed_embedder_reads_every_format(tmp_path, suffix):
    vectors = {"cold": np.array([1.0, 0.0], np.float32), "Winter": np.array([0.5, 0.5], np.float32)}
    path = tmp_path / f"glosses{suffix}"
    if suffix == ".pkl":
        path.write_bytes(pickle.dumps(vectors))
    elif suffix == ".npz":
        from slrbench.builtins.embedders.precomputed import write_gloss_vectors

        write_gloss_vectors(vectors, path)
    else:
        path.write_text(json.dumps({gloss: vector.tolist() for gloss, vector in vectors.items()}))
    embedder = build("embedders", "precomputed", {"path": path}, EmbedderContext())
    with pytest.warns(OutOfVocabularyWarning, match="table"):
        result = embedder.embed(["cold", "winter", "table"])
    assert np.allclose(result.vectors, [[1, 0], [0.5, 0.5], [0, 0]])  # case-insensitive; unknown: zero
    assert result.out_of_vocabulary == ("table",)


def test_precomputed_pickle_cannot_run_code(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("owned",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"cold": Exploit()}))
    with pytest.raises(UsageError, match="refusing to load builtins.print"):
        build("embedders", "precomputed", {"path": path}, EmbedderContext())


def test_precomputed_errors_name_the_file(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        build("embedders", "precomputed", {"path": tmp_path / "none.npz"}, EmbedderContext())
    bad = tmp_path / "ragged.json"
    bad.write_text('{"a": [1, 2], "b": [1]}')
    with pytest.raises(UsageError, match=f"{bad} mixes vector sizes \\[1, 2\\]"):
        build("embedders", "precomputed", {"path": bad}, EmbedderContext())


def write_manifest(root, rows):
    (root / "manifest.csv").write_text("sample_id,split,label,gloss,video\n" + "".join(r + "\n" for r in rows))
    return root


def test_manifest_dataset_reads_rows_and_resolves_paths(tmp_path):
    write_manifest(tmp_path, ["a,train,0,cold,a.mp4", "b,test,1,winter,sub/b.mp4", "c,val,0,cold,"])
    dataset = build("datasets", "manifest", {}, DatasetContext(data_root=tmp_path))
    table = dataset.manifest("manifest")
    assert table["video"].tolist() == [str(tmp_path / "a.mp4"), str(tmp_path / "sub/b.mp4"), ""]
    assert dataset.class_names("manifest") == ["cold", "winter"]
    assert dataset.benchmarks["manifest"].num_classes == 2


@pytest.mark.parametrize("rows, message", [
    (["a,training,0,cold,"], "line 2: split: must be 'train', 'val' or 'test' \\(got 'training'\\)"),
    (["a,train,x,cold,"], "line 2: label: must be a valid integer"),
    (["a,train,0,cold,", "a,test,1,winter,"], "line 3: sample_id: 'a' is already on line 2"),
])
def test_manifest_errors_name_the_file_and_field(tmp_path, rows, message):
    write_manifest(tmp_path, rows)
    with pytest.raises(UsageError, match=message):
        build("datasets", "manifest", {}, DatasetContext(data_root=tmp_path))


def test_manifest_needs_a_root_or_a_path():
    with pytest.raises(UsageError, match="needs --data-root DIR"):
        build("datasets", "manifest", {}, DatasetContext())
