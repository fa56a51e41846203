"""The span judge: does this sentence answer this question?

A small model trained by the team (``python -m eval.train_judge``, on the checked pairs in
``eval/judge/pairs/``). It reads, for each candidate sentence of the first passages, the
question's and the sentence's e5 vectors (already computed: the question's for the search,
the sentence's at indexing) through a learned low-rank bilinear form, ``(q·U)·(s·V)``, and
the candidate's features (answer/judge_features.py: cosine and its lead, retrieval ranks,
shared rare words, the kind of question against the kind of sentence), and a small network
turns them into a logit that the sentence answers the question. Plain numpy; its weights and
the record of what it was trained on are one JSON file, ``answer/judge.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from answer.compose import Candidate
from answer.judge_features import FEATURES, features, features_version
from index.query import Query
from index.search import Hit, Searcher

log = logging.getLogger(__name__)

JUDGE_FILE = Path(__file__).resolve().parent / "judge.json"
JUDGED = 3  # passages whose sentences the judge reads
# The pipeline's own order still tells something the judge does not see (how its scorer
# ranked the sentence among the others): each candidate's logit loses RANK_PRIOR·log(1 + its
# position). Chosen on the development sets (eval/NOTES.md, 2026-12-07): first candidate
# right 0.41 → 0.43 (charter) and 0.57 → 0.60 (multi-document).
RANK_PRIOR = 1.0


def with_rank_prior(logits: np.ndarray) -> np.ndarray:
    """The judge's scores of candidates given in the pipeline's order.

    >>> with_rank_prior(np.array([1.0, 1.5, 0.5])).round(2).tolist()
    [1.0, 0.81, -0.6]
    """
    return logits - RANK_PRIOR * np.log1p(np.arange(len(logits)))


@dataclass(frozen=True)
class Judge:
    """``logit = w2 · relu(W1 · [standardised features, (q·U)·(s·V)] + b1) + b2``."""

    mean: np.ndarray
    scale: np.ndarray
    U: np.ndarray  # [dim, rank]
    V: np.ndarray  # [dim, rank]
    W1: np.ndarray  # [features + 1, hidden]
    b1: np.ndarray
    w2: np.ndarray  # [hidden]
    b2: float
    trained: dict[str, Any]

    def logits(self, question: np.ndarray, sentences: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """One logit per candidate: ``question`` [dim], ``sentences`` [n, dim], ``feats`` [n, F]."""
        if not len(feats):
            return np.zeros(0)
        bilinear = (sentences @ self.U) @ (self.V.T @ question)
        x = np.hstack([(feats - self.mean) / self.scale, bilinear[:, None]])
        return np.maximum(x @ self.W1 + self.b1, 0.0) @ self.w2 + self.b2

    def to_json(self) -> dict[str, Any]:
        def r(a: np.ndarray) -> Any:
            return np.round(a.astype(np.float64), 6).tolist()

        return {
            "features": list(FEATURES),
            "features_version": features_version(),
            "mean": r(self.mean),
            "scale": r(self.scale),
            "U": r(self.U),
            "V": r(self.V),
            "W1": r(self.W1),
            "b1": r(self.b1),
            "w2": r(self.w2),
            "b2": round(float(self.b2), 6),
            "trained": self.trained,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Judge:
        if tuple(d["features"]) != FEATURES:
            raise ValueError(
                f"trained with other features ({len(d['features'])} instead of {len(FEATURES)}); "
                "retrain with: python -m eval.train_judge"
            )
        a = {k: np.array(d[k], dtype=np.float64) for k in ("mean", "scale", "U", "V", "W1", "b1", "w2")}
        return cls(b2=float(d["b2"]), trained=dict(d.get("trained", {})), **a)


@lru_cache(maxsize=4)
def load_judge(path: Path = JUDGE_FILE) -> Judge:
    """The trained judge (read once per process)."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        judge = Judge.from_json(d)
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not a usable judge ({exc}); retrain with: python -m eval.train_judge") from None
    if d.get("features_version") != features_version():
        log.warning(
            "the judge in %s was trained with other feature code (%s, now %s); retrain with: "
            "python -m eval.train_judge",
            path,
            d.get("features_version"),
            features_version(),
        )
    return judge


def judge_candidates(
    searcher: Searcher, query: Query, hits: Sequence[Hit], cands: list[Candidate], judge: Judge | None = None
) -> list[Candidate]:
    """The candidates (in the pipeline's order) with the judge's score set, best first."""
    if not cands or query.vector is None:
        return cands
    judge = judge or load_judge()
    feats = features(searcher, query, hits, cands)
    vectors = np.asarray(searcher.stored.sentence_embeddings[[c.row for c in cands]], dtype=np.float64)
    logits = judge.logits(np.asarray(query.vector, dtype=np.float64), vectors, feats)
    for c, logit in zip(cands, with_rank_prior(logits)):
        c.judge = float(logit)
    return sorted(cands, key=lambda c: (-c.judge, c.hit_index, c.row))
