"""Tests of the installed slrbench-posegcn distribution, found through its entry point.

Install it first (`pip install ./plugins/slrbench-posegcn`); without it every test is skipped.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import torch

from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext, SmootherContext
from slrbench.plugins import load_plugins
from slrbench.registry import Registry
from slrbench.testing import check_backbone, check_label_smoother, check_mixup

if importlib.util.find_spec("slrbench_posegcn") is None:
    pytest.skip("slrbench-posegcn is not installed; run `pip install ./plugins/slrbench-posegcn` first",
                allow_module_level=True)

from slrbench_posegcn.skeleton import nla_slr_edges, normalized_adjacency  # noqa: E402 (needs the check above)

SMALL = {"width": 16, "blocks": 2}
TOY_CONTEXT = BackboneContext(num_keypoints=63, num_frames=16, video_size=64, heatmap_size=32)
RIGHT_HAND = slice(21, 42)


@pytest.fixture(scope="module")
def registry() -> Registry:
    """Every installed plugin distribution, whatever SLRBENCH_LOAD_PLUGINS says in this shell."""
    return Registry(load_plugins(environ={}))


def test_plugin_module_does_not_import_torch():
    code = "import sys, slrbench_posegcn.plugin; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_both_plugins_come_from_this_distribution(registry):
    assert registry.get("backbones", "posegcn").distribution == "slrbench-posegcn"
    assert registry.get("smoothers", "spelling").distribution == "slrbench-posegcn"


def test_posegcn_passes_the_backbone_contract(registry):
    report = check_backbone("posegcn", options=SMALL, registry=registry)
    assert report["feature_dims"] == {"pose": 32} and report["inputs"] == ("keypoint_coordinates",)
    assert report["feature_groups"] == {"pose": "keypoint"}
    assert report["input_blends"] == {"keypoint_coordinates": "linear", "keypoint_zoom": "sample"}


@pytest.mark.parametrize("mixup", ["intra", "sign", "contrastive"])
def test_every_sample_mixing_mixup_blends_the_skeletons(registry, mixup):
    report = check_mixup(mixup, registry=registry, backbones=["posegcn"])
    assert report["backbones"]["posegcn"].startswith("blends every input")


def test_sign_mixup_blends_two_skeletons_with_the_label_weight(registry):
    """The default mixup on posegcn's own inputs: coordinates become λ·a + (1 − λ)·b, the crop's zoom
    travels with its sample, and labels_b names the partner whose skeleton was blended in."""
    from slrbench.interfaces import MixupContext
    from slrbench.testing import example_backbone_inputs, example_gloss_vectors

    backbone = registry.build("backbones", "posegcn", SMALL, TOY_CONTEXT)
    batch = example_backbone_inputs(TOY_CONTEXT, 4, backbone.inputs)
    blends = backbone.input_blends(_delivered())
    mixup = registry.build("mixups", "sign", {"intra_probability": 1.0},
                           MixupContext(4, example_gloss_vectors(range(4)), blends))
    labels = torch.arange(4)
    mixed = mixup.mix(backbone.prepare_inputs(batch), labels, torch.Generator().manual_seed(3))
    partner = mixed.labels_b
    assert 0 < mixed.lam < 1 and not torch.equal(partner, labels)
    coordinates = batch["keypoint_coordinates"]
    assert torch.allclose(mixed.inputs["keypoint_coordinates"],
                          mixed.lam * coordinates + (1 - mixed.lam) * coordinates[partner])
    assert torch.equal(mixed.inputs["keypoint_zoom"], batch["keypoint_zoom"])


def _delivered():
    from slrbench.inputs import BUILTIN_STREAMS

    return {name: BUILTIN_STREAMS[name] for name in ("keypoint_coordinates", "keypoint_zoom")}


def test_posegcn_without_scores_and_with_an_unknown_layout_passes_the_contract(registry):
    check_backbone("posegcn", options={"width": 8, "blocks": 1, "use_scores": False}, registry=registry)
    odd_layout = BackboneContext(num_keypoints=5, num_frames=7, video_size=64, heatmap_size=10)
    assert check_backbone("posegcn", options={"width": 8}, context=odd_layout, registry=registry)["feature_dims"] == {"pose": 16}


def test_nla_slr_adjacency_is_symmetric_normalised_and_connected():
    adjacency = normalized_adjacency(63).double()  # (63, 63)
    assert torch.allclose(adjacency, adjacency.T)
    linked = adjacency > 0  # A + I
    degree = linked.sum(dim=1).double()  # (63,)
    assert bool(linked.diagonal().all())
    assert torch.allclose(adjacency, linked.double() / torch.sqrt(degree[:, None] * degree[None, :]))
    assert torch.linalg.eigvalsh(adjacency)[-1].item() == pytest.approx(1.0)  # spectral radius of D^-1/2 (A+I) D^-1/2
    assert len(nla_slr_edges()) == 2 * 20 + 10 + 12 + 3  # two hands, mouth loop, COCO body, three joins
    reached = torch.zeros(63, dtype=torch.bool)
    reached[52] = True  # start at the nose: every part must be joined to the body
    for _ in range(63):
        reached = reached | (linked.double() @ reached.double() > 0)
    assert bool(reached.all())


def test_unknown_layouts_fall_back_to_the_identity_graph():
    assert torch.equal(normalized_adjacency(5), torch.eye(5))


def _hand_moving_up_or_down(num_clips: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Class 0 moves the right hand up, class 1 moves it down; everything else is noise. Points are
    drawn in pixels of a 32-pixel crop and normalised to it, as the loader delivers them."""
    t, k, size = TOY_CONTEXT.num_frames, TOY_CONTEXT.num_keypoints, 32
    labels = torch.arange(num_clips) % 2  # (B,)
    rest = 8 + torch.rand(num_clips, 1, k, 2, generator=generator) * (size - 16)  # (B, 1, K, 2) resting pose
    jitter = torch.randn(num_clips, t, k, 2, generator=generator) * 0.5  # (B, T, K, 2)
    xy = rest + jitter
    direction = (1 - 2 * labels).float()[:, None, None]  # (B, 1, 1): +1 up, -1 down
    xy[:, :, RIGHT_HAND, 1] -= direction * torch.linspace(0, 6, t)[None, :, None]  # image y grows downwards
    scores = torch.ones(num_clips, t, k, 1)
    return torch.cat([(xy + 0.5) * 2 / size - 1, scores], dim=-1), labels  # (B, T, K, 3), (B,)


