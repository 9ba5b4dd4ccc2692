"""Importing released NLA-SLR checkpoints: state dicts with the reference's key names and shapes
(tests/data/reference/nla-slr_state_dict_*.tsv.gz) land, tensor by tensor, where they belong."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from slrbench.cli.app import app
from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext
from slrbench.models.reference_checkpoint import import_reference_state
from slrbench.models.reference_classes import reference_class_order
from slrbench.registry import default_registry
from slrbench.training.model import SignModel

from data_roots import msasl_root, nmfs_csl_root, reference_state_dict_shapes, wlasl_root
from helpers import run_cli

LAYOUTS = {"rgb_frame64": "video-64", "pose_frame64": "keypoint-64", "two_frame64": "vknet-64",
           "nla_slr_wlasl_2000": "vknet"}
PREFIX = "recognition_network."


def reference_shapes(name: str) -> dict[str, tuple[int, ...]]:
    return reference_state_dict_shapes(name)


def with_classes(shapes: dict[str, tuple[int, ...]], classes: int) -> dict[str, tuple[int, ...]]:
    """The reference's shapes for a model of `classes` classes instead of 2000."""
    return {key: tuple(classes if size == 2000 else size for size in shape) for key, shape in shapes.items()}


def labelled_state(name: str) -> dict[str, torch.Tensor]:
    """Every tensor filled with its own key number (expanded views: no memory for 131 M values)."""
    return {key: torch.tensor(float(i)).expand(shape) for i, (key, shape) in enumerate(reference_shapes(name).items())}


@pytest.mark.parametrize("name, backbone", LAYOUTS.items())
def test_every_reference_key_is_mapped_to_the_tensor_it_holds(name, backbone):
    state = labelled_state(name)
    imported = import_reference_state(state)
    assert imported.backbone == backbone and imported.num_classes == 2000 and imported.num_keypoints == 63
    assert set(imported.mapped) | set(imported.unused) == {key.removeprefix(PREFIX) for key in state}
    assert imported.unused == {}
    tensors = {**imported.weights, **imported.training_only}
    for key, target in imported.mapped.items():
        assert tensors[target].shape == state[PREFIX + key].shape
        if not target.endswith("b1.0.conv_s.weight"):
            assert torch.equal(tensors[target], state[PREFIX + key]), (key, target)


def test_keys_land_where_they_belong_in_the_full_model():
    imported = import_reference_state(labelled_state("nla_slr_wlasl_2000"))
    mapped = imported.mapped
    expected = {
        "visual_backbone_fourstream.ts_high.rgb_stream.backbone.base.0.bn_s.running_var": "backbone.video64.b1.0.bn_s.running_var",
        "visual_backbone_fourstream.ts_low.pose_stream.backbone.base.9.branch2.1.conv_t.weight":
            "backbone.keypoint32.b4.2.branch2.1.conv_t.weight",
        "visual_backbone_fourstream.ts_low.rgb_stream.backbone.base.15.branch3.1.bn.bias": "backbone.video32.b5.2.branch3.1.bn.bias",
        "visual_backbone_fourstream.ts_high.pose_stream.backbone.base.3.conv_t.weight": "backbone.keypoint64.b2.2.conv_t.weight",
        # rgb_stream_lateral is keypoint -> video (transposed conv), pose_stream_lateral video -> keypoint
        "visual_backbone_fourstream.ts_high.rgb_stream_lateral.2.conv.weight": "backbone.video_keypoint_64.to_large.2.weight",
        "visual_backbone_fourstream.ts_low.pose_stream_lateral.0.conv.weight": "backbone.video_keypoint_32.to_small.0.weight",
        "visual_backbone_fourstream.rgb_low2high.3.conv.weight": "backbone.video_temporal.to_large.3.weight",
        "visual_backbone_fourstream.pose_high2low.1.conv.weight": "backbone.keypoint_temporal.to_small.1.weight",
        "visual_head_rgb_h.gloss_output_layer.weight": "heads.classifiers.v64.weight",
        "visual_head_kp_l.gloss_output_layer.bias": "heads.classifiers.k32.bias",
        "visual_head_fuse.gloss_output_layer.weight": "heads.classifiers.f.weight",
        "visual_head_fuse_h.word_fused_gloss_output_layer.weight": "branch.fc2.f64.weight",
        "visual_head_fuse_l.word_emb_mapper.bias": "branch.mappers.f32.bias",
    }
    assert {key: mapped[key] for key in expected} == expected
    assert all(key.startswith(("backbone.", "heads.classifiers.")) for key in imported.weights)
    assert all(key.startswith(("branch.fc2.", "branch.mappers.")) for key in imported.training_only)
    assert len(imported.training_only) == 28  # FC2 and gloss mapper (weight, bias) of seven heads
    assert imported.lateral_options == {"video_keypoint_laterals": True, "video_video_laterals": True,
                                        "keypoint_keypoint_laterals": True}


