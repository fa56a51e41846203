"""The seam between search and the engines behind it.

:class:`~index.search.Searcher` analyses the question, builds filters, maps sentences to
passages and fuses rankings; what it needs of an engine is narrow, and is
:class:`SearchBackend`: BM25 top-k for weighted, already analysed terms; top-k by
cosine for a query vector, over passages and over sentences; each optionally restricted
to a :class:`RowFilter`; the vocabulary (query analysis keeps only synonyms the index
has); and :meth:`~SearchBackend.describe` for status pages.

Rows are the rows of one index generation (passage ``i`` = line ``i`` of
``passages.jsonl``, sentence ``r`` = line ``r`` of ``sentences.jsonl``), so a backend
serves exactly one generation. :class:`InProcessBackend` is the implementation over the
files of a generation (bm25s and FAISS); ``docs/SCALING.md`` describes an OpenSearch
index and the queries that would implement the same interface on a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from index import store
from index.retrievers import BM25, Dense
from index.table import map_vectors


@dataclass(frozen=True)
class RowFilter:
    """The rows a search may return: the union of half-open ``ranges`` ``[start, end)``
    and single ``rows``. A document's passages (and its sentences) are one range, as the
    manifest's ``row_start``/``row_end`` say; ``None`` instead of a filter allows every row,
    an empty ``RowFilter()`` none.

    >>> f = RowFilter(ranges=((2, 5),), rows=(0, 3))
    >>> f.indices(6).tolist(), f.mask(6).tolist()
    ([0, 2, 3, 4], [True, False, True, True, True, False])
    >>> RowFilter.from_mask(np.array([True, True, False, True])).ranges
    ((0, 2), (3, 4))
    """

    ranges: tuple[tuple[int, int], ...] = ()
    rows: tuple[int, ...] = ()

    @classmethod
    def from_mask(cls, mask: np.ndarray) -> RowFilter:
        """The rows where ``mask`` is true, as runs: few for document and section filters,
        whose rows are contiguous."""
        padded = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        return cls(ranges=tuple((int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])))

    def mask(self, n: int) -> np.ndarray:
        """A boolean array over ``n`` rows; rows at or beyond ``n`` are ignored."""
        out = np.zeros(n, dtype=bool)
        for a, b in self.ranges:
            out[max(a, 0) : min(b, n)] = True
        rows = np.asarray(self.rows, dtype=np.int64)
        out[rows[(rows >= 0) & (rows < n)]] = True
        return out

    def indices(self, n: int) -> np.ndarray:
        """The allowed rows below ``n``, ascending (int64)."""
        return np.flatnonzero(self.mask(n)).astype(np.int64)


@dataclass(frozen=True)
class Ranked:
    """A ranking: ``rows`` (int64) best first, ``scores`` (float32) beside them."""

    rows: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def as_dict(self) -> dict[int, float]:
        """``{row: score}``, in ranking order."""
        return dict(zip(self.rows.tolist(), self.scores.tolist()))

    @classmethod
    def empty(cls) -> Ranked:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


@runtime_checkable
class SearchBackend(Protocol):
    """What :class:`~index.search.Searcher` asks of an engine; rows are the generation's."""

    @property
    def vocab(self) -> Mapping[str, int]:
        """Every BM25 term the indexed passages contain."""
        ...

    def lexical(self, terms: Mapping[str, float], k: int, where: RowFilter | None = None) -> Ranked:
        """Top-``k`` passages by BM25 for weighted terms (``Query.bm25_terms``): the sum of
        each term's BM25 score times its weight; only rows scoring above 0."""
        ...

    def dense(self, vector: np.ndarray, k: int, where: RowFilter | None = None) -> Ranked:
        """Top-``k`` passages by cosine with an L2-normalised query vector."""
        ...

    def sentence_dense(self, vector: np.ndarray, k: int, where: RowFilter | None = None) -> Ranked:
        """Top-``k`` sentences (sentence rows) by cosine with the query vector."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the backend is and holds, for status output (JSON-serialisable)."""
        ...


