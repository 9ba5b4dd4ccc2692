"""The plugin's registrations: option models and the two hooks (the `slrbench` entry point).

This module is imported whenever slrbench lists plugins, so it stays light: pydantic and the
slrbench markers only. The torch code behind each factory string loads on first use.
"""
from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class PoseGCNConfig(PluginConfig):
    width: int = Field(64, ge=8, description="channels of the first graph block; later blocks use twice as many")
    blocks: int = Field(4, ge=1, le=10, description="number of spatio-temporal graph blocks")
    dropout: float = Field(0.1, ge=0, lt=1, description="dropout after each block's temporal convolution")
    use_scores: bool = Field(
        True, description="feed the keypoint confidence score as a third input channel (False: x, y only)"
    )


class SpellingSmoothingConfig(PluginConfig):
    epsilon: float = Field(0.2, ge=0, lt=1, description="probability mass moved off the true class")
    temperature: float = Field(
        0.5, gt=0, description="softmax temperature τ over the trigram Jaccard similarities of gloss spellings"
    )


@hookimpl
def register_backbones(register):
    register(PluginSpec(
        name="posegcn",
        factory="slrbench_posegcn.backbone:PoseGCN",
        config=PoseGCNConfig,
        summary="Spatio-temporal graph convolution (ST-GCN) over the 63 NLA-SLR keypoints",
        requires=("torch",),
        inputs=("keypoint_coordinates",),
        test_options={"width": 8, "blocks": 2},
    ))


@hookimpl
def register_label_smoothers(register):
    register(PluginSpec(
        name="spelling",
        factory="slrbench_posegcn.spelling:SpellingSmoothing",
        config=SpellingSmoothingConfig,
        summary="Label smoothing by gloss spelling (trigram Jaccard), a no-semantics baseline for 'lang'",
        requires=("torch",),
    ))
