"""Slides for a workshop (16:9 PPTX), as a trainer presents them: a title slide, the
agenda, per item one slide with its key sentences (the full text, the citation, the note
and the context in the speaker notes) and one discussion slide with its prompts, the quiz
(questions, then the solutions at the end) and the sources.

Every text box is filled only as far as the text fits: lines are measured with the
DejaVu Sans metrics (wider than PowerPoint's Calibri, and LibreOffice's stand-in for it),
and a quiz that does not fit one slide goes on over several. The quote box is named
``Zitat`` and the citation box ``Quelle`` so tools (and tests) find them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from PIL import ImageFont
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
from workshop.model import QuizQuestion, Workshop, WorkshopItem
from workshop.quiz import IN_SECTION, QUESTION_LEAD

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
QUOTE_PT = 24  # read comfortably from the back of a seminar room
PROMPT_PT = 24
QUIZ_PT = 20
FOOTER_PT = 14
LIST_PT = 20
QUOTE_BOX = "Zitat"
FOOTER_BOX = "Quelle"
_TITLE_LAYOUT, _TITLE_ONLY_LAYOUT = 0, 5  # in python-pptx's default template
_MARGIN = Inches(0.6)
_FULL_W = Emu(WIDTH - 2 * _MARGIN)
_BODY_X, _BODY_W = Inches(0.9), Emu(WIDTH - Inches(1.8))
_BODY_TOP, _BODY_H = Inches(1.6), Inches(4.8)
_BODY_TALL = Emu(_BODY_H + Inches(0.75))  # a slide without a footer
_FOOTER_TOP, _FOOTER_H = Inches(6.5), Inches(0.75)
_GREY = (0x5A, 0x5A, 0x5A)


def write_pptx(workshop: Workshop, path: Path, quiz: list[QuizQuestion] | None = None) -> Path:
    """Write the slides of ``workshop`` (with ``quiz``, if any) to ``path`` and return it."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    props = prs.core_properties
    props.title = ty.clean(workshop.kit.title) or "Workshop"
    props.language = "de-DE"
    props.subject = "Folien zur Smart City Charta"
    props.author = "Charta-Lotse"
    quiz = quiz or []
    _title_slide(prs, workshop)
    _agenda_slide(prs, workshop, quiz)
    for item in workshop.found:
        _item_slides(prs, item)
    if quiz:
        _quiz_slides(prs, quiz)
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


def _agenda_slide(prs: PptxPresentation, workshop: Workshop, quiz: list[QuizQuestion]) -> None:
    slide = _titled(prs, "Ablauf")
    plan = ty.timing(workshop, len(quiz))
    lines = [_Line(f"{what}  ({minutes} Min.)" if workshop.kit.minutes else what, 24) for what, minutes in plan]
    box = slide.shapes.add_textbox(_BODY_X, _BODY_TOP, _BODY_W, _BODY_H)
    _fill(box.text_frame, _fitting(lines, box))
    _set_notes(slide, "Ablauf mit Zeiten: " + "; ".join(f"{what} {minutes} Min." for what, minutes in plan))


def _item_slides(prs: PptxPresentation, item: WorkshopItem) -> None:
    """Two slides per item: its key sentences, then the discussion."""
    heading = " ".join(x for x in (item.label, item.heading) if x) or item.citation
    notes = _notes(item)
    key = ty.key_sentences(item)
    whole = " ".join(key) == " ".join(ty.paragraphs(item.quote))
    slide = _titled(prs, heading, size=_title_pt(heading))
    box = slide.shapes.add_textbox(_BODY_X, _BODY_TOP, _BODY_W, _BODY_H)
    box.name = QUOTE_BOX
    lines = [_Line(ty.german_quote(k) if whole and len(key) == 1 else f"„{k}“" if not whole else k, QUOTE_PT)
             for k in key]  # fmt: skip
    if whole and len(key) > 1:
        lines[0] = _Line(f"„{key[0]}", QUOTE_PT)
        lines[-1] = _Line(f"{key[-1]}“", QUOTE_PT)
    _fill(box.text_frame, _fitting(lines, box))
    footer = slide.shapes.add_textbox(_MARGIN, _FOOTER_TOP, _FULL_W, _FOOTER_H)
    footer.name = FOOTER_BOX
    shown = item.citation if whole else f"{item.citation} – Auszug, vollständiger Text in den Notizen"
    _fill(footer.text_frame, _fitting([_Line(shown, FOOTER_PT, link=item.link)], footer), color=_GREY)
    _set_notes(slide, notes)
    if not item.prompts:
        return
    slide = _titled(prs, f"Diskussion: {heading}", size=_title_pt(f"Diskussion: {heading}"))
    box = slide.shapes.add_textbox(_BODY_X, _BODY_TOP, _BODY_W, _BODY_TALL)
    _fill(box.text_frame, _fitting([_Line(p, PROMPT_PT) for p in item.prompts], box))
    _set_notes(slide, f"{ty.PROMPT_LABEL}:\n" + "\n".join(f"– {p}" for p in item.prompts))


