"""What `slrbench describe` reports about one plugin: resolved options and, for backbones, sizes.

Building a backbone imports torch, so this module is only imported by the `describe` command.
"""
from __future__ import annotations

from typing import Any, Mapping

from slrbench.interfaces import BACKBONE_INPUTS, BackboneContext
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
    if plugin.spec.benchmarks:
        report["benchmarks"] = list(plugin.spec.benchmarks)
    if plugin.kind.name == "backbones":
        report.update(describe_backbone(registry.build(plugin.kind, name, config, BackboneContext())))
    return report


def describe_backbone(backbone: Any) -> dict[str, Any]:
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
        "inputs": {name: BACKBONE_INPUTS[name] for name in backbone.inputs},
        "feature_dims": dict(backbone.feature_dims),
    }
    describe_blocks = getattr(backbone, "describe_blocks", None)  # optional: per-block shapes and sizes
    if describe_blocks is not None:
        report["blocks"] = describe_blocks()
    return report
