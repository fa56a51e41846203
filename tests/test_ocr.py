"""Scanned pages: read by Tesseract, found, cited „Text erkannt“, marked in the source view.

The scans are real images: charter pages rendered by PDFium in grey at 200 dpi and written
by Pillow as JPEG pages without any text layer (eval/ocr.py ``scan_copy``), read by the real
Tesseract with its German data. Where the mark belongs is taken from the original page's
text layer (PDFium's own text search), independently of the OCR.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import CHARTER, make_settings
from pypdf import PdfReader, PdfWriter

from common.errors import DocumentError
from eval.ocr import char_accuracy, excerpt, scan_copy
from index import maintain, store
from index.build import build_index
from index.search import Searcher
from ingest.catalog import resolve_meta
from ingest.document import build_document
from ingest.ocr import INSTALL
from ingest.pdf import PdfParse, read_pdf
from tests import pdf_factory as pf
from tests.test_source_view import found_box, overlap
from web.admin import reason_text


@pytest.fixture(scope="module", autouse=True)
def _tesseract():
    # scripts/run-tests.sh installs it; a missing tool must fail loudly, not skip.
    from ingest.ocr import unavailable

    if problem := unavailable():
        pytest.fail(f"the OCR tests need Tesseract: run bash scripts/run-tests.sh ({problem})")


NIEMAND = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden."
SCANNED = [6, 7, 8]  # charter pages 7–9: an illustration page, section 2 (page 8), another one


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, embedder):
    """An index of a corpus holding a scan of charter pages 7–9 (no text layer)."""
    tmp = tmp_path_factory.mktemp("scan")
    scan_copy(CHARTER, tmp / "corpus" / "charta-scan.pdf", SCANNED)
    settings = make_settings(tmp)
    lines: list[str] = []
    report = build_index([settings.corpus_dir], settings, progress=lines.append)
    return settings, report, lines


def test_a_scanned_page_is_read_found_cited_and_marked(scanned):
    from answer.pipeline import ask
    from web.render import render_card
    from web.sourceview import build_view, render_view

    settings, _, lines = scanned
    [line] = lines
    assert line.startswith("✓ charta-scan.pdf: 3 pages (3 read by OCR), "), line
    searcher = Searcher.open(settings)
    [entry] = searcher.stored.manifest.documents
    assert entry["ocr_pages"] == [1, 2, 3]

    answer = ask(searcher, "Muss jeder Bürger Online-Dienste nutzen?")
    cited = [p for p in answer.passages if NIEMAND in p.hit.text]
    assert cited, [p.hit.text[:80] for p in answer.passages]
    item = cited[0]
    # Sections were found in the recognised text, and the citation says it was recognised.
    assert item.hit.ocr and item.hit.section_path[-1].startswith("2.2 Digitale Teilhabe")
    assert item.citation.endswith("Abschnitt 2.2, S. 2, Text erkannt"), item.citation
    german, english = render_card(item, "de"), render_card(item, "en")
    assert "S. 2, Text erkannt" in german and "text recognised by OCR" not in german
    assert "S. 2, text recognised by OCR" in english and "Text erkannt" not in english

    # „Stelle im PDF zeigen“: the sentence marked on the scan where the original page has it.
    row = next(i for i, s in enumerate(searcher.sentences) if s.text.startswith(NIEMAND))
    where = searcher.sentence_offsets(item.hit.row, row)
    assert where is not None
    view = build_view(searcher, item.hit.passage_id, [where])
    assert view is not None and view.sentences == [NIEMAND]
    assert view.citation.endswith("S. 2, Text erkannt")
    [page] = view.pages
    assert page.pdf_page == 2 and page.missing == 0 and len(page.boxes) == 2  # its two lines
    assert overlap(page.boxes[0], found_box(8, "Niemand soll zur Nutzung digitaler")) > 0.8
    assert overlap(page.boxes[1], found_box(8, "gezwungen werden.")) > 0.8
    # Nothing of the sentences before and after it.
    before, after = found_box(8, "Netzwerke angeboten werden."), found_box(8, "werden. Kommunen", skip=8)
    assert all(overlap(box, before) < 0.05 and overlap(box, after) < 0.05 for box in page.boxes)
    html, _ = render_view(view, "en")
    assert html.count('class="mark"') == 2 and "S. 2, text recognised by OCR" in html


def test_the_recognised_text_matches_the_text_layer(scanned, tmp_path):
    """Character accuracy of each page's indexed text against what ingest makes of the
    original pages' text layer (the figure eval/NOTES.md reports, from python -m eval.ocr)."""
    settings, _, _ = scanned
    stored = store.load_stored(settings.index_dir)
    [doc] = stored.documents.values()
    original = excerpt(CHARTER, tmp_path / "original.pdf", SCANNED)
    raw = read_pdf(original, max_pages=10, timeout_s=60)
    reference = build_document(raw, original, resolve_meta(original, {}, raw.metadata), "0" * 64)
    for got, ref in zip(doc["pages"], reference.pages):
        assert got["ocr"] and got["words"]
        assert char_accuracy(got["text"], ref.text) > 0.98, (got["pdf_page"], got["text"][:200])
    assert len(doc["pages"][1]["text"]) > 3000  # page 8 is a full page of text