def test_video_first_convolutions_turn_bgr_into_rgb():
    state = {key: torch.randn(shape) if shape else torch.tensor(0) for key, shape in reference_shapes("rgb_frame64").items()}
    imported = import_reference_state(state)
    source = state["recognition_network.visual_backbone.backbone.base.0.conv_s.weight"]
    assert torch.equal(imported.weights["backbone.video64.b1.0.conv_s.weight"], source[:, [2, 1, 0]])


def test_imported_weights_load_strictly_into_the_slrbench_model():
    imported = import_reference_state(labelled_state("two_frame64"))
    backbone = default_registry().build("backbones", imported.backbone, imported.lateral_options, BackboneContext())
    model = SignModel(backbone, imported.num_classes)
    model.load_state_dict(imported.weights, strict=True)
    assert model.backbone.video64.b4[3].branch1[1].conv_s.weight.flatten()[0] == imported.weights[
        "backbone.video64.b4.3.branch1.1.conv_s.weight"].flatten()[0]


def test_ddp_prefix_single_stream_scale_and_missing_laterals():
    state = {f"module.{key}": value for key, value in labelled_state("two_frame64").items()}
    imported = import_reference_state(state, backbone="vknet-32")
    assert imported.backbone == "vknet-32" and "heads.classifiers.f32.weight" in imported.weights
    without = {k: v for k, v in labelled_state("two_frame64").items() if "rgb_stream_lateral" not in k}
    imported = import_reference_state(without)
    assert imported.lateral_options == {"video_keypoint_laterals": False}
    assert len(imported.unused) == 4 and all("one direction" in reason for reason in imported.unused.values())
    with pytest.raises(UsageError, match="imports as video-64 or video-32"):
        import_reference_state(labelled_state("rgb_frame64"), backbone="vknet")


def test_unknown_keys_are_listed_as_unused():
    state = labelled_state("rgb_frame64")
    state["recognition_network.visual_head.word_emb_tab"] = torch.zeros(2000, 300)
    state["recognition_network.visual_head.bn.weight"] = torch.zeros(4)
    assert set(import_reference_state(state).unused) == {"visual_head.word_emb_tab", "visual_head.bn.weight"}


def test_a_shape_mismatch_or_a_missing_tensor_is_a_clear_error():
    state = labelled_state("rgb_frame64")
    key = "recognition_network.visual_backbone.backbone.base.8.branch0.0.conv.weight"
    state[key] = torch.zeros(190, 480, 1, 1, 1)
    with pytest.raises(UsageError, match=r"base\.8\.branch0\.0\.conv\.weight' has shape \(190, 480, 1, 1, 1\) but "
                                         r"slrbench's 'backbone\.video64\.b4\.1\.branch0\.0\.conv\.weight' needs \(192,"):
        import_reference_state(state)
    state = labelled_state("rgb_frame64")
    del state[key]
    with pytest.raises(UsageError, match="lacks 1 tensors"):
        import_reference_state(state)
    with pytest.raises(UsageError, match="not an NLA-SLR checkpoint"):
        import_reference_state({"encoder.weight": torch.zeros(2)})


