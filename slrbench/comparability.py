"""Whether a run's numbers can be set beside the paper's: the honest-defaults warnings.

The paper's S3D streams start from Kinetics-400 weights and NLA-SLR trains in stages (single
streams -> VKNet-64 / VKNet-32 -> VKNet). A run of a standard benchmark that skips this starts
from random weights, which likely costs WLASL2000 more than ten points of top-1; it is warned
about once on screen, recorded in config.json (`warnings`) and shown by `slrbench table`.
No torch here: `slrbench run --dry-run` prints the warnings too.
"""
from __future__ import annotations

from slrbench.runconfig import RunPlan

PAPER_DATASETS = ("wlasl", "msasl", "nmfs-csl")
SINGLE_STREAMS = ("video-64", "video-32", "keypoint-64", "keypoint-32")
FUSED = ("vknet", "vknet-64", "vknet-32")
HOW_TO_FIX = ("start from the Kinetics-400 weights and train in stages: slrbench run --config benchmarks/main.toml "
              "--variant NAME --stage all (docs/reproduce.md)")


def comparability_warnings(plan: RunPlan) -> list[str]:
    """One line per reason this run is not comparable with the paper (empty when it is, or when the
    run is not one of the paper's backbones on one of its benchmarks)."""
    settings = plan.settings
    if plan.dataset not in PAPER_DATASETS or settings.backbone not in SINGLE_STREAMS + FUSED or settings.init_from:
        return []
    if plan.option("backbone", "kinetics_weights") is None:
        return ["not comparable with the paper: this run starts from random weights (no kinetics_weights, no "
                f"--init-from); {HOW_TO_FIX}"]
    if settings.backbone in FUSED:
        return [f"not comparable with the paper: {settings.backbone} trains in one stage from Kinetics-400 weights, "
                f"the paper starts it from trained single streams; {HOW_TO_FIX}"]
    return []
