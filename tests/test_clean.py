"""Text cleaning with German examples: glyphs, hyphenation, running heads, page labels."""

from __future__ import annotations

import re

import pytest

from ingest.clean import (
    dehyphenate,
    furniture_key,
    hyphenated_words,
    is_page_number,
    join_hyphenated,
    join_lines,
    normalize_line,
    repeated_edge_lines,
    strip_furniture,
)
from ingest.document import page_labels
from ingest.pdf import RawPdf

CHARTER_ID = "smart-city-charta-2021"


# --- glyphs and whitespace -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("\uf0b7 Bürgerinnen und Bürger beteiligen", "• Bürgerinnen und Bürger beteiligen"),
        ("\u25aa\u00a0Open Data", "• Open Data"),
        ("\u2022Datenschutz", "• Datenschutz"),
        ("die ofﬁzielle Stadtﬂäche", "die offizielle Stadtfläche"),
        ("Daten\u00adhoheit  behalten", "Datenhoheit behalten"),
        ("Smart\u200bCity\u2009Charta", "SmartCity Charta"),
        ("  Ka\u0308rnten ", "Kärnten"),  # decomposed umlaut is composed (NFC)
    ],
)
def test_normalize_line_bullets_ligatures_invisible_and_spaces(raw, clean):
    assert normalize_line(raw) == clean


def test_normalize_line_keeps_dashes_inside_text():
    assert normalize_line("Kommunen – Bund – Länder") == "Kommunen – Bund – Länder"


@pytest.mark.parametrize("line", ["12", "– 3 –", "Seite 4", "Seite 4 von 20", "- 17 -", "xiv"])
def test_page_number_lines(line):
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["3.2", "Bund", "2021 Smart City Charta", "12 Kommunen"])
def test_not_page_numbers(line):
    assert not is_page_number(line)


def test_furniture_key_ignores_case_spacing_and_numbers():
    assert furniture_key("Smart City Charta  12") == furniture_key("smart city charta 7")
    assert furniture_key("Smart City Charta") != furniture_key("Smart City Strategie")


# --- hyphenation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "left, right, joined, rest",
    [
        ("zu berück-", "sichtigt (Privacy by Design).", "zu berücksichtigt", "(Privacy by Design)."),
        ("die Daten-", "sicherheit sowie", "die Datensicherheit", "sowie"),
        ("der Kommunalver-", "waltung.", "der Kommunalverwaltung.", ""),
        ("Umwelt- und Ressourcen-", "schonung", "Umwelt- und Ressourcenschonung", ""),
        # Real hyphens: a capitalised continuation is part of the compound.
        ("sektorale Smart-City-", "Strategien und", "sektorale Smart-City-Strategien", "und"),
        ("geltender E-Government-", "Gesetze geschehen.", "geltender E-Government-Gesetze", "geschehen."),
        ("den Open-", "Data-Prinzipien", "den Open-Data-Prinzipien", ""),
        # Suspended hyphen before a conjunction stays.
        ("lokale Wissens-", "und Wertschöpfung", "lokale Wissens- und", "Wertschöpfung"),
        ("Bedarfs-", "oder Risikoanalysen", "Bedarfs- oder", "Risikoanalysen"),
    ],
)
def test_join_hyphenated_german(left, right, joined, rest):
    assert join_hyphenated(left, right) == (joined, rest)


def test_join_hyphenated_keeps_hyphen_the_document_uses_elsewhere():
    known = hyphenated_words(["Die Forschung untersucht die Wirkungen Sektor-übergreifend."])
    assert "sektor-übergreifend" in known
    assert join_hyphenated("vertieft Sektor-", "übergreifend. So kann", known) == (
        "vertieft Sektor-übergreifend.",
        "So kann",
    )
    # Without that evidence the line-end hyphen is a syllable break.
    assert join_hyphenated("vertieft Sektor-", "übergreifend. So kann")[0] == ("vertieft Sektorübergreifend.")


def test_join_hyphenated_leaves_lines_without_word_hyphen():
    assert join_hyphenated("Kosten 2020-", "2021 steigen") == ("Kosten 2020-", "2021 steigen")
    assert join_hyphenated("Ende des Satzes.", "Neuer Satz") == ("Ende des Satzes.", "Neuer Satz")


def test_dehyphenate_lines_of_a_paragraph():
    lines = [
        "Bei der Erhebung, Verarbei-",
        "tung und Veröffentlichung von Daten ist",
        "der Datenschutz zu berück-",
        "sichtigt. Smart-City-",
        "Strategien und E-Govern-",
        "ment-Gesetze stärken lokale Wissens-",
        "und Wertschöpfung.",
    ]
    text = " ".join(dehyphenate(lines))
    assert "Verarbeitung und Veröffentlichung" in text
    assert "berücksichtigt." in text
    assert "Smart-City-Strategien" in text
    assert "E-Government-Gesetze" in text
    assert "Wissens- und Wertschöpfung" in text
    assert "berück-" not in text and "Govern-" not in text


