"""Citations as a reader finds them: document, edition, section label, printed page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from index.query import Query
from index.search import Hit, Searcher
from ingest.structure import heading_label

FOREWORD = "Vorwort"
# Said after the page of a passage whose page had no text layer and was read by OCR: the
# words may differ from the printed ones. German and English (web/i18n.py shows the
# English one in the English interface).
OCR_NOTE = ("Text erkannt", "text recognised by OCR")


def section_label(section_path: list[str], title: str = "") -> str:
    """The label a reader looks for: ``3.2``, ``III.f)``, ``I``, or ``Vorwort`` for the
    text before the first heading of a document (its section is named after the
    document); the heading's title when it has no number.

    >>> section_label(["3. Digitale Transformation …", "3.2 Daten …"])
    '3.2'
    >>> section_label(["III. Akteursspezifische Handlungsempfehlungen", "f) Pilotieren"])
    'III.f)'
    >>> section_label(["I. Präambel"]), section_label(["Smart City Charta"], "Smart City Charta")
    ('I', 'Vorwort')
    """
    if not section_path:
        return ""
    last = section_path[-1]
    if title and last == title and len(section_path) == 1:
        return FOREWORD
    label = heading_label(last)
    if label == last:
        return last
    if re.fullmatch(r"[a-z]\)", label) and len(section_path) > 1:
        parent = heading_label(section_path[-2])
        if parent != section_path[-2]:
            return parent + label
    if re.fullmatch(r"[0-9IVXLC]+\.", label):
        label = label[:-1]
    return label


def page_label(hit: Hit, lang: str = "de") -> str:
    """The printed page, or range: ``S. 10`` or ``S. 10–11``; ``S. 4, Text erkannt`` for a
    page read by OCR (``lang``: the language of that note)."""
    pages = f"S. {hit.page}–{hit.page_end}" if hit.page_end and hit.page_end != hit.page else f"S. {hit.page}"
    return with_ocr_note(pages, hit.ocr, lang)


def with_ocr_note(pages: str, ocr: bool, lang: str = "de") -> str:
    """
    >>> with_ocr_note("S. 4", True), with_ocr_note("S. 4", True, "en"), with_ocr_note("S. 4", False)
    ('S. 4, Text erkannt', 'S. 4, text recognised by OCR', 'S. 4')
    """
    return f"{pages}, {OCR_NOTE[lang == 'en']}" if ocr else pages


def citation_in(text: str, lang: str) -> str:
    """A citation as the interface in ``lang`` shows it: the OCR note, which a citation
    ends with, in English in the English interface (the rest is the document's own
    German: title, „Abschnitt“, „S.“).

    >>> citation_in("Charta (BBSR), Abschnitt 2.2, S. 8, Text erkannt", "en")
    'Charta (BBSR), Abschnitt 2.2, S. 8, text recognised by OCR'
    """
    de, en = (f", {note}" for note in OCR_NOTE)
    return text[: -len(de)] + en if lang == "en" and text.endswith(de) else text


def place(section_path: list[str], title: str) -> str:
    """``Abschnitt 3.2`` or ``Vorwort``.

    >>> place(["2.2 Teilhabe"], "Charta"), place(["Charta"], "Charta")
    ('Abschnitt 2.2', 'Vorwort')
    """
    label = section_label(section_path, title)
    if not label:
        return ""
    return label if label == FOREWORD else f"Abschnitt {label}"


def document_name(doc: Hit | Mapping[str, Any]) -> str:
    """The document as an official knows it: title, then publisher, edition and year
    (a hit, or a document's entry in the index manifest).

    >>> document_name({"title": "Smart City Strategie der Stadt Ulm", "publisher": "Stadt Ulm", "year": 2021})
    'Smart City Strategie der Stadt Ulm (Stadt Ulm, 2021)'
    >>> document_name({"title": "Smart City Charta", "publisher": "BBSR", "edition": "Fassung 2021", "year": "2021"})
    'Smart City Charta (BBSR, Fassung 2021)'
    >>> document_name({"title": "", "file": "bericht.pdf"})
    'bericht.pdf'
    """

    def get(key: str) -> str:
        value = doc.get(key) if isinstance(doc, Mapping) else getattr(doc, key, "")
        return str(value or "").strip()

    title = get("title") or get("file") or get("doc_id")
    edition, year = get("edition"), get("year")
    issue = f"{edition}, {year}" if edition and year and year not in edition else edition or year
    source = ", ".join(x for x in (get("publisher"), issue) if x)
    return f"{title} ({source})" if source else title


def citation(hit: Hit, pages: str | None = None, ocr: bool | None = None) -> str:
    """A ready-to-copy citation naming the document (:func:`document_name`), its
    section and page; ``pages`` (and ``ocr``: whether those pages were read by OCR) when
    the quote covers less than the whole passage.

    >>> h = Hit(1, 0, "d", "Smart City Charta", "f", "10", "10", 10, 10, "3. X › 3.2 Daten",
    ...         "", "p", section_path=["3. X", "3.2 Daten"], edition="Fassung 2021",
    ...         year="2021", publisher="BBSR")
    >>> citation(h)
    'Smart City Charta (BBSR, Fassung 2021), Abschnitt 3.2, S. 10'
    >>> h.ocr = True; citation(h)
    'Smart City Charta (BBSR, Fassung 2021), Abschnitt 3.2, S. 10, Text erkannt'
    """
    where = place(hit.section_path or [s for s in hit.section.split(" › ") if s], hit.title)
    cited = with_ocr_note(pages, hit.ocr if ocr is None else ocr) if pages else page_label(hit)
    return ", ".join([document_name(hit)] + ([where] if where else []) + [cited])


def searched_in(searcher: Searcher, query: Query, doc_ids: list[str] | None = None) -> list[str]:
    """The names of the documents a search was limited to because the question names
    them (empty when it names none, or none of the documents ``doc_ids`` allows)."""
    named = [d for d in query.documents if not doc_ids or d in doc_ids]
    return [document_name(searcher.documents[d]) for d in named if d in searcher.documents]
