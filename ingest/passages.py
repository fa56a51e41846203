"""Section-aware passages: sentences packed up to a token budget, with overlap.

A passage never spans two sections, a small section stays one passage, and cuts fall
on sentence boundaries (a single over-long sentence is cut at word boundaries).

The sentences are kept too, in reading order per document: answers quote them, and a
passage names the range of sentences it holds. Overlapping passages share sentences
instead of repeating them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from common.settings import PassageSettings
from ingest.document import PATH_SEP, Document
from text.sentences import split_sentences, trim_span


def pack(tokens: Sequence[int], settings: PassageSettings) -> list[tuple[int, int]]:
    """Group consecutive sentences (given their token counts) into passages.

    Returns ``[(first, last_exclusive)]`` sentence ranges. A new passage repeats the
    previous passage's last sentences up to ``overlap_tokens``; a final passage
    smaller than ``min_tokens`` is merged into the one before when that stays within
    1.25 × ``max_tokens``.

    >>> pack([50, 50, 50, 50, 10], PassageSettings(max_tokens=120, overlap_tokens=50, min_tokens=20))
    [(0, 2), (1, 3), (2, 5)]
    >>> pack([5, 80, 12, 150], PassageSettings(max_tokens=100, overlap_tokens=20, min_tokens=10))
    [(0, 3), (3, 4)]
    """
    limit, overlap = settings.max_tokens, settings.overlap_tokens
    groups: list[tuple[int, int]] = []
    first, size, fresh = 0, 0, 0  # fresh: first sentence not carried over as overlap
    i = 0
    while i < len(tokens):
        if size and size + tokens[i] > limit:
            if i == fresh:
                # Only the carried overlap so far: drop it instead of emitting a passage
                # that repeats text the previous one already holds.
                first, size = i, 0
                continue
            groups.append((first, i))
            back, carried = i, 0
            while back - 1 > first and carried + tokens[back - 1] <= overlap:
                back -= 1
                carried += tokens[back]
            first, size, fresh = back, carried, i
            continue
        size += tokens[i]
        i += 1
    if size or not groups:
        groups.append((first, len(tokens)))
    if len(groups) > 1:
        (a0, a1), (_, b1) = groups[-2], groups[-1]
        last_size = sum(tokens[a1:b1])
        if last_size < settings.min_tokens and sum(tokens[a0:b1]) <= 1.25 * limit:
            groups[-2:] = [(a0, b1)]
    return groups


def _split_long(text: str, start: int, end: int, n_tokens: int, limit: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of roughly ``limit`` tokens.

    A cut goes after the last comma, semicolon or colon before the even split point, when
    there is one in the piece's second half; only then at a space. Long sentences are
    mostly lists (the participants of a dialogue, a catalogue of measures), and a cut
    at a comma keeps each item, such as a name, whole.

    >>> text = "Beteiligt waren die KfW Bankengruppe, die Open Knowledge Foundation Deutschland"
    >>> [text[a:b] for a, b in _split_long(text, 0, len(text), 20, 10)]
    ['Beteiligt waren die KfW Bankengruppe,', 'die Open Knowledge Foundation Deutschland']
    """
    pieces = -(-n_tokens // limit)
    length = end - start
    cuts = [start]
    for k in range(1, pieces):
        target = start + k * length // pieces
        lo = cuts[-1] + (target - cuts[-1]) // 2
        punct = max(text.rfind(mark, lo, target + 1) for mark in (", ", "; ", ": "))
        if punct > cuts[-1]:
            cuts.append(punct + 1)
            continue
        space = text.rfind(" ", cuts[-1] + 1, target + 1)
        cuts.append(space if space > cuts[-1] else target)
    cuts.append(end)
    return [trim_span(text, a, b) for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]


@dataclass
class Sentence:
    """One sentence (or one piece of an over-long one) of a section, verbatim."""

    doc_id: str
    section_idx: int
    text: str
    sep: str  # the whitespace up to the next sentence of the section ("" at its end)
    cont: bool  # a piece that continues the previous sentence (cut for the token budget)
    pdf_page: int
    pdf_page_end: int
    page: str
    page_end: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sentence:
        return cls(**data)


@dataclass
class Passage:
    id: str
    doc_id: str
    title: str
    file: str
    section: str
    section_path: list[str]
    section_idx: int
    position: int
    pdf_page: int
    pdf_page_end: int
    page: str
    page_end: str
    text: str
    spans: list[dict[str, int]]
    n_tokens: int
    sentences: tuple[int, int]  # [first, last) in the document's sentence list

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        first, last = data["sentences"]
        return cls(**{**data, "sentences": (int(first), int(last))})


def make_passages(
    doc: Document, count_tokens: Callable[[list[str]], list[int]], settings: PassageSettings
) -> tuple[list[Passage], list[Sentence]]:
    """Cut every section body of ``doc`` into passages; also return its sentences."""
    out: list[Passage] = []
    sentences: list[Sentence] = []
    for sec in doc.sections:
        body = doc.flow[sec.body_start : sec.end]
        sents = split_sentences(body)
        if not sents:
            continue
        counts = count_tokens([body[s:e] for s, e in sents])
        spans: list[tuple[int, int]] = []
        tokens: list[int] = []
        cont: list[bool] = []
        for (s, e), n in zip(sents, counts):
            if n > settings.max_tokens:
                parts = _split_long(body, s, e, n, settings.max_tokens)
                spans.extend(parts)
                cont.extend([False] + [True] * (len(parts) - 1))
                tokens.extend(count_tokens([body[a:b] for a, b in parts]))
            else:
                spans.append((s, e))
                cont.append(False)
                tokens.append(n)
        first_sentence = len(sentences)
        for i, (a, b) in enumerate(spans):
            nxt = spans[i + 1][0] if i + 1 < len(spans) else b
            pages = doc.page_spans(sec.body_start + a, sec.body_start + b)
            p0, p1 = pages[0]["pdf_page"], pages[-1]["pdf_page"]
            sentences.append(
                Sentence(
                    doc_id=doc.doc_id,
                    section_idx=sec.idx,
                    text=body[a:b],
                    sep=body[b:nxt],
                    cont=cont[i],
                    pdf_page=p0,
                    pdf_page_end=p1,
                    page=doc.pages[p0 - 1].label,
                    page_end=doc.pages[p1 - 1].label,
                )
            )
        for pos, (a, b) in enumerate(pack(tokens, settings)):
            start = sec.body_start + spans[a][0]
            end = sec.body_start + spans[b - 1][1]
            page_spans = doc.page_spans(start, end)
            if not page_spans:
                continue
            p0, p1 = page_spans[0]["pdf_page"], page_spans[-1]["pdf_page"]
            out.append(
                Passage(
                    id=f"{doc.doc_id}:{doc.sha256[:8]}:{sec.idx:03d}:{pos:03d}",
                    doc_id=doc.doc_id,
                    title=doc.meta.title,
                    file=doc.file,
                    section=PATH_SEP.join(sec.path),
                    section_path=list(sec.path),
                    section_idx=sec.idx,
                    position=pos,
                    pdf_page=p0,
                    pdf_page_end=p1,
                    page=doc.pages[p0 - 1].label,
                    page_end=doc.pages[p1 - 1].label,
                    text=doc.flow[start:end],
                    spans=page_spans,
                    n_tokens=sum(tokens[a:b]),
                    sentences=(first_sentence + a, first_sentence + b),
                )
            )
    return out, sentences
