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


# Approximate vector search: an inverted file (IVF, k-means lists) over 8-bit scalar-
# quantised codes, its nprobe tuned per build by measured recall@10 against exact search
# (eval/NOTES.md, "Vector search at 1 M": 1 M vectors train and add in 12 s where HNSW
# took 289 s, and reach 0.957 at nprobe 16). The codes are a quarter of the float vectors;
# hits are re-scored from the exact vectors (index/backend.py), so scores stay exact.
IVF_MIN_LISTS = 64
IVF_MAX_LISTS = 1024
IVF_TRAIN_PER_LIST = 64  # k-means training points per list (FAISS wants at least 39)
NPROBE_STEPS = (4, 8, 16, 32, 64, 128, 256, 512)
RECALL_TARGET = 0.95
RECALL_SAMPLE = 200  # indexed vectors used as queries when measuring recall at build time
QUERY_NOISE = 1.0  # norm of the noise that moves a sampled vector away to make a query


def ivf_lists(n: int) -> int:
    """Number of IVF lists for ``n`` vectors: the power of two nearest √n, within
    [:data:`IVF_MIN_LISTS`, :data:`IVF_MAX_LISTS`] (more lists make the build cost grow
    with n × lists, fewer make every probe scan longer lists), and never more than k-means
    can train (39 vectors per list, FAISS's minimum; only a lowered threshold gets there).

    >>> ivf_lists(20_000), ivf_lists(100_000), ivf_lists(1_000_000), ivf_lists(3_000_000), ivf_lists(300)
    (128, 256, 1024, 1024, 7)
    """
    lists = min(IVF_MAX_LISTS, max(IVF_MIN_LISTS, 2 ** round(np.log2(max(n, 1)) / 2)))
    return int(max(1, min(lists, n // 39)))


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
    """Inner-product FAISS index over L2-normalised vectors (cosine similarity): exact
    (``flat``) below the threshold, IVF with 8-bit codes (``ivf``) from it on.

    ``params`` is what the manifest records of an IVF index: its lists, nprobe and the
    recall@10 against exact search measured when it was built.
    """

    def __init__(self, index: Any, kind: str, params: dict[str, Any] | None = None) -> None:
        self.index = index
        self.kind = kind
        self.params = params or {}

    @property
    def approximate(self) -> bool:
        """Whether its scores are the codes' (re-score hits from the exact vectors)."""
        return self.kind == "ivf"

    @classmethod
    def build(cls, vectors: np.ndarray, ivf_threshold: int) -> Dense:
        import faiss

        n, dim = vectors.shape
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if n < ivf_threshold or not n:
            flat = faiss.IndexFlatIP(dim)
            if n:
                flat.add(vectors)
            return cls(flat, "flat")
        lists = ivf_lists(n)
        index = ivf_index(vectors, lists)
        nprobe, recall = tune_nprobe(index, vectors)
        return cls(index, "ivf", {"lists": lists, "codes": "SQ8", "nprobe": nprobe, "recall_at_10": recall})

    def save(self, path: Path) -> None:
        """Write the index through a Python file, so that a failed write raises: FAISS's
        own file writer only prints an error when its last flush fails (found with a
        full disk, which left a truncated index that was then published)."""
        import faiss

        fx: Any = faiss  # its type stubs lack the callback writer
        with path.open("wb") as fh:
            faiss.write_index(self.index, fx.PyCallbackIOWriter(fh.write))

    @classmethod
    def load(cls, path: Path, kind: str, params: dict[str, Any] | None = None) -> Dense:
        """Read a saved index; IVF is searched with the nprobe of ``params`` (the
        manifest's).

        Memory-mapped with ``IO_FLAG_MMAP_IFC`` (plain ``IO_FLAG_MMAP`` maps only the lists
        of IVF indexes written to their own file): flat vectors and IVF codes stay in the
        file's pages. Measured on an IVF file of 500 k vectors: reading it adds 22 MB of the
        process's own memory, 213 MB without the flag.
        """
        import faiss

        if kind not in DENSE_KINDS:
            raise ValueError(f"vector index kind {kind!r} is not one of {list(DENSE_KINDS)}")
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        params = dict(params or {})
        if kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
        return cls(index, kind, params)

    def search(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (ids, cosine scores) for one query vector; with ``allowed`` (a boolean
        per vector) among those only: FAISS skips the others while it searches, so a
        filter does not thin out the ``k`` found. IVF scores are the codes' (approximate)."""
        import faiss

        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            fx: Any = faiss  # its type stubs lack the search parameters' keywords
            bitmap = np.packbits(allowed, bitorder="little")  # FAISS: bit (id & 7) of byte id >> 3
            selector = fx.IDSelectorBitmap(len(bitmap), fx.swig_ptr(bitmap))
            if self.kind == "ivf":
                params = fx.SearchParametersIVF(sel=selector, nprobe=int(self.params["nprobe"]))
            else:
                params = fx.SearchParameters(sel=selector)
        scores, ids = self.index.search(query_vec.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


DENSE_KINDS = ("flat", "ivf")


def ivf_index(vectors: np.ndarray, lists: int) -> Any:
    """An IVF index of ``lists`` lists over 8-bit codes of ``vectors`` (L2-normalised
    float32), inner product; k-means trained on a fixed-seed sample of
    :data:`IVF_TRAIN_PER_LIST` vectors per list."""
    import faiss

    n, dim = vectors.shape
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dim), dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    rng = np.random.default_rng(0)
    index.train(vectors[np.sort(rng.choice(n, min(n, IVF_TRAIN_PER_LIST * lists), replace=False))])
    index.add(vectors)
    return index


def rescored(queries: np.ndarray, vectors: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The exact scores of the rows ``found`` per query (-1 for none: -inf), best first.

    >>> v = np.eye(3, dtype=np.float32)
    >>> rescored(v[:1], v, np.array([[2, 0, -1]])).tolist()
    [[1.0, 0.0, -inf]]
    """
    exact = np.einsum("qd,qkd->qk", queries, vectors[np.maximum(found, 0)])
    exact[found < 0] = -np.inf
    return -np.sort(-exact, axis=1)


def tune_nprobe(index: Any, vectors: np.ndarray, k: int = 10) -> tuple[int, float]:
    """The smallest nprobe of :data:`NPROBE_STEPS` whose recall@k against exact search
    reaches :data:`RECALL_TARGET` (else the largest), and that recall; sets it on ``index``.

    Measured, not assumed: queries are a sample of the indexed vectors (fixed seed), each
    moved by noise of norm :data:`QUERY_NOISE` (cosine about 0.7 to where it came from, a
    question near but not at a passage), searched exactly (``faiss.knn``, no copy of the
    vectors) and through the index; what the index finds is re-scored from the exact
    vectors, as searches do. nprobe costs nothing at build time, only per query.
    """
    import faiss

    rng = np.random.default_rng(0)
    queries = vectors[np.sort(rng.choice(len(vectors), min(RECALL_SAMPLE, len(vectors)), replace=False))]
    noise = rng.standard_normal(queries.shape).astype(np.float32)
    queries = queries + QUERY_NOISE * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    queries = np.ascontiguousarray(queries / np.linalg.norm(queries, axis=1, keepdims=True), dtype=np.float32)
    k = min(k, len(vectors))
    truth, _ = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    recall, nprobe = 0.0, NPROBE_STEPS[0]
    for nprobe in NPROBE_STEPS:
        index.nprobe = nprobe
        _, found = index.search(queries, k)
        recall = recall_at_k(rescored(queries, vectors, found), truth)
        if recall >= RECALL_TARGET:
            break
    else:
        log.warning("IVF recall@%d is %.3f even with nprobe %d (target %.2f)", k, recall, nprobe, RECALL_TARGET)
    return int(index.nprobe), round(recall, 4)
