"""Every registered plugin, built-in or installed, passes the contract checks of its kind."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedder_models import train_fasttext, train_word2vec
from slrbench import testing
from slrbench.registry import default_registry


def registered(kind: str) -> list[str]:
    return sorted(default_registry().plugins(kind))


def test_the_example_plugin_is_among_the_checked_plugins():
    assert "posegcn" in registered("backbones") and "spelling" in registered("smoothers")


@pytest.mark.parametrize("name", registered("backbones"))
def test_backbone_contract(name):
    """Each at its PluginSpec's `test_options` (the built-in S3Ds at 1/8 width: their defaults are
    the paper's full size)."""
    report = testing.check_backbone(name)
    assert report["parameters"] > 0 and set(report["feature_groups"]) == set(report["feature_dims"])


@pytest.mark.parametrize("name", registered("smoothers"))
def test_label_smoother_contract(name):
    testing.check_label_smoother(name)


@pytest.mark.parametrize("name", registered("mixups"))
def test_mixup_contract(name):
    testing.check_mixup(name)


def _gloss_vector_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "vectors.npz"
    glosses = np.array(["cold", "winter", "table", "afternoon"])
    np.savez(path, glosses=glosses, vectors=rng.normal(size=(4, 8)).astype(np.float32))
    return path


def _manifest_root(tmp_path: Path) -> Path:
    rows = ["sample_id,split,label,gloss,video,keypoints,start,end"]
    rows += [f"s{i},{('train', 'val', 'test')[i % 3]},{i % 2},{('cold', 'winter')[i % 2]},v{i}.mp4,,," for i in range(6)]
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


# Built-ins that read a file get one here; a third-party plugin is checked with its defaults.
EMBEDDER_OPTIONS = {
    "precomputed": lambda tmp: {"path": _gloss_vector_file(tmp)},
    "fasttext": lambda tmp: {"path": train_fasttext(tmp)},
    "word2vec": lambda tmp: {"path": train_word2vec(tmp)},
}
DATASET_ROOTS = {  # annotation files generated in the official schemas (tests/data_roots.py)
    "manifest": _manifest_root,
    "wlasl": lambda tmp: __import__("data_roots").wlasl_root(tmp),
    "msasl": lambda tmp: __import__("data_roots").msasl_root(tmp),
    "nmfs-csl": lambda tmp: __import__("data_roots").nmfs_csl_root(tmp),
    "asl-citizen": lambda tmp: __import__("signer_dataset_fixtures").write_asl_citizen(tmp / "asl-citizen"),
    "autsl": lambda tmp: __import__("signer_dataset_fixtures").write_autsl(tmp / "autsl"),
    "lsa64": lambda tmp: __import__("signer_dataset_fixtures").write_lsa64(tmp / "lsa64", signs=(1, 64)),
}


@pytest.mark.parametrize("name", registered("embedders"))
def test_word_embedder_contract(name, tmp_path):
    options = EMBEDDER_OPTIONS.get(name, lambda tmp: {})(tmp_path)
    report = testing.check_word_embedder(name, options=options)
    assert report["dim"] > 0


@pytest.mark.parametrize("name", registered("datasets"))
def test_dataset_contract(name, tmp_path):
    root = DATASET_ROOTS.get(name, lambda tmp: None)(tmp_path)
    report = testing.check_dataset(name, data_root=root)
    assert report["benchmarks"]


def test_contract_checks_catch_a_broken_smoother():
    """The checks themselves must fail on a plugin that breaks the rules."""
    import types

    import torch

    from slrbench import PluginSpec, hookimpl
    from slrbench.plugins import load_plugins, register_module
    from slrbench.registry import Registry

    class Unnormalised:
        def __init__(self, config, context):
            self.n = context.num_classes

        def target_table(self):
            return torch.ones(self.n, self.n)

    module = types.ModuleType("broken_smoother")
    module.register_label_smoothers = hookimpl(
        lambda register: register(PluginSpec(name="ones", factory=Unnormalised))
    )
    loaded = load_plugins({"SLRBENCH_LOAD_PLUGINS": ""})
    register_module(loaded, module, "broken-smoother", "test", "0")
    with pytest.raises(testing.ContractError, match="smoother 'ones': each row must sum to 1"):
        testing.check_label_smoother("ones", registry=Registry(loaded))


def _extractor_options(name: str, folder: Path) -> dict:
    if name == "rtmpose":
        from onnx_models import export_spot_locator

        return {"path": str(export_spot_locator(folder / "locator.onnx"))}
    return {}


@pytest.mark.parametrize("name", registered("extractors"))
def test_keypoint_extractor_contract(name, tmp_path):
    reason = default_registry().get("extractors", name).unavailable_reason()
    if reason:
        pytest.skip(f"extractor '{name}' {reason}")
    report = testing.check_keypoint_extractor(name, options=_extractor_options(name, tmp_path))
    assert report["frames"] == 12


@pytest.mark.parametrize("name", registered("loggers"))
def test_run_logger_contract(name, tmp_path, monkeypatch):
    reason = default_registry().get("loggers", name).unavailable_reason()
    if reason:
        pytest.skip(f"logger '{name}' {reason}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # where W&B's service writes its debug log
    report = testing.check_run_logger(name)
    assert report["files"]


def test_contract_checks_catch_an_extractor_that_remembers_the_last_video():
    import types

    from slrbench import PluginSpec, hookimpl
    from slrbench.plugins import load_plugins, register_module
    from slrbench.registry import Registry

    class Remembering:
        def __init__(self, config, context):
            self.videos = 0

        def extract(self, chunks):
            frames = sum(len(chunk) for chunk in chunks)
            self.videos += 1
            points = np.zeros((frames, 133, 3), dtype=np.float32)
            points[..., 0] = self.videos  # state carried from one video to the next
            return points

    module = types.ModuleType("remembering_extractor")
    module.register_keypoint_extractors = hookimpl(
        lambda register: register(PluginSpec(name="remembering", factory=Remembering))
    )
    loaded = load_plugins({"SLRBENCH_LOAD_PLUGINS": ""})
    register_module(loaded, module, "remembering-extractor", "test", "0")
    with pytest.raises(testing.ContractError, match="extractor 'remembering': a second video must not see state from the first"):
        testing.check_keypoint_extractor("remembering", registry=Registry(loaded))
