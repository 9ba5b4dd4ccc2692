"""Factories of the registered VKNet backbones (`slrbench.builtins.backbones`).

Each is called as `factory(config, context)` with the variant's validated option model, which
VKNet reads directly once widened to the full `VKNetConfig`.
"""
from __future__ import annotations

from typing import Any

from slrbench.builtins.backbones import S3DOptions, VKNetConfig
from slrbench.interfaces import BackboneContext
from slrbench.models.laterals import zero_laterals
from slrbench.models.s3d import set_batch_norm_momentum
from slrbench.models.s3d_weights import load_kinetics_s3d
from slrbench.models.vknet import VKNet

VARIANT_STREAMS = {
    "vknet": ("video64", "keypoint64", "video32", "keypoint32"),
    "vknet-64": ("video64", "keypoint64"),
    "vknet-32": ("video32", "keypoint32"),
    "video-64": ("video64",),
    "video-32": ("video32",),
    "keypoint-64": ("keypoint64",),
    "keypoint-32": ("keypoint32",),
}


def widened(config: S3DOptions) -> VKNetConfig:
    """A variant's options as VKNet's: each variant's model is `VKNetConfig` less the options that do
    not apply to its streams (a single stream has no laterals), which keep their defaults. Not
    validated again: every field present was validated by the same field definition."""
    if isinstance(config, VKNetConfig):
        return config
    return VKNetConfig.model_construct(**config.model_dump())


def build_variant(variant: str, config: S3DOptions, context: BackboneContext) -> VKNet:
    options = widened(config)
    model = VKNet(VARIANT_STREAMS[variant], options, context)
    if options.kinetics_weights is not None:
        load_kinetics_s3d(model, options.kinetics_weights)
    set_batch_norm_momentum(model, options.bn_momentum)
    if options.lateral_init == "zero":
        zero_laterals(model)
    return model


def vknet(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("vknet", config, context)


def vknet_64(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("vknet-64", config, context)


def vknet_32(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("vknet-32", config, context)


def video_64(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("video-64", config, context)


def video_32(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("video-32", config, context)


def keypoint_64(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("keypoint-64", config, context)


def keypoint_32(config: Any, context: BackboneContext) -> VKNet:
    return build_variant("keypoint-32", config, context)
