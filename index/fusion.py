"""Hybrid fusion of ranked lists from BM25 and dense retrieval.

Two methods, chosen in settings and tuned with ``python -m eval --sweep``:

* ``rrf`` – weighted reciprocal rank fusion: ``score(d) = Σ w_r / (k + rank_r(d))``.
  Only ranks matter, so BM25 and cosine scores need no common scale.
* ``score`` – min-max normalise each retriever's candidate scores to [0, 1], then take
  the weighted sum; a passage missing from one list gets 0 there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(rankings: Mapping[str, Sequence[int]], weights: Mapping[str, float],
        k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of several best-first id lists.

    Worked example with ``k=60`` and equal weights: passage 7 is 1st in BM25 and 2nd in
    dense, so it gets ``1/61 + 1/62 = 0.03252``; passage 3 is only 1st in dense:
    ``1/61 = 0.01639``.

    >>> [(d, round(s, 5)) for d, s in rrf({"bm25": [7, 5], "dense": [3, 7]}, {"bm25": 1, "dense": 1})]
    [(7, 0.03252), (3, 0.01639), (5, 0.01613)]
    """
    scores: dict[int, float] = {}
    for name, ranked in rankings.items():
        w = weights.get(name, 1.0)
        for rank, doc in enumerate(ranked, start=1):
            scores[doc] = scores.get(doc, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def minmax(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale scores to [0, 1]; all-equal scores map to 1.

    >>> minmax({1: 2.0, 2: 4.0, 3: 3.0})
    {1: 0.0, 2: 1.0, 3: 0.5}
    """
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return {d: 1.0 for d in scores}
    return {d: (s - lo) / (hi - lo) for d, s in scores.items()}


def score_fusion(scores: Mapping[str, Mapping[int, float]],
                 weights: Mapping[str, float]) -> list[tuple[int, float]]:
    """Weighted sum of min-max normalised scores.

    >>> score_fusion({"bm25": {1: 10.0, 2: 5.0}, "dense": {2: 0.9, 3: 0.5}}, {"bm25": 1, "dense": 1})
    [(1, 1.0), (2, 1.0), (3, 0.0)]
    """
    fused: dict[int, float] = {}
    for name, per_doc in scores.items():
        w = weights.get(name, 1.0)
        for doc, s in minmax(per_doc).items():
            fused[doc] = fused.get(doc, 0.0) + w * s
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
