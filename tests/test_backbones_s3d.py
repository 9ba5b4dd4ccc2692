"""S3D: the reference's channel plan, layer design and key layout; Kinetics weights; checkpointing."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from data_roots import reference_state_dict_shapes
from slrbench.builtins.backbones import VKNetConfig
from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext
from slrbench.models.s3d import S3D, pool_features
from slrbench.models.s3d_weights import FIRST_CONV, block_key, load_kinetics_s3d
from slrbench.models.vknet import VKNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def reference_shapes(name: str, prefix: str) -> dict[str, tuple[int, ...]]:
    return {key[len(prefix):]: shape for key, shape in reference_state_dict_shapes(name).items() if key.startswith(prefix)}


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_s3d_parameter_counts_match_the_reference():
    assert parameter_count(S3D(3)) == 7_910_048
    assert parameter_count(S3D(63)) == 8_098_208


@pytest.mark.parametrize("name, prefix, channels", [
    ("rgb_frame64", "recognition_network.visual_backbone.backbone.", 3),
    ("pose_frame64", "recognition_network.visual_backbone_keypoint.backbone.", 63),
])
def test_s3d_keys_and_shapes_are_the_reference_renumbered(name, prefix, channels):
    reference = {block_key(key): shape for key, shape in reference_shapes(name, prefix).items()}
    ours = {key: tuple(value.shape) for key, value in S3D(channels).state_dict().items()}
    assert ours == reference


def test_batch_norm_uses_the_reference_eps_and_momentum():
    norms = [m for m in S3D(3, width=0.125).modules() if isinstance(m, torch.nn.BatchNorm3d)]
    assert norms and all(m.eps == 1e-3 and m.momentum == 1e-3 for m in norms)
    assert all(m.bias is None for m in S3D(3, width=0.125).modules() if isinstance(m, torch.nn.Conv3d))


def test_block_output_shapes_follow_the_reference_strides():
    model = S3D(3, width=0.125).eval()
    shapes = []
    for block in model.blocks:
        block.register_forward_hook(lambda module, args, output: shapes.append(tuple(output.shape[1:])))
    with torch.no_grad():
        model(torch.randn(1, 3, 16, 64, 64))
    channels = model.block_channels
    assert channels == (8, 24, 60, 104, 128)
    # 64 x 224² -> 32 x 112², 32 x 56², 32 x 28², 16 x 14², 8 x 7²: the same strides at 16 x 64²
    assert shapes == [(8, 8, 32, 32), (24, 8, 16, 16), (60, 8, 8, 8), (104, 4, 4, 4), (128, 2, 2, 2)]


def test_pooling_is_the_reference_avg_pool_then_temporal_mean():
    x = torch.randn(2, 6, 5, 3, 3)
    reference = F.avg_pool3d(x, (2, 3, 3), stride=1).flatten(2).mean(dim=2)
    assert torch.allclose(pool_features(x), reference, atol=1e-6)
    single = torch.randn(2, 6, 1, 3, 3)
    assert torch.allclose(pool_features(single), single.mean(dim=(2, 3, 4)), atol=1e-6)


def small_vknet(**settings) -> VKNet:
    context = BackboneContext(num_keypoints=5, num_frames=16, video_size=64, heatmap_size=32)
    return VKNet(("video64", "keypoint64"), VKNetConfig(width=0.125, **settings), context)


def test_gradient_checkpointing_gives_the_same_gradients_and_statistics():
    torch.manual_seed(0)
    plain = small_vknet()
    checkpointed = small_vknet(gradient_checkpointing=True)
    checkpointed.load_state_dict(plain.state_dict())
    inputs = {"video": torch.randn(2, 3, 16, 64, 64), "heatmaps": torch.randn(2, 5, 16, 32, 32)}
    for model in (plain, checkpointed):
        model.train()
        sum(f.square().mean() for f in model(inputs).values()).backward()
    for (name, a), b in zip(plain.named_parameters(), checkpointed.parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-5, rtol=1e-4), name
    for (name, a), b in zip(plain.named_buffers(), checkpointed.buffers()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), name  # BN statistics updated once


def kinetics_file(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """A file in the S3D_kinetics400.pt layout: `module.base.N.*` plus the classifier `module.fc.0.*`."""
    generator = torch.Generator().manual_seed(1)
    shapes = reference_shapes("rgb_frame64", "recognition_network.visual_backbone.backbone.")  # base.N.*
    weights = {f"module.{key}": torch.randn(shape, generator=generator) if shape else torch.tensor(3)
               for key, shape in shapes.items()}
    weights["module.fc.0.weight"] = torch.randn(400, 1024, 1, 1, 1)
    weights["module.fc.0.bias"] = torch.randn(400)
    path = tmp_path / "S3D_kinetics400.pt"
    torch.save(weights, path)
    return path, weights


def test_kinetics_weights_load_into_every_stream_but_the_keypoint_first_conv(tmp_path):
    path, weights = kinetics_file(tmp_path)
    model = VKNet(("video64", "keypoint64"), VKNetConfig(), BackboneContext())
    keypoint_first = model.keypoint64.b1[0].conv_s.weight.detach().clone()
    assert load_kinetics_s3d(model, path) == ["video64", "keypoint64"]
    mixed = "module.base.9.branch1.1.conv_t.weight"  # base.9 = Mixed_4c = b4.2
    assert torch.equal(model.video64.b4[2].branch1[1].conv_t.weight, weights[mixed])
    assert torch.equal(model.keypoint64.b4[2].branch1[1].conv_t.weight, weights[mixed])
    assert torch.equal(model.video64.b1[0].conv_s.weight, weights["module.base.0.conv_s.weight"].flip(1))  # BGR -> RGB
    assert torch.equal(model.keypoint64.b1[0].conv_s.weight, keypoint_first)
    assert torch.equal(model.keypoint64.state_dict()["b1.0.bn_s.running_var"], weights["module.base.0.bn_s.running_var"])
    assert FIRST_CONV == "b1.0.conv_s.weight"


def test_kinetics_weights_need_width_one(tmp_path):
    path, _ = kinetics_file(tmp_path)
    with pytest.raises(UsageError, match="need width 1.0"):
        load_kinetics_s3d(small_vknet(), path)