class InProcessBackend:
    """bm25s and FAISS in this process, over one generation's files.

    A filtered dense search that asks for at least as many rows as the filter allows gets
    them all, scored exactly (the allowed rows' vectors times the query: a filter of a
    few documents touches only their rows of the memory-mapped vectors). One that asks
    for fewer is FAISS's search among the allowed rows only (``Dense.search`` with
    ``allowed``): exact for a flat index, approximate for IVF, as deep as an unfiltered
    search. What IVF finds is re-scored from the exact vectors, so every score is the
    true cosine.
    """

    name = "in-process"

    def __init__(
        self,
        bm25: BM25 | None,
        dense: Dense,
        sentence_dense: Dense,
        vectors: np.ndarray,
        sentence_vectors: np.ndarray,
    ) -> None:
        if dense.index.ntotal != len(vectors) or sentence_dense.index.ntotal != len(sentence_vectors):
            raise ValueError(
                f"FAISS indexes hold {dense.index.ntotal} / {sentence_dense.index.ntotal} vectors, "
                f"the vector arrays {len(vectors)} / {len(sentence_vectors)}"
            )
        self.bm25 = bm25
        self.dense_index = dense
        self.sentence_index = sentence_dense
        self.vectors = vectors
        self.sentence_vectors = sentence_vectors

    @classmethod
    def open(cls, gen: Path, manifest: store.Manifest | None = None) -> InProcessBackend:
        """The backend of a generation folder (its manifest is read when not given)."""
        manifest = manifest if manifest is not None else store.read_manifest(gen)
        bm25 = BM25.load(gen / store.BM25_DIR) if manifest.passages else None
        dense = Dense.load(gen / store.DENSE, manifest.dense_kind, manifest.dense_params)
        sentence_dense = Dense.load(
            gen / store.SENTENCE_DENSE, manifest.sentence_dense_kind, manifest.sentence_dense_params
        )
        vectors = map_vectors(gen / store.EMBEDDINGS)
        sentence_vectors = map_vectors(gen / store.SENTENCE_EMBEDDINGS)
        return cls(bm25, dense, sentence_dense, vectors, sentence_vectors)

    @property
    def vocab(self) -> Mapping[str, int]:
        return self.bm25.vocab if self.bm25 is not None else {}

    def lexical(self, terms: Mapping[str, float], k: int, where: RowFilter | None = None) -> Ranked:
        if self.bm25 is None or not terms or k < 1:
            return Ranked.empty()
        scores = self.bm25.scores(dict(terms))
        if where is not None:
            scores = np.where(where.mask(len(scores)), scores, np.float32(0.0))
        return _top(scores, k)

    def dense(self, vector: np.ndarray, k: int, where: RowFilter | None = None) -> Ranked:
        return _dense(self.dense_index, self.vectors, vector, k, where)

    def sentence_dense(self, vector: np.ndarray, k: int, where: RowFilter | None = None) -> Ranked:
        return _dense(self.sentence_index, self.sentence_vectors, vector, k, where)

    def describe(self) -> dict[str, Any]:
        lexical: dict[str, Any] = {"engine": "bm25s", "terms": len(self.vocab)}
        if self.bm25 is not None:
            r = self.bm25.retriever
            lexical.update(passages=int(r.scores["num_docs"]), k1=r.k1, b=r.b, method=r.method)
        return {
            "backend": self.name,
            "lexical": lexical,
            "dense": _describe_dense(self.dense_index),
            "sentence_dense": _describe_dense(self.sentence_index),
        }


def _top(scores: np.ndarray, k: int) -> Ranked:
    """The ``k`` best rows scoring above 0, ties by row: what a stable sort of all ``n``
    scores gives, without sorting them (at a million rows that sort alone costs ~100 ms).

    >>> _top(np.array([0.0, 2.0, 1.0, 2.0, 0.5], dtype=np.float32), 3).rows.tolist()
    [1, 3, 2]
    """
    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
        rows = rows[scores[rows] >= kth]  # every row tied with the k-th stays, to be cut by row order
    rows = rows[np.lexsort((rows, -scores[rows]))][:k].astype(np.int64)
    return Ranked(rows, scores[rows].astype(np.float32))


def _dense(index: Dense, vectors: np.ndarray, vector: np.ndarray, k: int, where: RowFilter | None) -> Ranked:
    if k < 1:
        return Ranked.empty()
    q = np.asarray(vector, dtype=np.float32).ravel()
    rows = None if where is None else where.indices(len(vectors))
    if rows is not None and not len(rows):
        return Ranked.empty()
    if rows is None or k < len(rows):
        ids, sims = index.search(q, k, None if where is None else where.mask(len(vectors)))
        rows = ids.astype(np.int64)
        if not index.approximate:
            return Ranked(rows, sims.astype(np.float32))
    # Every allowed row, or what the IVF codes found: scored from the exact vectors (the
    # rows sorted, so a memory-mapped file is read front to back).
    rows = np.sort(rows)
    sims = np.asarray(vectors[rows] @ q, dtype=np.float32)
    order = np.lexsort((rows, -sims))  # best first; ties by row
    return Ranked(rows[order], sims[order])


def _describe_dense(index: Dense) -> dict[str, Any]:
    return {"engine": "faiss", "kind": index.kind, "vectors": int(index.index.ntotal), **index.params}