def test_import_checkpoint_writes_a_complete_run_directory(tmp_path):
    state = {key: torch.randn(shape) if shape else torch.tensor(5)
             for key, shape in with_classes(reference_shapes("rgb_frame64"), 1000).items()}
    file = tmp_path / "best.ckpt"
    torch.save({"epoch": 37, "global_step": 1000, "model_state": state, "optimizer_state": {"state": {}},
                "best_score": torch.tensor(61.0)}, file)
    out = tmp_path / "runs" / "imported"
    runner = CliRunner()
    result = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out),
                                 "--benchmark", "msasl1000"])  # MS-ASL: the same class order, no data needed
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["best", "config.json", "import_report.json", "slrbench-run.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["imported"]  # no temporary left behind
    config = json.loads((out / "config.json").read_text())
    assert config["plan"]["plugins"]["backbone"]["name"] == "video-64" and config["num_classes"] == 1000
    assert config["plan"]["settings"]["benchmark"] == "msasl1000" and config["imported_from"]["epoch"] == 37
    assert config["imported_from"]["best_score"] == 61.0 and config["heads"] == ["v64"]
    weights = load_file(str(out / "best" / "model.safetensors"))
    backbone = default_registry().build("backbones", "video-64", {}, BackboneContext())
    assert set(weights) == set(SignModel(backbone, 1000).inference_state_dict())
    assert torch.equal(weights["heads.classifiers.v64.bias"], state["recognition_network.visual_head.gloss_output_layer.bias"])
    report = json.loads((out / "import_report.json").read_text())
    assert report["counts"] == {"inference": len(state), "training_only": 0, "unused": 0}
    assert report["class_order"]["rule"] == "identity" and report["class_order"]["permutation"] == list(range(1000))
    assert "rows kept in order (identity)" in " ".join(result.output.split())

    again = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out),
                                "--benchmark", "msasl1000"])
    assert again.exit_code == 2 and "pass --force" in again.output
    forced = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out),
                                 "--benchmark", "msasl1000", "--backbone", "video-32", "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / "config.json").read_text())["heads"] == ["v32"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["imported"]


