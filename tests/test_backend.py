"""The search backend seam, through its first implementation (bm25s + FAISS in process),
on the real charter index: it must rank exactly as the Searcher does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.backend import InProcessBackend, Ranked, RowFilter, SearchBackend
from index.fusion import rrf
from index.query import Query
from index.search import Searcher

QUESTIONS = [
    "Muss jeder Bürger Online-Dienste nutzen?",
    "Was sagt die Charta zur Trinkwasserversorgung?",
    "Welche Rolle spielen Messfühler und Daten in der Stadt?",
    "Wie sollen Kommunen mit Open Data umgehen?",
    "What does the charter say about digital sovereignty?",
]


@pytest.fixture(scope="module")
def backend(charter_searcher) -> InProcessBackend:
    return InProcessBackend.open(charter_searcher.stored.path)


@pytest.fixture(scope="module")
def queries(charter_searcher) -> list[Query]:
    return [charter_searcher.analyse(q) for q in QUESTIONS]


@pytest.fixture(scope="module")
def section(charter_searcher) -> tuple[str, RowFilter]:
    """A section filter (the top-level section with the most passages; its subsections
    match by prefix) and the rows it allows, found from the passages themselves."""
    from collections import Counter

    sections = [p.section for p in charter_searcher.passages]
    top = Counter(s.split(" › ")[0] for s in sections).most_common()
    name = next(s for s, n in top if 3 <= n < len(sections))
    rows = tuple(i for i, s in enumerate(sections) if s == name or s.startswith(name + " › "))
    return name, RowFilter(rows=rows)


def _terms(searcher, query: Query) -> dict[str, float]:
    synonyms = 0.0 if query.english else searcher.fusion.synonyms
    return query.bm25_terms(searcher.vocab, synonyms)


def _hits(searcher, query: Query, mode: str, section: str | None = None) -> list[tuple[int, float]]:
    n = len(searcher.passages)
    return [(h.row, h.score) for h in searcher.search(query, k=n, mode=mode, section=section)]


def _same(ranked: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    assert [r for r, _ in ranked] == [r for r, _ in expected]
    # Hit scores are rounded to 6 decimals.
    np.testing.assert_allclose([s for _, s in ranked], [s for _, s in expected], atol=1e-6)


def test_the_protocol_is_satisfied(backend: InProcessBackend, charter_searcher: Searcher) -> None:
    typed: SearchBackend = backend  # mypy checks this assignment (the function is annotated for it)
    assert isinstance(typed, SearchBackend)
    assert not isinstance(charter_searcher.dense, SearchBackend)
    description = backend.describe()
    json.dumps(description)
    assert description["backend"] == "in-process"
    assert description["lexical"]["passages"] == len(charter_searcher.passages) == 120
    assert description["dense"]["vectors"] == 120
    assert description["sentence_dense"]["vectors"] == len(charter_searcher.sentences) == 254
    assert dict(backend.vocab) == dict(charter_searcher.vocab)


def test_built_from_the_searchers_retrievers_it_ranks_the_same(charter_searcher, queries):
    s = charter_searcher
    direct = InProcessBackend(s.bm25, s.dense, s.sentence_dense, s.stored.embeddings, s.stored.sentence_embeddings)
    q = queries[0]
    _same(list(direct.lexical(_terms(s, q), 120).as_dict().items()), _hits(s, q, "bm25"))
    _same(list(direct.dense(q.vector, 120).as_dict().items()), _hits(s, q, "dense"))


def test_bm25_ranking_equals_the_searchers(backend, charter_searcher, queries):
    for q in queries:
        expected = _hits(charter_searcher, q, "bm25")
        got = backend.lexical(_terms(charter_searcher, q), 120)
        _same(list(got.as_dict().items()), expected)
        assert len(got) > 0 and np.all(got.scores > 0)
        assert got.rows[:5].tolist() == backend.lexical(_terms(charter_searcher, q), 5).rows.tolist()


def test_dense_ranking_equals_the_searchers(backend, charter_searcher, queries):
    for q in queries:
        got = backend.dense(q.vector, 120)
        _same(list(got.as_dict().items()), _hits(charter_searcher, q, "dense"))
        exact = np.asarray(charter_searcher.stored.embeddings) @ q.vector
        np.testing.assert_allclose(got.scores, exact[got.rows], atol=1e-6)


def test_sentence_ranking_gives_the_searchers_passage_ranking(backend, charter_searcher, queries):
    """A passage is as good as its best sentence: the Searcher's sentence mode, rebuilt from
    the backend's sentence ranking."""
    s = charter_searcher
    holders: dict[int, list[int]] = {}
    for i in range(len(s.passages)):
        for r in s.sentence_rows(s.passage_hit(i)):
            holders.setdefault(r, []).append(i)
    for q in queries:
        sentences = backend.sentence_dense(q.vector, 4 * 120)
        assert len(sentences) == 254
        best: dict[int, float] = {}
        for r, sim in sentences.as_dict().items():
            for i in holders[r]:
                best[i] = max(best.get(i, -2.0), sim)
        _same(sorted(best.items(), key=lambda x: (-x[1], x[0])), _hits(s, q, "sentence"))


