"""Document titles: a producer's placeholder never names a document.

Order: the catalog's title, the PDF's title when it is a real one, the title printed on
the first page, a readable form of the file name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.catalog import resolve_meta
from ingest.pdf import read_pdf
from ingest.titles import is_generic_title, page_title, title_from_file_name

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DECK = FIXTURES / "ulm4clevercity-auszug.pdf"


@pytest.mark.parametrize(
    "title",
    [
        "PowerPoint-Präsentation",  # PowerPoint, German
        "PowerPoint Presentation",
        "Präsentation1",  # a new, unsaved deck
        "Folie 1",
        "Titelmasterformat durch Klicken bearbeiten",  # the master slide's placeholder
        "Microsoft Word - Entwurf_Strategie.docx",  # Acrobat PDFMaker
        "Microsoft PowerPoint - Sitzung 3.pptx",
        "Dokument1",
        "Untitled document",  # Google Docs
        "Unbenannte Präsentation",  # Google Slides
        "Unbenannt-1",  # Illustrator, InDesign
        "Layout 1",  # InDesign, Quark
        "Untitled",
        "",
        "   ",
        "main.tex",  # LaTeX without pdftitle
        "bericht.dvi",
        "strategie_final_v3",
        "C:\\Users\\amt\\Desktop\\Vorlage.doc",
        "Inhaltsverzeichnis",
        "2021",
    ],
)
def test_producer_placeholders_are_no_titles(title):
    assert is_generic_title(title)


@pytest.mark.parametrize(
    "title",
    [
        "Smart City Charta",
        "Geometrie und Topologie",
        "E-Government-Gesetz (EGovG)",
        "Präsentation der Ergebnisse des Bürgerdialogs",
        "Folien zur Auftaktveranstaltung Smart City",
        "Open Data Handbuch – Handreichung für die Berliner Verwaltung",
        "Leitfaden Digitalisierung 2.0",
    ],
)
def test_real_titles_are_kept(title):
    assert not is_generic_title(title, "dokument.pdf")


def test_a_title_that_only_repeats_the_file_name_is_none():
    assert is_generic_title("ulm4clevercity-ueberblick", "ulm4clevercity-ueberblick.pdf")
    assert is_generic_title("Ulm4CleverCity_Ueberblick", "ulm4clevercity-ueberblick.pdf")
    assert not is_generic_title("Ulm4CleverCity", "ulm4clevercity-ueberblick.pdf")


def test_title_order_catalog_pdf_title_first_page_file_name():
    deck = Path("ulm4clevercity-ueberblick.pdf")
    page = "Ulm4CleverCity – Smart City Modellstadt"
    catalog = {deck.name: {"title": "Ulm4CleverCity – Überblick"}}
    assert resolve_meta(deck, catalog, {"title": "Folie 1", "page_title": page}).title == "Ulm4CleverCity – Überblick"
    assert resolve_meta(deck, {}, {"title": "Smart City Ulm", "page_title": page}).title == "Smart City Ulm"
    assert resolve_meta(deck, {}, {"title": "PowerPoint-Präsentation", "page_title": page}).title == page
    assert resolve_meta(deck, {}, {"title": "PowerPoint-Präsentation", "page_title": "Inhalt"}).title == (
        "Ulm4clevercity Überblick"
    )
    assert resolve_meta(deck, {}, {}).title == "Ulm4clevercity Überblick"


def test_readable_file_names():
    assert title_from_file_name("ulm4clevercity-ueberblick.pdf") == "Ulm4clevercity Überblick"
    assert title_from_file_name("leitfaden_oeffentliche_beteiligung.pdf") == "Leitfaden Öffentliche Beteiligung"
    # Spelled-out umlauts only come back where the word then exists: „aktuelle“, „Quelle“ stay.
    assert title_from_file_name("aktuelle-quellen.pdf") == "Aktuelle Quellen"
    # A name someone wrote with capitals keeps them.
    assert title_from_file_name("OZG-Umsetzung_Stand 2022.pdf") == "OZG Umsetzung Stand 2022"


def test_page_title_takes_the_first_lines_in_the_largest_type():
    subtitle = ("Clever. Offen. Für alle. Nachhaltig.", 20.1)
    assert page_title([("Ulm4CleverCity – Smart City", 48.0), ("Modellstadt", 48.0), subtitle]) == (
        "Ulm4CleverCity – Smart City Modellstadt"
    )
    # A big page number is no title; a long run in the largest type is body text.
    assert page_title([("7", 60.0), ("Leitfaden", 30.0), ("Text", 11.0)]) == "Leitfaden"
    assert page_title([(f"Zeile {n} eines langen Absatzes", 14.0) for n in range(6)] + [("Fußnote", 8.0)]) == ""
    # A placeholder left on the title slide is no title either.
    assert page_title([("Titelmasterformat durch Klicken bearbeiten", 40.0), ("Text", 18.0)]) == ""


def test_the_deck_is_titled_by_its_first_slide():
    raw = read_pdf(DECK, max_pages=50, timeout_s=60)
    assert raw.metadata["title"] == "PowerPoint-Präsentation"
    meta = resolve_meta(DECK, {}, raw.metadata)
    assert meta.title == "Ulm4CleverCity – Smart City Modellstadt"


def _fpdf_document(path: Path, title: str, heading: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", size=24)
    for line in heading:
        pdf.cell(0, 12, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Die Gemeinde plant sichere Radwege zu Schulen und Bahnhöfen. " * 8)
    pdf.output(str(path))
    return path


def test_a_word_export_is_titled_by_its_printed_title(tmp_path):
    pdf = _fpdf_document(
        tmp_path / "Leitfaden_Radverkehr_final.pdf",
        "Microsoft Word - Leitfaden_Radverkehr_final.docx",
        ["Leitfaden Radverkehr", "für kleine Gemeinden"],
    )
    raw = read_pdf(pdf, max_pages=10, timeout_s=60)
    assert resolve_meta(pdf, {}, raw.metadata).title == "Leitfaden Radverkehr für kleine Gemeinden"


def test_without_any_title_the_file_name_is_made_readable(tmp_path):
    pdf = _fpdf_document(tmp_path / "radwege-fuer-schulkinder.pdf", "", [])
    raw = read_pdf(pdf, max_pages=10, timeout_s=60)
    assert "page_title" not in raw.metadata
    assert resolve_meta(pdf, {}, raw.metadata).title == "Radwege für Schulkinder"