def test_posegcn_learns_which_way_the_right_hand_moves(registry):
    torch.manual_seed(0)
    backbone = registry.build("backbones", "posegcn", SMALL, TOY_CONTEXT)
    classifier = torch.nn.Linear(backbone.feature_dims["pose"], 2)
    optimizer = torch.optim.Adam([*backbone.parameters(), *classifier.parameters()], lr=1e-2)
    keypoints, labels = _hand_moving_up_or_down(16, torch.Generator().manual_seed(0))
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(classifier(backbone({"keypoint_coordinates": keypoints})["pose"]), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) / 3 < 0.3 * losses[0], losses
    backbone.eval()  # and it learnt the direction, not the 16 clips: fresh clips are mostly right
    fresh_keypoints, fresh_labels = _hand_moving_up_or_down(64, torch.Generator().manual_seed(1))
    with torch.no_grad():
        predictions = classifier(backbone({"keypoint_coordinates": fresh_keypoints})["pose"]).argmax(dim=1)
    assert (predictions == fresh_labels).float().mean().item() > 0.7


def _spelling_table(glosses, registry, **options) -> torch.Tensor:
    context = SmootherContext(num_classes=len(glosses), class_names=tuple(glosses))
    return registry.build("smoothers", "spelling", options, context).target_table()


def test_spelling_passes_the_smoother_contract(registry):
    check_label_smoother("spelling", registry=registry)


def test_spelling_targets_rows_sum_to_one_and_keep_one_minus_epsilon(registry):
    table = _spelling_table(["drink", "drinks", "table", "apple"], registry, epsilon=0.3, temperature=0.2)
    assert torch.allclose(table.sum(dim=1), torch.ones(4))
    assert torch.allclose(table.diagonal(), torch.full((4,), 0.7))


def test_spelling_gives_the_most_mass_to_the_closest_spelling(registry):
    table = _spelling_table(["drink", "drinks", "table", "apple"], registry)
    off_diagonal = table[0].clone()
    off_diagonal[0] = -1
    assert off_diagonal.argmax().item() == 1  # "drink" -> "drinks"
    assert table[0, 2] == pytest.approx(table[0, 3].item())  # no shared trigram: equal, smaller shares


def test_spelling_ignores_case(registry):
    assert torch.equal(_spelling_table(["Drink", "DRINKS", "table"], registry),
                       _spelling_table(["drink", "drinks", "table"], registry))


def test_spelling_with_one_class_is_one_hot(registry):
    assert torch.equal(_spelling_table(["drink"], registry), torch.ones(1, 1))


def test_spelling_refuses_an_index_only_benchmark(registry):
    with pytest.raises(UsageError, match="--smoother vanilla") as raised:
        registry.build("smoothers", "spelling", {}, SmootherContext(num_classes=3, class_names=None))
    assert "\n" not in str(raised.value)
