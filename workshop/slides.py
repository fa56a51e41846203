"""Slides for a workshop (16:9 PPTX): a title slide, the quotes large enough to read from
the back of the room, each with its citation in the footer and the trainer's material in
the speaker notes, the items no longer in the index, and the sources.

Each quote slide holds at most :data:`workshop.typography.SLIDE_CHARS` characters; a
longer quote continues on the next slides at a sentence boundary, marked „(1/3)“.
The quote box is named ``Zitat`` and the citation box ``Quelle`` so tools (and tests)
find them.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.presentation import Presentation as PptxPresentation
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide
from pptx.text.text import TextFrame, _Run
from pptx.util import Emu, Inches, Pt

from workshop import typography as ty
from workshop.model import Workshop, WorkshopItem

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
QUOTE_PT = 28  # the smallest size read comfortably from the back of a seminar room
FOOTER_PT = 14
LIST_PT = 20
QUOTE_BOX = "Zitat"
FOOTER_BOX = "Quelle"
_TITLE_LAYOUT, _TITLE_ONLY_LAYOUT = 0, 5  # in python-pptx's default template
_MARGIN = Inches(0.6)
_FULL_W = Emu(WIDTH - 2 * _MARGIN)
_BODY_X, _BODY_W = Inches(0.9), Emu(WIDTH - Inches(1.8))
_GREY = (0x5A, 0x5A, 0x5A)


def write_pptx(workshop: Workshop, path: Path) -> Path:
    """Write the slides of ``workshop`` to ``path`` and return it."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    props = prs.core_properties
    props.title = ty.clean(workshop.kit.title) or "Workshop"
    props.language = "de-DE"
    props.subject = "Folien zur Smart City Charta"
    props.author = "Charta-Lotse"
    _title_slide(prs, workshop)
    for item in workshop.found:
        _item_slides(prs, item)
    if workshop.missing:
        _missing_slide(prs, workshop.missing)
    _sources_slide(prs, workshop)
    path = Path(path)
    prs.save(str(path))
    return path


def _german(
    run: _Run, size: float | None = None, bold: bool = False, color: tuple[int, int, int] | None = None
) -> None:
    font = run.font
    font.language_id = MSO_LANGUAGE_ID.GERMAN
    if size:
        font.size = Pt(size)
    if bold:
        font.bold = True
    if color:
        font.color.rgb = RGBColor(*color)


class _Line(NamedTuple):
    text: str
    size: float
    bold: bool = False
    link: str = ""  # clickable only when a web address


def _fill(frame: TextFrame, lines: list[_Line], color: tuple[int, int, int] | None = None) -> None:
    """``frame`` holding one paragraph per line; text as text (nothing is interpreted)."""
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    for n, line in enumerate(lines):
        para = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
        para.alignment = PP_ALIGN.LEFT
        run = para.add_run()
        run.text = ty.clean(line.text)
        _german(run, line.size, line.bold, color)
        if ty.is_web_link(line.link):
            run.hyperlink.address = line.link


def _place(shape: Shape, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = Emu(left), Emu(top), Emu(width), Emu(height)


def _titled(prs: PptxPresentation, title: str, size: float = 32) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    shape = slide.shapes.title
    _place(shape, _MARGIN, Inches(0.35), WIDTH - 2 * _MARGIN, Inches(1.1))
    frame = shape.text_frame
    frame.clear()
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    para = frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    run = para.add_run()
    run.text = ty.clean(title)
    _german(run, size, bold=True)
    return slide


def _title_slide(prs: PptxPresentation, workshop: Workshop) -> None:
    kit = workshop.kit
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_LAYOUT])
    title, subtitle = slide.placeholders[0], slide.placeholders[1]
    _place(title, _MARGIN, Inches(1.6), WIDTH - 2 * _MARGIN, Inches(2.2))
    _place(subtitle, _MARGIN, Inches(4.0), WIDTH - 2 * _MARGIN, Inches(2.6))
    title.text_frame.clear()
    _fill(title.text_frame, [_Line(kit.title or "Workshop", 40, True)])
    subtitle.text_frame.clear()
    _fill(subtitle.text_frame, [_Line(line, 24) for line in ty.kit_facts(workshop)])