def test_dehyphenate_word_that_fills_the_next_line():
    # The continuation is the whole next line: the lines merge and joining goes on.
    assert dehyphenate(["Die Transforma-", "tions-", "prozesse laufen"]) == ["Die Transformationsprozesse", "laufen"]


def test_dehyphenate_keeps_a_free_standing_dash():
    lines = ["Bund, Länder und Kommunen -", "gemeinsam"]
    assert dehyphenate(lines) == lines


def test_hyphenated_words_ignore_line_end_breaks():
    found = hyphenated_words(["Das E-Government-Gesetz und die Daten-\nsicherheit"])
    assert found == {"e-government-gesetz"}


# --- running heads, footers, page numbers ----------------------------------------------


def _pages_with_furniture() -> list[list[str]]:
    bodies = [
        ["Kommunen sollten Daten teilen.", "Das stärkt die Teilhabe."],
        ["Die Smart City Charta richtet sich an alle.", "Bund und Länder sind gefragt."],
        ["Breitband ist ein Standortfaktor.", "Smart City Charta"],
        ["Geodaten sollten interoperabel sein.", "Open Data ist ein Ziel."],
    ]
    return [
        ["Smart City Charta", "3. Digitale Transformation", *body, f"Seite {i + 1}"] for i, body in enumerate(bodies)
    ]


def test_repeated_edge_lines_finds_running_heads_not_body():
    keys = repeated_edge_lines(_pages_with_furniture())
    assert furniture_key("Smart City Charta") in keys
    assert furniture_key("3. Digitale Transformation") in keys
    assert furniture_key("Kommunen sollten Daten teilen.") not in keys


def test_strip_furniture_drops_heads_and_page_numbers_keeps_body():
    pages = _pages_with_furniture()
    keys = repeated_edge_lines(pages)
    cleaned = [strip_furniture(lines, keys) for lines in pages]
    assert cleaned[0] == ["Kommunen sollten Daten teilen.", "Das stärkt die Teilhabe."]
    assert all(not is_page_number(s) for page in cleaned for s in page)
    # A body sentence that mentions the running title survives.
    assert "Die Smart City Charta richtet sich an alle." in cleaned[1]


def test_join_lines_makes_paragraphs_and_bullets():
    lines = [
        "Die Digitalisierung von Kommunen ist kein Selbstzweck,",
        "sie soll sozial, ökologisch und ökonomisch nachhaltig",
        "wirken.",
        "Die Kommunen gestalten den Wandel aktiv und gemeinsam",
        "mit allen.",
        "• Transparenz schaffen",
        "• Teilhabe sichern",
    ]
    assert join_lines(lines) == (
        "Die Digitalisierung von Kommunen ist kein Selbstzweck, sie soll sozial, ökologisch "
        "und ökonomisch nachhaltig wirken.\n"
        "Die Kommunen gestalten den Wandel aktiv und gemeinsam mit allen.\n"
        "• Transparenz schaffen\n• Teilhabe sichern"
    )


# --- page labels -----------------------------------------------------------------------


def _raw(n: int, labels=None, numbers=None) -> RawPdf:
    return RawPdf(
        page_count=n, pages=[[] for _ in range(n)], page_labels=labels, footer_numbers=numbers or [None] * n, outline=[]
    )


def test_page_labels_from_pdf_page_labels():
    labels = ["i", "ii", "1", "2"]
    assert page_labels(_raw(4, labels=labels)) == labels


def test_page_labels_inferred_from_printed_numbers_with_offset():
    # An unnumbered title page, then the printed count continues a volume at 8.
    assert page_labels(_raw(5, numbers=[None, 8, 9, 10, 11])) == ["7", "8", "9", "10", "11"]


def test_unnumbered_front_pages_never_repeat_a_printed_number():
    labels = page_labels(_raw(6, numbers=[None, None, None, 1, 2, 3]))
    assert labels == ["[1]", "[2]", "[3]", "1", "2", "3"]
    assert len(set(labels)) == len(labels)


def test_page_labels_fall_back_to_page_index():
    assert page_labels(_raw(3)) == ["1", "2", "3"]


# --- the real charter ------------------------------------------------------------------


@pytest.fixture(scope="module")
def charter_doc(charter_searcher):
    return charter_searcher.stored.documents[CHARTER_ID]


def _page(doc, pdf_page: int) -> dict:
    return doc["pages"][pdf_page - 1]


def test_charter_word_split_across_page_break_is_joined(charter_doc):
    p16, p17 = _page(charter_doc, 16)["text"], _page(charter_doc, 17)["text"]
    assert p16.endswith("Kommunen müssen die erforderlichen Investitionen")
    assert p17.startswith("in die technische Infrastruktur")
    assert "In-" not in p16[-20:] and not p17.startswith("vestitionen")


def test_charter_passage_over_the_page_break_reads_investitionen(charter_searcher):
    # The sentence runs on from page 16 to 17: the page break is a space, not a line break.
    texts = [p.text for p in charter_searcher.stored.passages]
    assert any("erforderlichen Investitionen in die technische Infrastruktur" in t for t in texts)
    assert not any("vestitionen" in t.replace("Investitionen", "") for t in texts)


