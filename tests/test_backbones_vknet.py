"""VKNet and its sub-networks: parity with the reference, contracts, laterals, clips, speed options."""
from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from slrbench.cli.app import app
from slrbench.describe import describe_backbone
from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext
from slrbench.models.vknet import VKNet
from slrbench.registry import default_registry
from slrbench.testing import CHECK_CONTEXT, check_backbone, example_backbone_inputs

VARIANTS = ("vknet", "vknet-64", "vknet-32", "video-64", "video-32", "keypoint-64", "keypoint-32")
SMALL = {"width": 0.125}
# The reference's block outputs (C, T, H, W) for a 64-frame 224² video and 112² heatmaps.
VIDEO_BLOCKS = {"b1": [64, 32, 112, 112], "b2": [192, 32, 56, 56], "b3": [480, 32, 28, 28],
                "b4": [832, 16, 14, 14], "b5": [1024, 8, 7, 7]}
KEYPOINT_BLOCKS = {"b1": [64, 32, 56, 56], "b2": [192, 32, 28, 28], "b3": [480, 32, 14, 14],
                   "b4": [832, 16, 7, 7], "b5": [1024, 8, 3, 3]}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def build(name: str, context: BackboneContext = CHECK_CONTEXT, **options):
    return default_registry().build("backbones", name, options, context)


