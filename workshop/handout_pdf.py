"""The printable handouts of a workshop, A4 PDF: for participants the quotes (long ones as
an excerpt with a pointer to the full text), their citations, the trainer's notes,
discussion prompts, the quiz without solutions and the sources; for the trainer the
same plus the timing, speaker notes per item and the answer key.

fpdf2 writes it (pure Python, embeds the bundled DejaVu fonts, which cover German
typography). Every text from a document or a trainer goes through plain ``multi_cell``
calls: never fpdf2's markdown or HTML, so ``**x**`` or ``<b>`` print as they are.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from workshop import typography as ty
from workshop.model import QuizQuestion, Workshop, WorkshopItem
from workshop.quiz import IN_SECTION, QUESTION_LEAD

# fpdf2 subsets the fonts with fontTools, which logs every table it touches at INFO (a
# hundred lines per handout in the app's console).
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT = "DejaVu"
MARGIN = 20.0  # mm
TEXT = (0, 0, 0)
GREY = (90, 90, 90)
LINK = (0, 70, 160)
QUOTE_BAR = (60, 110, 170)
PROMPT_FILL = (255, 246, 214)  # prompts sit on a tinted box: they are not quotes
NOTES_FILL = (228, 238, 248)  # the trainer's speaker notes
MISSING_FILL = (253, 228, 228)
MISSING_BORDER = (180, 40, 40)


class _Handout(FPDF):
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"Seite {self.page_no()} von {{nb}}", align="C")


def write_pdf(workshop: Workshop, quiz: list[QuizQuestion], path: Path, trainer: bool = False) -> Path:
    """Write the handout of ``workshop`` (with ``quiz``, if any) to ``path`` and return it:
    the participants' (no solutions) or, with ``trainer``, the trainer's."""
    pdf = _Handout(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"), ("I", "DejaVuSans-Oblique.ttf")):
        pdf.add_font(FONT, style, ty.FONTS / name)
    pdf.alias_nb_pages()
    pdf.set_title(ty.clean(workshop.kit.title) or "Workshop")
    pdf.set_lang("de")
    pdf.set_creator("Charta-Lotse")
    pdf.set_subject(ty.TRAINER_SUBJECT if trainer else ty.PARTICIPANT_SUBJECT)
    pdf.add_page()
    w = _Writer(pdf)
    w.header(workshop, trainer)
    if trainer:
        w.timing(ty.timing(workshop, len(quiz)))
    if workshop.missing:
        w.missing(workshop.missing)
    minutes = dict(zip([id(i) for i in workshop.found], [m for _, m in ty.timing(workshop, len(quiz))[1:]]))
    for item in workshop.found:
        w.item(item, minutes.get(id(item), 0) if trainer else None)
    if quiz:
        w.quiz(quiz, trainer)
    w.sources(workshop)
    path = Path(path)
    pdf.output(str(path))
    return path


class _Writer:
    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf

    def text(
        self,
        text: str,
        size: float = 10.5,
        style: str = "",
        color: tuple[int, int, int] = TEXT,
        indent: float = 0.0,
        height: float | None = None,
        link: str = "",
        fill: bool = False,
    ) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*color)
        pdf.set_x(MARGIN + indent)
        pdf.multi_cell(
            pdf.w - 2 * MARGIN - indent, height or size * 0.5, ty.clean(text), align="L", fill=fill,
            link=link or None, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip

    def gap(self, mm: float) -> None:
        self.pdf.ln(mm)

    def _height(self, text: str, size: float, line: float, style: str = "", width: float = 0.0) -> float:
        """How tall ``text`` will be at full width (or ``width``), to keep a block on one page."""
        self.pdf.set_font(FONT, style, size)
        lines = self.pdf.multi_cell(
            width or self.pdf.w - 2 * MARGIN, line, ty.clean(text), dry_run=True, output="LINES"
        )
        return line * len(cast(list[str], lines))

    def keep_space(self, mm: float) -> None:
        """A new page when less than ``mm`` is left, so a heading never ends a page."""
        if self.pdf.get_y() + mm > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def heading(self, text: str, size: float = 13) -> None:
        self.keep_space(40)
        self.text(text, size=size, style="B", height=size * 0.55)
        self.gap(1.5)

    def header(self, workshop: Workshop, trainer: bool) -> None:
        kit = workshop.kit
        self.text(kit.title or "Workshop", size=20, style="B", height=10)
        self.gap(2)
        self.text(ty.TRAINER_LABEL if trainer else ty.PARTICIPANT_LABEL, size=11, style="B", color=GREY, height=6)
        for fact in ty.kit_facts(workshop):
            self.text(fact, size=10.5, height=5.5)
        self.gap(2)
        self.text(ty.QUOTE_NOTICE, size=8.5, color=GREY, height=4.2)
        self.gap(5)

    def timing(self, plan: list[tuple[str, int]]) -> None:
        self.heading(ty.TIMING_HEADING, size=13)
        for what, minutes in plan:
            self.text(f"{minutes:>3} Min.  {what}", size=10, height=5.2)
        self.gap(6)

    def _item_height(self, item: WorkshopItem, paras: list[str], pointer: str) -> float:
        """The height of an item's heading, quote, citation, prompts and note: kept on one page."""
        full = self.pdf.w - 2 * MARGIN
        height = 13 * 0.55 + 1.5 + sum(self._height(p, 11, 5.6, width=full - 6) + 1.5 for p in paras)
        height += 6 + (4.5 if pointer else 0) + (9 if item.link else 0)
        if item.prompts:
            height += 2 + 5.5 + sum(self._height(f"– {p}", 10, 5.2, "I") for p in item.prompts)
        if item.item.note:
            height += 7 + self._height(item.item.note, 10, 5)
        return height

    def item(self, item: WorkshopItem, minutes: int | None = None) -> None:
        pdf = self.pdf
        paras, pointer = ty.excerpt(item)
        paras = [ty.german_quote(p) if len(paras) == 1 else p for p in paras]
        if len(paras) > 1:
            paras[0], paras[-1] = f"„{paras[0]}", f"{paras[-1]}“"
        # Heading, quote and prompts on one page where they fit on one (a prompt belongs to its quote).
        block = self._item_height(item, paras, pointer)
        if minutes is not None:  # the trainer's notes on the item stay with it too
            block += 7.5 + sum(self._height(line, 9.5, 4.8) for line in ty.speaker_notes(item, minutes))
        if block < pdf.page_break_trigger - pdf.t_margin:
            self.keep_space(block)
        self.heading(" ".join(x for x in (item.label, item.heading) if x) or item.citation)
        # The quote, paragraph by paragraph: indented beside a coloured bar, in „…“.
        top, first = pdf.get_y(), pdf.page_no()
        for n, para in enumerate(paras):
            if n:
                self.gap(1.5)
            self.text(para, size=11, indent=6, height=5.6)
        self._bar(first, top, pdf.page_no(), pdf.get_y())
        self.gap(1.5)
        if pointer:
            self.text(pointer, size=9, style="I", color=GREY, indent=6, height=4.5)
        self.text(f"Quelle: {item.citation}", size=9, color=GREY, indent=6, height=4.5)
        if item.link:
            self.text(f"{ty.link_label(item)}:", size=9, color=GREY, indent=6, height=4.5)
            self._link(item.link, indent=6)
        if item.prompts:
            self.gap(2)
            self.keep_space(5.5 + sum(self._height(f"– {p}", 10, 5.2, "I") for p in item.prompts))
            self.pdf.set_fill_color(*PROMPT_FILL)
            self.text(ty.PROMPT_LABEL, size=9.5, style="B", height=5.5, fill=True)
            for prompt in item.prompts:
                self.text(f"– {prompt}", size=10, style="I", height=5.2, fill=True)
        if item.item.note:
            self.gap(2)
            self.keep_space(self._height(item.item.note, 10, 5) + 5)  # the label stays with the note
            self.text(f"{ty.NOTE_LABEL}:", size=9.5, style="B", height=5)
            self.text(item.item.note, size=10, height=5)
        if minutes is not None:
            self.speaker_notes(item, minutes)
        self.gap(7)

    def speaker_notes(self, item: WorkshopItem, minutes: int) -> None:
        lines = ty.speaker_notes(item, minutes)
        self.gap(2)
        self.keep_space(5.5 + sum(self._height(line, 9.5, 4.8) for line in lines))
        self.pdf.set_fill_color(*NOTES_FILL)
        self.text(ty.SPEAKER_LABEL, size=9.5, style="B", height=5.5, fill=True)
        for line in lines:
            self.text(line, size=9.5, height=4.8, fill=True)

    def _bar(self, first: int, top: float, last: int, bottom: float) -> None:
        """The quote's bar beside it, on every page the quote runs over."""
        pdf = self.pdf
        pdf.set_fill_color(*QUOTE_BAR)
        for page in range(first, last + 1):
            pdf.page = page  # fpdf2 draws on an earlier page when it is made current
            y0 = top if page == first else pdf.t_margin
            y1 = bottom if page == last else pdf.page_break_trigger
            pdf.rect(MARGIN + 1, y0, 1.2, max(0.0, y1 - y0 - 0.5), style="F")
        pdf.page = last

    def _link(self, url: str, indent: float = 0.0) -> None:
        """``url`` as text, clickable only when it is a web address."""
        if ty.is_web_link(url):
            self.text(url, size=9, color=LINK, indent=indent, height=4.5, link=url)
        else:
            self.text(url, size=9, color=GREY, indent=indent, height=4.5)

    def missing(self, items: list[WorkshopItem]) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*MISSING_FILL)
        pdf.set_draw_color(*MISSING_BORDER)
        top, page = pdf.get_y(), pdf.page_no()
        self.text(f"{ty.MISSING_LABEL}: {len(items)} Element(e) der Auswahl", size=10.5, style="B",
                  height=6, fill=True, indent=0)  # fmt: skip
        for entry in items:
            kit_item = entry.item
            where = f"Stelle {kit_item.passage_id}" if kit_item.passage_id else f"Abschnitt {kit_item.section}"
            self.text(f"– {kit_item.doc_id}, {where}: {entry.missing}", size=9.5, height=5, fill=True)
            if kit_item.note:
                self.text(f"  {ty.NOTE_LABEL}: {kit_item.note}", size=9, color=GREY, height=4.6, fill=True)
        if pdf.page_no() == page:
            pdf.rect(MARGIN, top, pdf.w - 2 * MARGIN, pdf.get_y() - top)
        self.gap(7)

    def quiz(self, quiz: list[QuizQuestion], trainer: bool) -> None:
        self.pdf.add_page()
        self.heading(ty.QUIZ_HEADING, size=16)
        self.text("Kreuzen Sie je Frage die passende Antwort an.", size=9.5, color=GREY, height=5)
        self.gap(3)
        for n, q in enumerate(quiz, start=1):
            self.keep_space(35)
            self.text(f"{n}. {QUESTION_LEAD.get(q.kind, '')}", size=10.5, style="B", height=5.4)
            shown = f"Abschnitt {q.prompt}" if q.kind == IN_SECTION else ty.german_quote(q.prompt)
            self.text(shown, size=10.5, indent=6, height=5.4)
            for letter, option in zip(ty.OPTION_LETTERS, q.options):
                self.text(f"☐ {letter}) {option}", size=10, indent=6, height=5.2)
            self.gap(4)
        if not trainer:  # the participants' handout has no solutions
            return
        self.pdf.add_page()  # the key on a page of its own
        self.heading(ty.ANSWERS_HEADING, size=16)
        for n, q in enumerate(quiz, start=1):
            self.keep_space(25)
            letter = ty.OPTION_LETTERS[q.answer]
            self.text(f"{n}. {letter}) {q.options[q.answer]}", size=10.5, style="B", height=5.4)
            self.text(ty.german_quote(q.quote), size=9.5, indent=6, height=4.8)
            self.text(f"Quelle: {q.citation}", size=9, color=GREY, indent=6, height=4.5)
            self.gap(3)

    def sources(self, workshop: Workshop) -> None:
        self.gap(4)
        self.keep_space(55)  # the heading, the note and the first source together
        self.heading(ty.SOURCES_HEADING, size=14)
        self.text(
            "Die Zitate dienen der Bildung und Diskussion im Workshop. Für jede Weitergabe gelten die "
            "Nutzungsbedingungen der genannten Quellen; zitieren Sie mit Quellenangabe.",
            size=8.5, color=GREY, height=4.2,
        )  # fmt: skip
        self.gap(3)
        for source in workshop.sources:
            self.keep_space(30)
            self.text(source.title, size=10.5, style="B", height=5.4)
            facts = [f"Herausgeber: {source.publisher}" if source.publisher else "",
                     f"Ausgabe: {source.edition or source.year}" if source.edition or source.year else ""]  # fmt: skip
            if any(facts):
                self.text(" · ".join(f for f in facts if f), size=9.5, height=5)
            if source.source:
                self.text(source.source, size=9.5, height=5)
            if source.url:
                self._link(source.url)
            self.text(f"{ty.LICENSE_LABEL}: {source.license or 'siehe Quelle'}", size=9.5, height=5)
            self.gap(3)
