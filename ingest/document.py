"""From a parsed PDF to a clean document: page texts, a reading flow, a section tree.

The *flow* is the text of all content pages joined by ``\\n``; illustration pages with
only a caption are left out of it (they would cut sentences in half) but keep their
page text. Section and passage positions are flow offsets, translated back to
``(pdf page, offset in the cleaned page text)`` for citations and highlighting.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import DocumentError
from ingest.catalog import DocMeta
from ingest.clean import (
    BULLET,
    dehyphenate,
    hyphenated_words,
    is_credit_line,
    is_toc_page,
    join_hyphenated,
    join_lines,
    repeated_edge_lines,
    strip_furniture,
)
from ingest.pdf import RawPdf
from ingest.structure import Heading, detect_numbered, locate_outline

PATH_SEP = " › "
_MIN_TEXT_CHARS = 40
_PAGE_NOTE = re.compile(r"(page \d+): text unreadable \((.*)\)$")  # as ingest/pdf.py words it


@dataclass
class Page:
    index: int  # 0-based PDF page index
    label: str  # printed page label
    text: str  # cleaned page text, paragraphs separated by \n
    in_flow: bool  # False for caption-only illustration pages
    # Read by OCR (no text layer): the words it found, line by line, each with its box
    # ([text, left, top, right, bottom] as fractions of the page), for the source view.
    words: list[list[list[Any]]] | None = None

    @property
    def ocr(self) -> bool:
        return self.words is not None


@dataclass
class Section:
    idx: int
    level: int
    title: str
    path: list[str]
    pdf_page: int  # 1-based page where the section starts
    start: int  # flow offset of the heading (or the section start)
    body_start: int  # flow offset after the heading
    end: int  # flow offset where the next section starts

    @property
    def path_text(self) -> str:
        return PATH_SEP.join(self.path)


@dataclass
class Document:
    meta: DocMeta
    file: str
    sha256: str
    pages: list[Page]
    flow: str
    flow_pages: list[tuple[int, int]]  # (flow offset, page index) of each content page
    sections: list[Section] = field(default_factory=list)
    structure: str = "none"  # "outline", "headings" or "none"

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    def page_spans(self, start: int, end: int) -> list[dict[str, int]]:
        """Map a flow range to ``[{"pdf_page": 1-based, "start": .., "end": ..}]`` per page."""
        spans = []
        starts = [fs for fs, _ in self.flow_pages]
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(self.flow_pages):
            fs, p = self.flow_pages[i]
            if fs >= end:
                break
            plen = len(self.pages[p].text)
            s, e = max(start, fs) - fs, min(end, fs + plen) - fs
            if e > s:
                spans.append({"pdf_page": p + 1, "start": s, "end": e})
            i += 1
        return spans


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_document(raw: RawPdf, path: Path, meta: DocMeta, sha256: str) -> Document:
    """Clean the raw page lines and build flow, pages and sections."""
    lines = _clean_lines(raw)
    total = sum(len(s) for page in lines for s in page)
    if total < _MIN_TEXT_CHARS and raw.failed_pages:
        # Pages the parser choked on (a broken stream, a reference cycle) say nothing about
        # scans: OCR would not help, a repaired or re-exported file would.
        rest = raw.page_count - raw.failed_pages
        others = f", the other {rest} have no extractable text" if rest else ""
        first = next((m for n in raw.notes if (m := _PAGE_NOTE.match(n))), None)
        cause = f" ({first[1]}: {first[2]})" if first else ""
        raise DocumentError(
            path.name,
            f"corrupt PDF: {raw.failed_pages} of {raw.page_count} pages unreadable{others}{cause}",
            "corrupt",
            failed=raw.failed_pages,
            pages=raw.page_count,
            detail=f"{first[1]}: {first[2]}" if first else "",
        )
    if total < _MIN_TEXT_CHARS and raw.ocr_unread:
        # Scanned pages that OCR could not read: say why, and how to fix it.
        n = raw.ocr_unread
        raise DocumentError(
            path.name,
            f"{n} page{'s' if n != 1 else ''} without text layer; {raw.ocr_problem}",
            "no_text_layer",
            pages=n,
            problem=raw.ocr_problem,
        )
    if total < _MIN_TEXT_CHARS and raw.ocr_read:
        raise DocumentError(
            path.name,
            f"no extractable text in {raw.page_count} page(s): no text layer, and OCR found none in their images",
            "no_text_ocr",
            pages=raw.page_count,
        )
    if total < _MIN_TEXT_CHARS:
        raise DocumentError(
            path.name,
            f"no extractable text in {raw.page_count} page(s): no text layer, and nothing on them for OCR to read",
            "no_text",
            pages=raw.page_count,
        )
    in_flow = _content_pages(lines)
    _join_across_pages(lines, in_flow, _known_hyphenated(raw, lines))
    if raw.outline:
        headings, structure = locate_outline(lines, raw.outline), "outline"
    else:
        headings = detect_numbered(lines)
        structure = "headings" if headings else "none"
    labels = page_labels(raw)
    pages, flow, flow_pages, heading_pos = _assemble(lines, in_flow, labels, headings)
    for i, words in raw.ocr_words.items():
        pages[i].words = words
    doc = Document(
        meta=meta, file=path.name, sha256=sha256, pages=pages, flow=flow, flow_pages=flow_pages, structure=structure
    )
    doc.sections = _sections(doc, headings, heading_pos)
    return doc


def _clean_lines(raw: RawPdf) -> list[list[str]]:
    keys = repeated_edge_lines(raw.pages)
    pages = [[s for s in strip_furniture(lines, keys) if not is_credit_line(s)] for lines in raw.pages]
    known = _known_hyphenated(raw, pages)
    return [dehyphenate(lines, known) for lines in pages]


def _known_hyphenated(raw: RawPdf, pages: list[list[str]]) -> set[str]:
    texts = ["\n".join(lines) for lines in pages] + [t for _, t, _ in raw.outline]
    return hyphenated_words(texts)


def _content_pages(pages: list[list[str]]) -> list[bool]:
    """Which pages join the reading flow.

    A page is left out when it holds only a few short lines without any sentence end
    (a caption or an illustration credit), or when it is a table of contents, while the
    document has real text elsewhere.
    """

    def sparse(lines: list[str]) -> bool:
        chars = sum(len(s) for s in lines)
        return chars < 200 and not any(re.search(r"[.!?]$", s) for s in lines)

    flags = [bool(lines) and not sparse(lines) and not is_toc_page(lines) for lines in pages]
    if not any(flags):
        flags = [bool(lines) for lines in pages]
    return flags


def _join_across_pages(pages: list[list[str]], in_flow: list[bool], known: set[str]) -> None:
    """Join a word hyphenated across a page break onto the earlier page."""
    content = [i for i, f in enumerate(in_flow) if f and pages[i]]
    for a, b in zip(content, content[1:]):
        last, first = pages[a][-1], pages[b][0]
        if last.endswith("-"):
            left, right = join_hyphenated(last, first, known)
            if left != last:
                pages[a][-1] = left
                if right:
                    pages[b][0] = right
                else:
                    pages[b].pop(0)


_ENDS_SENTENCE = re.compile(r"[.!?:;…][\"“”»)\]]*$")


def continues_on_next_page(last_page: list[str], next_page: list[str]) -> bool:
    """True when the sentence at the foot of ``last_page`` goes on at the top of
    ``next_page``: the foot line ends without a sentence end and is either a full line
    or followed by a lowercase word. A short unfinished line (a signature, a caption)
    does not run on.

    >>> continues_on_next_page(["Die Kommunen sollen ihre Daten so verwalten, dass", "sie"
    ...                         " die Hoheit über diese Daten und Informationen behalten"],
    ...                        ["und sie zum Wohl der Gemeinschaft nutzen."])
    True
    >>> foreword = ["Ich freue mich, Ihnen die Charta nun in einer redigierten und",
    ...             "grafisch überarbeiteten Fassung vorzulegen. Ihnen eine interessante",
    ...             "Lektüre! Wir danken allen, die an dieser Fassung mitgewirkt haben.",
    ...             "Dr. Markus Eltges", "Leiter des Bundesinstituts"]
    >>> continues_on_next_page(foreword, ["Liebe Leserinnen und Leser,"])
    False
    >>> continues_on_next_page(["Das ist gesagt."], ["dann geht es weiter"])
    False
    """
    if not last_page or not next_page:
        return False
    last, first = last_page[-1].strip(), next_page[0].strip()
    if not last or not first or _ENDS_SENTENCE.search(last) or first.startswith(BULLET):
        return False
    if first[0].islower():
        return True
    if len(last_page) < 4:  # too few lines to tell a full line from a short one
        return False
    lengths = sorted(len(s) for s in last_page)
    return len(last) >= 0.8 * lengths[int(len(lengths) * 0.75)]


def page_labels(raw: RawPdf) -> list[str]:
    """Printed page labels: /PageLabels, else inferred from printed page numbers.

    When most pages print a number at a constant offset from their index, that offset
    labels every page (also the unnumbered title page); otherwise the 1-based index.
    Front pages before the count reaches 1 get their PDF page number in square
    brackets, the bibliographic mark of an unnumbered page, so no citation names a page
    number that is printed on another page:

    >>> raw = RawPdf(5, [[]] * 5, None, [None, None, 1, 2, 3], [])
    >>> page_labels(raw)
    ['[1]', '[2]', '1', '2', '3']
    """
    if raw.page_labels:
        return raw.page_labels
    offsets = Counter(n - i for i, n in enumerate(raw.footer_numbers) if n is not None)
    if offsets:
        offset, count = offsets.most_common(1)[0]
        numbered = sum(offsets.values())
        if count >= max(2, 0.6 * numbered):
            return [str(i + offset) if i + offset >= 1 else f"[{i + 1}]" for i in range(raw.page_count)]
    return [str(i + 1) for i in range(raw.page_count)]


def _assemble(lines: list[list[str]], in_flow: list[bool], labels: list[str], headings: list[Heading]):
    """Join lines into page texts and the flow; return heading flow offsets.

    Pages are joined by one character: a space where a sentence runs on across the
    page break (so it stays one sentence and is cited "S. 10–11"), else a line break.
    """
    by_line = {(h.page, h.line): k for k, h in enumerate(headings) if h.line is not None}
    pages: list[Page] = []
    flow_parts: list[str] = []
    last_flow_page: int | None = None
    flow_pages: list[tuple[int, int]] = []
    heading_pos: dict[int, tuple[int, int]] = {}
    page_start: dict[int, int] = {}
    offset = 0
    for p, page_lines in enumerate(lines):
        paragraphs: list[str] = []
        local: list[tuple[int, int, int]] = []  # (heading k, start, end) in page text
        run: list[str] = []
        pos = 0

        def flush() -> None:
            nonlocal pos, run
            if run:
                text = join_lines(run)
                paragraphs.append(text)
                pos += len(text) + 1
                run = []

        for i, line in enumerate(page_lines):
            k = by_line.get((p, i))
            if k is None:
                run.append(line)
                continue
            flush()
            local.append((k, pos, pos + len(line)))
            paragraphs.append(line)
            pos += len(line) + 1
        flush()
        text = "\n".join(paragraphs)
        pages.append(Page(index=p, label=labels[p], text=text, in_flow=in_flow[p]))
        if in_flow[p] and text:
            if flow_parts:
                runs_on = (
                    (p, 0) not in by_line
                    and last_flow_page is not None
                    and continues_on_next_page(lines[last_flow_page], page_lines)
                )
                flow_parts.append(" " if runs_on else "\n")
                offset += 1
            last_flow_page = p
            page_start[p] = offset
            flow_pages.append((offset, p))
            flow_parts.append(text)
            for k, s, e in local:
                heading_pos[k] = (offset + s, offset + e)
            offset += len(text)
    flow = "".join(flow_parts)
    # Headings that were not found start at the top of their page (or the next content page).
    for k, h in enumerate(headings):
        if k not in heading_pos:
            later = [page_start[p] for p in sorted(page_start) if p >= h.page]
            at = later[0] if later else len(flow)
            heading_pos[k] = (at, at)
    return pages, flow, flow_pages, heading_pos


def _sections(doc: Document, headings: list[Heading], heading_pos: dict[int, tuple[int, int]]) -> list[Section]:
    title = doc.meta.title
    first_page = doc.flow_pages[0][1] + 1 if doc.flow_pages else 1
    if not headings:
        return [Section(0, 1, title, [title], first_page, 0, 0, len(doc.flow))]
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    first_start = min(pos[0] for pos in heading_pos.values())
    if doc.flow[:first_start].strip():
        sections.append(Section(0, 1, title, [title], first_page, 0, 0, first_start))
    last_start = 0
    for k, h in enumerate(headings):
        start, body_start = heading_pos[k]
        start = max(start, last_start)  # keep section order monotonic
        body_start = max(body_start, start)
        last_start = start
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        stack.append((h.level, h.title))
        sections.append(
            Section(
                len(sections), h.level, h.title, [t for _, t in stack], h.page + 1, start, body_start, len(doc.flow)
            )
        )
    for a, b in zip(sections, sections[1:]):
        a.end = max(a.body_start, b.start)
    return sections
