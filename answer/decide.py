"""Choosing the outcome: answer, show passages, or say the documents do not cover it.

A handful of measurable features of the retrieval and of the best span (the
:class:`Evidence`) go into two logistic regressions, fitted on the labelled development
questions by ``python -m eval --answers --fit``:

* ``answer``: the probability that the composed span answers the question correctly
  (label: the span contains the gold phrase; unanswerable questions are negatives);
* ``covered``: the probability that the documents answer the question at all.

Below the ``covered`` threshold the app says the question is not covered; above it, it
answers when ``answer`` reaches its threshold and otherwise shows the best passages.
The thresholds put trust first: "not covered" where at most 5 % of the answerable
development questions would hear it; an answer only where at most 4 % of the
answerable questions get a wrong one and at most 15 % of the unanswerable ones get
any. Coefficients and thresholds live in ``answer/decision.json``, written by the
fit together with a record of the eval run that produced them (``eval/runs/``). Both
are plain JSON, so the decision can be read and checked by hand.

Beside the fit, :func:`lacks` turns down spans that cannot answer the kind
of question asked ("Welche Städte …?" against "Einige Kommunen …", "Wie viel Geld …?"
against a text without an amount), whatever the models say.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Container, Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from answer.answer import ANSWERED, NOT_COVERED, PASSAGES
from answer.compose import Span
from index.query import Query
from index.search import Hit
from text.analysis import analyze, stem, zipf

log = logging.getLogger(__name__)

DECISION_FILE = Path(__file__).resolve().parent / "decision.json"
RANKINGS = ("bm25", "dense", "sentence")
UNRANKED = 100  # the place given to a passage a ranking did not reach


@dataclass(frozen=True)
class Evidence:
    """What the decision sees of one question's retrieval and span."""

    dense_top: float  # cosine of the best sentence
    dense_passage: float  # cosine of the best passage
    lexical_top: float  # share of the question's content words in the best sentence
    margin: float  # best sentence score minus the best one outside the span
    gap: float  # best sentence score minus the second best
    fused_top: float  # fused retrieval score of the best passage
    unknown: float  # rarity (0–1) of the rarest question word the index never uses
    english: float  # 1 for an English question
    agreement: float  # -log of the span passage's ranks summed over the three rankings:
    # high when BM25, passage and sentence vectors all put it first
    number_missing: float  # 1 when the question asks how many/much/long or when, and the
    # span holds no number: a span without a number cannot answer that
    judge: float = 0.0  # the span judge's logit for the best sentence (answer/judge.py)
    judge_gap: float = 0.0  # … minus the judge's logit for the second best

    def vector(self, names: Sequence[str]) -> np.ndarray:
        return np.array([getattr(self, n) for n in names], dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


FEATURES = tuple(f.name for f in fields(Evidence))


def evidence_version() -> str:
    """What the decision's inputs mean: a hash of this module's source and of the judge
    whose logits it reads (its training record). A decision fitted on other inputs is
    stale: :func:`load_decision` warns, and a test fails.
    """
    import hashlib

    digest = hashlib.sha256(Path(__file__).read_bytes())
    judge_meta = Path(__file__).resolve().parent / "judge.json"
    if judge_meta.is_file():
        digest.update(judge_meta.read_bytes())
    return digest.hexdigest()[:12]


def unknown_terms(query: Query, vocab: Container[str]) -> tuple[float, list[str]]:
    """Rarity of the rarest content word the index never uses, and those words.

    A word counts as used when any of its terms (stem, compound parts, a synonym) is in
    ``vocab``, allowing for a different inflection ending. Rarity is 1 for words that are
    rare in German in general and falls to about 0.5 for everyday words. English
    questions are not checked: the vocabulary is German.

    >>> from index.query import analyse
    >>> unknown_terms(analyse("Wie hoch ist die Hundesteuer?"), {"hoch"})
    (1.0, ['Hundesteuer'])
    """
    if query.english:
        return 0.0, []
    missing = []
    for word in query.content:
        terms = analyze(word) or [stem(word)]
        # Snowball leaves some inflections apart ("verzahnt" vs "verzahn"): a stem that
        # meets the vocabulary after dropping one or two letters counts as used.
        trimmed = [terms[0][:-n] for n in (1, 2) if len(terms[0]) - n >= 5]
        synonyms = query.synonyms.get(word, frozenset())
        if not any(t in vocab for t in [*terms, *trimmed, *synonyms]):
            missing.append(word)
    rarity = max(((7.0 - zipf(w)) / 7.0 if zipf(w) else 1.0 for w in missing), default=0.0)
    return rarity, missing


_ASKS_NUMBER = re.compile(
    r"\b(wie ?viele?n?|wie hoch|wie lange?|wie oft|wie groß|wann|bis wann|seit wann|"
    r"wie alt|how (much|many|long|often|big)|when)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(eins?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|"
    r"dreißig|hundert|tausend|million(en)?|milliarde(n)?|hälfte|drittel|viertel|dutzend)"
    r"\w*\b",
    re.IGNORECASE,
)


# "Wann sollten wir … denken?" asks for the right moment ("von Anfang an"), not a date.
_ASKS_MOMENT = re.compile(
    r"\b(?<!bis )(?<!seit )wann (sollte|sollten|soll|sollen|muss|müssen|darf|dürfen|kann|können)\b", re.IGNORECASE
)


def asks_for_number(question: str) -> bool:
    """True for questions after a quantity or a time: "Wie viele …", "Seit wann …".

    >>> asks_for_number("Seit wann gibt es die Charta?"), asks_for_number("Wer hat sie verfasst?")
    (True, False)
    >>> asks_for_number("Wann sollten wir an den Datenschutz denken?"), asks_for_number("Bis wann muss es stehen?")
    (False, True)
    """
    return bool(_ASKS_NUMBER.search(_ASKS_MOMENT.sub("", question)))


def has_number(text: str) -> bool:
    """True when a text names a number, in digits or words.

    >>> has_number("ein auf zehn Jahre angelegtes Programm"), has_number("kein Selbstzweck")
    (True, False)
    """
    return bool(_NUMBER.search(text))


_ASKS_WHICH = re.compile(r"\b(welche[rsmn]?|wie ?viele?n?|which|how many)\b", re.IGNORECASE)
# "Einige Kommunen haben …" at the start of a sentence: some do, and the text names none.
_SOME_DO = re.compile(r"(?:^|[.!?:]\s+)(einige|manche|mehrere|some|several)\b", re.IGNORECASE)


def names_none(question: str, text: str) -> bool:
    """True when a question asks which ones or how many, and the text only says that
    some do: "Welche Städte …?" is not answered by "Einige Kommunen haben …".

    >>> names_none("Welche Städte haben Smart City als Marke positioniert?",
    ...            "Einige Kommunen haben Smart City als Marke positioniert.")
    True
    >>> names_none("Was tun Kommunen für Beteiligung?", "Einige Kommunen haben Satzungen.")
    False
    """
    return bool(_ASKS_WHICH.search(question)) and bool(_SOME_DO.search(text))


def lacks(question: str, text: str) -> str:
    """What ``text`` lacks to answer the kind of question asked, whatever the models
    say: ``"names"`` (see :func:`names_none`), ``""`` when nothing. (Rules for amounts and
    dates were removed with the judge: they changed no outcome on any question set,
    eval/NOTES.md 2026-12-07.)

    >>> lacks("Welche Städte?", "Einige Kommunen haben Satzungen."), lacks("Wer?", "Der Bund.")
    ('names', '')
    """
    return "names" if names_none(question, text) else ""


def evidence(query: Query, hits: Sequence[Hit], span: Span | None, vocab: Container[str]) -> Evidence:
    """The features of one question (zeros where there is nothing to measure)."""
    unknown = unknown_terms(query, vocab)[0]
    english = 1.0 if query.english else 0.0
    dense_passage = hits[0].dense_score if hits else 0.0
    fused = hits[0].score if hits else 0.0
    wants_number = asks_for_number(query.text)
    if span is None:
        return Evidence(
            0.0,
            dense_passage,
            0.0,
            0.0,
            0.0,
            fused,
            unknown,
            english,
            -math.log(3 * UNRANKED),
            float(wants_number),
            judge=-10.0,
        )
    best, cands = span.best, span.candidates
    ranks = hits[best.hit_index].ranks
    agreement = -math.log(sum(ranks.get(name, UNRANKED) for name in RANKINGS))
    missing = wants_number and not has_number(span.text)
    outside = [c.score for c in cands if c.row not in span.rows]
    # With nothing to compare, a fixed difference stands in (about the median one).
    return Evidence(
        dense_top=best.dense,
        dense_passage=dense_passage,
        lexical_top=best.lexical,
        margin=best.score - max(outside, default=best.score - 0.05),
        gap=best.score - cands[1].score if len(cands) > 1 else 0.05,
        fused_top=fused,
        unknown=unknown,
        english=english,
        agreement=agreement,
        number_missing=float(missing),
        judge=best.judge,
        judge_gap=best.judge - cands[1].judge if len(cands) > 1 else 2.0,
    )


@dataclass(frozen=True)
class Logistic:
    """``p = sigmoid(intercept + Σ coef_i · (x_i - mean_i) / scale_i)``."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, ev: Evidence) -> float:
        x = (ev.vector(self.features) - np.array(self.mean)) / np.array(self.scale)
        z = self.intercept + float(x @ np.array(self.coef))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "intercept": round(self.intercept, 6),
            "coef": {f: round(c, 6) for f, c in zip(self.features, self.coef)},
            "mean": {f: round(m, 6) for f, m in zip(self.features, self.mean)},
            "scale": {f: round(s, 6) for f, s in zip(self.features, self.scale)},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Logistic:
        names = tuple(d["features"])
        unknown = set(names) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}; allowed: {list(FEATURES)}")
        return cls(
            names,
            tuple(float(d["mean"][n]) for n in names),
            tuple(float(d["scale"][n]) for n in names),
            tuple(float(d["coef"][n]) for n in names),
            float(d["intercept"]),
        )


def fit_logistic(
    rows: Sequence[Evidence],
    labels: Sequence[bool],
    features: Sequence[str] = FEATURES,
    l2: float = 1.0,
    iterations: int = 50,
) -> Logistic:
    """L2-regularised logistic regression by Newton's method on standardised features.

    >>> rows = [Evidence(d, 0, 0, 0, 0, 0, 0, 0, 0, 0) for d in (0.1, 0.2, 0.8, 0.9)]
    >>> m = fit_logistic(rows, [False, False, True, True], ["dense_top"], l2=0.1)
    >>> m.probability(rows[0]) < 0.5 < m.probability(rows[3])
    True
    """
    X = np.array([r.vector(features) for r in rows])
    y = np.array(labels, dtype=np.float64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = np.hstack([np.ones((len(X), 1)), (X - mean) / scale])
    w = np.zeros(Z.shape[1])
    penalty = np.eye(Z.shape[1]) * l2
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -30, 30)))
        grad = Z.T @ (p - y) + penalty @ w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(tuple(features), tuple(mean), tuple(scale), tuple(w[1:]), float(w[0]))


@dataclass(frozen=True)
class Decision:
    """The fitted decision: two models and their thresholds."""

    answer: Logistic
    covered: Logistic
    answer_threshold: float
    covered_threshold: float
    model: str  # the embedding model the features were measured with
    fitted: dict[str, Any]  # when, on which questions, with which results

    def outcome(self, ev: Evidence, has_span: bool) -> tuple[str, float]:
        """(status, probability that an answer would be right).

        ``has_span``: there is a span that could answer this kind of question (see
        :func:`lacks`). An answer needs both models. When they disagree, with a span
        the answer model trusts but a retrieval the covered model doubts, the passages
        are shown: saying "not covered" above a span believed right is the worse error
        for an official ("steht nicht drin", while it does).
        """
        p_answer = self.answer.probability(ev)
        covered = self.covered.probability(ev) >= self.covered_threshold
        span_trusted = has_span and p_answer >= self.answer_threshold
        if not covered:
            return (PASSAGES if span_trusted else NOT_COVERED), p_answer
        return (ANSWERED if span_trusted else PASSAGES), p_answer

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "answer": self.answer.as_dict(),
            "answer_threshold": self.answer_threshold,
            "covered": self.covered.as_dict(),
            "covered_threshold": self.covered_threshold,
            "fitted": self.fitted,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Decision:
        return cls(
            Logistic.from_dict(d["answer"]),
            Logistic.from_dict(d["covered"]),
            float(d["answer_threshold"]),
            float(d["covered_threshold"]),
            str(d["model"]),
            dict(d.get("fitted", {})),
        )


@lru_cache(maxsize=4)
def load_decision(path: Path = DECISION_FILE) -> Decision:
    """The fitted decision (read once per process)."""
    try:
        decision = Decision.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(
            f"{path}: not a usable decision file ({exc}); refit it with: python -m eval --answers --fit"
        ) from None
    if decision.fitted.get("evidence_version") != evidence_version():
        log.warning(
            "%s was fitted on other features or another judge (%s, now %s); refit with: python -m eval --answers --fit",
            path,
            decision.fitted.get("evidence_version"),
            evidence_version(),
        )
    return decision
