"""The admin tab, driven over HTTP with gradio_client: token, real PDF uploads, limits,
hostile file names, progress, and the running searcher picking up the new index."""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr
import pytest
from conftest import CHARTER, charter_corpus, make_settings, write_excerpt
from gradio_client import Client, handle_file

from index import maintain
from index.live import LiveSearcher
from tests.app_fixtures import free_port
from web.admin import build_admin_tab

TOKEN = "geheim-123"


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def admin(tmp_path_factory, charter_index):
    """A Blocks app with just a search placeholder and the admin tab, on a free port."""
    tmp = tmp_path_factory.mktemp("admin")
    charter_corpus(tmp / "corpus")
    shutil.copytree(charter_index.index_dir, tmp / "index")
    # A 73 KB limit: the 54 KB charter passes, a padded 115 KB copy of it does not.
    settings = make_settings(tmp, max_file_mb=0.07)
    live = LiveSearcher(settings, check_interval_s=0.0)
    live.get()
    with gr.Blocks() as demo, gr.Tabs():
        with gr.Tab("Suche"):
            gr.Markdown("Suche")
        build_admin_tab(live, settings, TOKEN)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield tmp, settings, live, Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        demo.close()


def test_empty_token_is_refused():
    with pytest.raises(ValueError, match="must not be empty"), gr.Blocks(), gr.Tabs():
        build_admin_tab(None, make_settings(Path("/nonexistent")), "  ")


def test_wrong_token_changes_nothing(admin, tmp_path):
    tmp, _settings, _live, client = admin
    pdf = write_excerpt(tmp_path / "leitfaden.pdf", range(9, 12), "Leitfaden")
    before = snapshot(tmp)
    for token in ("", "falsch"):
        with pytest.raises(Exception, match="Admin-Token"):
            client.predict(token, [handle_file(str(pdf))], False, api_name="/admin_upload")
        with pytest.raises(Exception, match="Admin-Token"):
            client.predict(token, api_name="/admin_status")
    assert snapshot(tmp) == before


def test_upload_rejects_before_parsing_and_indexes_the_rest(admin, tmp_path):
    _tmp, settings, live, client = admin
    corpus = settings.corpus_dir
    generation = live.get().generation
    good = write_excerpt(tmp_path / "Leitfaden Datenhoheit.pdf", range(9, 12), "Leitfaden")
    too_big = tmp_path / "grosse-charta.pdf"
    too_big.write_bytes(CHARTER.read_bytes() + b"%" + b"0" * 60_000 + b"\n")
    fake = tmp_path / "rechnung.pdf"
    fake.write_text("Dies ist keine PDF-Datei.", encoding="utf-8")
    empty = tmp_path / "leer.pdf"
    empty.write_bytes(b"")

    job = client.submit(
        TOKEN, [handle_file(str(p)) for p in (good, too_big, fake, empty)], False, api_name="/admin_upload"
    )
    log, table = job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3  # progress arrives while indexing, not only at the end
    assert "✗ grosse-charta.pdf: abgelehnt – zu groß (0.1 MB; erlaubt sind höchstens 0.07 MB)" in log
    assert "= smart-city-charta-2021.pdf: 21 pages" in log  # untouched, not re-embedded
    assert "✗ rechnung.pdf: abgelehnt – keine PDF-Datei" in log
    assert "✗ leer.pdf: abgelehnt – leere Datei (0 Bytes)" in log
    assert "+ Leitfaden Datenhoheit.pdf: added" in log
    assert "✓ Leitfaden Datenhoheit.pdf: 3 pages" in log
    assert "jetzt durchsuchbar" in log
    assert sorted(p.name for p in corpus.glob("*.pdf")) == ["Leitfaden Datenhoheit.pdf", "smart-city-charta-2021.pdf"]

    rows = {r[1]: r for r in table["data"]}
    assert rows["leitfaden-datenhoheit"][0] == "aktuell"
    assert rows["smart-city-charta-2021"][3] == "Fassung 2021"
    # The running app's searcher serves the new index on its next request.
    assert live.get().generation != generation
    hits = live.search("Datenhoheit behalten", k=3, doc_ids=["leitfaden-datenhoheit"])
    assert hits and hits[0].file == "Leitfaden Datenhoheit.pdf"

    # The same content again: reported, not indexed twice.
    again = tmp_path / "kopie.pdf"
    shutil.copy(good, again)
    generation = live.get().generation
    log, _ = client.predict(TOKEN, [handle_file(str(again))], False, api_name="/admin_upload")
    assert "= kopie.pdf: same content as Leitfaden Datenhoheit.pdf" in log
    assert not (corpus / "kopie.pdf").exists()
    assert live.get().generation == generation


def outside(root: Path) -> set[str]:
    """Everything under ``root`` except the corpus and the index."""
    return {p for p in snapshot(root) if not p.startswith(("corpus", "index"))}


def test_hostile_file_names_stay_inside_the_corpus(admin, tmp_path):
    tmp, settings, _live, client = admin
    corpus = settings.corpus_dir
    before = outside(tmp)
    names = ["..\\..\\evil.pdf", "..pdf", ".hidden.pdf", "ü" * 120 + ".pdf", "a<b>c|d?.PDF"]
    files = [
        write_excerpt(tmp_path / "src" / str(i) / name, range(page, page + 1), f"T{i}")
        for i, (name, page) in enumerate(zip(names, (12, 14, 15, 16, 18)))
    ]
    log, table = client.predict(TOKEN, [handle_file(str(f)) for f in files], False, api_name="/admin_upload")
    assert "✗" not in log, log
    added = {p.name for p in corpus.glob("*.pdf")} - {"smart-city-charta-2021.pdf", "Leitfaden Datenhoheit.pdf"}
    assert len(added) == len(names), log
    for name in added:
        assert not name.startswith(".") and name.lower().endswith(".pdf")
        assert len(name.encode()) <= maintain.MAX_NAME_BYTES
        assert "/" not in name and "\\" not in name and ".." not in name
    assert outside(tmp) == before
    assert not list(corpus.glob(".*.pdf")) and not list(corpus.glob(".incoming-*"))
    assert {r[0] for r in table["data"]} == {"aktuell"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../escape.pdf", "escape.pdf"),
        ("/etc/cron.d/evil.pdf", "evil.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("\x00", "dokument.pdf"),
        ("C:\\Windows\\evil.pdf", "evil.pdf"),
        ("." * 300, "dokument.pdf"),
        ("a/" * 100 + "deep.pdf", "deep.pdf"),
        ("x" * 500, "x" * 116 + ".pdf"),
    ],
)
def test_library_never_writes_outside_the_corpus(tmp_path, name, expected):
    """Names a browser would never send (NUL, absolute paths) through the library."""
    settings = make_settings(tmp_path)
    settings.corpus_dir.mkdir()
    src = write_excerpt(tmp_path / "src" / "x.pdf", range(2, 3), "x")
    before = snapshot(tmp_path)
    report = maintain.add([(src, name)], settings, dry_run=True)
    assert [(c.action, c.file) for c in report.changes] == [("would be added", expected)]
    assert snapshot(tmp_path) == before  # a dry run writes nothing
