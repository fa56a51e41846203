"""The one answer pipeline: the app, the command line, the eval and the tests call
:func:`ask`.

    question ─ analyse once (index.query) ─ hybrid search ─ the judge reads the sentences
    of the first passages (answer/judge.py) ─ build the span around the best ─ decide the
    outcome ─ Answer

With a follow-up the previous question comes in ``history`` (see answer/followup.py).
An operator-configured language model may rephrase an ``answered`` outcome; its text
is checked sentence by sentence against the passages (answer/llm.py), unbacked
sentences are dropped, and the extractive answer stays the fallback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from answer import followup, llm
from answer.answer import ANSWERED, NOT_COVERED, PASSAGES, Answer, AnswerSentence, CitedPassage
from answer.cite import citation, searched_in
from answer.compose import Span, build_span, score_candidates
from answer.decide import Decision, Evidence, evidence, lacks, load_decision
from answer.judge import JUDGED, judge_candidates
from index.query import Query
from index.search import Hit, Searcher

log = logging.getLogger(__name__)

RETRIEVED = 8  # passages retrieved per question
_warned: set[str] = set()
SHOWN = 3  # passages shown when there is no composed answer
_RANK = {NOT_COVERED: 0, PASSAGES: 1, ANSWERED: 2}


@dataclass
class Attempt:
    """One search for a question and what the decision made of it."""

    query: Query
    hits: list[Hit]
    span: Span | None
    evidence: Evidence
    status: str
    confidence: float
    followup: bool = False  # searched together with the previous question
    lacks: str = ""  # what the span lacks for this kind of question (answer.decide.lacks)


def examine(
    searcher: Searcher, query: Query, doc_ids: list[str] | None = None
) -> tuple[list[Hit], Span | None, Evidence]:
    """Search (in ``doc_ids``, all documents when None), judge and compose for one
    analysed query; what the decision will look at."""
    hits = searcher.search(query, k=RETRIEVED, doc_ids=doc_ids)
    cands = score_candidates(searcher, query, hits, max_passages=JUDGED)
    span = build_span(searcher, judge_candidates(searcher, query, hits, cands))
    return hits, span, evidence(query, hits, span, searcher.vocab)


def attempt(searcher: Searcher, query: Query, decision: Decision, doc_ids: list[str] | None = None) -> Attempt:
    """Search, compose and decide for one analysed query."""
    hits, span, ev = examine(searcher, query, doc_ids)
    missing = lacks(query.text, span.text) if span is not None else ""
    status, confidence = decision.outcome(ev, span is not None and not missing)
    return Attempt(query, hits, span, ev, status, confidence, lacks=missing)


def span_text(span: Span | None) -> str:
    """The quoted sentences of a span, as one text."""
    return span.text if span is not None else ""


def ask(
    searcher: Searcher,
    question: str,
    history: Sequence[str] = (),
    llm_config: llm.LLMConfig | None = None,
    decision: Decision | None = None,
    doc_ids: list[str] | None = None,
) -> Answer:
    """Answer ``question``; ``history`` holds the earlier questions of the conversation,
    ``doc_ids`` the documents to search (all when None or empty)."""
    question = " ".join(question.split())
    if not question:
        raise ValueError("the question is empty")
    decision = decision or load_decision()
    if decision.model != searcher.stored.model_id and decision.model not in _warned:
        _warned.add(decision.model)
        log.warning(
            "the answer decision was fitted for %s, this index uses %s; measure and "
            "refit with: python -m eval --answers --fit",
            decision.model,
            searcher.stored.model_id,
        )
    result = resolve(searcher, question, history, decision, doc_ids)
    answer = to_answer(searcher, question, result)
    answer.named = searched_in(searcher, result.query, doc_ids)
    if llm_config is not None and answer.answered:
        _generate(answer, result.hits[:4], llm_config)
    return answer


def resolve(
    searcher: Searcher, question: str, history: Sequence[str], decision: Decision, doc_ids: list[str] | None = None
) -> Attempt:
    """The attempt that answers ``question`` in its conversation."""
    own = searcher.analyse(question)
    if not history:
        return attempt(searcher, own, decision, doc_ids)

    def with_previous() -> Attempt:
        # The follow-up keeps its own language: an English question after a German one
        # is searched and weighted as English.
        combined = searcher.analyse(followup.with_context(question, history[-1]), own.english)
        return replace(attempt(searcher, combined, decision, doc_ids), followup=True)

    if not followup.own_content(own):
        return _nothing_new(searcher, with_previous(), history, decision, doc_ids)
    alone = attempt(searcher, own, decision, doc_ids)
    if alone.status == ANSWERED or not followup.leans_back(question):
        return alone
    together = with_previous()
    # An answer beats passages, and passages beat "not covered": "Und München?" after a
    # question about Köln is not out of scope because München alone finds nothing.
    if _RANK[together.status] > _RANK[alone.status]:
        return _nothing_new(searcher, together, history, decision, doc_ids)
    if together.status == NOT_COVERED and together.hits and _names_all(together.hits[0].text, own.content):
        # „Und München?“ after a question about Köln: the passage the two find together
        # names what the follow-up asks about; „not covered“ above it would be false.
        return replace(together, status=PASSAGES)
    return alone


def _names_all(text: str, words: Sequence[str]) -> bool:
    """Whether ``text`` contains every one of ``words`` as a word (any case).

    >>> _names_all("Köln, Leipzig, München und Ulm", ["München"]), _names_all("Köln", ["München"])
    (True, False)
    """
    found = {w.casefold() for w in re.findall(r"\w+", text)}
    return bool(words) and all(w.casefold() in found for w in words)


def _nothing_new(
    searcher: Searcher, a: Attempt, history: Sequence[str], decision: Decision, doc_ids: list[str] | None
) -> Attempt:
    """A follow-up searched with the question before it that would quote only what the
    previous answer quoted („Und warum?“ after an answer) is told so, with the passages,
    instead of hearing the same answer again."""
    if a.status != ANSWERED or a.span is None:
        return a
    before = resolve(searcher, history[-1], history[:-1], decision, doc_ids)
    if before.status == ANSWERED and before.span is not None and set(a.span.rows) <= set(before.span.rows):
        return replace(a, status=PASSAGES, lacks="new")
    return a


def to_answer(searcher: Searcher, question: str, a: Attempt) -> Answer:
    """The :class:`Answer` an attempt amounts to."""
    answer = Answer(
        question=question, status=a.status, query=a.query.text, followup=a.followup, confidence=a.confidence
    )
    if a.status == ANSWERED and a.span is not None:
        _quote(searcher, answer, a.span, a.hits)
    elif a.status == NOT_COVERED:
        answer.search_words = " ".join(a.query.content) or question
        answer.chapters = nearest_chapters(searcher, a.hits[:SHOWN])
    elif a.status == PASSAGES:
        answer.lacks = a.lacks
        # Mark in each passage what fits best: the span where it lies, else the passage's
        # best sentence.
        best = {c.hit_index: c.row for c in reversed(a.span.candidates)} if a.span else {}
        for n, hit in enumerate(a.hits[:SHOWN], start=1):
            rows = a.span.rows if a.span and a.span.best.hit_index == n - 1 else [best[n - 1]] if n - 1 in best else []
            marks = [searcher.sentence_offsets(hit.row, r) for r in rows]
            answer.passages.append(CitedPassage(n, hit, citation(hit), [m for m in marks if m]))
        # „Nothing beyond the previous answer“ would only quote that answer again.
        if a.span is not None and a.lacks != "new" and a.span.best.hit_index < SHOWN:
            _closest(searcher, answer, a.span, a.hits[a.span.best.hit_index], a.span.best.hit_index + 1)
    return answer


def nearest_chapters(searcher: Searcher, hits: Sequence[Hit]) -> list[dict[str, object]]:
    """The chapters (top-level sections) that hold ``hits``, each once, in their order:
    where a question the documents do not answer comes nearest."""
    out: list[dict[str, object]] = []
    for hit in hits:
        doc = searcher.stored.documents.get(hit.doc_id) or {}
        top = hit.section_path[0] if hit.section_path else hit.section
        sec = next((s for s in doc.get("sections", []) if s["level"] == 1 and s["title"] == top), None)
        if sec is None or any(c["doc_id"] == hit.doc_id and c["idx"] == sec["idx"] for c in out):
            continue
        out.append(
            {
                "doc_id": hit.doc_id,
                "idx": sec["idx"],
                "title": sec["title"],
                "page": sec["page"],
                "pdf_page": sec["pdf_page"],
                "file": hit.file,
            }
        )
    return out


def _closest(searcher: Searcher, answer: Answer, span: Span, hit: Hit, marker: int) -> None:
    """The span judge's pick as its card highlights it: the span's sentences that lie in
    that passage, verbatim, cited with their own pages. The decision did not confirm it;
    it is shown as the closest passage, never as an answer."""
    rows = [r for r in span.rows if searcher.sentence_offsets(hit.row, r)]
    for row in rows:
        s = searcher.sentences[row]
        start, end = searcher.sentence_offsets(hit.row, row) or (-1, -1)
        answer.closest.append(
            AnswerSentence(s.text, marker, hit.passage_id, s.page, s.page_end, hit.section, start, end)
        )
    if rows:
        first, last = searcher.sentences[rows[0]], searcher.sentences[rows[-1]]
        pages = f"S. {first.page}" if first.page == last.page_end else f"S. {first.page}–{last.page_end}"
        ocr = searcher.read_by_ocr(hit.doc_id, first.pdf_page, last.pdf_page_end)
        answer.closest_citation = citation(hit, pages, ocr)


def _quote(searcher: Searcher, answer: Answer, span: Span, hits: list[Hit]) -> None:
    """The span's sentences with marker 1, cited by the passage that holds them all."""
    hit = _covering_passage(searcher, span.rows, hits[span.best.hit_index])
    highlights = []
    for row in span.rows:
        s = searcher.sentences[row]
        where = searcher.sentence_offsets(hit.row, row)
        start, end = where if where else (-1, -1)
        if where:
            highlights.append(where)
        answer.sentences.append(
            AnswerSentence(
                text=s.text,
                marker=1,
                passage_id=hit.passage_id,
                page=s.page,
                page_end=s.page_end,
                section=hit.section,
                start=start,
                end=end,
            )
        )
    first, last = searcher.sentences[span.rows[0]], searcher.sentences[span.rows[-1]]
    pages = f"S. {first.page}" if first.page == last.page_end else f"S. {first.page}–{last.page_end}"
    ocr = searcher.read_by_ocr(hit.doc_id, first.pdf_page, last.pdf_page_end)
    answer.passages.append(CitedPassage(1, hit, citation(hit, pages, ocr), highlights))


