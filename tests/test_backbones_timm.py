"""timm frame encoders: a tiny timm model per frame, random init or a local file, never downloading."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from slrbench.errors import UsageError
from slrbench.registry import default_registry
from slrbench.testing import CHECK_CONTEXT, check_backbone, example_backbone_inputs

TINY = "test_resnet"  # one of timm's test models, ~0.4 M parameters


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    """Any attempt to fetch weights fails the test."""
    import timm.models._builder as builder

    def refuse(*args, **kwargs):
        raise AssertionError("timm tried to download weights")

    for name in ("load_state_dict_from_url", "load_state_dict_from_hf", "download_cached_file"):
        monkeypatch.setattr(builder, name, refuse)


def build(**options):
    return default_registry().build("backbones", "timm-frames", options, CHECK_CONTEXT)


@pytest.mark.parametrize("options", [
    {"model": TINY},
    {"model": TINY, "stream": "keypoints", "temporal": "conv"},
])
def test_timm_frame_encoder_passes_the_contract_checks(options):
    report = check_backbone("timm-frames", options=options)
    assert report["parameters"] > 0


def test_frames_are_encoded_independently_then_pooled_over_time():
    model = build(model=TINY).eval()
    video = example_backbone_inputs(CHECK_CONTEXT, 2, ("video",))["video"]
    with torch.no_grad():
        feature = model({"video": video})["v"]
        per_frame = torch.stack([model.frames(video[:, :, t]) for t in range(video.shape[2])], dim=2)
    assert feature.shape == (2, model.feature_dims["v"])
    assert torch.allclose(feature, per_frame.mean(dim=2), atol=1e-5)


def test_keypoint_stream_sees_heatmaps_with_one_channel_per_keypoint():
    model = build(model=TINY, stream="keypoints")
    batch = example_backbone_inputs(CHECK_CONTEXT, 2, model.inputs)
    heatmaps = model.prepare_inputs(batch)["heatmaps"]
    assert heatmaps.shape == (2, 63, 16, 32, 32) and model.inputs == ("keypoints",) and "k" in model.feature_dims


def test_local_weights_file_is_loaded(tmp_path):
    import timm

    source = timm.create_model(TINY, pretrained=False)
    path = tmp_path / "tiny.safetensors"
    save_file({key: value.contiguous() for key, value in source.state_dict().items()}, str(path))
    model = build(model=TINY, weights=path)
    expected = source.state_dict()
    loaded = model.frames.state_dict()
    assert loaded and all(torch.equal(value, expected[key]) for key, value in loaded.items())


def test_unknown_model_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(UsageError, match="unknown timm model 'no_such_net'"):
        build(model="no_such_net")
    with pytest.raises(UsageError, match="does not exist"):
        build(model=TINY, weights=tmp_path / "absent.safetensors")