def test_filters_restrict_to_their_rows_and_rank_as_the_searcher(backend, charter_searcher, queries, section):
    name, where = section
    allowed = set(where.rows)
    for q in queries:
        lexical = backend.lexical(_terms(charter_searcher, q), 120, where)
        dense = backend.dense(q.vector, 120, where)
        assert set(lexical.rows.tolist()) <= allowed
        assert set(dense.rows.tolist()) == allowed  # every allowed row has a cosine
        _same(list(lexical.as_dict().items()), _hits(charter_searcher, q, "bm25", section=name))
        _same(list(dense.as_dict().items()), _hits(charter_searcher, q, "dense", section=name))
        # Top-k of a filtered search is the head of the whole filtered ranking.
        assert backend.dense(q.vector, 3, where).rows.tolist() == dense.rows[:3].tolist()
    vector = queries[0].vector
    as_ranges = RowFilter.from_mask(where.mask(120))
    assert backend.dense(vector, 120, as_ranges).rows.tolist() == backend.dense(vector, 120, where).rows.tolist()
    assert len(backend.dense(vector, 10, RowFilter())) == 0
    assert len(backend.lexical(_terms(charter_searcher, queries[0]), 10, RowFilter())) == 0
    # Fewer rows asked for than allowed: FAISS searches among the allowed rows (exact here,
    # the index being flat), and agrees with scoring every allowed row.
    first_doc = backend.sentence_dense(vector, 10, RowFilter(ranges=((0, 20),)))
    assert len(first_doc) == 10 and first_doc.rows.max() < 20
    every = backend.sentence_dense(vector, 20, RowFilter(ranges=((0, 20),)))
    assert first_doc.rows.tolist() == every.rows[:10].tolist()
    np.testing.assert_allclose(first_doc.scores, every.scores[:10], atol=1e-6)
    assert backend.sentence_dense(vector, 10, RowFilter(rows=(7, 300))).rows.tolist() == [7]


def test_hybrid_search_through_the_seam_equals_the_searchers(backend, charter_searcher, queries, section):
    """Searcher.search's fusion, fed by the backend only: the wiring the Searcher gets."""
    s = charter_searcher
    holders: dict[int, list[int]] = {}
    for i in range(len(s.passages)):
        for r in s.sentence_rows(s.passage_hit(i)):
            holders.setdefault(r, []).append(i)
    name, where = section
    for q in queries:
        for filt, sec in ((None, None), (where, name)):
            pool = 120 if filt is not None else min(120, max(s.settings.candidates, 10))
            weights = s.fusion.weights(q.english)
            bm25 = backend.lexical(_terms(s, q), pool, filt) if weights["bm25"] > 0 else Ranked.empty()
            dense = backend.dense(q.vector, pool, filt) if weights["dense"] > 0 else Ranked.empty()
            best: dict[int, float] = {}
            if weights["sentence"] > 0:
                for r, sim in backend.sentence_dense(q.vector, 4 * pool).as_dict().items():
                    for i in holders[r]:
                        if (filt is None or i in filt.rows) and sim > best.get(i, -2.0):
                            best[i] = sim
            rankings = {
                n: [i for i, _ in sorted(sc.items(), key=lambda x: (-x[1], x[0]))]
                for n, sc in (("bm25", bm25.as_dict()), ("dense", dense.as_dict()), ("sentence", best))
                if sc
            }
            fused = rrf(rankings, weights, k=s.fusion.rrf_k)[:10]
            hits = s.search(q, k=10, mode="hybrid", section=sec)
            assert [h.row for h in hits] == [i for i, _ in fused]
            np.testing.assert_allclose([h.score for h in hits], [sc for _, sc in fused], atol=1e-6)


def test_row_filter_edges():
    assert RowFilter(ranges=((-3, 2), (8, 99))).indices(10).tolist() == [0, 1, 8, 9]
    assert RowFilter.from_mask(np.zeros(4, dtype=bool)) == RowFilter()
    assert RowFilter.from_mask(np.ones(4, dtype=bool)).ranges == ((0, 4),)
    assert Ranked.empty().as_dict() == {}


def test_lexical_top_k_is_what_a_stable_sort_of_all_scores_gives():
    """The partition in ``_top`` must pick the rows and order the full sort did, ties included."""
    from index.backend import _top

    rng = np.random.default_rng(7)
    for n, share in ((1, 1.0), (50, 0.5), (2000, 0.3), (20000, 0.05)):
        scores = np.where(rng.random(n) < share, np.round(rng.gamma(2.0, 1.0, n), 1), 0.0).astype(np.float32)
        for k in (1, 3, 10, 100, n):
            expected = np.argsort(-scores, kind="stable")[:k]
            expected = expected[scores[expected] > 0]
            got = _top(scores, k)
            assert got.rows.tolist() == expected.tolist()
            assert got.scores.tolist() == scores[expected].tolist()
