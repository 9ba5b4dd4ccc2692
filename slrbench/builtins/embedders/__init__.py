"""Built-in word embedders. `precomputed` reads a gloss -> vector file (the reference's format)."""
from pathlib import Path

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class PrecomputedConfig(PluginConfig):
    path: Path = Field(
        description="gloss -> vector file: a pickled dict (the reference's format), .npz (arrays "
        "'glosses' and 'vectors') or .json ({gloss: [numbers]})"
    )


@hookimpl
def register_word_embedders(register):
    register(PluginSpec(
        name="precomputed",
        factory="slrbench.builtins.embedders.precomputed:PrecomputedEmbedder",
        config=PrecomputedConfig,
        summary="Gloss vectors read from a file (pickle dict, .npz or .json)",
        requires=("numpy",),
    ))
