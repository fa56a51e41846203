"""Candidates for the judge, mined with the project's own search: for each question, the
quotable sentences of its first passages, as the answer pipeline sees them, with their
features and a label (the sentence holds a gold piece). The negatives are the search's
own top candidates: hard negatives, never random sentences.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from answer.compose import score_candidates
from answer.judge import JUDGED
from answer.judge_features import FEATURES, QuestionTerms, features
from answer.pipeline import RETRIEVED
from eval.metrics import normalize
from index.query import analyse
from index.search import Searcher


@dataclass
class Item:
    """One question (a training pair or a gold question) to mine candidates for."""

    id: str
    question: str
    pieces: tuple[str, ...]  # gold pieces; empty for an unanswerable question
    doc: str = ""  # the document that answers it, when known
    group: str = ""  # what cross-validation folds by (the document)
    style: str = ""


@dataclass
class Mined:
    id: str
    group: str
    style: str
    question: str
    answerable: bool
    rows: list[int]  # candidate sentence rows, in the pipeline's order
    labels: list[bool]
    docs: list[str]
    texts: list[str]
    contexts: list[str]  # section title of each candidate
    hit_index: list[int]
    features: list[list[float]]


def mine(searcher: Searcher, items: Iterable[Item], passages: int = JUDGED) -> list[Mined]:
    items = list(items)
    # Questions embedded in batches: the engine is much faster on many texts at once.
    texts = [" ".join(it.question.split()) for it in items]
    vectors = (
        np.concatenate([searcher.embedder.encode_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])
        if texts
        else np.zeros((0, 0))
    )
    out = []
    for it, vector in zip(items, vectors):
        query = replace(analyse(it.question), vector=vector)
        hits = searcher.search(query, k=RETRIEVED)
        cands = score_candidates(searcher, query, hits, max_passages=passages)
        feats = features(searcher, query, hits, cands, QuestionTerms(query))
        wanted = [normalize(p) for p in it.pieces if p.strip()]
        texts = [searcher.sentences[c.row].text for c in cands]
        out.append(
            Mined(
                it.id,
                it.group,
                it.style,
                it.question,
                bool(wanted),
                [c.row for c in cands],
                [any(w in normalize(t) for w in wanted) for t in texts],
                [hits[c.hit_index].doc_id for c in cands],
                texts,
                [hits[c.hit_index].section for c in cands],
                [c.hit_index for c in cands],
                feats.round(6).tolist(),
            )
        )
    return out


def save(mined: Sequence[Mined], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"features": list(FEATURES)}) + "\n")
        for m in mined:
            fh.write(json.dumps(asdict(m), ensure_ascii=False) + "\n")


def load(path: Path) -> list[Mined]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        head = json.loads(fh.readline())
        if tuple(head["features"]) != FEATURES:
            raise ValueError(f"{path}: mined with other features; mine again")
        return [Mined(**json.loads(line)) for line in fh]


def arrays(mined: Sequence[Mined]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and the question index of every candidate."""
    X = [f for m in mined for f in m.features]
    y = [lab for m in mined for lab in m.labels]
    q = [i for i, m in enumerate(mined) for _ in m.labels]
    return np.array(X, dtype=np.float64).reshape(-1, len(FEATURES)), np.array(y, dtype=bool), np.array(q)
