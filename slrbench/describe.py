"""What `slrbench describe` reports about one plugin: resolved options and, for backbones, sizes.

Building a backbone imports torch, so this module is only imported by the `describe` command.
"""
from __future__ import annotations

from typing import Any, Mapping

from slrbench.inputs import BUILTIN_STREAMS, stream_table
from slrbench.interfaces import BackboneContext
from slrbench.registry import Registry


def describe_plugin(registry: Registry, kind: str, name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    plugin = registry.get(kind, name)
    config = registry.resolve_options(plugin.kind, name, options)
    report: dict[str, Any] = {
        "kind": plugin.kind.name,
        "name": name,
        "summary": plugin.spec.summary,
        "distribution": plugin.distribution,
        "version": plugin.version,
        "options": config.model_dump(mode="json"),
    }
    report.update(plugin.spec.declarations())
    if plugin.kind.name == "backbones":
        backbone = registry.build(plugin.kind, name, config, BackboneContext())
        report.update(describe_backbone(backbone, stream_table(plugin.spec.streams)))
    return report


def describe_backbone(backbone: Any, streams: Mapping[str, Any] = BUILTIN_STREAMS) -> dict[str, Any]:
    """Parameter counts (total, trainable, per top-level block), inputs and feature sizes, plus
    what the backbone's optional `describe_blocks()` reports (e.g. per-block feature shapes)."""
    parameters = list(backbone.parameters())
    blocks = {
        block_name: sum(p.numel() for p in block.parameters()) for block_name, block in backbone.named_children()
    }
    direct = sum(p.numel() for p in backbone.parameters(recurse=False))
    if direct:
        blocks["(own parameters)"] = direct
    report = {
        "parameters": sum(p.numel() for p in parameters),
        "trainable_parameters": sum(p.numel() for p in parameters if p.requires_grad),
        "block_parameters": blocks,
        "inputs": {name: streams[name].layout for name in backbone.inputs},
        "feature_dims": dict(backbone.feature_dims),
        "feature_groups": backbone.feature_groups(),
        "default_heads": list(backbone.default_heads()),
    }
    blocks = backbone.describe_blocks()
    if blocks is not None:
        report["blocks"] = blocks
    return report
