"""Word embedders on real vectors: packaged GloVe and MiniLM, tiny fastText / word2vec models."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from embedder_models import train_fasttext, train_word2vec
from slrbench.embeddings.cache import embed_glosses
from slrbench.embeddings.glosses import gloss_words
from slrbench.embeddings.similarity import cosine_matrix, nearest
from slrbench.embeddings.vocabulary import OutOfVocabularyWarning
from slrbench.errors import UsageError
from slrbench.interfaces import EmbedderContext
from slrbench.registry import default_registry


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("word-models")
    return {"fasttext": train_fasttext(folder), "word2vec": train_word2vec(folder), "folder": folder}


def build(name, **options):
    return default_registry().build("embedders", name, options, EmbedderContext())


def cos(embedder, a, b):
    vectors = embedder.embed([a, b]).vectors
    return float(cosine_matrix(vectors)[0, 1])


@pytest.mark.parametrize("label, words", [
    ("BOOK", ["book"]), ("drink#2", ["drink"]), ("book_1", ["book"]), ("HOUSE-3", ["house"]),
    ("hello (2)", ["hello"]), ("go2", ["go"]), ("thank-you", ["thank", "you"]), ("ice_cream", ["ice", "cream"]),
    ("what?", ["what"]), ("don't", ["don't"]), ("5", ["5"]), ("hard of hearing", ["hard", "of", "hearing"]),
])
def test_gloss_normalisation(label, words):
    assert gloss_words(label) == words


def test_glove_package_knows_cold_is_closer_to_winter_than_to_table():
    glove = build("glove")
    assert glove.dim == 50
    assert cos(glove, "cold", "winter") > cos(glove, "cold", "table") + 0.1


def test_bert_package_knows_cold_is_closer_to_winter_than_to_table():
    bert = build("bert")
    assert bert.dim == 384
    assert cos(bert, "cold", "winter") > cos(bert, "cold", "table") + 0.1


def test_bert_refuses_a_hub_name_without_a_network_option():
    with pytest.raises(UsageError, match="'bert-base-uncased' is not a local model folder"):
        build("bert", path="bert-base-uncased")


def test_fasttext_bin_uses_subwords_for_unknown_words(models):
    fasttext = build("fasttext", path=models["fasttext"])
    result = fasttext.embed(["cold", "colds", "winter", "table"])
    assert result.out_of_vocabulary == ()  # "colds" is built from sub-words
    similarity = cosine_matrix(result.vectors)
    assert similarity[0, 1] > 0.5 and nearest(similarity, 0, 1)[0][0] in (1, 2)
    assert similarity[0, 2] > similarity[0, 3]


def test_fasttext_vec_reads_through_gensim_and_reports_unknown_words(models):
    vec = build("fasttext", path=models["fasttext"].with_suffix(".vec"))
    with pytest.warns(OutOfVocabularyWarning, match="1 gloss\\(es\\) out of vocabulary.*: colds"):
        result = vec.embed(["cold", "colds"])
    assert result.out_of_vocabulary == ("colds",) and not result.vectors[1].any()
    assert np.allclose(result.vectors[0], build("fasttext", path=models["fasttext"]).embed(["cold"]).vectors[0], atol=1e-5)


@pytest.mark.parametrize("file, options", [("tiny-w2v.bin", {}), ("tiny-w2v.txt", {}), ("tiny-w2v.txt", {"limit": 5})])
def test_word2vec_binary_and_text(models, file, options):
    embedder = build("word2vec", path=models["folder"] / file, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutOfVocabularyWarning)
        result = embedder.embed(["cold", "winter", "table"])
    if "limit" in options:
        assert len(result.out_of_vocabulary) >= 1  # a 5-word vocabulary cannot know all three
    else:
        similarity = cosine_matrix(result.vectors)
        assert similarity[0, 1] > similarity[0, 2]


def test_word2vec_binary_and_text_agree(models):
    binary = build("word2vec", path=models["folder"] / "tiny-w2v.bin").embed(["winter"]).vectors
    text = build("word2vec", path=models["folder"] / "tiny-w2v.txt").embed(["winter"]).vectors
    assert np.allclose(binary, text, atol=1e-5)


def test_glove_text_file_without_header(models):
    glove = build("glove", path=models["folder"] / "tiny-glove.txt")
    assert glove.dim == 16 and cos(glove, "cold", "winter") > cos(glove, "cold", "table")


def test_multi_word_glosses_average_their_words(models):
    w2v = build("word2vec", path=models["folder"] / "tiny-w2v.bin")
    words = w2v.embed(["thank", "you"]).vectors
    result = w2v.embed(["thank-you"])
    assert np.allclose(result.vectors[0], words.mean(axis=0), atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutOfVocabularyWarning)
        partial = w2v.embed(["cold xqzv"])
    assert partial.partially_known == ("cold xqzv",) and np.allclose(partial.vectors[0], w2v.embed(["cold"]).vectors[0])


def test_unknown_glosses_warn_once_listing_all_or_raise_on_request(models):
    w2v = build("word2vec", path=models["folder"] / "tiny-w2v.bin")
    with pytest.warns(OutOfVocabularyWarning, match="2 gloss\\(es\\).*: xqzv, zzkq"):
        result = w2v.embed(["xqzv", "cold", "zzkq"])
    assert result.out_of_vocabulary == ("xqzv", "zzkq")
    strict = build("word2vec", path=models["folder"] / "tiny-w2v.bin", on_unknown="error")
    with pytest.raises(UsageError, match="knows no word of: xqzv"):
        strict.embed(["xqzv"])


def test_missing_or_broken_model_files_are_clear_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        build("word2vec", path=tmp_path / "none.bin")
    broken = tmp_path / "broken.txt"
    broken.write_text("not a header\n")
    with pytest.raises(UsageError, match="is not a text word-vector file"):
        build("word2vec", path=broken).embed(["cold"])


def test_cache_hit_skips_the_model_and_a_changed_file_invalidates(models, tmp_path):
    model_file = tmp_path / "w2v.bin"
    model_file.write_bytes((models["folder"] / "tiny-w2v.bin").read_bytes())
    glosses = ["cold", "winter"]
    first, hit = embed_glosses(build("word2vec", path=model_file), glosses, "word2vec", tmp_path / "cache")
    assert not hit and len(list((tmp_path / "cache").glob("word2vec-*.npz"))) == 1
    fresh = build("word2vec", path=model_file)
    again, hit = embed_glosses(fresh, glosses, "word2vec", tmp_path / "cache")
    assert hit and "vectors" not in fresh.__dict__  # the model file was never read
    assert np.array_equal(first.vectors, again.vectors)
    _, hit = embed_glosses(build("word2vec", path=model_file), ["cold", "table"], "word2vec", tmp_path / "cache")
    assert not hit  # another vocabulary
    stat = model_file.stat()
    os.utime(model_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _, hit = embed_glosses(build("word2vec", path=model_file), glosses, "word2vec", tmp_path / "cache")
    assert not hit  # the model file changed


def test_precomputed_uses_the_shared_normalisation(tmp_path):
    from slrbench.builtins.embedders.precomputed import write_gloss_vectors

    path = tmp_path / "glosses.npz"
    write_gloss_vectors({"drink": np.array([1.0, 0.0]), "thank": np.array([0.0, 1.0]), "you": np.array([1.0, 1.0])}, path)
    result = build("precomputed", path=path).embed(["DRINK#2", "thank-you"])
    assert np.allclose(result.vectors, [[1, 0], [0.5, 1.0]])
