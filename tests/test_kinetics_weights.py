"""Kinetics-400 S3D weights in torchvision's layout (`s3d-d76dad2f.pth`): keys, input convention, hub cache.

A randomly initialised torchvision S3D stands in for the real file (nothing is downloaded): loaded
through `kinetics_weights`, slrbench's video stream must compute what torchvision's own model
computes on the clip its published transforms prepare.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

torchvision_video = pytest.importorskip("torchvision.models.video")

from slrbench.builtins.backbones import VKNetConfig  # noqa: E402
from slrbench.data.transforms import frames_to_video, to_model_range  # noqa: E402
from slrbench.errors import UsageError  # noqa: E402
from slrbench.interfaces import BackboneContext  # noqa: E402
from slrbench.models.s3d_weights import (  # noqa: E402
    TORCHVISION_MEAN, TORCHVISION_S3D_HASH, TORCHVISION_S3D_URL, TORCHVISION_STD, load_kinetics_s3d,
)
from slrbench.models.vknet import VKNet  # noqa: E402
from slrbench.registry import default_registry  # noqa: E402

WEIGHTS = torchvision_video.S3D_Weights.KINETICS400_V1
CONTEXT = BackboneContext(num_keypoints=5, num_frames=16, video_size=64, heatmap_size=32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def torchvision_s3d() -> torch.nn.Module:
    """torchvision's S3D, random weights and BatchNorm statistics (defaults 0 / 1 would hide a
    BN mapped to the wrong place), in eval mode. The statistics are those of one random batch
    (plus 0.1 on the variances), so the features keep depending on the input through all layers."""
    torch.manual_seed(0)
    model = torchvision_video.s3d(weights=None)
    generator = torch.Generator().manual_seed(1)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm3d)]
    for norm in norms:
        norm.weight.data.copy_(torch.rand(norm.num_features, generator=generator) + 0.5)
        norm.bias.data.copy_(torch.randn(norm.num_features, generator=generator) * 0.1)
        norm.momentum = None  # the running statistics become those of the next batch
        norm.reset_running_stats()
    with torch.no_grad():
        model.train().features(torch.randn(2, 3, 16, 64, 64, generator=generator))
    for norm in norms:
        norm.running_var.add_(0.1)
        norm.momentum = 0.001
    return model.eval()


@pytest.fixture(scope="module")
def torchvision_file(torchvision_s3d, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "s3d-d76dad2f.pth"
    torch.save(torchvision_s3d.state_dict(), path)
    return path


def build(name: str, options: dict) -> VKNet:
    return default_registry().build("backbones", name, options, CONTEXT)


def block5(model: VKNet, stream: str, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The stream's b5 feature map (B, 1024, T/8, H/32, W/32), through the backbone's own forward."""
    seen = []
    hook = getattr(model, stream).b5.register_forward_hook(lambda module, args, output: seen.append(output))
    with torch.no_grad():
        model.eval()(inputs)
    hook.remove()
    return seen[0]


def test_constants_are_torchvision_published_ones():
    preset = WEIGHTS.transforms()
    assert WEIGHTS.url == TORCHVISION_S3D_URL and f"-{TORCHVISION_S3D_HASH}." in TORCHVISION_S3D_URL
    assert tuple(preset.mean) == TORCHVISION_MEAN and tuple(preset.std) == TORCHVISION_STD


