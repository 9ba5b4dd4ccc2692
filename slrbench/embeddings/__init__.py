"""Gloss semantics shared by every word embedder: normalisation, lookup, caching, similarity."""
