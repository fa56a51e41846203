"""Choosing what to quote: the sentences of the retrieved passages, scored against the
question, and the short span of text around the best one.

Every quotable sentence of the top passages is a candidate. Its score is the cosine
between the question's vector and the sentence's vector (computed at index time), plus
a small bonus for the retrieval rank of its passage. (Adding the share of question words
the sentence contains measured as noise, ±0.01 of spans that hold the gold phrase; the
answer decision uses that share instead.)

The best sentence grows into a span that reads on its own, never beyond its section:

* a sentence that opens with a reference back (``Er``, ``Dies``, ``Dabei`` …), a list
  item, or the continuation of a cut sentence brings its predecessor along;
* a sentence that announces a list (``…:``) brings the first item, and the whole list
  (lead-in and items, up to :data:`MAX_LIST_CHARS`) when the best candidate is the lead-in
  or the two best are items of it (:func:`whole_list`);
* the sentence before joins when it scores within :data:`PREV_MARGIN` of the best, the
  one after within :data:`NEXT_MARGIN` (measured: the span then holds the gold phrase for
  48 % of the German dev questions, the best sentence alone for 40 %);

at most :data:`MAX_SENTENCES` sentences. Sentences already run across page breaks
(``ingest``), so a span never stops in the middle of one.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.query import Query
from index.search import Hit, Searcher
from ingest.passages import Sentence
from text.analysis import analyze

RANK_WEIGHT = 0.04
CANDIDATE_PASSAGES = 5
MAX_SENTENCES = 3
PREV_MARGIN = 0.06
NEXT_MARGIN = 0.1
MAX_SPAN_CHARS = 700
MAX_LIST_CHARS = 1800  # a whole list (lead-in and items) quoted as the answer

# Openings that refer to the sentence before: personal and demonstrative pronouns and
# pronominal adverbs. "Das"/"Die"/"Der" are left out: mostly they are articles.
_ANAPHOR = re.compile(
    r"^(er|sie|es|dies|diese[rsmn]?|dabei|daher|dafür|dazu|damit|darüber|darauf|daraus|"
    r"davon|dadurch|deshalb|deswegen|hierzu|hierfür|hierbei|hierdurch|somit|zudem|außerdem|"
    r"ebenso|ebenfalls|dort|solche[rsmn]?|jene[rsmn]?|this|these|they|it)\b",
    re.IGNORECASE,
)
_ENDS = re.compile(r"[.!?…][\"“”»)\]]*$")
_BULLET = "•"


def opens_with_anaphor(text: str) -> bool:
    """True when a sentence cannot stand alone: it refers back or starts mid-sentence.

    >>> [opens_with_anaphor(s) for s in ["Er ist die Grundvoraussetzung.", "Dabei gilt …",
    ...   "Die Kommunen handeln.", "und wird fortgesetzt.", "Kommunen sollen handeln."]]
    [True, True, False, True, False]
    """
    text = text.lstrip('„"(')
    return bool(_ANAPHOR.match(text)) or (text[:1].islower())


def quotable(sentence: Sentence) -> bool:
    """A sentence that may open or carry an answer: a whole sentence or a list item.

    Lines without a sentence end (headings, signatures, captions) and pieces of a cut
    sentence are context at most.

    >>> def s(text): return Sentence("d", 0, text, "", False, 1, 1, "1", "1")
    >>> quotable(s("Niemand soll gezwungen werden.")), quotable(s("• der Leipzig Charta,"))
    (True, True)
    >>> quotable(s("Dr. Markus Eltges Leiter des Bundesinstituts"))
    False
    """
    text = sentence.text
    if sentence.cont or len(text) < 20:
        return False
    return bool(_ENDS.search(text)) or text.startswith(_BULLET)


@dataclass
class Candidate:
    row: int  # sentence row in the index
    hit_index: int  # the best-ranked retrieved passage that holds it
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    judge: float = 0.0  # the span judge's score (answer/judge.py), when it has read it


@dataclass
class Span:
    """The sentences an answer quotes: consecutive rows of one section."""

    rows: list[int]
    best: Candidate
    candidates: list[Candidate] = field(default_factory=list)  # all, best first
    text: str = ""  # the quoted sentences, joined


def lexical_share(query: Query, terms: frozenset[str]) -> float:
    """Share of the question's content words found in a sentence's terms (a synonym or,
    at half weight, a part of a compound counts).

    >>> from index.query import analyse
    >>> lexical_share(analyse("Bürger Online-Dienste nutzen"), frozenset({"burg", "nutz"}))
    0.6666666666666666
    """
    words = query.content
    if not words:
        return 0.0
    got = 0.0
    for word in words:
        own = analyze(word)
        if own and own[0] in terms:
            got += 1.0
        elif query.synonyms.get(word, frozenset()) & terms:
            got += 1.0
        elif any(t in terms for t in own[1:]):
            got += 0.5
    return got / len(words)


class SentenceTerms:
    """Analysed terms of an index's sentences, computed when first needed."""

    def __init__(self, searcher: Searcher) -> None:
        self.sentences = searcher.sentences
        self._terms: dict[int, frozenset[str]] = {}

    def __getitem__(self, row: int) -> frozenset[str]:
        terms = self._terms.get(row)
        if terms is None:
            terms = self._terms[row] = frozenset(analyze(self.sentences[row].text))
        return terms


# Weakly keyed: a searcher (an index generation) that is replaced takes its terms along.
_terms_of: weakref.WeakKeyDictionary[Searcher, SentenceTerms] = weakref.WeakKeyDictionary()
_terms_lock = threading.Lock()