def test_charter_hyphenation(charter_doc):
    text = "\n".join(p["text"] for p in charter_doc["pages"])
    assert "zu berücksichtigen (Privacy by Design)" in text
    assert "Kommunen mit wissens- und technologiebasierter Wirtschaft" in text
    assert "Smart-City-Konzepte" in text
    assert "E-Government-Gesetze" in text
    assert "Open-Data-Prinzipien" in text
    assert "Wissens- und Wertschöpfung" in text
    assert "Rolle als Datenproduzent, -bereitsteller oder -verwerter" in text
    assert "Datensicherheit" in text and "Daten- sicherheit" not in text
    # No syllable break survived the line joins.
    assert "berück- " not in text and "Verarbei- tung" not in text


def test_charter_running_heads_and_page_numbers_dropped(charter_searcher, charter_doc):
    pages = charter_doc["pages"]
    for page in pages:
        for paragraph in page["text"].split("\n"):
            assert paragraph != "Smart City Charta" or page["pdf_page"] == 1, page["pdf_page"]
            assert not is_page_number(paragraph), (page["pdf_page"], paragraph)
    # Page 11 opens mid-sentence; the running head above it is gone.
    assert _page(charter_doc, 11)["text"].startswith("funktionsfähig bleiben.")
    for p in charter_searcher.stored.passages:
        for paragraph in p.text.split("\n"):
            assert paragraph != "Smart City Charta", p.id
            assert not is_page_number(paragraph), (p.id, paragraph)
        assert not re.search(r"\b(1[0-9]|2[01]|[2-9])$", p.text), p.id


def test_charter_page_labels_follow_the_printed_numbers(charter_doc):
    labels = [p["label"] for p in charter_doc["pages"]]
    assert labels == [str(i) for i in range(1, 22)]


def test_charter_illustration_pages_stay_out_of_the_reading_flow(charter_doc):
    out = [p["pdf_page"] for p in charter_doc["pages"] if not p["in_flow"]]
    assert out == [1, 7, 9, 12, 14, 20]
    # The caption stays with its page; the illustration credit is gone.
    assert _page(charter_doc, 7)["text"] == "Im Fokus: Governance"


# --- defects that reached answers: tofu bullets, credits, tables of contents ---------------


def test_symbol_font_bullets_become_bullets_and_items_stay_apart():
    # pypdf hands the Symbol-font bullet of the charter over as U+007F (a tofu box).
    lines = [
        normalize_line(s)
        for s in [
            "Die Charta baut auf",
            "\t\x7f der Leipzig Charta,",
            "\uf0b7 der Urban Agenda der EU sowie",
            "\x7f der New Urban Agenda.",
        ]
    ]
    assert lines[1:] == ["• der Leipzig Charta,", "• der Urban Agenda der EU sowie", "• der New Urban Agenda."]
    assert join_lines(lines).split("\n") == ["Die Charta baut auf", *lines[1:]]


def test_charter_list_items_are_bullets_not_tofu(charter_searcher):
    texts = [s.text for s in charter_searcher.sentences]
    assert "• der Leipzig Charta zur nachhaltigen europäischen Stadt," in texts
    assert not any(re.search("[\x00-\x08\x0b-\x1f\x7f\ue000-\uf8ff]", t) for t in texts)


@pytest.mark.slow
def test_credit_lines_and_toc_pages_stay_out_of_the_index(tmp_path):
    from conftest import make_settings
    from pdf_factory import text_pdf

    from index.build import build_index
    from index.search import Searcher

    toc = [
        "Inhalt",
        "1 Einleitung ..................... 2",
        "2 Daten ........................ 2",
        "2.1 Datenhoheit .................. 2",
        "3 Fazit ........................ 3",
    ]
    page2 = [
        "Die Kommunen sollen ihre Daten selbst verwalten und die Hoheit darüber",
        "behalten. Dazu brauchen sie eigene Fachleute und klare Regeln für alle.",
        "Foto: © Stadt Musterhausen",
    ]
    page3 = [
        "Zum Schluss: Ein guter Plan hilft der ganzen Verwaltung und den Menschen",
        "vor Ort. Er wird jedes Jahr geprüft und bei Bedarf angepasst.",
    ]
    settings = make_settings(tmp_path)
    settings.corpus_dir.mkdir()
    text_pdf(settings.corpus_dir / "leitfaden.pdf", [toc, page2, page3], title="Leitfaden")
    report = build_index([settings.corpus_dir], settings)
    assert not report.failed, report.results
    searcher = Searcher.open(settings)
    text = " ".join(p.text for p in searcher.passages)
    assert "Foto" not in text and "Musterhausen" not in text
    assert "....." not in text and "Einleitung" not in text
    hits = searcher.search("Inhalt Einleitung Daten Datenhoheit Fazit", k=3)
    assert all(h.pdf_page != 1 for h in hits)
