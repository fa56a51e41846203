"""Search the index: BM25, dense, or hybrid (both fused), with filters.

    python -m index.search "Muss jeder Bürger Online-Dienste nutzen?" --k 5 --json
    python -m index.search --answer --json "Muss jeder Bürger Online-Dienste nutzen?"

The command line sits on top of the answer layer, so it lives in ``answer/cli.py``;
this module only hands over to it when run as a program.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from common.errors import IndexMismatchError, ModelError
from common.settings import Settings
from index import store
from index.backend import InProcessBackend, Ranked, RowFilter, SearchBackend
from index.embed import Embedder
from index.fusion import rrf
from index.mentions import DocumentNames, within
from index.query import Query, analyse
from index.retrievers import BM25, Dense
from index.table import RowGroups

log = logging.getLogger(__name__)

MODES = ("hybrid", "bm25", "dense", "sentence")
# Up to this many rows allowed by a filter, their vectors are scored exactly (a matrix
# product over the memory-mapped rows); beyond it, the vector index searches them.
EXACT_FILTERED = 20_000


@dataclass
class Hit:
    rank: int
    score: float
    doc_id: str
    title: str
    file: str
    page: str
    page_end: str
    pdf_page: int
    pdf_page_end: int
    section: str
    text: str
    passage_id: str
    section_path: list[str] = field(default_factory=list)
    spans: list[dict[str, int]] = field(default_factory=list)
    bm25_score: float = 0.0
    dense_score: float = 0.0
    # The passage's place in each ranking that was run (1 = first; absent: not reached).
    ranks: dict[str, int] = field(default_factory=dict)
    edition: str = ""
    year: str = ""
    publisher: str = ""
    row: int = -1  # the passage's row in this index generation
    ocr: bool = False  # text of a page without text layer, recognised by OCR

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Searcher:
    """An open index generation with its retrievers and the model that built it."""

    def __init__(self, stored: store.StoredIndex, embedder: Embedder, settings: Settings) -> None:
        self.stored = stored
        self.embedder = embedder
        self.settings = settings
        self.passages = stored.passages
        self.sentences = stored.sentences
        self.fusion = stored.manifest.fusion
        self.documents = {d["doc_id"]: d for d in stored.manifest.documents}
        self.names = DocumentNames.of(stored.manifest.documents)
        with store.reading(stored.path / store.BM25_DIR):
            self.bm25 = BM25.load(stored.path / store.BM25_DIR) if self.passages else None
        manifest = stored.manifest
        with store.reading(stored.path / store.DENSE):
            self.dense = Dense.load(stored.path / store.DENSE, manifest.dense_kind, manifest.dense_params)
        with store.reading(stored.path / store.SENTENCE_DENSE):
            self.sentence_dense = Dense.load(
                stored.path / store.SENTENCE_DENSE, manifest.sentence_dense_kind, manifest.sentence_dense_params
            )
        # Every ranking goes through the seam (index/backend.py): an engine that implements
        # SearchBackend can take the place of the in-process BM25 and FAISS.
        self.backend: SearchBackend = InProcessBackend(
            self.bm25, self.dense, self.sentence_dense, stored.embeddings, stored.sentence_embeddings
        )
        # Nothing here reads a passage: filters and the sentence ranking work on arrays
        # (store.Columns) and on the documents' row ranges in the manifest.
        assert stored.columns is not None  # set by StoredIndex.__post_init__
        self._columns = stored.columns
        self._rows_of_doc = {d["doc_id"]: (int(d["row_start"]), int(d["row_end"])) for d in manifest.documents}
        spans = sorted((int(d["sentence_row_start"]), int(d["sentence_row_end"])) for d in manifest.documents)
        self._sentence_doc_start = np.array([a for a, _ in spans], dtype=np.int64)
        self._sentence_doc_end = np.array([b for _, b in spans], dtype=np.int64)
        # The passages (one, or two where they overlap) that hold each sentence:
        # ``self._passages_of[r]`` is an array of passage rows.
        self._passages_of = self._columns.sentence_passages()
        self._section_groups: RowGroups | None = None  # built by the first section filter
        self._ids_of_doc: dict[str, dict[str, int]] = {}  # passage id → row, per document read
        self._ids_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> Searcher:
        """Load the live index and the model it was built with (once per process)."""
        from index.embed import get_embedder, parse_spec

        stored = store.load_stored(settings.index_dir, settings.corpus_dir)
        built_with = stored.model_spec
        if settings.model and parse_spec(settings.model) != built_with:
            raise IndexMismatchError(
                f"the index in {settings.index_dir} was built with {built_with.describe()}, "
                f"but the configured model is {parse_spec(settings.model).describe()}; "
                f"reindex with: python -m ingest --rebuild --model {settings.model}  (or unset "
                f"CHARTA_MODEL to search with {built_with.model})"
            )
        try:
            embedder = get_embedder(built_with)
        except ModelError as exc:
            raise IndexMismatchError(
                f"the index in {settings.index_dir} was built with {built_with.describe()}, "
                f"which cannot be loaded here ({exc}); rebuild with: {store.REBUILD_HINT}"
            ) from None
        if embedder.dimension != stored.manifest.dimension:
            raise IndexMismatchError(
                f"model {built_with.describe()} now gives {embedder.dimension}-dim vectors but "
                f"the index has {stored.manifest.dimension}; rebuild with: {store.REBUILD_HINT}"
            )
        return cls(stored, embedder, settings)

    @property
    def generation(self) -> str:
        return self.stored.generation

    @property
    def vocab(self) -> Mapping[str, int]:
        """The BM25 vocabulary: every term the indexed text contains."""
        return self.backend.vocab

    def analyse(self, question: str, english: bool | None = None) -> Query:
        """The question analysed with this index's model and its documents' names: a
        question that names documents („laut Charta“) is searched in them."""
        return analyse(question, self.embedder, english, self.names)

    def passage_hit(self, row: int) -> Hit:
        """The passage in ``row`` as a hit (rank 0: not from a ranking)."""
        return self._hit(row, 0, 0.0, 0.0, 0.0)

    def row_of(self, passage_id: str) -> int | None:
        """The row of the passage with this id, or None. Ids begin with their document's id,
        so only that document's rows are read (once; later lookups use the cache)."""
        doc_id = passage_id.split(":", 1)[0]
        if doc_id not in self._rows_of_doc:
            return None
        with self._ids_lock:
            ids = self._ids_of_doc.get(doc_id)
            if ids is None:
                a, b = self._rows_of_doc[doc_id]
                ids = {self.passages[r].id: r for r in range(a, b)}
                self._ids_of_doc[doc_id] = ids
        return ids.get(passage_id)

    def section_rows(self, doc_id: str, section_idx: int) -> tuple[range, range]:
        """The rows of the passages and of the sentences of one section of a document
        (each contiguous), from the column arrays: no row is read. Both are empty for a
        heading without text of its own."""
        a, b = self._rows_of_doc[doc_id]
        doc = self.documents[doc_id]
        sa, sb = int(doc["sentence_row_start"]), int(doc["sentence_row_end"])
        sentences = np.flatnonzero(self._columns.sentence_section[sa:sb] == section_idx) + sa
        if not len(sentences):
            return range(0), range(0)
        first, end = int(sentences[0]), int(sentences[-1]) + 1
        # A passage never spans two sections: its first sentence says whose it is.
        starts = self._columns.passage_sentences[a:b, 0]
        passages = np.flatnonzero((starts >= first) & (starts < end)) + a
        held = range(int(passages[0]), int(passages[-1]) + 1) if len(passages) else range(0)
        return held, range(first, end)

    def passages_of(self, doc_id: str) -> range:
        """Passage rows of one document."""
        d = self.documents[doc_id]
        return range(int(d["row_start"]), int(d["row_end"]))

    def sentence_offsets(self, passage_row: int, sentence_row: int) -> tuple[int, int] | None:
        """Where sentence ``sentence_row`` lies in the text of passage ``passage_row``."""
        first, last = self._columns.passage_sentences[passage_row].tolist()
        if not first <= sentence_row < last:
            return None
        pos = 0
        for r in range(first, sentence_row):
            pos += len(self.sentences[r].text) + len(self.sentences[r].sep)
        return pos, pos + len(self.sentences[sentence_row].text)

    def sentence_rows(self, hit: Hit) -> range:
        """Rows in :attr:`sentences` of the sentences a hit's passage holds."""
        first, last = self._columns.passage_sentences[hit.row].tolist()
        return range(first, last)

    def section_sentence_rows(self, row: int) -> range:
        """Rows of all sentences in the same section as sentence ``row``."""
        if not 0 <= row < len(self.sentences):
            raise IndexError(f"sentence row {row} out of range")
        # The run of equal section indexes around ``row``, within its document's rows.
        d = int(np.searchsorted(self._sentence_doc_start, row, side="right")) - 1
        lo, hi = int(self._sentence_doc_start[d]), int(self._sentence_doc_end[d])
        sec = self._columns.sentence_section
        own = sec[row]
        a = row
        while a > lo and sec[a - 1] == own:
            a -= 1
        b = row + 1
        while b < hi and sec[b] == own:
            b += 1
        return range(a, b)

    def _mask(self, doc_ids: list[str] | None, section: str | None, include_superseded: bool) -> np.ndarray | None:
        allowed = set(doc_ids) if doc_ids else set(self.documents)
        if not include_superseded:
            allowed -= {
                d for d, e in self.documents.items() if e.get("superseded_by") and not (doc_ids and d in doc_ids)
            }
        n = len(self.passages)
        mask = None
        if allowed != set(self.documents):
            # A document's passages are one block of rows: the mask is set slice by slice.
            mask = np.zeros(n, dtype=bool)
            for doc_id in allowed & self._rows_of_doc.keys():
                a, b = self._rows_of_doc[doc_id]
                mask[a:b] = True
        if section:
            # Matched against the distinct section paths, then their rows are looked up.
            prefix = section + " › "
            codes = [c for c, s in enumerate(self._columns.sections) if s == section or s.startswith(prefix)]
            if self._section_groups is None:
                self._section_groups = self._columns.section_rows()
            sec = np.zeros(n, dtype=bool)
            sec[self._section_groups.rows_of(codes)] = True
            mask = sec if mask is None else (mask & sec)
        return mask

    def search(
        self,
        query: Query | str,
        k: int = 10,
        mode: str = "hybrid",
        doc_ids: list[str] | None = None,
        section: str | None = None,
        include_superseded: bool = False,
    ) -> list[Hit]:
        """Top-``k`` passages for ``query``, best first, from the documents ``doc_ids`` (all
        when None). A :class:`Query` from :meth:`analyse` that names documents is searched
        in those of them that ``doc_ids`` allows; a string is searched as it is written."""
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} is not one of {list(MODES)}")
        if k < 1:
            raise ValueError(f"k={k} must be at least 1")
        if isinstance(query, str):
            query = analyse(query, None if mode == "bm25" else self.embedder)
        if not query or not self.passages:
            return []
        mask = self._mask(within(query.documents, doc_ids), section, include_superseded)
        n = len(self.passages)
        # Filtered to a few rows (a document, a section): every allowed row is ranked,
        # its vectors scored exactly. Filtered to many (all but superseded documents):
        # the vector indexes search only the allowed rows (a FAISS selector), as deep as
        # an unfiltered search. BM25 ranks every allowed row either way.
        exact = mask is not None and int(np.count_nonzero(mask)) <= EXACT_FILTERED
        pool = n if exact else min(n, max(self.settings.candidates, k))
        weights = self.fusion.weights(query.english)
        # Hybrid skips a ranking weighted 0.
        wanted = {r for r in weights if mode == r or (mode == "hybrid" and weights[r] > 0)}
        found: dict[str, Ranked] = {}
        where = None if mask is None else RowFilter.from_mask(mask)
        if "bm25" in wanted:
            synonyms = 0.0 if query.english else self.fusion.synonyms
            terms = query.bm25_terms(self.vocab, synonyms)
            found["bm25"] = self.backend.lexical(terms, n if mask is not None else pool, where)
        qvec = None
        if mode != "bm25":
            qvec = query.vector if query.vector is not None else self.embedder.query_vector(query.text)
        if qvec is not None and "dense" in wanted:
            # Asked for every allowed row, the backend scores them exactly.
            found["dense"] = self.backend.dense(qvec, n if exact else pool, where)
        if qvec is not None and "sentence" in wanted:
            # A passage is as good as its best sentence; a pool of sentences a few times
            # the passage pool reaches about as many passages.
            held = None if mask is None else self._sentences_held(mask)
            depth = int(np.count_nonzero(held)) if exact and held is not None else 4 * pool
            best = self.backend.sentence_dense(qvec, depth, None if held is None else RowFilter.from_mask(held))
            found["sentence"] = self._best_sentence(best.rows, best.scores, mask)
        rankings = {name: _best_first(r) for name, r in found.items() if len(r)}
        if mode == "hybrid":
            ranked = rrf({name: r.rows for name, r in rankings.items()}, weights, k=self.fusion.rrf_k, limit=k)
        elif mode in rankings:
            ranked = list(zip(rankings[mode].rows[:k].tolist(), rankings[mode].scores[:k].tolist()))
        else:
            ranked = []
        # Rank and score in each ranking, looked up for the k hits only.
        top = np.array([i for i, _ in ranked], dtype=np.int64)
        place: dict[str, dict[int, tuple[int, float]]] = {}
        for name, r in rankings.items():
            at = np.flatnonzero(np.isin(r.rows, top))
            place[name] = {int(r.rows[p]): (int(p) + 1, float(r.scores[p])) for p in at}
        hits = []
        for rank, (i, score) in enumerate(ranked, start=1):
            dense = place["dense"][i][1] if i in place.get("dense", {}) else None
            if dense is None and qvec is not None:
                dense = float(self.stored.embeddings[i] @ qvec)
            bm25 = place["bm25"][i][1] if i in place.get("bm25", {}) else 0.0
            hit = self._hit(i, rank, score, bm25, dense or 0.0)
            hit.ranks = {name: at[i][0] for name, at in place.items() if i in at}
            hits.append(hit)
        return hits

    def _sentences_held(self, mask: np.ndarray) -> np.ndarray:
        """Which sentences an allowed passage holds (a difference array over the passages'
        sentence ranges, no loop)."""
        ranges = self._columns.passage_sentences[mask]
        edges = np.zeros(len(self.sentences) + 1, dtype=np.int64)
        np.add.at(edges, ranges[:, 0], 1)
        np.add.at(edges, ranges[:, 1], -1)
        return np.cumsum(edges[:-1]) > 0

    def _best_sentence(self, rows: np.ndarray, sims: np.ndarray, mask: np.ndarray | None) -> Ranked:
        """Each allowed passage holding one of the sentences ``rows``, with the similarity
        of its best one (by passage row)."""
        groups = self._passages_of
        rows = np.asarray(rows, dtype=np.int64)
        counts = groups.indptr[rows + 1] - groups.indptr[rows]
        # Positions in groups.rows of every (sentence, passage) pair, sentence by sentence.
        at = np.repeat(groups.indptr[rows] - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        passages = groups.rows[at].astype(np.int64)
        scores = np.repeat(np.asarray(sims, dtype=np.float32), counts)
        if mask is not None:
            keep = mask[passages]
            passages, scores = passages[keep], scores[keep]
        order = np.lexsort((-scores, passages))  # by passage, its best sentence first
        passages, scores = passages[order], scores[order]
        first = np.ones(len(passages), dtype=bool)
        first[1:] = passages[1:] != passages[:-1]
        return Ranked(passages[first], scores[first])

    def _hit(self, i: int, rank: int, score: float, bm25: float, dense: float) -> Hit:
        p = self.passages[i]
        doc = self.documents.get(p.doc_id, {})
        return Hit(
            rank=rank,
            score=round(score, 6),
            doc_id=p.doc_id,
            title=doc.get("title", p.title),
            file=p.file,
            page=p.page,
            page_end=p.page_end,
            pdf_page=p.pdf_page,
            pdf_page_end=p.pdf_page_end,
            section=p.section,
            text=p.text,
            passage_id=p.id,
            section_path=p.section_path,
            spans=p.spans,
            bm25_score=round(bm25, 4),
            dense_score=round(dense, 4),
            edition=doc.get("edition", ""),
            year=str(doc.get("year", "")),
            publisher=doc.get("publisher", ""),
            row=i,
            ocr=self.read_by_ocr(p.doc_id, p.pdf_page, p.pdf_page_end),
        )

    def read_by_ocr(self, doc_id: str, first: int, last: int) -> bool:
        """Whether one of the PDF pages ``first``–``last`` (1-based) of a document was read
        by OCR (the manifest lists them; none in an index of format 4 or older)."""
        pages = self.documents.get(doc_id, {}).get("ocr_pages") or ()
        return any(first <= p <= last for p in pages)


def _best_first(found: Ranked) -> Ranked:
    """The same rows, highest score first; ties by row, so results are stable.

    >>> _best_first(Ranked(np.array([4, 2, 1]), np.array([0.5, 0.9, 0.5], dtype=np.float32))).rows.tolist()
    [2, 1, 4]
    """
    order = np.lexsort((found.rows, -found.scores))
    return Ranked(found.rows[order], found.scores[order])


if __name__ == "__main__":  # the entry point may reach up to the layer above
    import sys

    from answer.cli import main

    sys.exit(main())
