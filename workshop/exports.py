"""All workshop files in one folder: the participants' handout and the trainer's (each PDF
and DOCX), slides (PPTX), quiz (Moodle XML)."""

from __future__ import annotations

from pathlib import Path

from common.errors import KitError
from workshop.model import QuizQuestion, Workshop
from workshop.quiz import moodle_xml

FILES = {
    "pdf": "handout.pdf",  # for participants: no solutions
    "docx": "handout.docx",
    "trainer_pdf": "kursleitung.pdf",  # for the trainer: timing, speaker notes, answer key
    "trainer_docx": "kursleitung.docx",
    "pptx": "slides.pptx",
    "xml": "quiz.xml",
}


def write_all(workshop: Workshop, quiz: list[QuizQuestion], out_dir: Path) -> dict[str, Path]:
    """Write the files into ``out_dir`` (created if need be) under their fixed names
    (:data:`FILES`); returns their paths by kind. A workshop without a single found item
    raises :class:`KitError` (code ``empty_kit``) and writes nothing."""
    if not workshop.found:
        reason = (
            f"none of its {len(workshop.items)} items was found in the index" if workshop.items else "it has no items"
        )
        raise KitError(
            workshop.kit.title or "kit", f"nothing to export: {reason}", "empty_kit", items=len(workshop.items)
        )
    # The renderers load fonts and office libraries: only when files are written.
    from workshop.handout_docx import write_docx
    from workshop.handout_pdf import write_pdf
    from workshop.slides import write_pptx

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in FILES.items()}
    write_pdf(workshop, quiz, paths["pdf"])
    write_docx(workshop, quiz, paths["docx"])
    write_pdf(workshop, quiz, paths["trainer_pdf"], trainer=True)
    write_docx(workshop, quiz, paths["trainer_docx"], trainer=True)
    write_pptx(workshop, paths["pptx"], quiz)
    category = f"Charta-Lotse: {workshop.kit.title}" if workshop.kit.title else "Charta-Lotse"
    paths["xml"].write_text(moodle_xml(quiz, category), encoding="utf-8")
    return paths
