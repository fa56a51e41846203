"""The workshop exports read back with independent readers: the handout PDF with pypdf and
PDFium, the DOCX with python-docx, the slides with python-pptx. The workshop is the
charter index's own: a section, a passage, a passage that is no longer there, and an
item carrying markup and script in its quote and note, which must print as text."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from workshop import typography as ty
from workshop.model import Kit, KitItem, QuizQuestion, Workshop
from workshop.quiz import IN_SECTION, QUESTION_LEAD

CHARTER_ID = "smart-city-charta-2021"
GONE = f"{CHARTER_ID}:00000000:000:000"
HOSTILE = ("<script>alert(1)</script>", "**x**", "[a](javascript:x)")
LONG_WORD = "https://example.org/" + "datensouveraenitaet" * 12  # wider than a line of the handout
NOTE_32 = "Einstieg: Welche Daten erhebt die eigene Verwaltung? Beispiel aus dem Haus besprechen."
NOTE_PILOT = "Was darf im Reallabor scheitern – und wer entscheidet über den Regelbetrieb?"


def _normal(text: str) -> str:
    return " ".join(text.split())


@dataclasses.dataclass
class Files:
    workshop: Workshop
    quiz: list[QuizQuestion]
    hostile: str  # citation of the item with markup in quote and note
    doc_text: str  # the charter's indexed text, sentence by sentence
    pdf: Path
    docx: Path
    pptx: Path


@pytest.fixture(scope="module")
def files(charter_searcher, tmp_path_factory) -> Files:
    from workshop.handout_docx import write_docx
    from workshop.handout_pdf import write_pdf
    from workshop.kit import example_kit, resolve
    from workshop.quiz import make_quiz
    from workshop.slides import write_pptx

    searcher = charter_searcher
    pilot = next(i for i in example_kit(searcher).items if i.passage_id)
    kit = Kit(
        title="Daten & Kommune: verantwortungsvoll nutzen",
        audience="Verwaltungsmitarbeitende, Einstieg",
        minutes=90,
        items=[
            KitItem(doc_id=CHARTER_ID, section="3.2", note=NOTE_32),
            KitItem(doc_id=CHARTER_ID, passage_id=pilot.passage_id, note=NOTE_PILOT),
            KitItem(doc_id=CHARTER_ID, passage_id=GONE, note="Diese Stelle gab es früher."),
        ],
    )
    workshop = resolve(kit, searcher, date(2026, 12, 2))
    assert [i.found for i in workshop.items] == [True, True, False]
    quiz = make_quiz(workshop, searcher)
    assert quiz, "the charter's quotes give quiz questions"
    # An item whose quote, note and prompt carry markup: it must come out as text.
    base = workshop.items[1]
    markup = " ".join(HOSTILE)
    hostile = dataclasses.replace(
        base,
        item=KitItem(doc_id=CHARTER_ID, passage_id=base.item.passage_id, note=f"Notiz {markup} {LONG_WORD}"),
        quote=f"Zitat mit {markup} darin.",
        sentences=[f"Zitat mit {markup} darin."],
        citation="Testquelle **fett** <b>Markup</b>, S. 1",
        prompts=[f"Frage {HOSTILE[2]}?"],
        context=f"Kontext {HOSTILE[0]}",
    )
    workshop.items.insert(2, hostile)
    quiz.append(QuizQuestion("cloze", f"Was tut {HOSTILE[0]}?", ["a", HOSTILE[1], HOSTILE[2], "d"], 2,
                             hostile.citation, hostile.quote))  # fmt: skip
    doc_rows = searcher.documents[CHARTER_ID]
    sentences = searcher.sentences[int(doc_rows["sentence_row_start"]) : int(doc_rows["sentence_row_end"])]
    tmp = tmp_path_factory.mktemp("workshop")
    return Files(
        workshop=workshop,
        quiz=quiz,
        hostile=hostile.citation,
        doc_text="".join(s.text + s.sep for s in sentences),
        pdf=write_pdf(workshop, quiz, tmp / "handout.pdf", trainer=True),
        docx=write_docx(workshop, quiz, tmp / "handout.docx", trainer=True),
        pptx=write_pptx(workshop, tmp / "folien.pptx", quiz),
    )


def _charter_items(f: Files):
    return [i for i in f.workshop.found if i.citation != f.hostile]


def test_quotes_are_verbatim_from_the_indexed_charter(files, charter_searcher):
    passages = [p.text for p in charter_searcher.passages]
    items = _charter_items(files)
    assert len(items) == 2
    for item in items:
        assert item.quote in files.doc_text or any(item.quote in p for p in passages), item.citation


# PDF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(files):
    from pypdf import PdfReader

    reader = PdfReader(files.pdf)
    pages = [_normal(p.extract_text() or "") for p in reader.pages]
    return reader, pages


def test_pdf_is_a4_german_with_embedded_fonts(files, pdf):
    reader, pages = pdf
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 595.28) < 1 and abs(float(page.mediabox.height) - 841.89) < 1
    assert reader.metadata.title == files.workshop.kit.title
    assert reader.trailer["/Root"]["/Lang"] == "de"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts and all(fonts.values()), fonts
    assert any("DejaVu" in name for name in fonts)
    for n, text in enumerate(pages, start=1):
        assert f"Seite {n} von {len(pages)}" in text


def test_pdf_holds_every_item_with_citation_note_link_and_labelled_prompts(files, pdf):
    reader, pages = pdf
    text = " ".join(pages)
    ws = files.workshop
    assert ws.kit.title in text and "2. Dezember 2026" in text
    assert ws.kit.audience in text and "90 Minuten" in text
    for item in ws.found:
        for para in ty.excerpt(item)[0]:  # a long section as an excerpt, paragraph by paragraph
            assert _normal(para.removesuffix(" […]")) in text, item.citation
        assert item.citation in text and item.label in text
        assert _normal(item.item.note).replace(LONG_WORD, "") in text.replace(LONG_WORD, "")
        for prompt in item.prompts:
            assert _normal(prompt) in text
            assert f"„{_normal(prompt)}" not in text  # a prompt is not dressed as a quote
    assert text.count(ty.PROMPT_LABEL) == len(ws.found)
    assert text.count(ty.NOTE_LABEL) >= len(ws.found)
    links = [
        a.get_object()["/A"]["/URI"]
        for page in reader.pages
        for a in page.get("/Annots", [])
        if "/A" in a.get_object() and "/URI" in a.get_object()["/A"]
    ]
    wanted = [i.link for i in ws.found] + [s.url for s in ws.sources]
    assert all(links.count(u) >= wanted.count(u) for u in wanted), links
    assert all(str(u).startswith(("http://", "https://")) for u in links), links
    # The missing passage is flagged, with its note.
    assert f"{ty.MISSING_LABEL}:" in pages[0] and GONE in pages[0] and "Diese Stelle gab es früher." in pages[0]


def test_pdf_quiz_key_follows_on_a_later_page_and_sources_close(files, pdf):
    _, pages = pdf

    def shown(q: QuizQuestion) -> str:
        return f"Abschnitt {_normal(q.prompt)}" if q.kind == IN_SECTION else f"„{_normal(q.prompt)}“"

    first_question = next(n for n, p in enumerate(pages) if shown(files.quiz[0]) in p)
    key = next(n for n, p in enumerate(pages) if ty.ANSWERS_HEADING in p)
    assert key > first_question
    questions = " ".join(pages[first_question:key])
    answers = " ".join(pages[key:])
    for n, q in enumerate(files.quiz, start=1):
        # Each question says what to do, then quotes its sentence.
        assert f"{n}. {QUESTION_LEAD[q.kind]} {shown(q)}" in questions
        for letter, option in zip("abcd", q.options):
            assert f"{letter}) {_normal(option)}" in questions
        assert f"{n}. {'abcd'[q.answer]}) {_normal(q.options[q.answer])}" in answers
        assert q.citation in answers
    assert ty.ANSWERS_HEADING not in questions
    source = files.workshop.sources[0]
    closing = pages[-1]
    assert ty.SOURCES_HEADING in closing and source.title in closing and source.publisher in closing
    assert _normal(source.source) in closing and f"{ty.LICENSE_LABEL}: {source.license}" in closing


def test_pdf_prints_markup_literally_and_keeps_long_words_on_the_page(files, pdf):
    import pypdfium2 as pdfium

    _, pages = pdf
    text = " ".join(pages)
    for s in HOSTILE:
        assert s in text
    assert f"„Zitat mit {' '.join(HOSTILE)} darin.“" in text
    assert LONG_WORD in "".join(text.split())  # broken over lines, every character printed
    doc = pdfium.PdfDocument(str(files.pdf))
    for page in doc:
        width = page.get_width()
        chars = page.get_textpage()
        right = max(chars.get_charbox(i)[2] for i in range(chars.count_chars()))
        assert right <= width - 19 * 72 / 25.4, "text runs into the right margin"
    image = doc[0].render(scale=1).to_pil().convert("L")
    assert abs(image.width - 595) <= 1 and abs(image.height - 842) <= 1  # A4 at 72 dpi
    dark = sum(image.histogram()[:128])
    assert dark > 5000  # page 1 shows text, not a blank page


# DOCX -----------------------------------------------------------------------------------


def test_docx_has_headings_quotes_citations_notes_and_links(files):
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(str(files.docx))
    ws = files.workshop
    paras = doc.paragraphs
    styled = [(p.style.name, p.text) for p in paras]
    assert doc.core_properties.title == ws.kit.title and doc.core_properties.language == "de-DE"
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "de-DE"
    assert ("Title", ws.kit.title) in styled
    text = "\n".join(t for _, t in styled)
    for item in ws.found:
        assert ("Heading 2", f"{item.label} {item.heading}") in styled
        quotes = _normal(" ".join(t for s, t in styled if s == "Quote"))
        assert all(_normal(p.removesuffix(" […]")) in quotes for p in ty.excerpt(item)[0])
        assert f"Quelle: {item.citation}" in text
        assert f"{ty.NOTE_LABEL}: {item.item.note}" in text
        for prompt in item.prompts:
            assert ("Diskussionsimpuls", f"– {prompt}") in styled
    assert sum(1 for s, t in styled if t == ty.PROMPT_LABEL and s == "Diskussionsimpuls") == len(ws.found)
    assert {"Heading 1"} <= {s for s, _ in styled}
    assert ("Heading 1", ty.MISSING_LABEL) in styled and GONE in text
    for item in ws.found:  # the link stands under the item's citation
        at = next(n for n, p in enumerate(paras) if p.text == f"Quelle: {item.citation}")
        assert [h.address for h in paras[at + 1].hyperlinks] == [item.link]
    links = [h.address for p in paras for h in p.hyperlinks]
    assert ws.sources[0].url in links[len(ws.found) :]
    assert all(a.startswith(("http://", "https://")) for a in links), links
    for s in HOSTILE:
        assert s in text


def test_docx_quiz_and_key_each_after_a_page_break(files):
    from docx import Document
    from docx.oxml.ns import qn

    paras = Document(str(files.docx)).paragraphs

    def after_break(heading: str) -> int:
        at = next(n for n, p in enumerate(paras) if p.style.name == "Heading 1" and p.text == heading)
        br = paras[at - 1]._p.findall(".//" + qn("w:br"))
        assert any(b.get(qn("w:type")) == "page" for b in br), heading
        return at

    quiz, key = after_break(ty.QUIZ_HEADING), after_break(ty.ANSWERS_HEADING)
    assert quiz < key
    questions = "\n".join(p.text for p in paras[quiz:key])
    answers = "\n".join(p.text for p in paras[key:])
    for n, q in enumerate(files.quiz, start=1):
        shown = f"Abschnitt {q.prompt}" if q.kind == IN_SECTION else f"„{q.prompt}“"
        asked = f"{n}. {QUESTION_LEAD[q.kind]}\n{shown}"
        assert asked in questions
        assert f"{n}. {'abcd'[q.answer]}) {q.options[q.answer]}" in answers and q.citation in answers
    source = files.workshop.sources[0]
    assert f"{ty.LICENSE_LABEL}: {source.license}" in answers and source.source in answers


# PPTX -----------------------------------------------------------------------------------


def _shape(slide, name: str):
    return next((s for s in slide.shapes if s.name == name), None)


def test_slides_show_key_sentences_then_the_discussion_with_the_full_text_in_the_notes(files):
    from pptx import Presentation
    from pptx.util import Pt

    from workshop.slides import FOOTER_BOX, QUOTE_BOX

    prs = Presentation(str(files.pptx))
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    slides = list(prs.slides)
    title_text = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    for fact in (files.workshop.kit.title, files.workshop.kit.audience, "90 Minuten", "2. Dezember 2026"):
        assert fact in title_text
    titles = [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in slides]
    assert titles[1] == "Ablauf"
    quote_slides = [s for s in slides if _shape(s, QUOTE_BOX) is not None]
    for item in files.workshop.found:
        own = [s for s in quote_slides if _shape(s, FOOTER_BOX).text_frame.text.startswith(item.citation)]
        assert len(own) == 1, item.citation  # one slide of key sentences per item
        slide = own[0]
        shown = _normal(_shape(slide, QUOTE_BOX).text_frame.text.replace("„", "").replace("“", ""))
        key = ty.key_sentences(item)
        assert shown == _normal(" ".join(key)) and all(_normal(k) in _normal(item.quote) for k in key)
        assert _shape(slide, FOOTER_BOX).text_frame.paragraphs[0].runs[0].hyperlink.address == item.link
        runs = [r for p in _shape(slide, QUOTE_BOX).text_frame.paragraphs for r in p.runs]
        assert runs and all(r.font.size is not None and r.font.size >= Pt(18) for r in runs)
        notes = slide.notes_slide.notes_text_frame.text
        assert item.item.note in notes and _normal(item.quote) in _normal(notes)
        assert ty.PROMPT_LABEL in notes and all(p in notes for p in item.prompts)
        # The discussion slide follows, with the prompts on it.
        after = slides[slides.index(slide) + 1]
        assert after.shapes.title.text_frame.text.startswith("Diskussion:")
        on_slide = _normal(" ".join(sh.text_frame.text for sh in after.shapes if sh.has_text_frame))
        assert all(_normal(p) in on_slide for p in item.prompts)
    section = files.workshop.found[0]
    assert len(section.quote) > ty.SLIDE_CHARS  # shown in part: the rest is in the notes
    assert (
        "Auszug"
        in _shape(
            next(s for s in quote_slides if section.citation in _shape(s, FOOTER_BOX).text_frame.text), FOOTER_BOX
        ).text_frame.text
    )
    assert any(t.startswith(ty.QUIZ_HEADING) for t in titles) and titles[-3].startswith(ty.ANSWERS_HEADING)


def test_slides_list_missing_items_and_sources_and_keep_markup_as_text(files):
    from pptx import Presentation

    prs = Presentation(str(files.pptx))
    slides = list(prs.slides)
    titles = [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in slides]
    missing = next(s for s, t in zip(slides, titles) if t.startswith(ty.MISSING_LABEL))
    assert GONE in " ".join(sh.text_frame.text for sh in missing.shapes if sh.has_text_frame)
    assert titles[-1] == ty.SOURCES_HEADING
    closing = " ".join(sh.text_frame.text for sh in slides[-1].shapes if sh.has_text_frame)
    source = files.workshop.sources[0]
    assert source.title in closing and source.license in closing
    everything = " ".join(
        [sh.text_frame.text for s in slides for sh in s.shapes if sh.has_text_frame]
        + [s.notes_slide.notes_text_frame.text for s in slides if s.has_notes_slide]
    )
    for s in HOSTILE:
        assert s in everything
    addresses = [
        r.hyperlink.address
        for s in slides
        for sh in s.shapes
        if sh.has_text_frame
        for p in sh.text_frame.paragraphs
        for r in p.runs
        if r.hyperlink.address
    ]
    assert files.workshop.sources[0].url in addresses
    assert all(a.startswith(("http://", "https://")) for a in addresses), addresses
