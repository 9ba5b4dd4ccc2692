"""Small real word-vector models for tests: fastText and word2vec trained on a generated text."""
from __future__ import annotations

import random
from pathlib import Path

TOPICS = {
    "weather": ["cold", "winter", "snow", "ice", "freezing", "wind", "frost"],
    "furniture": ["table", "chair", "desk", "wood", "kitchen", "sit", "furniture"],
    "time": ["afternoon", "morning", "evening", "noon", "day", "hour", "lunch"],
}


def write_corpus(path: Path, sentences: int = 3000, seed: int = 0) -> Path:
    """Sentences drawing words from one topic each, so topic words co-occur."""
    rng = random.Random(seed)
    lines = []
    for _ in range(sentences):
        words = TOPICS[rng.choice(sorted(TOPICS))]
        lines.append(" ".join(rng.choice(words) for _ in range(8)) + " thank you")
    path.write_text("\n".join(lines) + "\n")
    return path


def train_fasttext(folder: Path) -> Path:
    import fasttext

    model = fasttext.train_unsupervised(str(write_corpus(folder / "corpus.txt")), model="skipgram", dim=16,
                                        epoch=10, minCount=1, minn=3, maxn=5, thread=1, verbose=0)
    model.save_model(str(folder / "tiny.bin"))
    with open(folder / "tiny.vec", "w") as vec:  # the .vec text format fastText distributes
        vec.write(f"{len(model.words)} {model.get_dimension()}\n")
        for word in model.words:
            vec.write(word + " " + " ".join(f"{x:.6f}" for x in model.get_word_vector(word)) + "\n")
    return folder / "tiny.bin"


def train_word2vec(folder: Path) -> Path:
    from gensim.models import Word2Vec

    corpus = [line.split() for line in write_corpus(folder / "corpus.txt").read_text().splitlines()]
    model = Word2Vec(corpus, vector_size=16, window=5, min_count=1, workers=1, seed=0, epochs=10)
    model.wv.save_word2vec_format(str(folder / "tiny-w2v.bin"), binary=True)
    model.wv.save_word2vec_format(str(folder / "tiny-w2v.txt"), binary=False)
    lines = (folder / "tiny-w2v.txt").read_text().splitlines()[1:]  # GloVe text: no header line
    (folder / "tiny-glove.txt").write_text("\n".join(lines) + "\n")
    return folder / "tiny-w2v.bin"
