"""A damaged or tampered index folder: every file of a real generation garbled, cut in
half or emptied, and manifest paths that lead out of the corpus. Each is refused with
one line that names the file and the rebuild command, or (files derived from the rows)
read again from the rows; none is a traceback, and no path from the index serves a
file outside the corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import make_settings

import tests.pdf_factory as pf
from common.errors import IndexMismatchError
from index import store

pytestmark = pytest.mark.slow

QUESTION = "Welche Daten teilen die Kommunen?"
# Side files that only speed up reading the rows: damaged, they are worked out again.
DERIVED = {store.PASSAGE_OFFSETS, store.SENTENCE_OFFSETS, store.PASSAGE_COLUMNS, store.SENTENCE_COLUMNS}
DERIVED |= {store.PASSAGE_SECTIONS}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A small real index: two PDFs made with the PDF factory, parsed, embedded, written."""
    from ingest.__main__ import main

    root = tmp_path_factory.mktemp("tamper")
    corpus = root / "corpus"
    corpus.mkdir()
    pf.text_pdf(
        corpus / "daten.pdf",
        [["Die Kommunen prüfen ihre Daten und teilen sie mit allen Ämtern.", "Offene Daten fördern die Teilhabe."]],
    )
    pf.text_pdf(corpus / "zwang.pdf", [["Niemand soll zur Nutzung digitaler Strukturen gezwungen werden."]])
    assert main(["--corpus", str(corpus), "--index-dir", str(root / "index"), "-q"]) == 0
    return root


def _copy(built: Path, tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    return tmp_path, store.current_generation(tmp_path / "index")


def _files(built: Path) -> list[str]:
    gen = store.current_generation(built / "index")
    return sorted(p.relative_to(gen).as_posix() for p in gen.rglob("*") if p.is_file())


def _search(root: Path) -> list[str]:
    from index.search import Searcher

    searcher = Searcher.open(make_settings(root))
    return [h.passage_id for h in searcher.search(QUESTION, k=3)]


HARM = {
    "garbled": lambda data: b"\x00garbage\xff" * 20,
    "cut in half": lambda data: data[: len(data) // 2],
    "emptied": lambda data: b"",
}


@pytest.mark.parametrize("harm", HARM)
def test_every_file_of_the_index_damaged_is_refused_in_one_line_or_read_again(built, tmp_path, harm):
    files = _files(built)
    assert {store.MANIFEST, store.PASSAGES, store.DENSE, store.EMBEDDINGS, "bm25/vocab.index.json"} <= set(files)
    expected = _search(built)
    for name in files:
        root, gen = _copy(built, tmp_path / name.replace("/", "_"))
        path = gen / name
        path.write_bytes(HARM[harm](path.read_bytes()))
        if name in DERIVED:
            assert _search(root) == expected, name
            continue
        with pytest.raises(IndexMismatchError) as refused:
            _search(root)
        message = str(refused.value)
        assert "\n" not in message and message.endswith("rebuild with: python -m ingest --rebuild"), message
        assert name.split("/")[0] in message or store.MANIFEST in message or "inconsistent" in message, message


def test_the_command_line_says_the_one_line_not_a_traceback(built, tmp_path, capsys, monkeypatch):
    from answer.cli import main

    root, gen = _copy(built, tmp_path)
    (gen / store.DENSE).write_bytes(b"\x00garbage")
    monkeypatch.setenv("CHARTA_CORPUS_DIR", str(root / "corpus"))
    assert main([QUESTION, "--index-dir", str(root / "index")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: index file {gen / store.DENSE} is damaged " + err.split(" is damaged ", 1)[1], err
    assert "Traceback" not in err and err.count("\n") == 0 and err.endswith("python -m ingest --rebuild")


def _tamper_manifest(gen: Path, **entry) -> None:
    manifest = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    manifest["documents"][0].update(entry)
    (gen / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    "entry,refusal",
    [
        ({"pdf_path": "../../../../../etc/passwd"}, "names a PDF outside the corpus folder"),
        ({"pdf_path": 5}, "names a PDF outside the corpus folder"),
        ({"doc_id": ["x"]}, "mangles its document entries"),
        ({"file": None}, "mangles its document entries"),
        ({"row_start": "a"}, "lacks or mangles"),
    ],
)
def test_a_tampered_manifest_is_refused(built, tmp_path, entry, refusal):
    root, gen = _copy(built, tmp_path)
    _tamper_manifest(gen, **entry)
    with pytest.raises(IndexMismatchError, match=refusal):
        _search(root)


def test_the_pdf_route_serves_no_file_a_tampered_manifest_names(built, tmp_path):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from index.live import LiveSearcher
    from web.routes import pdf_route

    def client(root: Path) -> TestClient:
        return TestClient(Starlette(routes=[pdf_route(LiveSearcher(make_settings(root)))]))

    untouched, _ = _copy(built, tmp_path / "untouched")
    assert client(untouched).get("/dokumente/daten.pdf").status_code == 200
    root, gen = _copy(built, tmp_path / "tampered")
    secret = root / "geheim.pdf"  # a PDF outside the corpus, next to it
    pf.text_pdf(secret, [["Vertraulich: die Gehaltsliste des Bauamts."]])
    link = root / "corpus" / "verweis.pdf"
    link.symlink_to(secret)  # a link put in the corpus after the build
    manifest = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    names = [d["file"] for d in manifest["documents"]]
    _tamper_manifest(gen, pdf_path=str(secret))
    manifest = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    manifest["documents"][1]["pdf_path"] = "verweis.pdf"
    (gen / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    served_by = client(root)
    for name in names:
        served = served_by.get(f"/dokumente/{name}")
        assert served.status_code == 404 and b"Gehaltsliste" not in served.content
