"""Factories of the registered VKNet backbones (`slrbench.builtins.backbones`).

Each is called as `factory(config, context)` with the variant's validated option model.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

from slrbench.interfaces import BackboneContext
from slrbench.models.laterals import zero_laterals
from slrbench.models.s3d import set_batch_norm_momentum
from slrbench.models.s3d_weights import load_kinetics_s3d
from slrbench.models.vknet import VKNet, VKNetSettings

VARIANT_STREAMS = {
    "vknet": ("video64", "keypoint64", "video32", "keypoint32"),
    "vknet-64": ("video64", "keypoint64"),
    "vknet-32": ("video32", "keypoint32"),
    "video-64": ("video64",),
    "video-32": ("video32",),
    "keypoint-64": ("keypoint64",),
    "keypoint-32": ("keypoint32",),
}


def settings_from_options(config: Any) -> VKNetSettings:
    """The option model's values for the settings it has; defaults for the rest (e.g. laterals
    of streams a variant does not have)."""
    values = config.model_dump()
    return VKNetSettings(**{f.name: values[f.name] for f in fields(VKNetSettings) if f.name in values})


def build_variant(variant: str, config: Any, context: BackboneContext) -> VKNet:
    model = VKNet(VARIANT_STREAMS[variant], settings_from_options(config), context)
    if config.kinetics_weights is not None:
        load_kinetics_s3d(model, config.kinetics_weights)
    set_batch_norm_momentum(model, config.bn_momentum)
    if getattr(config, "lateral_init", "kaiming") == "zero":
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
