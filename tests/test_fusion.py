"""Hybrid fusion: reciprocal rank fusion and min-max score fusion, alone and in search."""

from __future__ import annotations

import dataclasses

import pytest

from index.fusion import minmax, rrf, score_fusion
from index.search import Searcher


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = dict(rrf({"bm25": [7, 5], "dense": [3, 7]}, {"bm25": 1.0, "dense": 1.0}, k=60))
    assert fused[7] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 61)
    assert fused[5] == pytest.approx(1 / 62)


def test_rrf_agreement_beats_a_single_first_place():
    ranked = [d for d, _ in rrf({"bm25": [1, 2, 3], "dense": [4, 2, 5]},
                                {"bm25": 1.0, "dense": 1.0})]
    assert ranked[0] == 2


def test_rrf_weights_and_k():
    rankings = {"bm25": [1, 2], "dense": [2, 1]}
    assert rrf(rankings, {"bm25": 1.0, "dense": 0.5})[0][0] == 1
    assert rrf(rankings, {"bm25": 0.5, "dense": 1.0})[0][0] == 2
    # A small k makes first places count more than agreement further down.
    rankings = {"bm25": [1, 3, 4], "dense": [5, 6, 1]}
    assert rrf(rankings, {"bm25": 1, "dense": 1}, k=1)[0][0] == 1
    assert rrf({"bm25": [9, 8]}, {"bm25": 1}, k=1)[0][1] == pytest.approx(0.5)


def test_rrf_zero_weight_ignores_a_retriever():
    ranked = [d for d, _ in rrf({"bm25": [3, 1, 2], "dense": [2, 1, 3]},
                                {"bm25": 1.0, "dense": 0.0})]
    assert ranked == [3, 1, 2]


def test_rrf_ties_are_broken_by_id_and_empty_input():
    assert [d for d, _ in rrf({"a": [5], "b": [4]}, {"a": 1, "b": 1})] == [4, 5]
    assert rrf({}, {}) == []
    assert rrf({"bm25": []}, {"bm25": 1}) == []


def test_minmax():
    assert minmax({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert minmax({1: 0.3, 2: 0.3}) == {1: 1.0, 2: 1.0}
    assert minmax({}) == {}


def test_score_fusion_normalises_each_retriever():
    fused = dict(score_fusion({"bm25": {1: 10.0, 2: 5.0, 3: 0.0}, "dense": {2: 0.9, 3: 0.5}},
                              {"bm25": 1.0, "dense": 0.5}))
    assert fused[1] == pytest.approx(1.0)
    assert fused[2] == pytest.approx(0.5 + 0.5)
    assert fused[3] == pytest.approx(0.0)


def test_score_fusion_scale_does_not_matter():
    a = score_fusion({"bm25": {1: 1.0, 2: 3.0}, "dense": {1: 0.2, 2: 0.1}}, {"bm25": 1, "dense": 1})
    b = score_fusion({"bm25": {1: 100.0, 2: 300.0}, "dense": {1: 0.9, 2: 0.8}},
                     {"bm25": 1, "dense": 1})
    assert [d for d, _ in a] == [d for d, _ in b]


def _searcher_with(base: Searcher, **fusion) -> Searcher:
    settings = dataclasses.replace(
        base.settings, fusion=dataclasses.replace(base.settings.fusion, **fusion))
    return Searcher(base.stored, base.embedder, settings)


QUESTION = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden"


@pytest.mark.parametrize("method", ["rrf", "score"])
def test_hybrid_search_with_each_fusion_method(charter_searcher, method):
    searcher = _searcher_with(charter_searcher, method=method)
    hits = searcher.search(QUESTION, k=5)
    assert hits[0].section_path[-1].startswith("2.2 ")
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_with_dense_weights_zero_follows_bm25(charter_searcher):
    searcher = _searcher_with(charter_searcher, method="rrf", dense_weight=0.0, gloss_weight=0.0,
                              bm25_weight=1.0)
    query = "Trinkwasserversorgung und Rettungsdienste"
    hybrid = [h.passage_id for h in searcher.search(query, k=5)]
    bm25 = [h.passage_id for h in searcher.search(query, k=5, mode="bm25")]
    assert hybrid == bm25


def test_hybrid_with_bm25_weight_zero_follows_dense(charter_searcher):
    searcher = _searcher_with(charter_searcher, method="score", bm25_weight=0.0, dense_weight=1.0,
                              gloss_weight=0.0)
    query = "Wie schützt die Stadt persönliche Daten?"
    hybrid = [h.passage_id for h in searcher.search(query, k=5)]
    dense = [h.passage_id for h in searcher.search(query, k=5, mode="dense")]
    assert hybrid == dense


def test_hybrid_hits_carry_both_retriever_scores(charter_searcher):
    hit = charter_searcher.search(QUESTION, k=1)[0]
    assert hit.bm25_score > 0
    assert 0 < hit.dense_score <= 1