def _mixed(dest: Path, scan: Path) -> Path:
    """A charter page with its text layer (a foreword), then a scanned one."""
    writer = PdfWriter()
    writer.add_page(PdfReader(CHARTER).pages[1])
    writer.add_page(PdfReader(scan).pages[0])
    writer.write(dest)
    return dest


def test_without_tesseract_the_line_says_how_to_install_it_and_the_rest_is_indexed(tmp_path, monkeypatch, embedder):
    settings = make_settings(tmp_path)
    corpus = settings.corpus_dir
    scan_copy(CHARTER, corpus / "scan.pdf", [8])
    _mixed(corpus / "gemischt.pdf", scan_copy(CHARTER, tmp_path / "page.pdf", [10]))
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on it
    lines: list[str] = []
    report = build_index([corpus], settings, progress=lines.append)
    by_file = {r.file: r for r in report.results}
    assert by_file["scan.pdf"].line() == f"✗ scan.pdf: 1 page without text layer; OCR needs Tesseract: {INSTALL}"
    # The page with a text layer is indexed, and the line says what is missing and why.
    mixed = by_file["gemischt.pdf"].line()
    assert mixed.startswith(f"! gemischt.pdf: 2 pages (1 of 2 pages unreadable: OCR needs Tesseract: {INSTALL}), ")
    assert len(lines) == 2 and report.documents == 1
    row = next(r for r in maintain.status(settings).rows if r.file == "gemischt.pdf")
    assert row.state == "ok" and f"1 of 2 pages unreadable: OCR needs Tesseract: {INSTALL}" in row.note
    [note] = row.notes
    assert reason_text(note, note.text, "de") == (
        f"1 von 2 Seiten nicht lesbar: OCR needs Tesseract: {INSTALL} (ihr Text ist nicht durchsuchbar)"
    )

    # Installed (here: back on the PATH), the next build reads what waited for it.
    monkeypatch.setenv("PATH", path)
    row = next(r for r in maintain.status(settings).rows if r.file == "gemischt.pdf")
    assert row.state == "changed" and "pages without text layer can be read by OCR now" in row.note
    assert "Seiten ohne Textebene lassen sich jetzt per Texterkennung (OCR) lesen" in [
        reason_text(n, n.text, "de") for n in row.notes
    ]
    report = build_index([corpus], settings)
    by_file = {r.file: r for r in report.results}
    assert by_file["scan.pdf"].status == "new" and by_file["scan.pdf"].ocr == 1
    assert by_file["gemischt.pdf"].status == "changed" and by_file["gemischt.pdf"].line().startswith(
        "✓ gemischt.pdf: 2 pages (1 read by OCR), "
    )
    stored = store.load_stored(settings.index_dir)
    text = " ".join(p.text for p in stored.passages)
    assert "(Server, Router, Netzwerksteuerung) sind technische Redundanzen" in text  # gemischt.pdf's scanned page