def _question_lines(n: int, q: QuizQuestion) -> list[_Line]:
    shown = f"Abschnitt {q.prompt}" if q.kind == IN_SECTION else ty.german_quote(q.prompt)
    lines = [_Line(f"{n}. {QUESTION_LEAD.get(q.kind, '')}", QUIZ_PT, True), _Line(shown, QUIZ_PT)]
    return lines + [_Line(f"{letter}) {o}", QUIZ_PT - 2) for letter, o in zip(ty.OPTION_LETTERS, q.options)]


def _quiz_slides(prs: PptxPresentation, quiz: list[QuizQuestion]) -> None:
    """The questions, as many to a slide as fit, then the solutions."""
    probe = _Box(_BODY_W, _BODY_TALL)
    pages: list[list[_Line]] = []
    for n, q in enumerate(quiz, start=1):
        lines = _question_lines(n, q)
        if pages and _needed(pages[-1] + [_Line("", 8)] + lines, probe) <= probe.height:
            pages[-1] += [_Line("", 8)] + lines
        else:
            pages.append(lines)
    for k, lines in enumerate(pages, start=1):
        counter = f" ({k}/{len(pages)})" if len(pages) > 1 else ""
        slide = _titled(prs, f"{ty.QUIZ_HEADING}{counter}")
        box = slide.shapes.add_textbox(_BODY_X, _BODY_TOP, _BODY_W, _BODY_TALL)
        _fill(box.text_frame, _fitting(lines, box))
        _set_notes(slide, "Fragen vorlesen, Antworten sammeln; die Lösungen folgen am Ende des Quiz.")
    answers = [
        _Line(f"{n}. {ty.OPTION_LETTERS[q.answer]}) {q.options[q.answer]}  ({q.citation})", QUIZ_PT - 2)
        for n, q in enumerate(quiz, start=1)
    ]
    groups: list[list[_Line]] = [[]]
    for line in answers:
        if groups[-1] and _needed(groups[-1] + [line], probe) > probe.height:
            groups.append([])
        groups[-1].append(line)
    for k, lines in enumerate(groups, start=1):
        counter = f" ({k}/{len(groups)})" if len(groups) > 1 else ""
        slide = _titled(prs, f"{ty.ANSWERS_HEADING}{counter}")
        box = slide.shapes.add_textbox(_BODY_X, _BODY_TOP, _BODY_W, _BODY_TALL)
        _fill(box.text_frame, _fitting(lines, box))
        _set_notes(slide, "\n".join(f"{n}. „{q.quote}“ – {q.citation}" for n, q in enumerate(quiz, start=1)))


class _Box(NamedTuple):
    width: int  # EMU
    height: int


_LINE_SPACING = 1.2  # a line's height in font sizes, as PowerPoint and LibreOffice set single spacing
_INSET = Inches(0.1)  # python-pptx's text boxes: 0.1" left and right, 0.05" top and bottom


@lru_cache(maxsize=8)
def _font(bold: bool, size: float) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(ty.FONTS / name), size=max(1, round(size * 10)))  # tenths of a point


def _wrapped(line: _Line, width_pt: float) -> int:
    """How many lines ``line`` takes in a box ``width_pt`` wide."""
    font = _font(line.bold, line.size)
    count, current = 0, ""
    for word in ty.clean(line.text).split() or [""]:
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) / 10 > width_pt:
            count += 1
            current = word
        else:
            current = trial
    return count + 1


def _needed(lines: list[_Line], box: _Box) -> float:
    """The height in EMU the lines take in a box of ``box.width``."""
    width_pt = (box.width - 2 * _INSET) / 12700
    return sum(_wrapped(line, width_pt) * line.size * _LINE_SPACING * 12700 for line in lines) + Inches(0.1)


def _fitting(lines: list[_Line], shape: Shape | _Box) -> list[_Line]:
    """``lines`` at a size at which they fit ``shape``: smaller by steps of 2 pt down to
    60 % of the asked size (a text that still does not fit is cut at a line, marked „…“)."""
    box = shape if isinstance(shape, _Box) else _Box(int(shape.width), int(shape.height))
    for step in range(0, 40, 2):
        scaled = [line._replace(size=line.size * (100 - step) / 100) for line in lines]
        if _needed(scaled, box) <= box.height:
            return scaled
    kept = scaled
    while len(kept) > 1 and _needed(kept, box) > box.height:
        kept = kept[:-1]
    return kept[:-1] + [kept[-1]._replace(text=kept[-1].text + " …")] if len(kept) < len(scaled) else kept


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
        lines.append(f"{ty.link_label(item)}: {item.link}")
    if item.item.note:
        lines += ["", f"{ty.NOTE_LABEL}:", item.item.note]
    if item.prompts:
        lines += ["", f"{ty.PROMPT_LABEL}:"] + [f"– {p}" for p in item.prompts]
    lines += ["", f"{ty.FULL_TEXT_LABEL}:", item.quote]
    if item.context and item.context != item.quote:
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
    _fill(box.text_frame, _fitting(lines, box))
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
    _fill(box.text_frame, _fitting(lines, box))
