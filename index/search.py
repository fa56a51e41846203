"""Search the index: BM25, dense, dense over the English gloss, or hybrid (all three fused),
with filters; and the search CLI.

    python -m index.search "Muss jeder Bürger Online-Dienste nutzen?" --k 5 --json
    python -m index.search --queries fragen.txt --k 5 --json
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from index import store
from text.analysis import looks_english
from index.fusion import rrf, score_fusion
from index.gloss import english_vocab, gloss
from index.retrievers import BM25, Dense
from common.errors import ChartaError, IndexMismatchError
from common.settings import Settings, load_settings

MODES = ("hybrid", "bm25", "dense", "gloss")


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
    gloss_score: float = 0.0
    edition: str = ""
    year: str = ""
    publisher: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Searcher:
    """An open index with its retrievers and the model that built it."""

    def __init__(self, stored: store.StoredIndex, embedder: Any, settings: Settings) -> None:
        self.stored = stored
        self.embedder = embedder
        self.settings = settings
        self.passages = stored.passages
        manifest = stored.manifest
        self.documents = {d["doc_id"]: d for d in manifest["documents"]}
        self.bm25 = BM25.load(stored.path / "bm25") if self.passages else None
        self.dense = Dense.load(stored.path / "dense.faiss", manifest["dense"]["kind"])
        self.gloss = Dense.load(stored.path / "gloss.faiss", manifest["gloss"]["kind"])
        self._doc_of = np.array([p["doc_id"] for p in self.passages], dtype=object)

    @classmethod
    def open(cls, settings: Settings) -> Searcher:
        """Load the live index and the model it was built with (once per process)."""
        from index.embed import get_embedder, resolve_model

        stored = store.load_stored(settings.index_dir)
        built_with = stored.model_id
        if settings.model and resolve_model(settings.model).model_id != built_with:
            raise IndexMismatchError(
                f"the index in {settings.index_dir} was built with {built_with}, but the "
                f"configured model is {settings.model}; reindex with: python -m ingest "
                f"--rebuild --model {settings.model}  (or unset CHARTA_MODEL to search "
                f"with {built_with})")
        embedder = get_embedder(built_with)
        dim = stored.manifest["model"]["dimension"]
        if embedder.dimension != dim:
            raise IndexMismatchError(
                f"model {built_with} now gives {embedder.dimension}-dim vectors but the index "
                f"has {dim}; rebuild with: {store.REBUILD_HINT}")
        return cls(stored, embedder, settings)

    @functools.cached_property
    def english_vocab(self) -> frozenset[str]:
        """What English questions can meet: stems of the passages' English gloss."""
        return english_vocab(p["text"] for p in self.passages)

    @property
    def generation(self) -> str:
        return self.stored.generation

    def _mask(self, doc_ids: list[str] | None, section: str | None,
              include_superseded: bool) -> np.ndarray | None:
        allowed = set(doc_ids) if doc_ids else set(self.documents)
        if not include_superseded:
            allowed -= {d for d, e in self.documents.items()
                        if e.get("superseded_by") and not (doc_ids and d in doc_ids)}
        mask = np.isin(self._doc_of, list(allowed)) if allowed != set(self.documents) else None
        if section:
            sec = np.array([p["section"] == section or p["section"].startswith(section + " › ")
                            for p in self.passages])
            mask = sec if mask is None else (mask & sec)
        return mask

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               doc_ids: list[str] | None = None, section: str | None = None,
               include_superseded: bool = False) -> list[Hit]:
        """Top-``k`` passages for ``query``, best first."""
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} is not one of {list(MODES)}")
        if k < 1:
            raise ValueError(f"k={k} must be at least 1")
        query = " ".join(query.split())
        if not query or not self.passages:
            return []
        mask = self._mask(doc_ids, section, include_superseded)
        n = len(self.passages)
        pool = n if mask is not None else min(n, max(self.settings.candidates, k))
        english = looks_english(query)
        weights = self._weights(english)
        # Hybrid skips a retriever whose weight is 0 (e.g. CHARTA_GLOSS_WEIGHT=0): one
        # forward pass less per question.
        wanted = {r for r in weights if mode == r or (mode == "hybrid" and weights[r] > 0)}
        bm25_scores: dict[int, float] = {}
        dense_scores: dict[int, float] = {}
        gloss_scores: dict[int, float] = {}
        if "bm25" in wanted and self.bm25 is not None:
            synonyms = 0.0 if english else self.settings.fusion.synonym_weight
            scores = self.bm25.scores(query, synonyms)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
            top = np.argsort(-scores, kind="stable")[:pool]
            bm25_scores = {int(i): float(scores[i]) for i in top if scores[i] > 0}
        if "dense" in wanted:
            qvec = self.embedder.query_vector(query)
            ids, sims = self.dense.search(qvec, pool)
            dense_scores = {int(i): float(s) for i, s in zip(ids, sims)
                            if mask is None or mask[i]}
        glossed = (query if english else gloss(query)) if "gloss" in wanted else ""
        if glossed:
            ids, sims = self.gloss.search(self.embedder.query_vector(glossed), pool)
            gloss_scores = {int(i): float(s) for i, s in zip(ids, sims)
                            if mask is None or mask[i]}
        scores_by = {"bm25": bm25_scores, "dense": dense_scores, "gloss": gloss_scores}
        if mode == "hybrid":
            ranked = self._fuse(scores_by, weights)
        else:
            ranked = _best_first(scores_by[mode])
        hits = []
        for rank, (i, score) in enumerate(ranked[:k], start=1):
            dense = dense_scores.get(i)
            if dense is None and mode != "bm25":
                dense = self._cosine(i, query)
            hits.append(self._hit(i, rank, score, bm25_scores.get(i, 0.0), dense or 0.0,
                                  gloss_scores.get(i, 0.0)))
        return hits

    def _weights(self, english: bool) -> dict[str, float]:
        f = self.settings.fusion
        return {"bm25": f.bm25_weight,
                "dense": f.dense_weight_en if english else f.dense_weight,
                "gloss": f.gloss_weight_en if english else f.gloss_weight}

    def _fuse(self, scores: dict[str, dict[int, float]],
              weights: dict[str, float]) -> list[tuple[int, float]]:
        f = self.settings.fusion
        if f.method == "score":
            return score_fusion(scores, weights)
        rankings = {name: [i for i, _ in _best_first(s)] for name, s in scores.items()}
        return rrf(rankings, weights, k=f.rrf_k)

    def _cosine(self, i: int, query: str) -> float:
        return float(self.stored.embeddings[i] @ self.embedder.query_vector(query))

    def _hit(self, i: int, rank: int, score: float, bm25: float, dense: float,
             gloss_score: float = 0.0) -> Hit:
        p = self.passages[i]
        doc = self.documents.get(p["doc_id"], {})
        return Hit(
            rank=rank, score=round(score, 6), doc_id=p["doc_id"], title=doc.get("title", p["title"]),
            file=p["file"], page=p["page"], page_end=p["page_end"], pdf_page=p["pdf_page"],
            pdf_page_end=p["pdf_page_end"], section=p["section"], text=p["text"],
            passage_id=p["id"], section_path=p["section_path"], spans=p["spans"],
            bm25_score=round(bm25, 4), dense_score=round(dense, 4),
            gloss_score=round(gloss_score, 4),
            edition=doc.get("edition", ""), year=str(doc.get("year", "")),
            publisher=doc.get("publisher", ""))


