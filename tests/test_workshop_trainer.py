"""The workshop material a trainer hands out as it is: a kit of two sections and two
collected passages from the charter index, made into all files; the participants'
handout without solutions, a quiz that tests content (same-form cloze options, few
questions on section numbers), prompts that differ, and slides rendered by LibreOffice
with no text outside its box."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from workshop import typography as ty
from workshop.model import Kit, KitItem, Workshop
from workshop.quiz import CLOZE, GAP, IN_SECTION, SECTION, TRUE, TRUE_FALSE, continued, form_class

CHARTER_ID = "smart-city-charta-2021"
SECTIONS = ("3.2", "III.f)")
PASSAGE_SECTIONS = ("2.1", "III.g)")


@dataclasses.dataclass
class Made:
    workshop: Workshop
    quiz: list
    paths: dict[str, Path]
    seconds: float


def _first_passage(searcher, label: str) -> str:
    from workshop.kit import _first_passage

    pid = _first_passage(searcher, CHARTER_ID, label)
    assert pid, label
    return pid


@pytest.fixture(scope="module")
def made(charter_searcher, tmp_path_factory) -> Made:
    from workshop.exports import write_all
    from workshop.kit import resolve
    from workshop.quiz import make_quiz

    s = charter_searcher
    items = [KitItem(CHARTER_ID, section=label, note=f"Notiz zu {label}") for label in SECTIONS]
    items += [KitItem(CHARTER_ID, passage_id=_first_passage(s, label)) for label in PASSAGE_SECTIONS]
    kit = Kit(title="Daten und Pilotprojekte", audience="Verwaltung", minutes=90, items=items)
    start = time.perf_counter()
    workshop = resolve(kit, s, date(2026, 12, 8))
    quiz = make_quiz(workshop, s)
    paths = write_all(workshop, quiz, tmp_path_factory.mktemp("kit"))
    seconds = time.perf_counter() - start
    assert len(workshop.found) == 4
    return Made(workshop, quiz, paths, seconds)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return ty.normalise(" ".join(p.extract_text() or "" for p in PdfReader(path).pages))


def _docx_text(path: Path) -> str:
    from docx import Document

    return ty.normalise(" ".join(p.text for p in Document(str(path)).paragraphs))


def test_participants_handout_holds_no_solution_and_the_trainers_all(made):
    readers = {"pdf": _pdf_text, "docx": _docx_text}
    assert made.quiz
    for kind, read in readers.items():
        participants, trainer = read(made.paths[kind]), read(made.paths[f"trainer_{kind}"])
        assert ty.QUIZ_HEADING in participants and ty.ANSWERS_HEADING not in participants, kind
        assert ty.SPEAKER_LABEL not in participants and ty.TRAINER_LABEL not in participants, kind
        assert ty.ANSWERS_HEADING in trainer and ty.TIMING_HEADING in trainer and ty.SPEAKER_LABEL in trainer, kind
        key = trainer[trainer.index(ty.ANSWERS_HEADING) :]
        for n, q in enumerate(made.quiz, start=1):
            answer = ty.normalise(f"{n}. {ty.OPTION_LETTERS[q.answer]}) {q.options[q.answer]}")
            assert answer in key, (kind, answer)
            # The participants see the question, never which option is right.
            assert ty.normalise(q.options[q.answer]) in participants or q.kind == IN_SECTION
        for item in made.workshop.found:  # the prompts and notes reach both
            for prompt in item.prompts:
                assert ty.normalise(prompt) in participants, (kind, prompt)


def test_cloze_options_share_the_answers_form(made):
    clozes = [q for q in made.quiz if q.kind == CLOZE]
    assert len(clozes) >= 2
    for q in clozes:
        answer = q.options[q.answer]
        assert q.prompt.replace(GAP, answer) == q.quote  # the answer is the quoted word
        assert form_class(answer)[0], answer  # a noun the form table knows
        for option in q.options:
            assert form_class(option) == form_class(answer), (q.prompt, option, answer)
            assert option not in q.quote or option == answer
        if continued(q.prompt):
            from workshop.morphology import is_compound

            assert all(is_compound(o) for o in q.options), q.options


def test_quiz_tests_content_and_every_answer_stands_in_its_quote(made):
    quiz = made.quiz
    kinds = [q.kind for q in quiz]
    assert len(quiz) >= 6 and sum(k == SECTION for k in kinds) * 4 <= len(quiz), kinds
    assert {CLOZE, IN_SECTION, TRUE_FALSE} <= set(kinds), kinds
    sentences = {s for item in made.workshop.found for s in item.sentences}
    for q in quiz:
        assert q.quote in sentences, q.quote
        if q.kind == IN_SECTION:
            assert q.options[q.answer] == q.quote and len(set(q.options)) == 4
            assert f"Abschnitt {q.prompt.split()[0]}," in q.citation
        elif q.kind == TRUE_FALSE:
            assert (q.prompt == q.quote) == (q.options[q.answer] == TRUE)


def test_quiz_is_deterministic(made, charter_searcher):
    from workshop.kit import resolve
    from workshop.quiz import make_quiz

    assert make_quiz(resolve(made.workshop.kit, charter_searcher), charter_searcher) == made.quiz


def test_prompts_quote_the_text_and_none_repeats(made):
    prompts = [p for item in made.workshop.found for p in item.prompts]
    assert len(prompts) >= 6
    assert len(set(prompts)) == len(prompts)
    questions = [p.rsplit("“", 1)[1].strip() for p in prompts]
    assert len(set(questions)) >= len(questions) - 1, questions
    for item in made.workshop.found:
        for prompt in item.prompts:
            quoted = prompt[1 : prompt.rindex("“")]
            assert quoted in item.sentences, prompt  # word for word from the item
            assert item.heading not in prompt.rsplit("“", 1)[1]  # no heading pasted in


def test_long_section_is_an_excerpt_with_a_page_pointer(made):
    section = made.workshop.found[0]
    assert len(section.quote) > ty.EXCERPT_CHARS
    paras, pointer = ty.excerpt(section)
    assert pointer == f"vollständiger Text: {ty.pages_text(section.page, section.page_end)}"
    assert all(p.removesuffix(" […]") in section.quote for p in paras)
    assert ty.normalise(pointer) in _pdf_text(made.paths["pdf"])


# Slides, rendered by LibreOffice ---------------------------------------------------------


def _render(pptx: Path, out: Path) -> Path:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (Debian: libreoffice-impress) is needed to render the slides"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{out}/lo", "--headless", "--convert-to", "pdf", "--outdir",
         str(out), str(pptx)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return out / f"{pptx.stem}.pdf"


def overflowing(pptx: Path, pdf: Path, slack: float = 3.0) -> list[str]:
    """Characters LibreOffice drew outside every text box of their slide (or the slide):
    '<slide>: <text>' for each slide that has some."""
    import pypdfium2 as pdfium
    from pptx import Presentation

    prs = Presentation(str(pptx))
    doc = pdfium.PdfDocument(str(pdf))
    assert len(doc) == len(prs.slides)
    found = []
    for n, (slide, page) in enumerate(zip(prs.slides, doc), start=1):
        width, height = page.get_size()
        boxes = [
            (s.left / 12700, height - (s.top + s.height) / 12700, (s.left + s.width) / 12700, height - s.top / 12700)
            for s in slide.shapes
            if s.has_text_frame
        ]
        text = page.get_textpage()
        outside = []
        for i in range(text.count_chars()):
            ch = text.get_text_range(i, 1)
            if not ch.strip():
                continue
            left, bottom, right, top = text.get_charbox(i)
            inside = any(
                left >= x0 - slack and right <= x1 + slack and bottom >= y0 - slack and top <= y1 + slack
                for x0, y0, x1, y1 in boxes
            )
            if not inside or left < 0 or right > width or bottom < 0 or top > height:
                outside.append(ch)
        if outside:
            found.append(f"{n}: {''.join(outside)[:80]}")
    return found


@pytest.fixture(scope="module")
def rendered(made, tmp_path_factory) -> Path:
    return _render(made.paths["pptx"], tmp_path_factory.mktemp("render"))


def test_slides_render_with_no_text_outside_its_box(made, rendered):
    assert overflowing(made.paths["pptx"], rendered) == []


def test_slide_count_is_bounded(made):
    from pptx import Presentation

    prs = Presentation(str(made.paths["pptx"]))
    titles = [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in prs.slides]
    quiz_slides = [t for t in titles if t.startswith((ty.QUIZ_HEADING, ty.ANSWERS_HEADING))]
    entries = len(made.workshop.found)
    assert titles[1] == "Ablauf" and titles[-1] == ty.SOURCES_HEADING
    assert titles[-2].startswith(ty.ANSWERS_HEADING)  # the solutions after all questions
    assert any(t.startswith("Diskussion:") for t in titles)
    assert len(prs.slides) <= 3 + 2 * entries + len(quiz_slides), titles


def test_the_overflow_check_finds_a_box_too_small(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(0.6))
    box.text_frame.word_wrap = True
    box.text_frame.text = "Kommunen sollten sich den Zugang zu Daten sichern. " * 6
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(24)
    path = tmp_path / "zu-klein.pptx"
    prs.save(str(path))
    assert overflowing(path, _render(path, tmp_path))


# Console and sources ---------------------------------------------------------------------


def test_font_subsetting_logs_nothing_below_warning(made, tmp_path, caplog):
    from workshop.handout_pdf import write_pdf

    with caplog.at_level(logging.DEBUG):
        write_pdf(made.workshop, made.quiz, tmp_path / "h.pdf")
    assert [r for r in caplog.records if r.name.startswith("fontTools") and r.levelno < logging.WARNING] == []


def test_quelle_online_links_the_document_or_says_it_is_the_publisher(made, tmp_path):
    from ingest.catalog import load_catalog, resolve_meta

    (tmp_path / "catalog.toml").write_text(
        '[[document]]\nfile = "a.pdf"\nid = "a"\nsource = "Amt, https://amt.example"\n'
        'url = "https://amt.example/docs/a.pdf"\n',
        encoding="utf-8",
    )
    meta = resolve_meta(tmp_path / "a.pdf", load_catalog(tmp_path))
    assert meta.url == "https://amt.example/docs/a.pdf" and meta.public()["url"] == meta.url
    item = made.workshop.found[0]
    assert item.source is not None and not item.source.direct  # the charter's catalog names only BBSR's site
    assert ty.link_label(item) == ty.PUBLISHER_LINK_LABEL and item.link == "https://www.bbsr.bund.de"
    direct = dataclasses.replace(item, source=dataclasses.replace(item.source, url=meta.url, direct=True))
    assert ty.link_label(direct) == ty.LINK_LABEL
    assert "nur die Website des Herausgebers" in _pdf_text(made.paths["pdf"])


def test_build_time_is_reported(made, capsys):
    with capsys.disabled():
        print(f"\nworkshop kit (4 entries, {len(made.quiz)} questions, 6 files) built in {made.seconds:.1f} s")
    assert made.seconds < 120


def test_the_distractors_the_trial_caught_are_of_another_form():
    # The trial's gaps: „als _____, -bereitsteller“ (Datenproduzent) and „von der _____“
    # (Verkehrsleitzentrale); the options it was offered had other forms and are refused now.
    from workshop.morphology import describe, is_compound

    assert continued("Dafür sollten sie ihre Rolle als _____, -bereitsteller oder -verwerter regelmäßig prüfen.")
    assert continued("Es gelten Informationsfreiheits- und _____ der Länder.")
    assert not continued("Große Teile der Daten haben _____ (Geodaten).")
    for answer, offered in (
        ("Datenproduzent", ("Datenkompetenzen", "Maßnahmenplänen", "Bedürfnislagen")),
        ("Verkehrsleitzentrale", ("Entwicklungskonzepten", "Bundesbauministerium", "Beteiligungsprozesse")),
    ):
        for wrong in offered:
            assert form_class(wrong) != form_class(answer), (wrong, describe(form_class(wrong)[0]))
    assert describe(form_class("Verkehrsleitzentrale")[0]) == "Nom./Gen./Dat./Akk. f."
    assert form_class("Datenplattform") == form_class("Verkehrsleitzentrale")  # a fitting one
    assert is_compound("Datenproduzent") and not is_compound("Produzent")
