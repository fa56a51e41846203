"""Approximate vector search keeps ≥ 0.95 of the exact top 10, measured, not assumed.

The index is built through ``store.write_generation`` (the build's own writer) with the
IVF threshold lowered, so a few thousand vectors get the inverted-file index large corpora
get. Recall is measured through the search backend, which re-scores what the 8-bit codes
find from the exact vectors.
"""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from eval.scale import synthetic_corpus
from index import store
from index.backend import InProcessBackend
from index.fusion import profile_for
from index.retrievers import NPROBE_STEPS, QUERY_NOISE, RECALL_TARGET, Dense, ivf_lists
from text.analysis import analyzer_version

DIM = 384


def structured(n: int, seed: int) -> np.ndarray:
    """Unit vectors in topics and clusters plus noise (text embeddings are not uniform)."""
    rng = np.random.default_rng(seed)
    k = max(1, n // 50)
    topics = rng.standard_normal((max(1, k // 20), DIM))
    centers = topics[rng.integers(0, len(topics), k)] + 0.8 * rng.standard_normal((k, DIM))
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    x = centers[rng.integers(0, k, n)] + 0.6 / np.sqrt(DIM) * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def near(x: np.ndarray, nq: int, seed: int) -> np.ndarray:
    """Queries close to the data but not in it."""
    rng = np.random.default_rng(seed)
    q = x[rng.integers(0, len(x), nq)] + 0.5 / np.sqrt(DIM) * rng.standard_normal((nq, DIM))
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def measured_recall(search, x: np.ndarray, queries: np.ndarray) -> float:
    """Share of the exact top 10 that ``search(q)`` (a backend's ``Ranked``) finds; its
    scores must be the true cosines, best first."""
    exact = np.sort(queries @ x.T, axis=1)[:, ::-1][:, 9]
    hits = 0
    for q, tenth in zip(queries, exact):
        found = search(q)
        assert len(found.rows) == 10
        assert np.allclose(found.scores, x[found.rows] @ q, atol=1e-5)
        assert np.all(np.diff(found.scores) <= 0)
        hits += int(np.sum(x[found.rows] @ q >= tenth - 1e-5))
    return hits / (10 * len(queries))


def backend_search(dense: Dense, x: np.ndarray):
    return lambda q: InProcessBackend(None, dense, dense, x, x).dense(q, 10)


def _manifest(docs) -> store.Manifest:
    from index.embed import ModelSpec

    return store.Manifest(
        model=ModelSpec("hashed", "test", "none"),
        dimension=DIM,
        max_tokens=512,
        passage_settings={},
        analyzer=analyzer_version(),
        dense_kind="",
        fusion=profile_for("hashed", "test"),
        documents=docs,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    corpus = synthetic_corpus(3000)
    pv = structured(len(corpus.passages), seed=1)
    sv = structured(len(corpus.sentences), seed=2)
    index_dir = tmp_path_factory.mktemp("recall") / "index"
    gen = store.write_generation(
        index_dir, _manifest(corpus.manifest_docs), corpus.passages, pv, corpus.sentences, sv, corpus.documents, 1000
    )
    return index_dir, gen, pv, sv


def test_ivf_keeps_the_exact_top_10(built):
    index_dir, gen, pv, sv = built
    stored = store.load_stored(index_dir)
    m = stored.manifest
    assert m.dense_kind == m.sentence_dense_kind == "ivf"
    backend = InProcessBackend.open(gen)
    for search, params, vectors, seed in (
        (lambda q: backend.dense(q, 10), m.dense_params, pv, 3),
        (lambda q: backend.sentence_dense(q, 10), m.sentence_dense_params, sv, 4),
    ):
        recall = measured_recall(search, vectors, near(vectors, 200, seed))
        assert recall >= RECALL_TARGET, (params, recall)
    for dense, params in ((backend.dense_index, m.dense_params), (backend.sentence_index, m.sentence_dense_params)):
        assert type(dense.index).__name__ == "IndexIVFScalarQuantizer"
        assert faiss.extract_index_ivf(dense.index).nprobe == params["nprobe"]


def test_manifest_records_the_ivf_parameters(built):
    _, gen, pv, sv = built
    data = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    for key, n in (("dense", len(pv)), ("sentence_dense", len(sv))):
        ivf = data[key]["ivf"]
        assert ivf["lists"] == ivf_lists(n) and ivf["codes"] == "SQ8"
        assert ivf["nprobe"] in NPROBE_STEPS
        assert RECALL_TARGET <= ivf["recall_at_10"] <= 1.0


def test_nprobe_is_raised_until_the_recall_is_reached():
    # Uniform random vectors are the hardest case for an inverted file (no clusters for
    # its lists to follow): the nprobe that is enough for clustered vectors is not enough
    # here, and the build must notice.
    rng = np.random.default_rng(5)
    x = unit(rng.standard_normal((4000, DIM)))
    dense = Dense.build(x, ivf_threshold=1000)
    assert dense.kind == "ivf"
    assert dense.params["nprobe"] > NPROBE_STEPS[0]
    assert dense.params["recall_at_10"] >= RECALL_TARGET
    # Independently of the build's own sample: fresh queries made the same way.
    q = unit(x[rng.integers(0, len(x), 200)] + QUERY_NOISE * unit(rng.standard_normal((200, DIM))))
    assert measured_recall(backend_search(dense, x), x, q) >= RECALL_TARGET - 0.02
    # And the nprobe below the chosen one would not have been enough.
    faiss.extract_index_ivf(dense.index).nprobe = dense.params["nprobe"] // 2
    dense.params = {**dense.params, "nprobe": dense.params["nprobe"] // 2}
    assert measured_recall(backend_search(dense, x), x, q) < RECALL_TARGET


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_small_corpora_stay_exact():
    x = structured(500, seed=6)
    dense = Dense.build(x, ivf_threshold=1000)
    assert dense.kind == "flat" and dense.params == {}


def test_an_index_with_the_former_hnsw_search_is_refused_with_the_fix(built):
    """Large indexes built before IVF replaced HNSW: a one-line error that says how to fix it."""
    index_dir, gen, _, _ = built
    data = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    data["dense"] = {"kind": "hnsw", "metric": "inner_product", "normalized": True, "hnsw": {"efSearch": 64}}
    old = index_dir.parent / "old"
    old.mkdir()
    (old / store.MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(store.IndexMismatchError, match=r"'hnsw'.*python -m ingest --rebuild"):
        store.read_manifest(old)


def test_an_ivf_index_without_its_nprobe_is_refused_with_the_fix(built):
    index_dir, gen, _, _ = built
    data = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    del data["sentence_dense"]["ivf"]
    bad = index_dir.parent / "no-nprobe"
    bad.mkdir()
    (bad / store.MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(store.IndexMismatchError, match=r"no IVF nprobe; rebuild with: python -m ingest --rebuild"):
        store.read_manifest(bad)