def test_import_checkpoint_validates_before_reading(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["import-checkpoint", "--from", "slrt", str(tmp_path / "x.ckpt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "unknown checkpoint format; available: nla-slr" in result.output
    result = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(tmp_path / "x.ckpt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "does not exist" in result.output


# --- class order: the reference's rows -> slrbench's classes ----------------------------------
def class_checkpoint(tmp_path: Path, classes: int) -> Path:
    """A video-64 reference checkpoint with FC1 and FC2 whose row r holds r (FC1) and 1000 + r (FC2),
    gloss mapper row j holding 5000 + j; the backbone is expanded zeros (a small file)."""
    head = f"{PREFIX}visual_head."
    shapes = {**with_classes(reference_shapes("rgb_frame64"), classes),
              f"{head}word_fused_gloss_output_layer.weight": (classes, 1024),
              f"{head}word_fused_gloss_output_layer.bias": (classes,),
              f"{head}word_emb_mapper.weight": (1024, 300), f"{head}word_emb_mapper.bias": (1024,)}
    state = {key: torch.zeros(()).expand(shape) for key, shape in shapes.items()}
    for part, offset in (("gloss_output_layer", 0), ("word_fused_gloss_output_layer", 1000), ("word_emb_mapper", 5000)):
        for parameter in ("weight", "bias"):
            shape = shapes[f"{head}{part}.{parameter}"]
            rows = torch.arange(shape[0], dtype=torch.float32) + offset
            state[f"{head}{part}.{parameter}"] = rows.reshape(-1, *[1] * (len(shape) - 1)).expand(shape)
    file = tmp_path / f"reference-{classes}.ckpt"
    torch.save({"epoch": 99, "model_state": state}, file)
    return file


def import_args(file: Path, out: Path, *more: str) -> list[str]:
    return ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out), *more]


def reference_rows(out: Path) -> tuple[list[float], list[float], torch.Tensor]:
    """Per slrbench class: the reference row its FC1 came from, the one its FC2 came from; the mapper."""
    weights, auxiliary = load_file(str(out / "best" / "model.safetensors")), load_file(str(out / "auxiliary.safetensors"))
    fc1, fc2 = weights["heads.classifiers.v64.weight"], auxiliary["branch.fc2.v64.weight"]
    assert torch.equal(fc1[:, 0], weights["heads.classifiers.v64.bias"]) and torch.equal(fc1.amin(1), fc1.amax(1))
    assert torch.equal(fc2[:, 0], auxiliary["branch.fc2.v64.bias"]) and torch.equal(fc2.amin(1), fc2.amax(1))
    return fc1[:, 0].tolist(), (fc2[:, 0] - 1000).tolist(), auxiliary["branch.mappers.v64.weight"]


def test_wlasl_import_gives_each_gloss_the_reference_row_of_that_gloss(tmp_path):
    root = wlasl_root(tmp_path)
    entries = json.loads((root / "WLASL_v0.3.json").read_text())
    glosses = [entry["gloss"] for entry in entries]  # slrbench's class order: the file's
    trained = sorted({e["gloss"] for e in entries if any(i["split"] == "train" for i in e["instances"])})
    assert trained != glosses and len(glosses) == 20  # a reordering shows
    out = tmp_path / "imported"
    result = run_cli(*import_args(class_checkpoint(tmp_path, 20), out, "--benchmark", "wlasl100", "--data-root", str(root)))
    assert result.returncode == 0, result.stderr
    assert "only 20 of its 100 classes" in result.stderr
    assert "rows reordered (sorted-training-glosses)" in result.stdout
    fc1, fc2, mapper = reference_rows(out)
    expected = [trained.index(gloss) for gloss in glosses]
    assert fc1 == expected and fc2 == expected
    assert torch.equal(mapper[:, 0], torch.arange(1024, dtype=torch.float32) + 5000)  # no class dimension
    report = json.loads((out / "import_report.json").read_text())["class_order"]
    assert report["rule"] == "sorted-training-glosses" and report["reordered"] is True
    assert report["permutation"] == expected and report["glosses"] == glosses
    assert json.loads((out / "config.json").read_text())["imported_from"]["class_order"] == "sorted-training-glosses"
    assert json.loads((out / "class_names.json").read_text()) == glosses  # as a training run writes it


def test_msasl_import_keeps_the_reference_rows_in_order(tmp_path):
    root = msasl_root(tmp_path)
    out = tmp_path / "imported"
    result = CliRunner().invoke(app, import_args(class_checkpoint(tmp_path, 100), out,
                                                 "--benchmark", "msasl100", "--data-root", str(root)))
    assert result.exit_code == 0, result.output
    fc1, fc2, _ = reference_rows(out)
    assert fc1 == fc2 == list(range(100))
    report = json.loads((out / "import_report.json").read_text())["class_order"]
    assert report["rule"] == "identity" and report["reordered"] is False
    assert report["glosses"] == json.loads((root / "MSASL_classes.json").read_text())[:100]


@pytest.mark.parametrize("more, message", [
    ([], "--benchmark is required: the reference numbers its classes its own way"),
    (["--benchmark", "wlasl100"], "--benchmark wlasl100 needs --data-root DIR: the reference numbers its classes by"),
    (["--benchmark", "nmfs-csl"], "--benchmark nmfs-csl needs --data-root DIR"),
    (["--benchmark", "synthetic"], "the reference's class order for dataset 'synthetic' is unknown; pass --class-order"),
])
def test_an_import_without_the_class_order_is_a_one_line_error_writing_nothing(tmp_path, more, message):
    file = tmp_path / "reference.ckpt"
    file.write_bytes(b"never read")
    result = CliRunner().invoke(app, import_args(file, tmp_path / "out", *more))
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.ckpt"]


def test_a_class_count_or_training_coverage_mismatch_is_a_one_line_error(tmp_path):
    root = wlasl_root(tmp_path)
    file = class_checkpoint(tmp_path, 30)
    result = CliRunner().invoke(app, import_args(file, tmp_path / "out", "--benchmark", "wlasl100", "--data-root", str(root)))
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    assert f"error: the checkpoint has 30 classes but wlasl100 in {root} has 20" in " ".join(result.output.split())
    entries = json.loads((root / "WLASL_v0.3.json").read_text())
    entries[3]["instances"] = [i for i in entries[3]["instances"] if i["split"] != "train"]  # 'before'
    (root / "WLASL_v0.3.json").write_text(json.dumps(entries))
    result = CliRunner().invoke(app, import_args(file, tmp_path / "out", "--benchmark", "wlasl100", "--data-root", str(root)))
    assert result.exit_code == 2 and "1 classes of wlasl100 have no training sample" in result.output
    assert "(e.g. 'before')" in result.output and not (tmp_path / "out").exists()
    nmfs = nmfs_csl_root(tmp_path)  # training labels 0..6 of 1,067
    with pytest.raises(UsageError, match=r"1060 classes of nmfs-csl have no training sample .*\(e\.g\. 7\)"):
        reference_class_order(default_registry(), "nmfs-csl", nmfs)


def test_nmfs_csl_sorted_training_labels_are_the_identity_when_every_class_is_trained(tmp_path):
    root = nmfs_csl_root(tmp_path)
    (root / "train.txt").write_text("".join(f"P01/sign_{i:04d}.mp4 {1066 - i}\n" for i in range(1067)))
    order, _ = reference_class_order(default_registry(), "nmfs-csl", root)
    assert order.rule == "sorted-training-labels" and order.is_identity and order.glosses is None


def test_class_order_file_names_each_reference_row(tmp_path):
    root = wlasl_root(tmp_path)
    glosses = [entry["gloss"] for entry in json.loads((root / "WLASL_v0.3.json").read_text())]
    rows = glosses[7:] + glosses[:7]  # the reference's row r is the class of gloss rows[r]
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(rows))
    out = tmp_path / "imported"
    result = CliRunner().invoke(app, import_args(class_checkpoint(tmp_path, 20), out, "--benchmark", "wlasl100",
                                                 "--data-root", str(root), "--class-order", str(order_file)))
    assert result.exit_code == 0, result.output
    fc1, fc2, _ = reference_rows(out)
    assert fc1 == fc2 == [rows.index(gloss) for gloss in glosses]
    report = json.loads((out / "import_report.json").read_text())["class_order"]
    assert report["rule"] == "class-order-file" and report["file"] == str(order_file)

    order_file.write_text(json.dumps(list(reversed(range(20)))))  # label indices, any benchmark
    order, _ = reference_class_order(default_registry(), "synthetic", None, order_file)
    assert order.permutation == list(reversed(range(20))) and order.glosses is not None
    for entries, message in (([*rows[:-1], "nonsense"], "1 entries are not glosses of the benchmark, e.g. 'nonsense'"),
                             (rows[:-1], "lists 19 classes; the benchmark has 20"),
                             ([0] * 20, "0 is listed more than once"), ({"a": 1}, "expected a JSON list")):
        order_file.write_text(json.dumps(entries))
        with pytest.raises(UsageError, match=re.escape(message)):
            reference_class_order(default_registry(), "wlasl100", root, order_file)
