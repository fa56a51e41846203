"""What the span judge measures of one candidate sentence for one question.

Every quotable sentence of the first passages is a candidate (answer/compose.py). Its
features describe the sentence against the question (cosine of their vectors, shared
words weighted by rarity, the kind of question against the kind of sentence), against the
other candidates (its cosine's lead and rank), and the retrieval of its passage (rank,
fused score, agreement of the rankings). The judge (answer/judge.py) learns from them,
on the team's training pairs, whether the sentence answers the question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from answer.compose import Candidate, opens_with_anaphor, sentence_terms
from index.query import Query
from index.search import Hit, Searcher
from text.analysis import WORD, analyze, zipf

RANKINGS = ("bm25", "dense", "sentence")
UNRANKED = 100

# The question's opening word says what kind of answer it wants; one indicator each.
OPENERS = ("was", "wer", "wie", "wann", "wo", "welche", "warum", "verb", "other")
_WH = {
    "was": "was",
    "wer": "wer",
    "wen": "wer",
    "wem": "wer",
    "wessen": "wer",
    "wie": "wie",
    "wieviel": "wie",
    "wann": "wann",
    "wo": "wo",
    "wohin": "wo",
    "woher": "wo",
    "welche": "welche",
    "welcher": "welche",
    "welches": "welche",
    "welchen": "welche",
    "welchem": "welche",
    "warum": "warum",
    "wieso": "warum",
    "weshalb": "warum",
    "wozu": "warum",
    "what": "was",
    "who": "wer",
    "how": "wie",
    "when": "wann",
    "where": "wo",
    "which": "welche",
    "why": "warum",
}
# A finite verb first asks yes or no ("Muss …?", "Gibt es …?").
_VERB_FIRST = frozenset(
    "muss müssen darf dürfen soll sollen sollte sollten kann können könnte könnten gibt gilt gelten ist sind "
    "wird werden hat haben braucht brauchen benötigt dürfte sieht steht stehen zählt zählen fördert bekommt "
    "bekommen kostet nennt regelt sagt verlangt erlaubt do does is are can must should will has have".split()
)
_NORMATIVE = re.compile(
    r"\b(muss|müssen|soll|sollen|sollte|sollten|darf|dürfen|kann|können|nicht|kein\w*|niemand|"
    r"verpflichtet|ist zu|sind zu|hat zu|haben zu)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d|\b(eins?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|hundert|tausend)\b", re.I)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|januar|februar|märz|april|mai|juni|juli|august|september|oktober|"
    r"november|dezember)\b",
    re.I,
)

FEATURES = (
    "dense",
    "dense_lead",
    "dense_rank",
    "passage_rank",
    "passage_score",
    "passage_dense",
    "agreement",
    "overlap",
    "rare_overlap",
    "section_overlap",
    "words",
    "leadin",
    "item",
    "anaphor",
    "number",
    "date",
    "enumeration",
    "normative",
    *(f"q_{o}" for o in OPENERS),
    "q_words",
    "q_asks_number",
)


def features_version() -> str:
    """A hash of this module's source: what the features mean. A judge trained with
    another version is stale (answer/judge.py warns; a test fails).

    >>> len(features_version())
    12
    """
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def opener(question: str) -> str:
    """The kind of question by its first word.

    >>> opener("Muss jeder Bürger Online-Dienste nutzen?"), opener("Wer steuert das?")
    ('verb', 'wer')
    >>> opener("Und wie viel kostet das?")
    'wie'
    """
    words = [w.casefold() for w in WORD.findall(question)]
    for w in words[:3]:
        if w in _WH:
            return _WH[w]
        if w in _VERB_FIRST:
            return "verb"
        if w not in ("und", "aber", "also", "denn", "eigentlich", "and", "but", "so"):
            break
    return "other"


def _rarity(word: str) -> float:
    z = zipf(word)
    return (7.0 - z) / 7.0 if z else 1.0


class QuestionTerms:
    """The question's content words with their terms and rarity, analysed once."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.words = []
        for word in query.content:
            own = analyze(word)
            syn = query.synonyms.get(word, frozenset())
            self.words.append((own[:1], frozenset(own[1:]), syn, _rarity(word)))
        self.total = sum(r for *_, r in self.words) or 1.0
        self.opener = opener(query.text)
        self.asks_number = bool(
            re.search(r"\b(wie ?viele?n?|wie hoch|wie lange?|wann|bis wann|seit wann)\b", query.text, re.I)
        )

    def overlap(self, terms: frozenset[str]) -> tuple[float, float]:
        """Share of the content words in ``terms``, plain and weighted by rarity."""
        if not self.words:
            return 0.0, 0.0
        plain = rare = 0.0
        for head, parts, syn, weight in self.words:
            got = 1.0 if (head and head[0] in terms) or (syn & terms) else 0.5 if parts & terms else 0.0
            plain += got
            rare += got * weight
        return plain / len(self.words), rare / self.total


def features(
    searcher: Searcher, query: Query, hits: Sequence[Hit], cands: Sequence[Candidate], qt: QuestionTerms | None = None
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate, in the order given."""
    qt = qt or QuestionTerms(query)
    if not cands:
        return np.zeros((0, len(FEATURES)))
    terms = sentence_terms(searcher)
    dense = np.array([c.dense for c in cands])
    order = np.argsort(-dense, kind="stable")
    dense_rank = np.empty(len(cands))
    dense_rank[order] = np.arange(1, len(cands) + 1)
    top_score = hits[0].score if hits else 0.0
    q_onehot = [1.0 if qt.opener == o else 0.0 for o in OPENERS]
    section_terms: dict[int, frozenset[str]] = {}
    rows = []
    for c, dr in zip(cands, dense_rank):
        s = searcher.sentences[c.row]
        text = s.text
        hit = hits[c.hit_index]
        ranks = hit.ranks
        overlap, rare = qt.overlap(terms[c.row])
        if c.hit_index not in section_terms:
            section_terms[c.hit_index] = frozenset(analyze(hit.section))
        sec_overlap, _ = qt.overlap(section_terms[c.hit_index])
        rows.append(
            [
                c.dense,
                c.dense - float(dense.max()),
                1.0 / dr,
                1.0 / (1 + c.hit_index),
                hit.score / top_score if top_score else 0.0,
                hit.dense_score,
                -math.log(sum(ranks.get(r, UNRANKED) for r in RANKINGS)),
                overlap,
                rare,
                sec_overlap,
                math.log1p(len(text.split())),
                1.0 if text.rstrip().endswith(":") else 0.0,
                1.0 if text.startswith("•") else 0.0,
                1.0 if opens_with_anaphor(text) else 0.0,
                1.0 if _NUMBER.search(text) else 0.0,
                1.0 if _DATE.search(text) else 0.0,
                1.0 if text.count(",") >= 2 or ":" in text or text.startswith("•") else 0.0,
                1.0 if _NORMATIVE.search(text) else 0.0,
                *q_onehot,
                math.log1p(len(qt.words)),
                1.0 if qt.asks_number else 0.0,
            ]
        )
    return np.array(rows, dtype=np.float64)
