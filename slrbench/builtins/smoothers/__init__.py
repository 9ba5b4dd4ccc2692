"""Built-in label smoothers: `none` (one-hot), `vanilla` (NLA-SLR Eq. 1) and `lang` (Eq. 2)."""
from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class OneHotConfig(PluginConfig):
    pass


class VanillaSmoothingConfig(PluginConfig):
    epsilon: float = Field(0.2, ge=0, lt=1, description="probability mass moved off the true class (Eq. 1)")


class LangSmoothingConfig(PluginConfig):
    epsilon: float = Field(0.2, ge=0, lt=1, description="probability mass moved off the true class (Eq. 2)")
    temperature: float = Field(0.5, gt=0, description="softmax temperature τ over gloss similarities")


@hookimpl
def register_label_smoothers(register):
    register(PluginSpec(
        name="none",
        factory="slrbench.builtins.smoothers.tables:OneHot",
        config=OneHotConfig,
        summary="One-hot targets (no smoothing)",
        requires=("torch",),
    ))
    register(PluginSpec(
        name="vanilla",
        factory="slrbench.builtins.smoothers.tables:VanillaSmoothing",
        config=VanillaSmoothingConfig,
        summary="Uniform label smoothing (Eq. 1): 1-ε on the target, ε/(N-1) elsewhere",
        requires=("torch",),
    ))
    register(PluginSpec(
        name="lang",
        factory="slrbench.builtins.smoothers.lang:LangSmoothing",
        config=LangSmoothingConfig,
        summary="Language-aware label smoothing (Eq. 2): ε spread by softmax(cosine / τ) of gloss vectors",
        requires=("torch",),
        needs_gloss_vectors=True,
    ))
