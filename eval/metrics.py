"""Retrieval metrics over gold questions: hit@k, MRR@10, passage-contains@k."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.structure import heading_label

QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"


KINDS = ("answerable", "unanswerable", "followup")


@dataclass(frozen=True)
class Question:
    """A gold question. A follow-up is asked right after ``previous`` in one conversation;
    its gold sections and phrases belong to the follow-up itself."""

    id: str
    lang: str
    kind: str  # one of KINDS
    question: str
    gold_sections: tuple[str, ...]
    answer_contains: tuple[str, ...]  # any one of these phrases makes an answer correct
    previous: str | None = None
    gold_doc: str = ""  # the document that answers it (multi-document sets)
    needs_doc: bool = False  # its topic is in several documents, only one answers it

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                if d["kind"] not in KINDS:
                    raise ValueError(f"{path}: question {d['id']} has kind={d['kind']!r}, allowed: {list(KINDS)}")
                phrases = d.get("answer_contains") or ()
                phrases = (phrases,) if isinstance(phrases, str) else tuple(phrases)
                out.append(
                    Question(
                        d["id"],
                        d["lang"],
                        d["kind"],
                        d["question"],
                        tuple(d.get("gold_sections") or ()),
                        phrases,
                        d.get("previous"),
                        d.get("gold_doc") or "",
                        bool(d.get("needs_doc")),
                    )
                )
    return out


def contains_gold(q: Question, text: str) -> bool:
    """True when ``text`` holds one of the question's gold phrases.

    >>> q = Question("x", "de", "answerable", "?", ("2.2",), ("zur Nutzung  gezwungen",))
    >>> contains_gold(q, "Niemand soll zur Nutzung gezwungen werden."), contains_gold(q, "Nein.")
    (True, False)
    """
    body = normalize(text)
    return any(normalize(p) in body for p in q.answer_contains if p.strip())


def normalize(text: str) -> str:
    """Case-folded, single-spaced text for containment checks."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def in_gold_section(section_path: Sequence[str], gold: Sequence[str]) -> bool:
    """True when any heading on the passage's path carries one of the gold labels.

    >>> in_gold_section(["3. Digitale …", "3.2 Daten verantwortungsvoll …"], ["3.2"])
    True
    >>> in_gold_section(["3. Digitale …", "3.2 Daten …"], ["3.3"])
    False
    """
    labels = {heading_label(h) for h in section_path}
    return any(g in labels for g in gold)


def score_question(q: Question, hits: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Metrics for one answerable question given its best-first hits (dicts)."""
    first = next((i for i, h in enumerate(hits[:10], 1) if in_gold_section(h["section_path"], q.gold_sections)), None)
    contains = [contains_gold(q, h["text"]) for h in hits[:5]]
    scores = {
        "hit@1": float(first == 1),
        "hit@5": float(first is not None and first <= 5),
        "mrr@10": 1.0 / first if first else 0.0,
        "contains@1": float(any(contains[:1])),
        "contains@3": float(any(contains[:3])),
        "contains@5": float(any(contains)),
    }
    if q.gold_doc:
        scores["doc@1"] = float(bool(hits) and hits[0]["doc_id"] == q.gold_doc)
    return scores


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile, for the benchmarks.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.0, 4.0)
    """
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def aggregate(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}
