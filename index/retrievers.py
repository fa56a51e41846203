"""The two retrievers: BM25 over analysed German text (bm25s) and dense vectors (FAISS)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from text.analysis import analyze

log = logging.getLogger(__name__)


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG; its per-call chatter is not for our users.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class Indexable(Protocol):
    """What BM25 reads of a passage."""

    title: str
    section: str
    text: str


def bm25_text(passage: Indexable) -> str:
    """What BM25 sees of a passage: document title, heading path, then its text.

    The title makes words like "Charta" in "Was sagt die Charta zu …?" common to every
    passage of the charter (low IDF) instead of pulling the foreword to the top.
    """
    return passage.title + "\n" + passage.section + "\n" + passage.text


class BM25:
    """bm25s with the German analyser; scores every passage for a query."""

    def __init__(self, retriever: Any) -> None:
        self.retriever = retriever
        self.vocab = retriever.vocab_dict

    @classmethod
    def build(cls, passages: Sequence[Indexable]) -> BM25:
        retriever = _bm25s().BM25(k1=1.2, b=0.75)
        corpus = [analyze(bm25_text(p)) or [""] for p in passages]
        retriever.index(corpus, show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25:
        """Read a saved index; its score matrix (CSC ``.npy`` files) is memory-mapped:
        a query reads the columns of its terms only."""
        return cls(_bm25s().BM25.load(str(folder), mmap=True, show_progress=False, verbosity=0))

    def scores(self, terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every passage for weighted query terms (``Query.bm25_terms``)."""
        n = self.retriever.scores["num_docs"]
        total = np.zeros(n, dtype=np.float32)
        for term, weight in terms.items():
            total += weight * np.asarray(self.retriever.get_scores([term]), dtype=np.float32)
        return total


# HNSW graph parameters, chosen by measured recall@10 against exact search (eval/NOTES.md,
# "Vector recall"); M and efConstruction shape the graph file, efSearch is tuned per build.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128  # what indexes whose manifest names no efSearch are searched with
EF_SEARCH_STEPS = (64, 128, 256, 512, 1024, 2048)
RECALL_TARGET = 0.95
RECALL_SAMPLE = 200  # indexed vectors used as queries when measuring recall at build time
QUERY_NOISE = 1.0  # norm of the noise that moves a sampled vector away to make a query


def recall_at_k(found_scores: np.ndarray, exact_scores: np.ndarray) -> float:
    """Mean share of the top-k found (rows of scores, best first) that belong to the exact
    top-k: score at least the exact k-th. Ties count as found, so duplicate passages
    (boilerplate repeated across documents) do not make a correct result look wrong.

    >>> exact = np.array([[0.9, 0.8, 0.7], [0.5, 0.5, 0.5]])
    >>> round(recall_at_k(np.array([[0.9, 0.7, 0.6], [0.5, 0.5, 0.5]]), exact), 3)
    0.833
    """
    k = exact_scores.shape[1]
    return float(np.mean(np.sum(found_scores >= exact_scores[:, k - 1 : k] - 1e-5, axis=1) / k))


class Dense:
    """Inner-product FAISS index over L2-normalised vectors (cosine similarity).

    ``params`` is what the manifest records of it: for HNSW its M, efConstruction,
    efSearch and the recall@10 against exact search measured when it was built.
    """

    def __init__(self, index: Any, kind: str, params: dict[str, Any] | None = None) -> None:
        self.index = index
        self.kind = kind
        self.params = params or {}

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int) -> Dense:
        import faiss

        n, dim = vectors.shape
        index: Any
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if n >= hnsw_threshold and n:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.add(vectors)
            ef_search, recall = tune_ef_search(index, vectors)
            params = {
                "M": HNSW_M,
                "efConstruction": HNSW_EF_CONSTRUCTION,
                "efSearch": ef_search,
                "recall_at_10": recall,
            }
            return cls(index, "hnsw", params)
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return cls(index, "flat")

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str, params: dict[str, Any] | None = None) -> Dense:
        """Read a saved index; HNSW is searched with the efSearch of ``params`` (the
        manifest's), or :data:`HNSW_EF_SEARCH` for an index whose manifest names none.

        Memory-mapped with ``IO_FLAG_MMAP_IFC`` (plain ``IO_FLAG_MMAP`` maps only IVF
        lists): the vectors, and in faiss 1.15 the HNSW neighbour lists too. Measured on
        an HNSW file of 300 k sentences (517 MB): reading it adds 4 MB of the process's
        own memory, 518 MB without the flag.
        """
        import faiss

        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        params = dict(params or {})
        if kind == "hnsw":
            hnsw: Any = faiss.downcast_index(index)
            params.setdefault("efSearch", HNSW_EF_SEARCH)
            hnsw.hnsw.efSearch = int(params["efSearch"])
        return cls(index, kind, params)

    def search(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (ids, cosine scores) for one query vector; with ``allowed`` (a boolean
        per vector) among those only: FAISS skips the others while it searches, so a
        filter does not thin out the ``k`` found."""
        import faiss

        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            fx: Any = faiss  # its type stubs lack the search parameters' keywords
            bitmap = np.packbits(allowed, bitorder="little")  # FAISS: bit (id & 7) of byte id >> 3
            selector = fx.IDSelectorBitmap(len(bitmap), fx.swig_ptr(bitmap))
            if self.kind == "hnsw":
                ef = int(self.params.get("efSearch", HNSW_EF_SEARCH))
                params = fx.SearchParametersHNSW(sel=selector, efSearch=ef)
            else:
                params = fx.SearchParameters(sel=selector)
        scores, ids = self.index.search(query_vec.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


def tune_ef_search(index: Any, vectors: np.ndarray, k: int = 10) -> tuple[int, float]:
    """The smallest efSearch of :data:`EF_SEARCH_STEPS` whose recall@k against exact search
    reaches :data:`RECALL_TARGET` (else the largest), and that recall; sets it on ``index``.

    Measured, not assumed: queries are a sample of the indexed vectors (fixed seed), each
    moved by noise of norm :data:`QUERY_NOISE` (cosine about 0.7 to where it came from, a
    question near but not at a passage; never itself a node of the graph), searched both
    exactly and through the graph. efSearch costs nothing at build time, only per query.
    """
    import faiss

    rng = np.random.default_rng(0)
    queries = vectors[rng.choice(len(vectors), min(RECALL_SAMPLE, len(vectors)), replace=False)]
    noise = rng.standard_normal(queries.shape).astype(np.float32)
    queries = queries + QUERY_NOISE * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    queries = np.ascontiguousarray(queries / np.linalg.norm(queries, axis=1, keepdims=True), dtype=np.float32)
    k = min(k, len(vectors))
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    truth, _ = exact.search(queries, k)
    del exact
    recall = 0.0
    for ef in EF_SEARCH_STEPS:
        index.hnsw.efSearch = ef
        found, _ = index.search(queries, k)
        recall = recall_at_k(found, truth)
        if recall >= RECALL_TARGET:
            break
    else:
        log.warning("HNSW recall@%d is %.3f even with efSearch %d (target %.2f)", k, recall, ef, RECALL_TARGET)
    return int(index.hnsw.efSearch), round(recall, 4)
