"""The handout as an editable Word document: the content of the PDF handout, with Word's
own headings, a quote paragraph style, real hyperlinks and the language set to German,
so a trainer can adapt it and screen readers read it right."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from workshop import typography as ty
from workshop.model import QuizQuestion, Workshop, WorkshopItem
from workshop.quiz import IN_SECTION, QUESTION_LEAD

LANGUAGE = "de-DE"
PROMPT_STYLE = "Diskussionsimpuls"
CITATION_STYLE = "Quellenangabe"
MISSING_STYLE = "Hinweis fehlende Stelle"
NOTES_STYLE = "Hinweise Kursleitung"
QUOTE_STYLE = "Quote"
GREY = RGBColor(0x5A, 0x5A, 0x5A)
LINK = RGBColor(0x00, 0x46, 0xA0)
# Elements that follow w:shd inside w:pPr (the schema fixes their order).
_AFTER_SHD = (
    "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def write_docx(workshop: Workshop, quiz: list[QuizQuestion], path: Path, trainer: bool = False) -> Path:
    """Write the handout of ``workshop`` (with ``quiz``, if any) as DOCX to ``path``: the
    participants' (no solutions) or, with ``trainer``, the trainer's."""
    doc = Document()
    _setup(doc, workshop, trainer)
    kit = workshop.kit
    doc.add_paragraph(ty.clean(kit.title) or "Workshop", style="Title")
    doc.add_paragraph().add_run(ty.TRAINER_LABEL if trainer else ty.PARTICIPANT_LABEL).bold = True
    for fact in ty.kit_facts(workshop):
        doc.add_paragraph(fact)
    doc.add_paragraph(ty.QUOTE_NOTICE, style=CITATION_STYLE)
    plan = ty.timing(workshop, len(quiz))
    if trainer:
        doc.add_heading(ty.TIMING_HEADING, level=1)
        for what, minutes in plan:
            doc.add_paragraph(ty.clean(f"{minutes} Min.  {what}"))
    if workshop.missing:
        _missing(doc, workshop.missing)
    if workshop.found:
        doc.add_heading("Auszüge aus den Quellen", level=1)
    for item, (_, minutes) in zip(workshop.found, plan[1:]):
        _item(doc, item, minutes if trainer else None)
    if quiz:
        _quiz(doc, quiz, trainer)
    _sources(doc, workshop)
    path = Path(path)
    doc.save(str(path))
    return path


def _setup(doc: DocxDocument, workshop: Workshop, trainer: bool) -> None:
    props = doc.core_properties
    props.title = ty.clean(workshop.kit.title) or "Workshop"
    props.language = LANGUAGE
    props.subject = ty.TRAINER_SUBJECT if trainer else ty.PARTICIPANT_SUBJECT
    props.author = "Charta-Lotse"
    # German for every run that does not say otherwise (spelling, hyphenation, screen readers).
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    styles = doc.styles
    citation = styles.add_style(CITATION_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    citation.base_style = styles["Normal"]
    citation.font.size = Pt(9)
    citation.font.color.rgb = GREY
    prompt = styles.add_style(PROMPT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    prompt.base_style = styles["Normal"]
    prompt.font.italic = True
    _shade(prompt, "FFF6D6")
    notes = styles.add_style(NOTES_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    notes.base_style = styles["Normal"]
    notes.font.size = Pt(9.5)
    _shade(notes, "E4EEF8")
    missing = styles.add_style(MISSING_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    missing.base_style = styles["Normal"]
    _shade(missing, "FDE4E4")


def _shade(style: ParagraphStyle, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    style.element.get_or_add_pPr().insert_element_before(shd, *_AFTER_SHD)


def _labelled(doc: DocxDocument, label: str, text: str, style: str | None = None) -> Paragraph:
    para = doc.add_paragraph(style=style)
    para.add_run(f"{label}: ").bold = True
    para.add_run(ty.clean(text))
    return para


def add_hyperlink(paragraph: Paragraph, url: str, text: str = "") -> None:
    """A clickable link to ``url`` at the end of ``paragraph`` (python-docx has no call for
    writing one); anything but a web address is added as plain text."""
    text = ty.clean(text or url)
    if not ty.is_web_link(url):
        paragraph.add_run(text)
        return
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), str(LINK))
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.append(color)
    rpr.append(underline)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _item(doc: DocxDocument, item: WorkshopItem, minutes: int | None = None) -> None:
    """An item: heading, the quote paragraph by paragraph (an excerpt of a long one), its
    citation and the prompts, all kept on one page with what follows (Word's „keep with
    next“), then the note and, for the trainer, the speaker notes."""
    kept: list[Paragraph] = [
        doc.add_heading(ty.clean(" ".join(x for x in (item.label, item.heading) if x) or item.citation), level=2)
    ]
    paras, pointer = ty.excerpt(item)
    for n, part in enumerate(paras):
        text = ("„" if n == 0 else "") + ty.clean(part) + ("“" if n == len(paras) - 1 else "")
        kept.append(doc.add_paragraph(text, style=QUOTE_STYLE))
    if pointer:
        kept.append(doc.add_paragraph(pointer, style=CITATION_STYLE))
    kept.append(doc.add_paragraph(f"Quelle: {ty.clean(item.citation)}", style=CITATION_STYLE))
    if item.link:
        linked = doc.add_paragraph(f"{ty.link_label(item)}: ", style=CITATION_STYLE)
        add_hyperlink(linked, item.link)
        kept.append(linked)
    if item.prompts:
        label = doc.add_paragraph(style=PROMPT_STYLE)
        label.add_run(ty.PROMPT_LABEL).bold = True
        kept.append(label)
        kept += [doc.add_paragraph(f"– {ty.clean(prompt)}", style=PROMPT_STYLE) for prompt in item.prompts]
    for n, block in enumerate(kept):
        block.paragraph_format.keep_together = True
        block.paragraph_format.keep_with_next = n < len(kept) - 1
    if item.item.note:
        _labelled(doc, ty.NOTE_LABEL, item.item.note)
    if minutes is not None:
        doc.add_paragraph(style=NOTES_STYLE).add_run(ty.SPEAKER_LABEL).bold = True
        for line in ty.speaker_notes(item, minutes):
            doc.add_paragraph(ty.clean(line), style=NOTES_STYLE)


def _missing(doc: DocxDocument, items: list[WorkshopItem]) -> None:
    doc.add_heading(ty.MISSING_LABEL, level=1)
    summary = f"{ty.MISSING_LABEL}: {len(items)} Element(e) der Auswahl"
    doc.add_paragraph(style=MISSING_STYLE).add_run(summary).bold = True
    for entry in items:
        kit_item = entry.item
        where = f"Stelle {kit_item.passage_id}" if kit_item.passage_id else f"Abschnitt {kit_item.section}"
        doc.add_paragraph(ty.clean(f"– {kit_item.doc_id}, {where}: {entry.missing}"), style=MISSING_STYLE)
        if kit_item.note:
            _labelled(doc, ty.NOTE_LABEL, kit_item.note, style=MISSING_STYLE)


def _quiz(doc: DocxDocument, quiz: list[QuizQuestion], trainer: bool) -> None:
    doc.add_page_break()
    doc.add_heading(ty.QUIZ_HEADING, level=1)
    doc.add_paragraph("Kreuzen Sie je Frage die passende Antwort an.", style=CITATION_STYLE)
    for n, q in enumerate(quiz, start=1):
        doc.add_paragraph().add_run(ty.clean(f"{n}. {QUESTION_LEAD.get(q.kind, '')}")).bold = True
        shown = f"Abschnitt {q.prompt}" if q.kind == IN_SECTION else ty.german_quote(q.prompt)
        doc.add_paragraph(ty.clean(shown)).paragraph_format.left_indent = Pt(18)
        for letter, option in zip(ty.OPTION_LETTERS, q.options):
            para = doc.add_paragraph(ty.clean(f"☐ {letter}) {option}"))
            para.paragraph_format.left_indent = Pt(18)
    if not trainer:  # the participants' handout has no solutions
        return
    doc.add_page_break()  # the key on a page of its own
    doc.add_heading(ty.ANSWERS_HEADING, level=1)
    for n, q in enumerate(quiz, start=1):
        doc.add_paragraph().add_run(ty.clean(f"{n}. {ty.OPTION_LETTERS[q.answer]}) {q.options[q.answer]}")).bold = True
        doc.add_paragraph(ty.clean(ty.german_quote(q.quote))).paragraph_format.left_indent = Pt(18)
        doc.add_paragraph(f"Quelle: {ty.clean(q.citation)}", style=CITATION_STYLE)


def _sources(doc: DocxDocument, workshop: Workshop) -> None:
    doc.add_heading(ty.SOURCES_HEADING, level=1)
    for source in workshop.sources:
        doc.add_paragraph().add_run(ty.clean(source.title)).bold = True
        facts = [f"Herausgeber: {source.publisher}" if source.publisher else "",
                 f"Ausgabe: {source.edition or source.year}" if source.edition or source.year else ""]  # fmt: skip
        if any(facts):
            doc.add_paragraph(ty.clean(" · ".join(f for f in facts if f)))
        if source.source:
            doc.add_paragraph(ty.clean(source.source))
        if source.url:
            add_hyperlink(doc.add_paragraph(), source.url)
        _labelled(doc, ty.LICENSE_LABEL, source.license or "siehe Quelle")
    doc.add_paragraph(
        "Die Zitate dienen der Bildung und Diskussion im Workshop. Für jede Weitergabe gelten die "
        "Nutzungsbedingungen der genannten Quellen; zitieren Sie mit Quellenangabe.",
        style=CITATION_STYLE,
    )