def test_describe_reports_the_reference_parameter_counts_and_block_shapes():
    result = CliRunner().invoke(app, ["describe", "backbone", "vknet", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["parameters"] == 78_268_544
    blocks = report["block_parameters"]
    assert blocks["video64"] == blocks["video32"] == 7_910_048
    assert blocks["keypoint64"] == blocks["keypoint32"] == 8_098_208
    assert report["feature_dims"] == {"v64": 1024, "k64": 1024, "v32": 1024, "k32": 1024,
                                      "f64": 2048, "f32": 2048, "f": 4096}
    shapes = {stream: {block: value["shape"] for block, value in report["blocks"][stream].items()}
              for stream in ("video64", "keypoint64", "video32", "keypoint32")}
    assert shapes["video64"] == VIDEO_BLOCKS and shapes["keypoint64"] == KEYPOINT_BLOCKS
    halved = {block: [c, t // 2, h, w] for block, (c, t, h, w) in VIDEO_BLOCKS.items()}
    assert shapes["video32"] == halved


@pytest.mark.parametrize("name, parameters", [("video-64", 7_910_048), ("keypoint-32", 8_098_208),
                                              ("vknet-64", 7_910_048 + 8_098_208 + 17_344_512)])
def test_single_and_two_stream_parameter_counts(name, parameters):
    report = describe_backbone(build(name, BackboneContext()))
    assert report["parameters"] == parameters
    stream = "video64" if name == "video-64" else "keypoint32" if name == "keypoint-32" else "keypoint64"
    expected = VIDEO_BLOCKS if stream == "video64" else KEYPOINT_BLOCKS
    halve = stream.endswith("32")
    assert {b: v["shape"] for b, v in report["blocks"][stream].items()} == {
        b: [c, t // 2 if halve else t, h, w] for b, (c, t, h, w) in expected.items()}


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_passes_the_contract_checks_at_a_small_width(name):
    report = check_backbone(name, options=SMALL)
    assert report["parameters"] > 0


def test_feature_names_and_concatenation_orders():
    model = build("vknet", **SMALL).eval()
    with torch.no_grad():
        features = model(example_backbone_inputs(CHECK_CONTEXT, 2, model.inputs))
    assert list(features) == ["v64", "k64", "v32", "k32", "f64", "f32", "f"]
    assert torch.equal(features["f64"], torch.cat([features["v64"], features["k64"]], dim=1))
    assert torch.equal(features["f32"], torch.cat([features["v32"], features["k32"]], dim=1))
    # the reference's order, so that its joint head imports unchanged
    assert torch.equal(features["f"], torch.cat([features[n] for n in ("v64", "v32", "k64", "k32")], dim=1))


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def lateral_parameters(model: VKNet) -> dict[str, int]:
    return {name: sum(p.numel() for p in getattr(model, name).parameters()) for name in model.lateral_names}


def test_each_lateral_type_can_be_switched_off():
    full = build("vknet", **SMALL)
    assert set(full.lateral_names) == {"video_keypoint_64", "video_keypoint_32", "video_temporal", "keypoint_temporal"}
    for option, removed in [("video_video_laterals", {"video_temporal"}),
                            ("keypoint_keypoint_laterals", {"keypoint_temporal"}),
                            ("video_keypoint_laterals", {"video_keypoint_64", "video_keypoint_32"})]:
        model = build("vknet", **SMALL, **{option: False})
        assert set(full.lateral_names) - set(model.lateral_names) == removed
        saved = sum(lateral_parameters(full)[name] for name in removed)
        assert parameter_count(full) - parameter_count(model) == saved
    none = build("vknet", **SMALL, video_video_laterals=False, keypoint_keypoint_laterals=False,
                 video_keypoint_laterals=False)
    assert none.lateral_names == () and check_backbone("vknet", options={**SMALL, "video_keypoint_laterals": False})


def test_laterals_follow_the_reference_layer_design():
    model = build("vknet", BackboneContext())
    vk, temporal = model.video_keypoint_64, model.video_temporal
    assert len(vk.to_small) == len(vk.to_large) == 4  # after B1..B4, never B5
    assert [layer.weight.shape[0] for layer in vk.to_small] == [64, 192, 480, 832]
    down, up = vk.to_small[0], vk.to_large[0]
    assert (down.kernel_size, down.stride, down.padding) == ((1, 3, 3), (1, 2, 2), (0, 1, 1))
    assert isinstance(up, torch.nn.ConvTranspose3d) and up.output_padding == (0, 1, 1)
    assert (temporal.to_small[0].kernel_size, temporal.to_small[0].stride) == ((3, 1, 1), (2, 1, 1))
    assert isinstance(temporal.to_large[0], torch.nn.ConvTranspose3d) and temporal.to_large[0].stride == (2, 1, 1)
    assert all(layer.bias is None for layer in model.modules() if isinstance(layer, (torch.nn.Conv3d, torch.nn.ConvTranspose3d)))


def frame_coded_batch(batch=3, frames=16):
    """Video whose every pixel holds its frame index; keypoint 0 sits at x = frame index."""
    video = torch.arange(frames, dtype=torch.float32).view(1, 1, frames, 1, 1).expand(batch, 3, frames, 64, 64)
    keypoints = torch.zeros(batch, frames, 63, 3)
    keypoints[:, :, 0, 0] = torch.arange(frames, dtype=torch.float32)
    keypoints[:, :, :, 2] = 1.0
    return {"video": video.contiguous(), "keypoints": keypoints}


def frames_of(prepared):
    video_frames = prepared["video32"][:, 0, :, 0, 0]  # (B, T/2)
    heatmap_frames = prepared["heatmaps32"][:, 0, :, 0, :].argmax(dim=-1)  # x of keypoint 0, row 0
    return video_frames.long(), heatmap_frames


def test_the_32_frame_clip_is_central_in_eval_and_a_random_window_in_training():
    model = build("vknet", **SMALL)
    batch = frame_coded_batch()
    model.eval()
    video_frames, heatmap_frames = frames_of(model.prepare_inputs(batch))
    assert video_frames.tolist() == [list(range(4, 12))] * 3 and torch.equal(video_frames, heatmap_frames)
    model.train()
    torch.manual_seed(0)
    starts = set()
    for _ in range(5):
        video_frames, heatmap_frames = frames_of(model.prepare_inputs(batch))
        assert torch.equal(video_frames, heatmap_frames)  # one window per sample for video and keypoints
        assert torch.equal(video_frames, video_frames[:, :1] + torch.arange(8))
        starts.update(video_frames[:, 0].tolist())
    assert len(starts) > 1 and all(0 <= s <= 8 for s in starts)


def test_stride_sampling_takes_every_second_frame():
    model = build("vknet-32", **SMALL, short_clip="stride")
    for mode in (model.train, model.eval):
        mode()
        video_frames, heatmap_frames = frames_of(model.prepare_inputs(frame_coded_batch()))
        assert video_frames.tolist() == [list(range(0, 16, 2))] * 3 and torch.equal(video_frames, heatmap_frames)


def test_prepared_inputs_are_what_the_mixup_blends():
    model = build("vknet", **SMALL).eval()  # the central 32-frame window both ways
    batch = example_backbone_inputs(CHECK_CONTEXT, 2, model.inputs)
    prepared = model.prepare_inputs(batch)
    assert set(prepared) == {"video", "video32", "heatmaps", "heatmaps32"}
    assert prepared["heatmaps"].shape == (2, 63, 16, 32, 32) and prepared["heatmaps32"].shape == (2, 63, 8, 32, 32)
    assert prepared["heatmaps"].min() >= -1 and prepared["heatmaps"].max() <= 1
    with torch.no_grad():
        direct, via_prepared = model(batch), model(prepared)
    assert all(torch.allclose(direct[name], via_prepared[name], atol=1e-6) for name in direct)


def test_channels_last_and_bf16_autocast_run_forward_and_backward():
    torch.manual_seed(0)
    plain = build("vknet-64", **SMALL)
    fast = build("vknet-64", **SMALL, channels_last=True)
    fast.load_state_dict(plain.state_dict())
    batch = example_backbone_inputs(CHECK_CONTEXT, 2, plain.inputs)
    plain.eval(), fast.eval()
    with torch.no_grad():
        reference, channels_last = plain(batch), fast(batch)
    assert all(torch.allclose(reference[n], channels_last[n], atol=1e-4, rtol=1e-3) for n in reference)
    fast.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features = fast(fast.prepare_inputs(batch))
        loss = sum(f.float().square().mean() for f in features.values())
    assert features["f64"].dtype == torch.bfloat16 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in fast.parameters())


def test_sizes_the_laterals_cannot_join_are_refused():
    with pytest.raises(UsageError, match="video_size = 2 x heatmap_size"):
        build("vknet-64", BackboneContext(num_frames=16, video_size=64, heatmap_size=64), **SMALL)
    build("vknet-64", BackboneContext(num_frames=16, video_size=64, heatmap_size=64), **SMALL,
          video_keypoint_laterals=False)
    with pytest.raises(UsageError, match="at least 8 frames"):
        build("video-32", BackboneContext(num_frames=8), **SMALL)
    with pytest.raises(UsageError, match="divisible by 16"):
        build("vknet", BackboneContext(num_frames=24), **SMALL)


def test_heatmap_sigma_scales_with_the_map_size():
    model = build("keypoint-64", BackboneContext(heatmap_size=56), **SMALL)
    keypoints = torch.tensor([[[[20.0, 20.0, 1.0]]]])  # (1, 1, 1, 3)
    profile = (model.heatmaps(keypoints)[0, 0, 0, 20] + 1) / 2  # row through the keypoint
    sigma = 3.5 * 56 / 112
    assert profile[21].item() == pytest.approx(torch.exp(torch.tensor(-1 / (2 * sigma ** 2))).item(), rel=1e-5)


def test_a_variant_is_configured_by_its_own_option_model_widened_to_vknets():
    """No parallel settings copy: VKNet reads the registered option model; options a variant lacks
    (the 64-frame pair's V-V laterals, a single stream's V-K) keep VKNetConfig's defaults."""
    from slrbench.builtins.backbones import VKNetConfig

    pair = build("vknet-64", width=0.125, heatmap_sigma=2.0, video_keypoint_laterals=False)
    assert isinstance(pair.options, VKNetConfig)
    assert (pair.options.width, pair.options.heatmap_sigma, pair.options.video_keypoint_laterals) == (0.125, 2.0, False)
    assert pair.options.video_video_laterals == VKNetConfig.model_fields["video_video_laterals"].default
    assert pair.lateral_names == ()
    full = build("vknet", width=0.125, keypoint_keypoint_laterals=False)
    assert full.options == default_registry().resolve_options("backbones", "vknet",
                                                              {"width": 0.125, "keypoint_keypoint_laterals": False})
