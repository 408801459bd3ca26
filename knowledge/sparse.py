"""BM25 as a Qdrant sparse vector: documents carry BM25 term weights, Qdrant's IDF modifier supplies the IDF.

Term ids are a stable hash of the stem, so a query needs no vocabulary file and unknown words simply match nothing.
"""

from __future__ import annotations

import zlib
from collections import Counter

from qdrant_client import models

K1 = 1.2
B = 0.75


def term_id(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def _vector(weights: dict[int, float]) -> models.SparseVector:
    indices = sorted(weights)
    return models.SparseVector(indices=indices, values=[weights[i] for i in indices])


def document_vector(terms: list[str], avg_len: float) -> models.SparseVector:
    """BM25 term-frequency part for one document (length-normalised, saturating)."""
    counts = Counter(terms)
    norm = K1 * (1 - B + B * len(terms) / max(avg_len, 1.0))
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        tid = term_id(term)
        weights[tid] = weights.get(tid, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _vector(weights)


def query_vector(terms: list[str]) -> models.SparseVector:
    """Each distinct query term once; repeating a word in a query should not outweigh the other words."""
    return _vector({term_id(t): 1.0 for t in set(terms)})
