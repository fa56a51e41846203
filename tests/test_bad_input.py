"""Bad input: every kind of broken PDF gets one clear line; nothing else is lost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common.errors import DocumentError
from index import store
from index.build import build_index
from index.search import Searcher
from ingest.pdf import check_file, read_pdf
from tests import pdf_factory as pf

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHARTER = ROOT / "corpus" / "smart-city-charta-2021.pdf"
GOOD = "google-doc-document.pdf"


def _fixture(tmp: Path, name: str, as_name: str | None = None) -> Path:
    dest = tmp / (as_name or name)
    shutil.copy(FIXTURES / name, dest)
    return dest


def _one_line_reason(err: DocumentError, name: str, *words: str) -> str:
    msg = str(err)
    assert "\n" not in msg and msg.startswith(f"{name}: "), msg
    assert err.file == name
    for word in words:
        assert word.lower() in msg.lower(), msg
    return msg


def _parse(path: Path, **kw):
    check_file(path, kw.pop("max_file_mb", 200))
    return read_pdf(path, max_pages=kw.pop("max_pages", 2000), timeout_s=kw.pop("timeout_s", 30), **kw)


# --- each case on its own --------------------------------------------------------------


def test_text_file_renamed_pdf(tmp_path):
    path = pf.text_file_named_pdf(tmp_path / "notiz.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path)
    _one_line_reason(err.value, "notiz.pdf", "not a PDF", "text")


def test_empty_file(tmp_path):
    path = pf.empty_file(tmp_path / "leer.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path)
    _one_line_reason(err.value, "leer.pdf", "empty")


def test_truncated_charter(tmp_path):
    path = pf.truncated(CHARTER, tmp_path / "charta-halb.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path)
    _one_line_reason(err.value, "charta-halb.pdf", "corrupt")


def test_random_bytes_after_pdf_header(tmp_path):
    path = pf.random_after_header(tmp_path / "zufall.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path)
    _one_line_reason(err.value, "zufall.pdf", "corrupt")


def test_real_unreadable_structure(tmp_path):
    path = _fixture(tmp_path, "unreadablemetadata.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path)
    _one_line_reason(err.value, "unreadablemetadata.pdf", "corrupt")


def test_encrypted_without_password(tmp_path):
    path = _fixture(tmp_path, "libreoffice-writer-password.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path)
    _one_line_reason(err.value, "libreoffice-writer-password.pdf", "encrypted", "password")


def test_encrypted_with_wrong_password(tmp_path):
    path = _fixture(tmp_path, "libreoffice-writer-password.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path, passwords=("falsch",))
    _one_line_reason(err.value, "libreoffice-writer-password.pdf", "encrypted")


def test_too_large(tmp_path):
    path = _fixture(tmp_path, GOOD)
    with pytest.raises(DocumentError) as err:
        _parse(path, max_file_mb=0.01)
    _one_line_reason(err.value, GOOD, "too large", "0.01 MB", "CHARTA_MAX_FILE_MB")


def test_too_many_pages_is_rejected_quickly(tmp_path):
    path = pf.blank_pages(tmp_path / "leer-3000.pdf", 3000)
    started = time.monotonic()
    with pytest.raises(DocumentError) as err:
        _parse(path, timeout_s=60)
    _one_line_reason(err.value, "leer-3000.pdf", "too many pages", "3000", "CHARTA_MAX_PAGES")
    # Rejected by the page count, not by running into the parse time limit.
    assert "longer than" not in str(err.value)
    assert time.monotonic() - started < 60


def test_page_tree_that_loops_fails_within_the_time_limit(tmp_path):
    path = pf.looping_page_tree(tmp_path / "schleife.pdf")
    with pytest.raises(DocumentError) as err:
        _parse(path, timeout_s=10)
    msg = _one_line_reason(err.value, "schleife.pdf")
    assert "corrupt" in msg or "longer than 10 s" in msg


def test_a_parse_that_runs_out_of_time_is_stopped(tmp_path):
    path = pf.blank_pages(tmp_path / "langsam.pdf", 3000)
    with pytest.raises(DocumentError) as err:
        _parse(path, max_pages=5000, timeout_s=0.01)
    _one_line_reason(err.value, "langsam.pdf", "longer than 0.01 s", "CHARTA_PARSE_TIMEOUT")


# --- through build_index ---------------------------------------------------------------


def _settings(tmp: Path, **overrides):
    from conftest import make_settings

    return make_settings(tmp, **overrides)


def test_no_extractable_text_is_reported_and_others_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _fixture(corpus, "imagemagick-images.pdf")
    _fixture(corpus, GOOD)
    report = build_index([corpus], _settings(tmp_path))
    by_file = {r.file: r for r in report.results}
    assert by_file[GOOD].status == "new"
    bad = by_file["imagemagick-images.pdf"]
    assert bad.status == "failed"
    # Six pages of 16 × 16 pixels: read by OCR, which finds nothing in them.
    assert bad.reason == "no extractable text in 6 page(s): no text layer, and OCR found none in their images"
    assert bad.why is not None and (bad.why.code, bad.why.details) == ("no_text_ocr", {"pages": 6})
    line = bad.line()
    assert line.startswith("✗ imagemagick-images.pdf: ") and "\n" not in line
    assert report.written and report.documents == 1


def test_pages_whose_text_cannot_be_read_are_reported_not_dropped_silently(tmp_path, capsys):
    from ingest.__main__ import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pages = [
        [f"Seite {n}: Die Kommunen prüfen ihre Daten und teilen sie mit allen Ämtern."]
        for n in ("eins", "zwei", "drei", "vier", "fünf")
    ]
    # Two broken content streams and one reference cycle: 3 of 5 pages are lost.
    pf.text_pdf(corpus / "teilweise.pdf", pages, broken=frozenset({1, 3}), cyclic=frozenset({2}))
    raw = _parse(corpus / "teilweise.pdf")
    assert raw.failed_pages == 3
    assert raw.notes[0].startswith("page 2: text unreadable")
    settings = _settings(tmp_path)
    where = ["--corpus", str(corpus), "--index-dir", str(settings.index_dir)]
    assert main(where) == 1  # a lost page is a failure, though the rest is indexed
    out = capsys.readouterr().out
    assert "! teilweise.pdf: 5 pages (3 of 5 pages unreadable), " in out, out
    assert "1 with unreadable pages" in out.splitlines()[-1]
    stored = store.load_stored(settings.index_dir)
    assert stored.manifest.documents[0]["unreadable_pages"] == 3
    text = " ".join(p.text for p in stored.passages)
    assert "Seite eins" in text and "Seite fünf" in text and "Seite zwei" not in text

    # The loss stays visible: in status, and in the exit code of the next run.
    assert main(["status", *where]) == 0
    out = capsys.readouterr().out
    assert "teilweise: 3 of 5 pages unreadable" in out, out
    assert main(where) == 1
    assert "= teilweise.pdf: 5 pages (3 of 5 pages unreadable), " in capsys.readouterr().out


def test_pages_with_cut_off_or_missing_content_are_counted_unreadable(tmp_path, capsys):
    # pypdf reads a cut-off compressed stream or a missing one as an empty page, without
    # a warning: the document passed as ✓ with exit 0 and two blank pages (issue 21).
    from ingest.__main__ import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pages = [[f"Seite {n}: Die Kommunen prüfen ihre Daten und teilen sie mit allen Ämtern."] for n in "12345"]
    pf.text_pdf(corpus / "angeschnitten.pdf", pages, cut=frozenset({1, 2}), missing=frozenset({3}))
    raw = _parse(corpus / "angeschnitten.pdf")
    assert raw.failed_pages == 3
    assert raw.notes[:3] == [
        "page 2: text unreadable (ValueError: content stream cut off)",
        "page 3: text unreadable (ValueError: content stream cut off)",
        "page 4: text unreadable (ValueError: Object 999 0 not defined.)",
    ]
    settings = _settings(tmp_path)
    where = ["--corpus", str(corpus), "--index-dir", str(settings.index_dir)]
    assert main(where) == 1
    out = capsys.readouterr().out
    assert "! angeschnitten.pdf: 5 pages (3 of 5 pages unreadable), " in out, out
    assert main(["status", *where]) == 0
    assert "angeschnitten: 3 of 5 pages unreadable" in capsys.readouterr().out
    # The admin tab words the build's results; the loss shows at every later build too.
    from index.build import build_index
    from web.admin import result_line

    (result,) = build_index([corpus], settings).results
    assert result.status == "unchanged"
    assert result_line(result, "de").startswith("! angeschnitten.pdf: 5 Seiten (3 davon nicht lesbar), ")
    assert result_line(result, "en").startswith("! angeschnitten.pdf: 5 pages (3 of them unreadable), ")


def test_a_link_out_of_the_corpus_is_refused_and_no_absolute_path_stored(tmp_path, capsys):
    # A symlinked PDF outside the corpus was stored by its target's absolute path (issue 21).
    from ingest.__main__ import main

    corpus, elsewhere = tmp_path / "corpus", tmp_path / "elsewhere"
    corpus.mkdir()
    elsewhere.mkdir()
    line = ["Die Kommunen prüfen ihre Daten und teilen sie mit allen Ämtern der Verwaltung."]
    pf.text_pdf(corpus / "drinnen.pdf", [line])
    pf.text_pdf(elsewhere / "geheim.pdf", [["Vertraulich: die Gehaltsliste des Bauamts und seiner Ämter."]])
    (corpus / "verweis.pdf").symlink_to(elsewhere / "geheim.pdf")
    settings = _settings(tmp_path)
    where = ["--corpus", str(corpus), "--index-dir", str(settings.index_dir)]
    assert main(where) == 1
    out = capsys.readouterr().out
    assert "verweis.pdf: a link to a file outside the corpus folder, not followed" in out, out
    assert str(elsewhere) not in out
    stored = store.load_stored(settings.index_dir)
    assert [d["pdf_path"] for d in stored.manifest.documents] == ["drinnen.pdf"]
    assert "Gehaltsliste" not in " ".join(p.text for p in stored.passages)


def test_corrupt_pages_are_named_corrupt_and_blank_pages_blank(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    five = [[f"Abschnitt {w}: Die Stadt teilt ihre Daten mit allen Ämtern."] for w in "abcde"]
    pf.text_pdf(corpus / "kaputt.pdf", five, broken=frozenset(range(5)))
    pf.text_pdf(corpus / "zyklus.pdf", five, cyclic=frozenset(range(5)))
    pf.text_pdf(corpus / "gemischt.pdf", [*five[:2], [], [], []], broken=frozenset({0, 1}))
    pf.blank_pages(corpus / "leer-4.pdf", 4)
    pf.text_pdf(corpus / "gut.pdf", [five[0] + ["Jeder Satz hier ist lesbar und lang genug."]])
    report = build_index([corpus], _settings(tmp_path))
    reasons = {r.file: r.reason for r in report.results}
    codes = {r.file: r.why.code for r in report.results if r.why is not None}
    for name in ("kaputt.pdf", "zyklus.pdf"):
        assert reasons[name].startswith("corrupt PDF: 5 of 5 pages unreadable (page 1: "), reasons[name]
    assert reasons["gemischt.pdf"].startswith(
        "corrupt PDF: 2 of 5 pages unreadable, the other 3 have no extractable text (page 1: "
    )
    for name in ("kaputt.pdf", "zyklus.pdf", "gemischt.pdf"):
        assert "OCR" not in reasons[name]
    assert (
        reasons["leer-4.pdf"] == "no extractable text in 4 page(s): no text layer, and nothing on them for OCR to read"
    )
    assert (codes["kaputt.pdf"], codes["leer-4.pdf"]) == ("corrupt", "no_text")
    assert report.documents == 1 and {r.file: r.status for r in report.results}["gut.pdf"] == "new"


_SENTENCE = "Die Stadt teilt ihre Daten mit allen Ämtern und achtet auf den Schutz der Bürger."


def test_a_page_with_megabytes_of_text_is_refused_quickly_with_the_defaults(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # The case from the issue: one page, 2 MB of text (it made 7,379 passages and 272 s).
    pf.text_pdf(corpus / "riesig.pdf", [[f"{i} {_SENTENCE}" for i in range(24_000)]])
    pf.text_pdf(corpus / "gut.pdf", [[_SENTENCE, "Jeder Satz hier ist lesbar und lang genug."]])
    started = time.monotonic()
    report = build_index([corpus], _settings(tmp_path))
    by_file = {r.file: r for r in report.results}
    assert by_file["riesig.pdf"].line() == (
        "✗ riesig.pdf: too much text on page 1 (more than 20000 characters, limit CHARTA_MAX_PAGE_CHARS)"
    )
    assert by_file["gut.pdf"].status == "new" and report.documents == 1
    assert time.monotonic() - started < 60


def test_limits_on_text_and_passages_refuse_only_the_document_over_them(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    words = ("eins", "zwei", "drei", "vier", "fünf", "sechs")

    def page(n: int) -> list[str]:  # about 660 characters, other words on every page
        return [f"Absatz {w} von Seite {words[n]}: {_SENTENCE}" for w in words]

    pf.text_pdf(corpus / "dicht.pdf", [page(0) + page(1)])  # one page of ~1,300 characters
    pf.text_pdf(corpus / "lang.pdf", [page(n) for n in range(5)])  # ~3,300 characters in all
    pf.text_pdf(corpus / "viele.pdf", [page(n) for n in range(4)])  # fewer, but many passages
    pf.text_pdf(corpus / "gut.pdf", [page(0)[:2]])
    settings = _settings(tmp_path, max_page_chars=1_000, max_doc_chars=3_000, max_passages=3)
    report = build_index([corpus], settings)
    by_file = {r.file: r for r in report.results}
    assert by_file["dicht.pdf"].reason == (
        "too much text on page 1 (more than 1000 characters, limit CHARTA_MAX_PAGE_CHARS)"
    )
    assert by_file["lang.pdf"].reason == (
        "too much text (more than 3000 characters by page 5, limit CHARTA_MAX_DOC_CHARS)"
    )
    assert by_file["viele.pdf"].reason.startswith("too many passages (")
    assert by_file["viele.pdf"].reason.endswith(" > limit 3, CHARTA_MAX_PASSAGES)")
    assert {r.file for r in report.failed} == {"dicht.pdf", "lang.pdf", "viele.pdf"}
    assert by_file["gut.pdf"].status == "new"
    assert [d["file"] for d in store.load_stored(settings.index_dir).manifest.documents] == ["gut.pdf"]


def test_embedding_counts_against_the_time_one_document_may_take(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pf.text_pdf(corpus / "gut.pdf", [[_SENTENCE, "Jeder Satz hier ist lesbar und lang genug."]])
    report = build_index([corpus], _settings(tmp_path, doc_timeout_s=0.01))
    (result,) = report.results
    assert result.line() == (
        "✗ gut.pdf: indexing took longer than 0.01 s (CHARTA_DOC_TIMEOUT); raise it or split the PDF"
    )


def test_password_from_the_catalog_opens_the_pdf(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _fixture(corpus, "libreoffice-writer-password.pdf")
    (corpus / "catalog.toml").write_text(
        '[[document]]\nfile = "libreoffice-writer-password.pdf"\nid = "geschuetzt"\n'
        'title = "Geschütztes Dokument"\npassword = "openpassword"\n',
        encoding="utf-8",
    )
    settings = _settings(tmp_path)
    report = build_index([corpus], settings)
    assert [(r.file, r.status) for r in report.results] == [("libreoffice-writer-password.pdf", "new")]
    stored = store.load_stored(settings.index_dir)
    assert stored.passages and "Lorem ipsum" in stored.passages[0].text
    # The password is not written into the index.
    gen_text = (stored.path / "manifest.json").read_text(encoding="utf-8")
    assert "openpassword" not in gen_text
    assert stored.manifest.documents[0]["title"] == "Geschütztes Dokument"


def _bad_corpus(corpus: Path) -> dict[str, tuple[str, ...]]:
    """Write one file per bad-input case; returns file name -> words its reason needs."""
    pf.text_file_named_pdf(corpus / "notiz.pdf")
    pf.empty_file(corpus / "leer.pdf")
    pf.truncated(CHARTER, corpus / "charta-halb.pdf")
    pf.random_after_header(corpus / "zufall.pdf")
    _fixture(corpus, "unreadablemetadata.pdf")
    _fixture(corpus, "libreoffice-writer-password.pdf")
    _fixture(corpus, "imagemagick-images.pdf")
    pf.blank_pages(corpus / "leer-3000.pdf", 3000)
    pf.looping_page_tree(corpus / "schleife.pdf")
    return {
        "notiz.pdf": ("not a pdf",),
        "leer.pdf": ("empty",),
        "charta-halb.pdf": ("corrupt",),
        "zufall.pdf": ("corrupt",),
        "unreadablemetadata.pdf": ("corrupt",),
        "libreoffice-writer-password.pdf": ("encrypted",),
        "imagemagick-images.pdf": ("no extractable text",),
        "leer-3000.pdf": ("too many pages",),
        "schleife.pdf": (),
    }


def test_cli_reports_each_bad_file_in_one_line_and_exits_1(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    expected = _bad_corpus(corpus)
    _fixture(corpus, GOOD)
    _fixture(corpus, "pdflatex-4-pages.pdf")
    index_dir = tmp_path / "index"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHARTA_PARSE_TIMEOUT": "20"}
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", str(corpus), "--index-dir", str(index_dir), "--model", "bundled"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name, words in expected.items():
        mine = [line for line in lines if line.startswith(f"✗ {name}: ")]
        assert len(mine) == 1, (name, lines)
        for word in words:
            assert word in mine[0].lower(), mine[0]
    for name in (GOOD, "pdflatex-4-pages.pdf"):
        assert any(line.startswith(f"✓ {name}: ") and "(new)" in line for line in lines), lines
    assert "2 documents" in lines[-1] and "9 failed" in lines[-1], lines[-1]
    # The good documents are searchable.
    settings = _settings(tmp_path)
    stored = store.load_stored(index_dir)
    assert {d["file"] for d in stored.manifest.documents} == {GOOD, "pdflatex-4-pages.pdf"}
    assert settings.index_dir == index_dir


def test_limits_from_settings_in_a_build(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _fixture(corpus, GOOD)
    _fixture(corpus, "pdflatex-4-pages.pdf")
    settings = _settings(tmp_path, max_file_mb=0.05, max_pages=3)
    report = build_index([corpus], settings)
    by_file = {r.file: r for r in report.results}
    assert by_file[GOOD].status == "failed" and "too large" in by_file[GOOD].reason
    assert by_file["pdflatex-4-pages.pdf"].status == "failed"
    assert "too many pages (4 > limit 3" in by_file["pdflatex-4-pages.pdf"].reason
    assert report.documents == 0 and report.passages == 0


def test_corrupted_update_keeps_the_previous_version(charter_index, tmp_path):
    from conftest import CATALOG

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CHARTER, corpus / CHARTER.name)
    shutil.copy(CATALOG, corpus / CATALOG.name)
    shutil.copytree(charter_index.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    settings = _settings(tmp_path)
    _fixture(corpus, GOOD)
    before = store.load_stored(settings.index_dir)

    # The charter file on disk becomes corrupt; a new good document arrives too.
    pf.truncated(CHARTER, corpus / CHARTER.name)
    report = build_index([corpus], settings)
    by_file = {r.file: r for r in report.results}
    kept = by_file[CHARTER.name]
    assert kept.status == "kept" and "corrupt" in kept.reason
    assert kept.line() == (f"✗ {CHARTER.name}: {kept.reason} (previous version stays indexed)")
    assert by_file[GOOD].status == "new"
    assert report.failed == [kept]

    stored = store.load_stored(settings.index_dir)
    charter_old = [p.id for p in before.passages]
    assert [p.id for p in stored.passages if p.doc_id == before.passages[0].doc_id] == charter_old
    old_sha = before.manifest.documents[0]["sha256"]
    entry = next(d for d in stored.manifest.documents if d["file"] == CHARTER.name)
    assert entry["sha256"] == old_sha
    hits = Searcher.open(settings).search("Niemand soll zur Nutzung digitaler Strukturen gezwungen werden", k=3)
    assert hits[0].page == "8" and hits[0].file == CHARTER.name

    # Once the file is whole again, the next run sees nothing to re-embed for it.
    shutil.copy(CHARTER, corpus / CHARTER.name)
    report = build_index([corpus], settings)
    assert {r.file: r.status for r in report.results} == {CHARTER.name: "unchanged", GOOD: "unchanged"}
    assert not report.written


def test_a_bad_file_never_replaces_a_good_index(charter_index, tmp_path):
    """Only broken files on a rerun: the previous documents stay, nothing is lost."""
    settings = _settings(tmp_path)
    shutil.copytree(charter_index.index_dir, settings.index_dir, ignore=shutil.ignore_patterns(".lock"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pf.truncated(CHARTER, corpus / CHARTER.name)
    live = store.current_generation(settings.index_dir).name
    report = build_index([corpus], settings)
    (result,) = report.results
    assert result.status == "kept"
    stored = store.load_stored(settings.index_dir)
    assert len(stored.passages) == len(store.load_stored(charter_index.index_dir).passages)
    assert store.current_generation(settings.index_dir).name in (live, report.generation)
