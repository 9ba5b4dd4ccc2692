"""Built-in mixups: `none`, `intra` (Sec. 3.4), `inter` (Eqs. 3-6), `contrastive` (Table 14)
and `sign` (intra + inter, the paper's default)."""
from typing import Literal

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class NoMixupConfig(PluginConfig):
    pass


class IntraMixupConfig(PluginConfig):
    alpha: float = Field(0.8, gt=0, description="λ ~ Beta(alpha, alpha)")
    probability: float = Field(0.75, ge=0, le=1, description="chance that a batch is mixed at all")


HeadGroup = Literal["video", "keypoint", "joint", "other"]


class AuxiliaryMixupConfig(PluginConfig):
    """Options shared by the mixups with an auxiliary gloss branch."""

    groups: tuple[HeadGroup, ...] = Field(
        ("video", "keypoint", "joint", "other"),
        description="heads that get the branch, by the group their backbone declares: video (VKNet's v64, v32), "
        "keypoint (k64, k32), joint (f64, f32, f) or other; the paper's Table 10",
    )
    weight: float = Field(1.0, ge=0, description="scale of the auxiliary loss weight γ")
    weight_schedule: Literal["cosine", "constant"] = Field(
        "cosine", description="γ(e) = weight · (1 + cos(π e / E)) / 2, or a constant weight"
    )
    alpha: float = Field(0.8, gt=0, description="intra-modality mixup: λ ~ Beta(alpha, alpha)")
    intra_probability: float = Field(0.0, ge=0, le=1, description="chance of intra-modality mixup per batch")


class InterMixupConfig(AuxiliaryMixupConfig):
    momentum_base: float = Field(0.99, ge=0, le=1, description="μ_base of FC1 <- μ FC1 + (1 - μ) FC2 (Eq. 6)")
    efficient: bool = Field(True, description="compute Eq. 5 without the B x N x D blend (same values and gradients)")


class SignMixupConfig(InterMixupConfig):
    intra_probability: float = Field(0.75, ge=0, le=1, description="chance of intra-modality mixup per batch")


class ContrastiveMixupConfig(AuxiliaryMixupConfig):
    intra_probability: float = Field(0.75, ge=0, le=1, description="chance of intra-modality mixup per batch")
    temperature: float = Field(0.07, gt=0, description="initial InfoNCE temperature (CLIP's 0.07)")
    learn_temperature: bool = Field(True, description="learn the temperature, as CLIP does")


@hookimpl
def register_mixups(register):
    register(PluginSpec(
        name="none",
        factory="slrbench.builtins.mixups.intra:NoMixup",
        config=NoMixupConfig,
        summary="No mixing",
        requires=("torch",),
    ))
    register(PluginSpec(
        name="intra",
        factory="slrbench.builtins.mixups.intra:IntraMixup",
        config=IntraMixupConfig,
        summary="Intra-modality Mixup: one λ and one permutation for every input stream",
        requires=("torch",),
        blends=("linear",),
    ))
    register(PluginSpec(
        name="inter",
        factory="slrbench.builtins.mixups.inter:InterModalityMixup",
        config=InterMixupConfig,
        summary="Inter-modality mixup (Eqs. 3-6): vision + gloss features classified by FC2, FC2 folded into FC1",
        requires=("torch",),
        needs_gloss_vectors=True,
        blends=("linear",),
    ))
    register(PluginSpec(
        name="sign",
        factory="slrbench.builtins.mixups.inter:InterModalityMixup",
        config=SignMixupConfig,
        summary="NLA-SLR's default: intra-modality mixup (p 0.75) plus inter-modality mixup",
        requires=("torch",),
        needs_gloss_vectors=True,
        blends=("linear",),
    ))
    register(PluginSpec(
        name="contrastive",
        factory="slrbench.builtins.mixups.inter:ContrastiveMixup",
        config=ContrastiveMixupConfig,
        summary="CLIP-style InfoNCE between vision and gloss features (Table 14's alternative), plus intra mixup",
        requires=("torch",),
        needs_gloss_vectors=True,
        blends=("linear",),
    ))