def _item_slides(prs: PptxPresentation, item: WorkshopItem) -> None:
    parts = ty.slide_parts(ty.clean(item.quote), [ty.clean(s) for s in item.sentences])
    heading = " ".join(x for x in (item.label, item.heading) if x) or item.citation
    notes = _notes(item)
    for n, part in enumerate(parts, start=1):
        counter = f" ({n}/{len(parts)})" if len(parts) > 1 else ""
        slide = _titled(prs, heading + counter, size=_title_pt(heading + counter))
        box = slide.shapes.add_textbox(_BODY_X, Inches(1.6), _BODY_W, Inches(4.8))
        box.name = QUOTE_BOX
        _fill(box.text_frame, [_Line(ty.german_quote(part), QUOTE_PT)])
        footer = slide.shapes.add_textbox(_MARGIN, Inches(6.65), _FULL_W, Inches(0.6))
        footer.name = FOOTER_BOX
        _fill(footer.text_frame, [_Line(item.citation, FOOTER_PT, link=item.link)], color=_GREY)
        _set_notes(slide, notes)


def _set_notes(slide: Slide, text: str) -> None:
    frame = slide.notes_slide.notes_text_frame
    if frame is None:  # python-pptx's notes master always has a body; a changed template might not
        raise RuntimeError("the notes master has no body placeholder for speaker notes")
    frame.text = ty.clean(text)


def _title_pt(title: str) -> int:
    """A size at which the title fits its box in at most three lines (the charter's
    longest headings run to 130 characters).

    >>> _title_pt("3.2 Daten verantwortungsvoll generieren"), _title_pt("x" * 100), _title_pt("x" * 130)
    (28, 24, 20)
    """
    return 28 if len(title) <= 60 else 24 if len(title) <= 110 else 20


def _notes(item: WorkshopItem) -> str:
    """The speaker notes of an item's slides: what the trainer needs, not the audience."""
    lines = [f"Quelle: {item.citation}"]
    if item.link:
        lines.append(f"{ty.LINK_LABEL}: {item.link}")
    if item.item.note:
        lines += ["", f"{ty.NOTE_LABEL}:", item.item.note]
    if item.prompts:
        lines += ["", f"{ty.PROMPT_LABEL}:"] + [f"– {p}" for p in item.prompts]
    if item.context:
        lines += ["", f"{ty.CONTEXT_LABEL}:", item.context]
    return ty.clean("\n".join(lines))


def _missing_slide(prs: PptxPresentation, items: list[WorkshopItem]) -> None:
    slide = _titled(prs, f"{ty.MISSING_LABEL} ({len(items)})")
    box = slide.shapes.add_textbox(_BODY_X, Inches(1.6), _BODY_W, Inches(5.4))
    lines = []
    for entry in items:
        kit_item = entry.item
        where = f"Stelle {kit_item.passage_id}" if kit_item.passage_id else f"Abschnitt {kit_item.section}"
        lines.append(_Line(f"– {kit_item.doc_id}, {where}: {entry.missing}", LIST_PT))
    _fill(box.text_frame, lines)
    _set_notes(
        slide,
        "Diese Elemente der Auswahl stehen nicht mehr im Index (neue Fassung oder entfernte Quelle). "
        "Bitte die Auswahl prüfen.\n" + "\n".join(f"{ty.NOTE_LABEL}: {e.item.note}" for e in items if e.item.note),
    )


def _sources_slide(prs: PptxPresentation, workshop: Workshop) -> None:
    slide = _titled(prs, ty.SOURCES_HEADING)
    box = slide.shapes.add_textbox(_BODY_X, Inches(1.6), _BODY_W, Inches(5.4))
    lines: list[_Line] = []
    for source in workshop.sources:
        facts = ", ".join(x for x in (source.publisher, source.edition or source.year) if x)
        lines.append(_Line(f"{source.title} ({facts})" if facts else source.title, LIST_PT, True))
        if source.source:
            lines.append(_Line(source.source, 16))
        if source.url:
            lines.append(_Line(source.url, 16, link=source.url))
        lines.append(_Line(f"{ty.LICENSE_LABEL}: {source.license or 'siehe Quelle'}", 16))
    lines.append(_Line("Zitate wörtlich aus dem indexierten Text; maßgeblich ist das Original.", 14))
    _fill(box.text_frame, lines)
