"""Label smoothers, mixups and the head network against direct transcriptions of the paper."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext, EmbedderContext, MixedBatch, MixupContext, SmootherContext
from slrbench.models.branches import ContrastiveBranch, InterModalityBranch, loss_weight
from slrbench.models.heads import HeadNetwork
from slrbench.models.inter_modality import inter_modality_loss, inter_modality_loss_direct, mixed_hard_targets
from slrbench.registry import default_registry
from slrbench.training.losses import classification_loss
from slrbench.training.schedules import classifier_momentum, inter_modality_weight


def build(kind, name, options, context):
    return default_registry().build(kind, name, options, context)


def lang_table(vectors, epsilon=0.2, temperature=0.5):
    context = SmootherContext(num_classes=len(vectors), gloss_vectors=np.asarray(vectors, np.float32))
    return build("smoothers", "lang", {"epsilon": epsilon, "temperature": temperature}, context).target_table()


def test_lang_smoothing_follows_eq_2_literally():
    vectors = np.random.default_rng(1).normal(size=(6, 4))
    table = lang_table(vectors, epsilon=0.3, temperature=0.7).double()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for b in range(6):
        s = unit @ unit[b]  # s = ‖E‖₂ ‖e‖₂ᵀ
        denominator = sum(math.exp(s[i] / 0.7) for i in range(6) if i != b)
        for i in range(6):
            expected = 0.7 if i == b else 0.3 * math.exp(s[i] / 0.7) / denominator
            assert table[b, i].item() == pytest.approx(expected, abs=1e-6)


def test_lang_rows_are_distributions():
    table = lang_table(np.random.default_rng(2).normal(size=(20, 8)))
    assert (table >= 0).all() and torch.allclose(table.sum(1), torch.ones(20), atol=1e-6)


def test_lang_with_real_glove_gives_winter_more_of_colds_mass_than_table():
    glosses = ["cold", "winter", "table", "afternoon"]
    vectors = build("embedders", "glove", {}, EmbedderContext()).embed(glosses).vectors
    row = lang_table(vectors)[0]
    assert row[1] > row[2] and row[1] > row[3]


@pytest.mark.parametrize("kind, name, hint", [
    ("smoothers", "lang", "use --smoother vanilla"),
    ("mixups", "inter", "use --mixup intra"),
    ("mixups", "sign", "use --mixup intra"),
    ("mixups", "contrastive", "use --mixup intra"),
])
def test_language_plugins_refuse_index_only_benchmarks(kind, name, hint):
    context = SmootherContext(num_classes=4) if kind == "smoothers" else MixupContext(num_classes=4)
    with pytest.raises(UsageError, match=f"label indices only; {hint}"):
        build(kind, name, {}, context)


def test_schedules_at_start_middle_and_end():
    assert [inter_modality_weight(p) for p in (0, 0.5, 1)] == pytest.approx([1.0, 0.5, 0.0])
    assert [classifier_momentum(p, 0.99) for p in (0, 0.5, 1)] == pytest.approx([0.99, 0.995, 1.0])


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
@pytest.mark.parametrize("lam", [1.0, 0.3])
def test_efficient_inter_modality_loss_equals_the_direct_formula(dtype, tolerance, lam):
    torch.manual_seed(0)
    b, n, d = 5, 9, 6
    features = torch.randn(b, d, dtype=dtype, requires_grad=True)
    glosses = torch.randn(n, d, dtype=dtype, requires_grad=True)
    fc2 = torch.nn.Linear(d, n).to(dtype)
    targets = mixed_hard_targets(torch.tensor([0, 1, 2, 3, 8]), torch.tensor([3, 2, 1, 0, 8]), lam, n).to(dtype)
    values, gradients = [], []
    for loss_fn in (inter_modality_loss, inter_modality_loss_direct):
        loss = loss_fn(features, glosses, fc2, targets)
        values.append(loss)
        gradients.append(torch.autograd.grad(loss, [features, glosses, fc2.weight, fc2.bias]))
    assert torch.allclose(values[0], values[1], atol=tolerance, rtol=0)
    for efficient, direct in zip(*gradients):
        assert torch.allclose(efficient, direct, atol=tolerance, rtol=0)


@pytest.mark.parametrize("lam", [1.0, 0.3])
def test_the_branch_batches_its_heads_and_equals_the_direct_formula_head_by_head(lam):
    """All heads in one computation, G from the word vectors (never the mapped glosses): the same loss and
    the same gradients as Eq. 5 transcribed literally, head by head."""
    torch.manual_seed(1)
    dims, n = {"v": 6, "k": 10, "f": 16}, 9
    branch = InterModalityBranch(dims, np.random.default_rng(2).normal(size=(n, 5)), loss_weight("constant", 1.0), 0.99)
    branch.double()
    features = {name: torch.randn(4, dim, dtype=torch.float64, requires_grad=True) for name, dim in dims.items()}
    mixed = MixedBatch({}, torch.tensor([0, 1, 2, 8]), torch.tensor([3, 2, 1, 8]), lam)
    parameters = [*features.values(), *branch.parameters()]
    values, gradients = [], []
    for efficient in (True, False):
        branch.efficient = efficient
        loss = branch.loss(features, mixed, 0.0)
        values.append(loss)
        gradients.append(torch.autograd.grad(loss, parameters))
    tolerance = 1e-10 if lam == 1.0 else 1e-6  # the direct formula adds the float32 mixed labels in float32
    assert torch.allclose(values[0], values[1], atol=tolerance, rtol=0)
    for batched, direct in zip(*gradients):
        assert torch.allclose(batched, direct, atol=tolerance, rtol=0)


def test_inter_modality_labels_follow_eq_3():
    """Unmixed, the label of blend n is 0.5/0.5 on n and b, and 1.0 on b when n = b."""
    n = 4
    targets = mixed_hard_targets(torch.tensor([2]), torch.tensor([2]), 1.0, n)
    labels = 0.5 * torch.eye(n) + 0.5 * targets  # as in inter_modality_loss_direct
    assert labels[2].tolist() == [0, 0, 1.0, 0]
    assert labels[0].tolist() == [0.5, 0, 0.5, 0]
    mixed = 0.5 * torch.eye(n) + 0.5 * mixed_hard_targets(torch.tensor([1]), torch.tensor([3]), 0.25, n)
    assert mixed[0].tolist() == pytest.approx([0.5, 0.125, 0, 0.375])  # 0.5 on n, 0.5λ on y_a, 0.5(1-λ) on y_b


def test_fc1_integration_step_follows_eq_6():
    dims = {"v64": 4, "f": 6}
    branch = InterModalityBranch(dims, np.ones((3, 5), np.float32), loss_weight("cosine", 1.0), momentum_base=0.9)
    heads = HeadNetwork(dims, 3)
    fc1_before = {name: (layer.weight.clone(), layer.bias.clone()) for name, layer in heads.classifiers.items()}
    branch.after_optimizer_step(heads.classifiers, progress=0.5)
    mu = classifier_momentum(0.5, 0.9)
    for name, (weight, bias) in fc1_before.items():
        assert torch.allclose(heads.classifiers[name].weight, mu * weight + (1 - mu) * branch.fc2[name].weight)
        assert torch.allclose(heads.classifiers[name].bias, mu * bias + (1 - mu) * branch.fc2[name].bias)


def test_inter_branch_loss_is_gamma_times_the_sum_over_heads():
    torch.manual_seed(1)
    dims = {"v64": 4, "k64": 4, "f": 8}
    vectors = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    branch = InterModalityBranch(dims, vectors, loss_weight("cosine", 2.0), momentum_base=0.99)
    features = {name: torch.randn(2, dim) for name, dim in dims.items()}
    mixed = MixedBatch({}, torch.tensor([0, 4]), torch.tensor([4, 0]), 0.6)
    targets = mixed_hard_targets(mixed.labels_a, mixed.labels_b, 0.6, 5)
    expected = sum(inter_modality_loss_direct(features[h], branch.mappers[h](branch.gloss_vectors), branch.fc2[h], targets)
                   for h in dims)
    assert torch.allclose(branch.loss(features, mixed, 0.25), 2.0 * inter_modality_weight(0.25) * expected, atol=1e-5)


def test_contrastive_branch_is_infonce_over_all_glosses():
    torch.manual_seed(2)
    vectors = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    branch = ContrastiveBranch({"f": 6}, vectors, loss_weight("constant", 1.0), temperature=0.1, learn_temperature=True)
    features = {"f": torch.randn(3, 6)}
    mixed = MixedBatch({}, torch.tensor([0, 1, 3]), torch.tensor([0, 1, 3]), 1.0)
    vision = torch.nn.functional.normalize(features["f"], dim=1)
    glosses = torch.nn.functional.normalize(branch.mappers["f"](branch.gloss_vectors), dim=1)
    expected = torch.nn.functional.cross_entropy(10.0 * vision @ glosses.t(), mixed.labels_a)
    assert torch.allclose(branch.loss(features, mixed, 0.0), expected, atol=1e-5)


def test_mixup_groups_choose_the_heads_with_a_branch():
    vknet = build("backbones", "vknet", {"width": 0.125}, BackboneContext(num_frames=16, video_size=64, heatmap_size=32))
    dims, groups = vknet.feature_dims, vknet.feature_groups()
    assert [groups[name] for name in dims] == ["video", "keypoint", "video", "keypoint", "joint", "joint", "joint"]
    context = MixupContext(num_classes=3, gloss_vectors=np.ones((3, 2), np.float32))
    branch = build("mixups", "sign", {"groups": ["joint"]}, context).auxiliary_branch(dims, groups)
    assert set(branch.fc2) == {"f64", "f32", "f"}
    branch = build("mixups", "sign", {"groups": ["keypoint"]}, context).auxiliary_branch({"f": 8}, {"f": "keypoint"})
    assert set(branch.fc2) == {"f"}  # the declared group decides, not the name
    with pytest.raises(UsageError, match="selects none of the heads"):
        build("mixups", "inter", {"groups": ["video"]}, context).auxiliary_branch({"pose": 8}, {"pose": "keypoint"})


def test_head_parameters_match_the_reference_for_wlasl2000():
    """Seven heads, 2000 classes, 300-d fastText vectors: 52,878,688, of which 28,288,688 are dropped."""
    dims = {"v64": 1024, "k64": 1024, "f64": 2048, "v32": 1024, "k32": 1024, "f32": 2048, "f": 4096}
    heads = HeadNetwork(dims, 2000)
    context = MixupContext(num_classes=2000, gloss_vectors=np.zeros((2000, 300), np.float32))
    branch = build("mixups", "sign", {}, context).auxiliary_branch(dims, dict.fromkeys(dims, "other"))
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    assert count(branch) == 28_288_688 and count(heads) + count(branch) == 52_878_688


def test_classification_loss_under_intra_mixup_is_lambda_weighted():
    torch.manual_seed(3)
    table = lang_table(np.random.default_rng(3).normal(size=(4, 5)))
    logits = {"v64": torch.randn(2, 4), "f": torch.randn(2, 4)}
    mixed = MixedBatch({}, torch.tensor([0, 1]), torch.tensor([2, 3]), 0.7)
    ce = lambda z, y: -(table[y] * torch.log_softmax(z, 1)).sum(1).mean()  # noqa: E731
    expected = sum(0.7 * ce(z, mixed.labels_a) + 0.3 * ce(z, mixed.labels_b) for z in logits.values())
    assert torch.allclose(classification_loss(logits, table, mixed), expected)