def sentence_terms(searcher: Searcher) -> SentenceTerms:
    """The term cache of a searcher (one per index generation)."""
    with _terms_lock:
        terms = _terms_of.get(searcher)
        if terms is None:
            terms = _terms_of[searcher] = SentenceTerms(searcher)
        return terms


def score_candidates(
    searcher: Searcher, query: Query, hits: Sequence[Hit], max_passages: int = CANDIDATE_PASSAGES
) -> list[Candidate]:
    """The quotable sentences of the top passages, scored, best first."""
    seen: dict[int, int] = {}
    for i, hit in enumerate(hits[:max_passages]):
        for row in searcher.sentence_rows(hit):
            if row not in seen and quotable(searcher.sentences[row]):
                seen[row] = i
    if not seen or query.vector is None:
        return []
    rows = list(seen)
    dense = searcher.stored.sentence_embeddings[rows] @ query.vector
    terms = sentence_terms(searcher)
    cands = []
    for row, d in zip(rows, dense):
        lexical = 0.0 if query.english else lexical_share(query, terms[row])
        hi = seen[row]
        cands.append(Candidate(row, hi, float(d), lexical, float(d) + RANK_WEIGHT / (1 + hi)))
    return sorted(cands, key=lambda c: (-c.score, c.hit_index, c.row))


def build_span(searcher: Searcher, cands: list[Candidate]) -> Span | None:
    """The span around the best candidate (see the module docstring)."""
    if not cands:
        return None
    best = cands[0]
    section = searcher.section_sentence_rows(best.row)
    sentences = searcher.sentences
    score_of = {c.row: c.score for c in cands}
    rows = [best.row]

    def fits(row: int) -> bool:
        return (
            row in section
            and len(rows) < MAX_SENTENCES
            and sum(len(sentences[r].text) for r in rows) + len(sentences[row].text) <= MAX_SPAN_CHARS
        )

    def close(row: int, margin: float) -> bool:
        return score_of.get(row, -np.inf) >= best.score - margin

    # The sentence before: needed (two steps at most), or nearly as good.
    for _ in range(2):
        first = sentences[rows[0]]
        needed = bool(first.cont) or first.text.startswith(_BULLET) or opens_with_anaphor(first.text)
        if not fits(rows[0] - 1) or not (needed or (len(rows) == 1 and close(rows[0] - 1, PREV_MARGIN))):
            break
        rows.insert(0, rows[0] - 1)
    # The sentence after: the rest of a cut sentence, a list's first item, or nearly as good.
    if fits(rows[-1] + 1):
        last, nxt = sentences[rows[-1]], sentences[rows[-1] + 1]
        announces = last.text.rstrip().endswith(":") and nxt.text.startswith(_BULLET)
        if nxt.cont or announces or close(rows[-1] + 1, NEXT_MARGIN):
            rows.append(rows[-1] + 1)
    listed = whole_list(searcher, rows, cands)
    rows = listed or rows
    return Span(rows, best, cands, " ".join(" ".join(sentences[r].text.split()) for r in rows))


def whole_list(searcher: Searcher, rows: list[int], cands: Sequence[Candidate]) -> list[int] | None:
    """The lead-in and all items of the list the span belongs to, when the question is
    about the list as a whole: the span opens with the lead-in (a line announcing the
    items, „Danach ist eine Smart City:“) or with the sentence right before it, or the
    two best candidates are parts of it (two items, or an item and the sentence that
    introduces the lead-in).
    ``None`` when there is no such list or it is longer than :data:`MAX_LIST_CHARS`.
    """
    sentences = searcher.sentences
    section = searcher.section_sentence_rows(rows[0])
    items = [r for r in rows if sentences[r].text.startswith(_BULLET)]
    lead = next((r for r in rows if r + 1 in section and _announces(sentences[r].text, sentences[r + 1].text)), None)
    if lead is None and items:
        first = items[0]
        while first - 1 in section and sentences[first - 1].text.startswith(_BULLET):
            first -= 1
        if first - 1 in section and _announces(sentences[first - 1].text, sentences[first].text):
            lead = first - 1
    start = lead
    if lead is None and cands and cands[0].row == rows[-1]:
        # The best sentence introduces what the lead-in right after it lists („… legen
        # das Bild einer Kommune zugrunde. Danach ist die Smart City:“ • …).
        nxt = rows[-1] + 1
        if nxt + 1 in section and _announces(sentences[nxt].text, sentences[nxt + 1].text):
            lead, start = nxt, rows[-1]
    if lead is None or start is None:
        return None
    end = lead + 1
    while end in section and sentences[end].text.startswith(_BULLET):
        end += 1
    block = list(range(start, end))
    top = [c.row for c in cands[:2]]
    # The two best are the list's own parts (its items, or an item and the sentence that
    # introduces the lead-in): the question is about the list, not about one item.
    parts = set(block[1:]) | {lead - 1}
    if not (cands and cands[0].row == start) and not (
        len(top) == 2 and all(r in parts for r in top) and any(r in block[1:] for r in top)
    ):
        return None
    if start != lead and sum(len(sentences[r].text) for r in block) > MAX_LIST_CHARS:
        block = block[1:]  # the list itself matters more than its introduction
    if end - lead - 1 < 2 or sum(len(sentences[r].text) for r in block) > MAX_LIST_CHARS:
        return None
    return block


def _announces(text: str, nxt: str) -> bool:
    """A line that announces the list items following it.

    >>> _announces("Danach ist eine Smart City", "• lebenswert und liebenswert …")
    True
    >>> _announces("Die Charta gilt.", "• Punkt")
    False
    """
    return nxt.startswith(_BULLET) and not text.startswith(_BULLET) and not _ENDS.search(text.rstrip())
