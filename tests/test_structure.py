"""Section trees: from the PDF outline (the charter) and from numbered headings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.catalog import resolve_meta
from ingest.document import PATH_SEP, build_document, sha256_file
from ingest.pdf import read_pdf
from ingest.structure import detect_numbered, heading_label, heading_number, list_items, locate_outline
from tests.pdf_factory import text_pdf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT_CHARTER = Path(__file__).resolve().parent.parent / "corpus" / "smart-city-charta-2021.pdf"
CHARTER_ID = "smart-city-charta-2021"


@pytest.mark.parametrize(
    "line, number",
    [
        ("3.2 Daten verantwortungsvoll generieren, Datenhoheit behalten", "3.2"),
        ("1. Digitale Transformation braucht Ziele, Strategien und Strukturen", "1."),
        ("a) Smart-City-Strategien aufsetzen", "a)"),
        ("II. Leitlinien für Smart Cities", "II."),
        ("4.1.2 Ressourcen bereitstellen", "4.1.2"),
        ("2.3 „Mitgestaltung“ fördern", "2.3"),
    ],
)
def test_heading_number_recognises_german_numbering(line, number):
    assert heading_number(line) == number


@pytest.mark.parametrize(
    "line",
    [
        "Die Kommunen sollten 3 Dinge tun.",
        "2020 Neue Leipzig Charta.",
        "3.2 Daten sind wichtig, deshalb gilt Folgendes.",  # a sentence, not a heading
        "a) der Bund und die Länder",  # lowercase: an enumerated clause
        "2021 Smart City Charta",  # a year is no section number
        "• 1. Spiegelstrich",
    ],
)
def test_heading_number_rejects_body_lines(line):
    assert heading_number(line) is None


def test_heading_label():
    assert heading_label("3.2 Daten verantwortungsvoll generieren") == "3.2"
    assert heading_label("a) Smart-City-Strategien aufsetzen") == "a)"
    assert heading_label("II. Leitlinien für Smart Cities") == "II."
    assert heading_label("Vorwort") == "Vorwort"


def test_detect_numbered_levels_and_wrapped_titles():
    pages = [
        [
            "II. Leitlinien für Smart Cities",
            "Digitalisierung ist Realität geworden.",
            "3. Digitale Transformation braucht Infrastrukturen, Daten und",
            "Dienstleistungen",
            "3.1 Zugang zu digitalen Infrastrukturen",
            "schaffen und sicherstellen",
            "Ein sicherer Zugang ist ein Standortfaktor.",
        ],
        [
            "3.2 Daten verantwortungsvoll generieren,",
            "Datenhoheit behalten",
            "Kommunen sollten sich den Zugang zu Daten sichern.",
            "III. Akteursspezifische Handlungsempfehlungen",
            "a) Smart-City-Strategien aufsetzen",
            "Kommunen gestalten aktiv den Dialog.",
        ],
    ]
    hits = detect_numbered(pages)
    got = [(h.level, h.title, h.page) for h in hits]
    assert got == [
        (1, "II. Leitlinien für Smart Cities", 0),
        (2, "3. Digitale Transformation braucht Infrastrukturen, Daten und Dienstleistungen", 0),
        (3, "3.1 Zugang zu digitalen Infrastrukturen schaffen und sicherstellen", 0),
        (3, "3.2 Daten verantwortungsvoll generieren, Datenhoheit behalten", 1),
        (1, "III. Akteursspezifische Handlungsempfehlungen", 1),
        (2, "a) Smart-City-Strategien aufsetzen", 1),
    ]
    # Wrapped headings became one line each, and the hit points at it.
    for h in hits:
        assert pages[h.page][h.line] == h.title


def test_detect_numbered_ignores_numbers_inside_a_paragraph():
    pages = [
        [
            "1. Einleitung",
            "Die Charta nennt in ihrem Kapitel",
            "3.2 Daten und ihre Hoheit als Thema, das alle betrifft",
            "und das geht weiter.",
        ]
    ]
    assert [h.title for h in detect_numbered(pages)] == ["1. Einleitung"]


def test_detect_numbered_without_headings_finds_nothing():
    pages = [["Die Stadt plant neue Radwege.", "Bürgerinnen und Bürger reden mit."]]
    assert detect_numbered(pages) == []


def test_locate_outline_finds_titles_split_over_lines_and_merges_them():
    pages = [
        ["Vorwort der Herausgeber."],
        [
            "Text davor endet hier.",
            "3.2 Daten verantwortungsvoll generie-",
            "ren, Datenhoheit behalten",
            "Kommunen sollten sich den Zugang sichern.",
            "3.3 Dauerhafte Funktionsfähigkeit sichern",
            "Für die dauerhafte Funktionsfähigkeit.",
        ],
    ]
    outline = [
        (2, "3.2 Daten verantwortungsvoll generieren, Datenhoheit behalten", 1),
        (2, "3.3 Dauerhafte Funktionsfähigkeit sichern", 1),
        (1, "Ein Lesezeichen ohne gedruckten Titel", 1),
    ]
    hits = locate_outline(pages, outline)
    assert [(h.page, h.line) for h in hits] == [(1, 1), (1, 3), (1, None)]
    assert pages[1][1] == "3.2 Daten verantwortungsvoll generie- ren, Datenhoheit behalten"


# --- whole documents -------------------------------------------------------------------


@pytest.fixture(scope="module")
def charter_sections(charter_searcher):
    return charter_searcher.stored.documents[CHARTER_ID]["sections"]


def test_charter_structure_comes_from_its_outline(charter_searcher, charter_sections):
    assert charter_searcher.documents[CHARTER_ID]["structure"] == "outline"
    by_label = {heading_label(s["title"]): s for s in charter_sections}
    sec = by_label["3.2"]
    assert PATH_SEP.join(sec["path"]) == (
        "3. Digitale Transformation braucht Infrastrukturen, Daten und Dienstleistungen"
        " › 3.2 Daten verantwortungsvoll generieren, Datenhoheit behalten"
    )
    assert (sec["level"], sec["page"], sec["pdf_page"]) == (2, "10", 10)
    assert by_label["2.2"]["title"] == "2.2 Digitale Teilhabe, Integration und Inklusion sichern"
    assert by_label["2.2"]["page"] == "8"
    assert by_label["a)"]["path"] == [
        "III. Akteursspezifische Handlungsempfehlungen",
        "a) Smart-City-Strategien aufsetzen und gesellschaftliche Debatte dazu führen",
    ]
    assert by_label["II."]["level"] == 1
    assert by_label["l)"]["page"] == "18"
    labels = [heading_label(s["title"]) for s in charter_sections]
    for want in ["I.", "II.", "1.", "1.1", "2.3", "3.3", "4.3", "III.", "a)", "k)", "IV.", "V."]:
        assert want in labels


def test_charter_section_bodies_start_after_their_heading(charter_searcher, charter_sections):
    pages = charter_searcher.stored.documents[CHARTER_ID]["pages"]
    by_label = {heading_label(s["title"]): s for s in charter_sections}
    span = by_label["2.2"]["spans"][0]
    body = pages[span["pdf_page"] - 1]["text"][span["start"] : span["end"]]
    assert body.lstrip().startswith("Die digitale Transformation")
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in body
    assert "2.3 Mitgestaltung fördern" not in body


def _document(pdf: Path):
    raw = read_pdf(pdf, max_pages=100, timeout_s=60)
    return build_document(raw, pdf, resolve_meta(pdf, {}, raw.metadata), sha256_file(pdf))


def test_numbered_headings_without_outline(tmp_path):
    pdf = text_pdf(
        tmp_path / "leitfaden.pdf",
        [
            [
                "I. Grundlagen",
                "Der Leitfaden richtet sich an Kommunen.",
                "1. Daten und Plattformen",
                "Kommunen sollten offene Schnittstellen nutzen.",
                "1.1 Offene Daten bereitstellen",
                "Offene Daten stärken Transparenz und Teilhabe.",
            ],
            [
                "1.2 Datenschutz beach-",
                "ten und umsetzen",
                "Personenbezogene Daten sind zu schützen.",
                "II. Umsetzung",
                "a) Pilotprojekte starten",
                "Reallabore helfen beim Lernen.",
            ],
        ],
        title="Leitfaden Daten",
    )
    doc = _document(pdf)
    assert doc.structure == "headings"
    paths = [s.path_text for s in doc.sections]
    assert paths == [
        "I. Grundlagen",
        "I. Grundlagen › 1. Daten und Plattformen",
        "I. Grundlagen › 1. Daten und Plattformen › 1.1 Offene Daten bereitstellen",
        "I. Grundlagen › 1. Daten und Plattformen › 1.2 Datenschutz beachten und umsetzen",
        "II. Umsetzung",
        "II. Umsetzung › a) Pilotprojekte starten",
    ]
    sec = doc.sections[3]
    assert sec.pdf_page == 2
    assert doc.flow[sec.body_start : sec.end].strip() == "Personenbezogene Daten sind zu schützen."


def test_pdf_without_outline_or_headings_is_one_section(tmp_path):
    pdf = tmp_path / "pdflatex-4-pages.pdf"
    shutil.copy(FIXTURES / "pdflatex-4-pages.pdf", pdf)
    doc = _document(pdf)
    assert doc.structure == "none"
    assert len(doc.sections) == 1
    sec = doc.sections[0]
    assert sec.path == [doc.meta.title]
    assert (sec.start, sec.end) == (0, len(doc.flow))
    assert len(doc.pages) == 4
    # The printed page numbers at the foot of each page are not text.
    assert all(not p.text.rstrip().endswith(str(p.index + 1)) for p in doc.pages)


def test_mistitled_outline_keeps_all_text(tmp_path):
    pdf = tmp_path / "mistitled_outlines_example.pdf"
    shutil.copy(FIXTURES / "mistitled_outlines_example.pdf", pdf)
    doc = _document(pdf)
    assert doc.structure == "outline"
    covered = sum(s.end - s.start for s in doc.sections)
    assert covered == len(doc.flow)
    starts = [s.start for s in doc.sections]
    assert starts == sorted(starts)


def test_pdf_page_labels_are_kept_apart_from_page_indices(tmp_path, embedder):
    from pypdf import PdfWriter

    from common.settings import PassageSettings
    from ingest.passages import make_passages

    plain = text_pdf(
        tmp_path / "plain.pdf",
        [
            ["Vorwort", "Wir danken allen Beteiligten für ihre engagierte Mitarbeit am Leitfaden."],
            ["1. Einleitung", "Die Stadt plant neue, sichere Radwege für alle Menschen im Quartier."],
            ["2. Ziele", "Mehr Sicherheit im Verkehr für Kinder, Eltern und ältere Menschen."],
        ],
        title="Radverkehrsleitfaden",
    )
    writer = PdfWriter(clone_from=str(plain))
    writer.set_page_label(0, 0, "/r")  # front matter: i
    writer.set_page_label(1, 2, "/D", start=1)  # then 1, 2
    pdf = tmp_path / "radverkehr.pdf"
    writer.write(str(pdf))
    doc = _document(pdf)
    assert [(p.index, p.label) for p in doc.pages] == [(0, "i"), (1, "1"), (2, "2")]
    assert doc.meta.title == "Radverkehrsleitfaden"
    passages, _ = make_passages(doc, embedder.count_tokens, PassageSettings())
    ziele = next(p for p in passages if p.section_path[-1] == "2. Ziele")
    assert (ziele.pdf_page, ziele.page) == (3, "2")
    vorwort = next(p for p in passages if "Wir danken" in p.text)
    assert (vorwort.pdf_page, vorwort.page) == (1, "i")


# --- numbered lists and wrapped slide titles (real deck: tests/fixtures/ulm4clevercity-auszug.pdf) ---

DECK = FIXTURES / "ulm4clevercity-auszug.pdf"
# Slide 23 of the deck, as the parser reads it.
GUIDELINES = [
    "17 Prämissen und Leitplanken",
    "1. So digital wie möglich, so analog wie nötig",
    "2. Mut zur Veränderung und Agilität",
    "3. Nutzerorientierung",
    "4. Daten sind Grundwasser",
    "5. Nachhaltigkeit im Fokus",
    "6. Schwerpunkte setzen",
    "7. Standards nutzen und auf 80/20 setzen",
    "8. Querschnittsorientiert und kooperativ",
    "9. Dezentrale Stärken entfalten – kreative Lösungen in jeder",
    "Fachabteilung",
    "10. Zentrale Stärken entfalten – Fachabteilungen unterstützen",
    "11. Fortbildung und aktive Beteiligung",
    "12. Handwerkszeug bereitstellen und nutzen",
    "13. Kooperativer Konzern",
    "14. Über Stadtgrenzen hinweg",
    "15. Digitale Community",
    "16. Open Data und Open Source",
    "17. Datenschutz, Datensicherheit und Datensouveränität",
]


def test_a_run_of_consecutive_numbers_on_a_page_is_a_list():
    assert list_items(GUIDELINES) == set(range(len(GUIDELINES))) - {10}
    assert detect_numbered([list(GUIDELINES)]) == []
    # The charter's four guidelines, announced on page 5 before their chapters.
    four = [
        "sind die folgenden vier Leitlinien zentral:",
        "1. Digitale Transformation braucht",
        "Ziele, Strategien und Strukturen",
        "2. Digitale Transformation braucht",
        "Transparenz, Teilhabe und",
        "Mitgestaltung",
        "3. Digitale Transformation braucht",
        "Infrastrukturen, Daten und",
        "Dienstleistungen",
        "4. Digitale Transformation braucht",
        "Ressourcen, Kompetenzen und",
        "Kooperationen",
    ]
    assert list_items(four) == {1, 3, 6, 9}
    assert detect_numbered([four]) == []


def test_numbered_headings_with_their_text_between_are_no_list():
    body = ["Kommunen sollten die Digitalisierung nutzen, um Entscheidungen transparent zu machen."] * 5
    page = ["2.1 Transparenz und Demokratie stärken", *body, "2.2 Digitale Teilhabe sichern", *body]
    page += ["2.3 Mitgestaltung fördern", *body]
    assert list_items(page) == set()
    assert [h.title for h in detect_numbered([page])] == [
        "2.1 Transparenz und Demokratie stärken",
        "2.2 Digitale Teilhabe sichern",
        "2.3 Mitgestaltung fördern",
    ]


def test_dates_in_a_timeline_are_no_headings():
    page = ["Rahmentermine in 2020.", "11. Februar", "Erste Tagung Fachbeirat.", "1. Halbjahr", "Start."]
    assert detect_numbered([page]) == []


def test_a_slide_title_wrapped_before_its_question_mark_is_one_heading():
    page = ["6. Worauf basiert die Ulmer Smart City", "Strategie?", "Bausteine der Strategie"]
    assert [h.title for h in detect_numbered([page])] == ["6. Worauf basiert die Ulmer Smart City Strategie?"]
    assert page == ["6. Worauf basiert die Ulmer Smart City Strategie?", "Bausteine der Strategie"]
    # A subtitle that is not the rest of a question stays apart.
    page = ["1. Was ist Ulm4CleverCity?", "Projektvorstellung"]
    assert [h.title for h in detect_numbered([page])] == ["1. Was ist Ulm4CleverCity?"]


@pytest.fixture(scope="module")
def deck():
    return _document(DECK)


def test_deck_sections_are_its_slide_titles(deck):
    assert deck.meta.title == "Ulm4CleverCity – Smart City Modellstadt"
    assert deck.structure == "headings"
    assert [(s.level, s.title, s.pdf_page) for s in deck.sections] == [
        (1, "Ulm4CleverCity – Smart City Modellstadt", 1),
        (1, "1. Was ist Ulm4CleverCity?", 2),
        (1, "6. Worauf basiert die Ulmer Smart City Strategie?", 4),
        (2, "6.2 Normativer Rahmen", 6),
        (2, "6.3 Ulmer Besonderheiten", 9),
    ]
    # The 17 guidelines are the text of 6.2, not 17 sections.
    rahmen = deck.sections[3]
    body = deck.flow[rahmen.body_start : rahmen.end]
    assert "9. Dezentrale Stärken entfalten – kreative Lösungen in jeder Fachabteilung" in body
    assert "17. Datenschutz, Datensicherheit und Datensouveränität" in body
    items = {line.split(" ", 1)[1] for line in GUIDELINES[1:] if " " in line}
    assert not any(s.title.split(" ", 1)[-1] in items for s in deck.sections)


def test_deck_passages_start_with_words_not_a_stray_question_end(deck, embedder):
    from common.settings import PassageSettings
    from ingest.passages import make_passages

    passages, _ = make_passages(deck, embedder.count_tokens, PassageSettings())
    for p in passages:
        first = p.text.split(maxsplit=1)[0]
        assert not first.endswith("?"), p.text[:80]
    strategy = [p for p in passages if p.section_path[-1].startswith("6. Worauf")]
    assert strategy and strategy[0].text.startswith("Bausteine der Strategie")


def test_charter_without_its_outline_keeps_its_numbered_headings():
    """The list rule on a long real text: the charter's numbered headings, found without
    the outline, are all still headings; its announced list of four guidelines is not."""
    raw = read_pdf(ROOT_CHARTER, max_pages=100, timeout_s=60)
    raw.outline = []
    doc = build_document(raw, ROOT_CHARTER, resolve_meta(ROOT_CHARTER, {}, raw.metadata), sha256_file(ROOT_CHARTER))
    labels = [heading_label(s.title) for s in doc.sections]
    for want in ["I.", "II.", "1.", "1.1", "2.1", "2.2", "2.3", "3.1", "3.2", "4.2", "III.", "a)", "e)", "l)", "IV."]:
        assert want in labels
    assert labels.count("1.") == 1  # the chapter, not also the item of the list on page 5
    assert "1. Digitale Transformation braucht" not in [s.title for s in doc.sections]