def test_torchvision_weights_give_torchvision_features_on_slrbench_input(torchvision_s3d, torchvision_file):
    assert sum(p.numel() for p in torchvision_s3d.features.parameters()) == 7_910_048
    model = build("video-64", {"kinetics_weights": str(torchvision_file)})
    frames = torch.randint(0, 256, (16, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    # torchvision: its published transforms (sizes set to the clip's: resize and crop change nothing)
    prepared = WEIGHTS.transforms(crop_size=(64, 64), resize_size=(64, 64))(frames.unsqueeze(0))  # (1, 3, T, H, W)
    with torch.no_grad():
        expected = torchvision_s3d.features(prepared)  # (1, 1024, 2, 2, 2)
    video = to_model_range(frames_to_video(frames)).unsqueeze(0)  # slrbench: RGB in [-1, 1]
    ours = block5(model, "video64", {"video": video})
    assert ours.shape == expected.shape == (1, 1024, 2, 2, 2)
    assert expected.std() > 0.05
    torch.testing.assert_close(ours, expected, atol=1e-4, rtol=1e-4)

    # the input map is what makes them agree, and it travels with the weights (eval, --init-from)
    fresh = build("video-64", {})
    fresh.load_state_dict(model.state_dict())
    torch.testing.assert_close(block5(fresh, "video64", {"video": video}), expected, atol=1e-4, rtol=1e-4)
    fresh.video64.input_affine.scale.fill_(1)
    fresh.video64.input_affine.shift.fill_(0)
    assert (block5(fresh, "video64", {"video": video}) - expected).abs().max() > 1e-2


def test_keypoint_streams_load_all_but_the_first_convolution(torchvision_s3d, torchvision_file):
    torch.manual_seed(3)
    model = VKNet(("video64", "keypoint64"), VKNetConfig(), CONTEXT)
    first = model.keypoint64.b1[0].conv_s.weight.detach().clone()  # (64, 5, 1, 7, 7)
    assert load_kinetics_s3d(model, torchvision_file) == ["video64", "keypoint64"]
    features = torchvision_s3d.features
    mixed_4c_branch1_temporal = features[9].branch1[1][1][0].weight  # = b4.2.branch1.1.conv_t
    assert torch.equal(model.keypoint64.b4[2].branch1[1].conv_t.weight, mixed_4c_branch1_temporal)
    assert torch.equal(model.keypoint64.b1[0].bn_s.running_var, features[0][0][1].running_var)
    assert torch.equal(model.keypoint64.b1[0].conv_s.weight, first)
    assert torch.equal(model.video64.b1[0].conv_s.weight, features[0][0][0].weight)  # RGB: not reversed
    assert not any(key.startswith("input_affine.") for key in model.keypoint64.state_dict())
    torch.testing.assert_close(model.video64.input_affine.scale, 0.5 / torch.tensor(TORCHVISION_STD))


def test_torchvision_option_reads_the_hub_cache_without_downloading(torchvision_s3d, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = tmp_path / "hub" / "checkpoints" / "s3d-d76dad2f.pth"
    cached.parent.mkdir(parents=True)
    torch.save(torchvision_s3d.state_dict(), cached)  # random weights under the real name: not the download
    model = build("video-64", {"kinetics_weights": "torchvision"})
    expected = torchvision_s3d.features[15].branch3[1][1].running_mean
    assert torch.equal(model.video64.b5[2].branch3[1].bn.running_mean, expected)
    assert [p.name for p in cached.parent.iterdir()] == ["s3d-d76dad2f.pth"]  # nothing fetched beside it


def test_a_file_of_neither_layout_is_a_one_line_error(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"encoder.0.weight": torch.zeros(3), "head.bias": torch.zeros(2)}, path)
    neither = r"neither S3D_kinetics400\.pt .* nor torchvision's s3d-d76dad2f\.pth"
    with pytest.raises(UsageError, match=neither) as caught:
        build("video-64", {"kinetics_weights": str(path)})
    assert "\n" not in str(caught.value) and "encoder, head" in str(caught.value)
    broken = tmp_path / "broken.pth"
    broken.write_text("not a torch file\n")
    with pytest.raises(UsageError, match="not a readable torch weights file") as caught:
        build("video-64", {"kinetics_weights": str(broken)})
    assert "\n" not in str(caught.value)


def test_a_missing_file_fails_option_validation_naming_the_option(tmp_path):
    with pytest.raises(UsageError) as caught:
        default_registry().resolve_options("backbones", "vknet", {"kinetics_weights": str(tmp_path / "gone.pt")})
    assert caught.value.lines() == [f"backbone.kinetics_weights: not an existing file; give a path to "
                                    f"S3D_kinetics400.pt or s3d-d76dad2f.pth, or 'torchvision' (got "
                                    f"'{tmp_path / 'gone.pt'}')"]
    options = default_registry().resolve_options("backbones", "vknet", {"kinetics_weights": "torchvision"})
    assert options.kinetics_weights == "torchvision"


def test_eval_of_a_run_started_from_kinetics_needs_neither_the_file_nor_a_download(tmp_path):
    """The run's own weights replace the Kinetics start, so `slrbench eval` does not load it again."""
    from helpers import run_cli

    weights = tmp_path / "s3d-d76dad2f.pth"
    torch.save(torchvision_video.s3d(weights=None).state_dict(), weights)
    out = tmp_path / "run"
    trained = run_cli(
        "run", "--benchmark", "synthetic", "--backbone", "keypoint-64", "--smoother", "vanilla", "--mixup", "none",
        "-o", f"backbone.kinetics_weights={weights}", "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=2",
        "-o", "dataset.val_per_class=1", "-o", "dataset.test_per_class=1", "-o", "dataset.frame_size=32",
        "-o", "run.num_frames=16", "-o", "run.heatmap_size=32", "-o", "run.video_size=64", "--workers", "0",
        "--epochs", "1", "--batch-size", "4", "--out", str(out), env={"SLRBENCH_CACHE": str(tmp_path / "cache")})
    assert trained.returncode == 0, trained.stderr
    weights.unlink()
    evaluated = run_cli("eval", str(out))
    assert evaluated.returncode == 0, evaluated.stderr
    assert (out / "eval-crops1" / "metrics.json").is_file()