def _best_first(scores: dict[int, float]) -> list[tuple[int, float]]:
    """(row, score) pairs, highest score first; ties by row, so results are stable."""
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


def _format_hit(hit: Hit) -> str:
    pages = hit.page if hit.page == hit.page_end else f"{hit.page}–{hit.page_end}"
    text = hit.text if len(hit.text) <= 300 else hit.text[:297].rstrip() + "…"
    title = f"{hit.title} ({hit.edition})" if hit.edition else hit.title
    return (f"{hit.rank}. {title} › {hit.section}, S. {pages} "
            f"[{hit.file}#page={hit.pdf_page}] (score {hit.score:.4f})\n   {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.search", description="Search the Charta-Lotse index.")
    parser.add_argument("question", nargs="?", help="the question (German or English)")
    parser.add_argument("--queries", metavar="FILE",
                        help="a file with one question per line ('-' for stdin)")
    parser.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--mode", choices=MODES, default="hybrid")
    parser.add_argument("--doc", action="append", dest="docs", metavar="DOC_ID",
                        help="only this document (repeatable)")
    parser.add_argument("--section", help="only this section (heading path prefix)")
    parser.add_argument("--include-superseded", action="store_true",
                        help="also search documents superseded by a newer edition")
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    parser.add_argument("--model", help="expected embedding model (CHARTA_MODEL)")
    args = parser.parse_args(argv)
    if bool(args.question) == bool(args.queries):
        parser.error("give either a QUESTION or --queries FILE")
    if args.k < 1:
        parser.error(f"--k must be at least 1, got {args.k}")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = load_settings(index_dir=args.index_dir, model=args.model)
        if args.queries:
            fh = sys.stdin if args.queries == "-" else open(args.queries, encoding="utf-8")
            with fh:
                questions = [line.strip() for line in fh if line.strip()]
        else:
            questions = [args.question]
        searcher = Searcher.open(settings)
        for q in questions:
            hits = searcher.search(q, k=args.k, mode=args.mode, doc_ids=args.docs,
                                   section=args.section,
                                   include_superseded=args.include_superseded)
            if args.json:
                print(json.dumps({"query": q, "hits": [h.to_json() for h in hits]},
                                 ensure_ascii=False), flush=True)
            else:
                if len(questions) > 1:
                    print(f"## {q}")
                print("\n".join(_format_hit(h) for h in hits) if hits
                      else "Keine passenden Textstellen gefunden.")
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except (ChartaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
