"""Gloss normalisation: from a dataset label to the words a word-vector model knows.

Dataset labels are not clean words. The rules, applied in order:

1. Case: lower-cased (`BOOK` -> `book`); word-vector vocabularies are looked up in lower case
   first, then as written (word2vec keeps capitalised entries such as proper names).
2. Variant suffixes: a trailing sign-variant marker is dropped: `drink#2`, `book_1`, `HOUSE-3`,
   `hello (2)`, `go2` -> the word without it, but a label that is only digits stays (`5`).
3. Punctuation: `-`, `_`, `/`, `+`, `,` and spaces separate words (`thank-you` -> `thank you`);
   other punctuation is removed (`what?` -> `what`); an apostrophe inside a word stays (`don't`).
4. Multi-word glosses: the phrase is looked up whole first (`ice_cream` exists in some
   vocabularies), then its words are embedded and averaged.
"""
from __future__ import annotations

import re

_VARIANT_SUFFIX = re.compile(r"(?:\s*\(\d+\)|[#_\-\s]+\d+|(?<=[a-z])\d+)$")
_SEPARATORS = re.compile(r"[-_/+,\s]+")
_NOT_WORD = re.compile(r"[^\w']+")


def gloss_words(label: str) -> list[str]:
    """The lower-cased words of a dataset label, variant suffix and punctuation removed."""
    text = label.strip().lower()
    stripped = _VARIANT_SUFFIX.sub("", text)
    if stripped.strip():
        text = stripped
    words = []
    for piece in _SEPARATORS.split(text):
        word = _NOT_WORD.sub("", piece).strip("'")
        if word:
            words.append(word)
    return words


def phrase_keys(label: str) -> list[str]:
    """Keys to try for the whole gloss before falling back to its words, most specific first."""
    words = gloss_words(label)
    keys = [label.lower(), label]
    if words:
        keys += [" ".join(words), "_".join(words), "-".join(words)]
    seen: dict[str, None] = {}
    for key in keys:
        seen.setdefault(key, None)
    return list(seen)