def test_without_the_german_data_the_reason_names_the_package(tmp_path, monkeypatch):
    scan = scan_copy(CHARTER, tmp_path / "scan.pdf", [0])
    empty = tmp_path / "tessdata"
    empty.mkdir()
    monkeypatch.setenv("TESSDATA_PREFIX", str(empty))
    raw = read_pdf(scan, max_pages=10, timeout_s=60)
    assert (raw.ocr_unread, raw.ocr_waiting) == (1, True)
    with pytest.raises(DocumentError) as err:
        build_document(raw, scan, resolve_meta(scan, {}, raw.metadata), "0" * 64)
    assert str(err.value) == f"scan.pdf: 1 page without text layer; OCR needs Tesseract's German data: {INSTALL}"


def test_ocr_stops_at_the_parse_time_limit_and_leaves_no_tesseract_behind(tmp_path):
    scan = scan_copy(CHARTER, tmp_path / "scan.pdf", [3, 4, 5, 7])
    started = time.monotonic()
    parse = PdfParse(scan, max_pages=10, timeout_s=4)
    with pytest.raises(DocumentError) as err:
        parse.result()
    assert time.monotonic() - started < 10
    message = str(err.value)
    assert message.startswith("scan.pdf: OCR of 4 pages without text layer did not finish within 4 s ("), message
    assert message.endswith("); raise CHARTA_PARSE_TIMEOUT")
    # The admin tab words it in German from its code.
    assert err.value.code == "ocr_timeout" and err.value.details["pages"] == 4
    assert reason_text(err.value.why, err.value.reason, "de").startswith(
        "die Texterkennung (OCR) von 4 Seiten ohne Textebene wurde nicht in 4 s fertig ("
    )
    with pytest.raises(ProcessLookupError):  # the parser's process group is empty: no Tesseract left running
        os.killpg(parse._proc.pid, 0)


def test_a_scanned_page_counts_as_read_once_ocr_has_read_it(tmp_path):
    """The progress pipe: the text layer's page at once, the scanned one after Tesseract."""
    mixed = _mixed(tmp_path / "gemischt.pdf", scan_copy(CHARTER, tmp_path / "page.pdf", [10]))
    job = PdfParse(mixed, max_pages=10, timeout_s=120)
    told = [job.pages_read()]
    while not job.wait(0.005):
        if job.pages_read() != told[-1]:
            told.append(job.pages_read())
    raw = job.result()
    told.append(job.pages_read())
    assert raw.ocr_read == 1 and 1 in raw.ocr_words
    # (1, 2) for as long as OCR reads the second page, then (2, 2); never more, never back.
    assert (1, 2) in told and told[-1] == (2, 2) and told.index((1, 2)) < told.index((2, 2))
    assert told == sorted(told)


def test_an_image_that_claims_gigapixels_is_not_rendered(tmp_path):
    bomb = pf.image_bomb(tmp_path / "bombe.pdf")
    started = time.monotonic()
    raw = read_pdf(bomb, max_pages=10, timeout_s=60)
    assert time.monotonic() - started < 20
    assert raw.ocr_unread == 1 and raw.ocr_read == 0
    with pytest.raises(DocumentError) as err:
        build_document(raw, bomb, resolve_meta(bomb, {}, raw.metadata), "0" * 64)
    assert "image too large for OCR (100000 × 100000 pixels, limit 150 million)" in str(err.value)


def test_pages_with_a_text_layer_are_not_read_by_ocr(tmp_path):
    """The deck's section slides carry a title over a full-page picture: a text layer."""
    deck = Path(__file__).resolve().parent.parent / "eval" / "corpus" / "ulm4clevercity-ueberblick.pdf"
    started = time.monotonic()
    raw = read_pdf(deck, max_pages=100, timeout_s=60)
    assert (raw.ocr_read, raw.ocr_unread, raw.ocr_words) == (0, 0, {})
    assert time.monotonic() - started < 30


def test_text_turned_into_outlines_is_read_too(tmp_path):
    """No text layer and no image: the glyphs are vector shapes (fonts "converted to curves")."""
    lines = ["Niemand soll zur Nutzung digitaler Strukturen", "gezwungen werden. Kommunen müssen analoge"]
    font = Path(__file__).resolve().parent.parent / "workshop" / "fonts" / "DejaVuSans.ttf"
    flyer = pf.outlined_text(tmp_path / "flyer.pdf", lines, font)
    raw = read_pdf(flyer, max_pages=10, timeout_s=60)
    assert raw.ocr_read == 1 and raw.pages == [lines]
