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
        return cls(_bm25s().BM25.load(str(folder), show_progress=False, verbosity=0))

    def scores(self, terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every passage for weighted query terms (``Query.bm25_terms``)."""
        n = self.retriever.scores["num_docs"]
        total = np.zeros(n, dtype=np.float32)
        for term, weight in terms.items():
            total += weight * np.asarray(self.retriever.get_scores([term]), dtype=np.float32)
        return total


class Dense:
    """Inner-product FAISS index over L2-normalised vectors (cosine similarity)."""

    def __init__(self, index: Any, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int) -> Dense:
        import faiss

        n, dim = vectors.shape
        index: Any
        if n >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 200
            index.hnsw.efSearch = 128
            kind = "hnsw"
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        if n:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, kind)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> Dense:
        import faiss

        index = faiss.read_index(str(path))
        if kind == "hnsw":
            hnsw: Any = faiss.downcast_index(index)
            hnsw.hnsw.efSearch = 128
        return cls(index, kind)

    def search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (ids, cosine scores) for one query vector."""
        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.index.search(query_vec.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]
