"""Built-in mixups: `none` and `intra` (Mixup of every image-like input stream, NLA-SLR Sec. 3.4)."""
from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class NoMixupConfig(PluginConfig):
    pass


class IntraMixupConfig(PluginConfig):
    alpha: float = Field(0.8, gt=0, description="λ ~ Beta(alpha, alpha)")
    probability: float = Field(0.75, ge=0, le=1, description="chance that a batch is mixed at all")
    unmixed: tuple[str, ...] = Field(
        ("keypoints",), description="input streams passed through unmixed (coordinates cannot be blended)"
    )


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
    ))
