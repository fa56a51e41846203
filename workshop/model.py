"""The values a workshop kit is made of, from the kit file to the resolved items the
exports are written from.

A :class:`Kit` is what a trainer saves: document ids, passage ids or section labels, and
notes. :func:`workshop.kit.resolve` looks each item up in an open index and gives a
:class:`Workshop`: every item with its verbatim quote, citation, source link and
discussion prompts, or flagged as missing. The exports (handout PDF and DOCX, slides,
quiz) read only a :class:`Workshop`, never the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KIT_FORMAT = "charta-lotse-kit"
KIT_VERSION = 1


@dataclass
class KitItem:
    """One entry of a kit: a passage (``passage_id``) or a whole section (``section``, the
    label a reader finds in the document: ``3.2``, ``III.f)``, ``II``, ``Vorwort``)."""

    doc_id: str
    passage_id: str = ""
    section: str = ""
    note: str = ""

    @property
    def kind(self) -> str:
        return "passage" if self.passage_id else "section"


@dataclass
class Kit:
    """What a trainer puts together and saves as a kit file (JSON)."""

    title: str
    items: list[KitItem] = field(default_factory=list)
    audience: str = ""
    minutes: int = 0
    generation: str = ""  # the index generation the kit was made with (informative)


@dataclass
class Source:
    """One document as the catalog describes it."""

    doc_id: str
    title: str
    publisher: str = ""
    edition: str = ""
    year: str = ""
    source: str = ""  # the catalog's ``source`` text, e.g. "BBSR, Bonn 2021; https://…"
    url: str = ""  # the catalog's ``url`` (the document itself), else the first URL in ``source``
    direct: bool = False  # ``url`` is the document itself, not its publisher's site
    license: str = ""  # the catalog's ``license`` text (terms of use)


@dataclass
class WorkshopItem:
    """A kit item looked up in the index: the quote and everything to cite it.

    ``missing`` is empty when the item was found; otherwise it says why not (the passage
    no longer exists, the section is not in the document) and the quote fields are empty.
    """

    item: KitItem
    missing: str = ""
    source: Source | None = None
    section_path: list[str] = field(default_factory=list)
    label: str = ""  # "3.2", "III.f)", "Vorwort"
    heading: str = ""  # the section's title without its number
    quote: str = ""  # verbatim from the indexed text
    sentences: list[str] = field(default_factory=list)  # the quote's sentences, verbatim
    page: str = ""  # printed page labels
    page_end: str = ""
    pdf_page: int = 0  # 1-based page in the PDF file
    pdf_page_end: int = 0
    citation: str = ""  # "Smart City Charta (BBSR, Fassung 2021), Abschnitt 3.2, S. 10"
    link: str = ""  # the source URL, with "#page=N" where it is a PDF; never app-relative
    context: str = ""  # the text around a passage (its section), for speaker notes
    prompts: list[str] = field(default_factory=list)  # discussion prompts: not quotes

    @property
    def found(self) -> bool:
        return not self.missing


@dataclass
class Workshop:
    """A kit resolved against one index generation."""

    kit: Kit
    items: list[WorkshopItem]
    date: str  # the day the material is made, ISO format
    generation: str = ""

    @property
    def found(self) -> list[WorkshopItem]:
        return [i for i in self.items if i.found]

    @property
    def missing(self) -> list[WorkshopItem]:
        return [i for i in self.items if not i.found]

    @property
    def sources(self) -> list[Source]:
        """The documents the found items quote, in order of first use."""
        seen: dict[str, Source] = {}
        for item in self.found:
            if item.source is not None and item.source.doc_id not in seen:
                seen[item.source.doc_id] = item.source
        return list(seen.values())


@dataclass
class QuizQuestion:
    """A multiple-choice question made from a quoted sentence, without a language model.

    ``kind``: ``"cloze"`` (a key term removed from ``quote``; ``prompt`` shows the gap) or
    ``"section"`` (``prompt`` is the quote; the options are sections). ``options`` are in
    display order and ``answer`` is the index of the right one. ``citation`` says where
    the answer stands.
    """

    kind: str
    prompt: str
    options: list[str]
    answer: int
    citation: str
    quote: str