def _covering_passage(searcher: Searcher, rows: list[int], best: Hit) -> Hit:
    """The retrieved passage if it holds every quoted sentence, else the first passage of
    the document that does (overlapping passages usually have one)."""
    if all(searcher.sentence_offsets(best.row, r) for r in rows):
        return best
    for i in searcher.passages_of(best.doc_id):
        if all(searcher.sentence_offsets(i, r) for r in rows):
            hit = searcher.passage_hit(i)
            hit.rank, hit.score = best.rank, best.score
            return hit
    return best


def _generate(answer: Answer, hits: list[Hit], cfg: llm.LLMConfig) -> None:
    """Let the language model rephrase; keep the extractive answer when it fails."""
    try:
        checked = llm.generate(answer.question, [h.text for h in hits], cfg)
    except llm.LLMError as exc:
        log.warning("language model not used: %s", exc)
        answer.llm_error = str(exc)
        return
    highlights = {p.hit.passage_id: p.highlights for p in answer.passages}
    answer.mode = "llm"
    answer.llm_model = cfg.model
    answer.generated_text = checked.text
    answer.passages = [
        CitedPassage(n, h, citation(h), highlights.get(h.passage_id, [])) for n, h in enumerate(hits, start=1)
    ]
    answer.llm_removed = list(checked.removed_markers)
    answer.llm_unquoted = bool(checked.unquoted)
    answer.llm_dropped = len(checked.dropped)
