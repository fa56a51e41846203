"""The admin tab, driven over HTTP with gradio_client: token, login and upload ticket,
real PDF uploads, limits, hostile file names, progress, and the running searcher picking
up the new index."""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest
from conftest import CHARTER, charter_corpus, make_settings, write_excerpt
from gradio_client import Client, handle_file

from index import maintain
from index.live import LiveSearcher
from tests.app_fixtures import free_port
from web.admin import build_admin_tab
from web.guard import UPLOAD_COOKIE, LoginThrottle, UploadGate
from web.layout import LotseBlocks

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
    # Never switches by itself: the tab must switch before it says "searchable".
    live = LiveSearcher(settings, check_interval_s=3600.0)
    live.get()
    gate = UploadGate(max_files=20)
    with LotseBlocks() as demo, gr.Tabs():
        with gr.Tab("Suche"):
            gr.Markdown("Suche")
        build_admin_tab(live, settings, TOKEN, gate, LoginThrottle(free=3, first_wait_s=60))
    demo.live, demo.gate = live, gate
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield tmp, settings, live, logged_in(f"http://127.0.0.1:{port}/")
    finally:
        demo.close()


def logged_in(url: str) -> Client:
    """A client that has logged in as the admin tab's user and holds its upload ticket."""
    client = Client(url, verbose=False)
    message, *_, ticket = client.predict(TOKEN, api_name="/admin_login")
    assert message.startswith("Angemeldet") and ticket
    client.cookies[UPLOAD_COOKIE] = ticket
    return client


def test_empty_token_is_refused():
    with pytest.raises(ValueError, match="must not be empty"), gr.Blocks(), gr.Tabs():
        build_admin_tab(None, make_settings(Path("/nonexistent")), "  ", UploadGate())  # type: ignore[arg-type]


def test_wrong_token_changes_nothing(admin, tmp_path):
    tmp, _settings, _live, client = admin
    guesser = Client(client.src, verbose=False, headers={"X-Forwarded-For": "198.51.100.7"})
    pdf = write_excerpt(tmp_path / "leitfaden.pdf", range(9, 12), "Leitfaden")
    before = snapshot(tmp)
    for token in ("", "falsch"):
        # Without a login, the file does not even reach the server.
        with pytest.raises(Exception, match="403 Forbidden"):
            guesser.predict(token, [handle_file(str(pdf))], False, api_name="/admin_upload")
        with pytest.raises(Exception, match=r"Admin-Token|Zu viele falsche"):
            guesser.predict(token, api_name="/admin_status")
    assert snapshot(tmp) == before


def test_repeated_wrong_tokens_make_the_guesser_wait(admin, caplog, capfd):
    _tmp, _settings, _live, client = admin
    guesser = Client(client.src, verbose=False, headers={"X-Forwarded-For": "198.51.100.8"})
    caplog.set_level(logging.WARNING, logger="web.admin")
    for _ in range(3):  # the fixture's throttle lets three wrong tokens through to the check
        with pytest.raises(Exception, match="Falsches oder fehlendes Admin-Token"):
            guesser.predict("rate-mal", api_name="/admin_login")
    t0 = time.perf_counter()
    with pytest.raises(Exception, match=r"Zu viele falsche Anmeldungen. Bitte in \d+ s erneut"):
        guesser.predict(TOKEN, api_name="/admin_login")  # even the right one, while it waits
    assert time.perf_counter() - t0 < 1.0  # refused unchecked, without the delay of a check
    # Another client is not affected.
    assert client.predict(TOKEN, api_name="/admin_login")[0].startswith("Angemeldet")
    lines = [r.getMessage() for r in caplog.records if "198.51.100.8" in r.getMessage()]
    assert len(lines) == 4 and all("\n" not in line for line in lines), lines
    assert "Traceback" not in capfd.readouterr().err


def upload_raw(url: str, files: list[Path], ticket: str | None = None, origin: str | None = None) -> httpx.Response:
    """A POST to Gradio's upload route as a browser (or another web page) would send it."""
    cookies = {UPLOAD_COOKIE: ticket} if ticket else None
    headers = {"Origin": origin} if origin else None
    parts = [("files", (f.name, f.read_bytes(), "application/pdf")) for f in files]
    return httpx.post(url.rstrip("/") + "/gradio_api/upload", files=parts, cookies=cookies, headers=headers)


def test_uploads_need_this_logins_ticket_and_our_origin(admin, tmp_path):
    _tmp, _settings, _live, client = admin
    pdf = write_excerpt(tmp_path / "a.pdf", range(9, 10), "A")
    ticket = client.cookies[UPLOAD_COOKIE]
    assert upload_raw(client.src, [pdf]).status_code == 403  # nobody logged in
    assert upload_raw(client.src, [pdf], ticket="erfunden").status_code == 403
    host = client.src.rstrip("/")
    refused = upload_raw(client.src, [pdf], ticket=ticket, origin="https://evil.example")
    assert refused.status_code == 403 and "fremden Seiten" in refused.text
    # Any state-changing request from a foreign page is refused, not only uploads.
    join = httpx.post(host + "/gradio_api/queue/join", json={}, headers={"Origin": "http://evil.example"})
    assert join.status_code == 403
    ok = upload_raw(client.src, [pdf], ticket=ticket, origin=host)
    assert ok.status_code == 200 and Path(ok.json()[0]).is_file()


def test_the_admin_tab_takes_only_files_uploaded_with_its_login(admin, tmp_path):
    """A file path on the server, named through the API, is never pulled into the corpus."""
    _tmp, settings, _live, client = admin
    outside = write_excerpt(tmp_path / "geheim.pdf", range(9, 10), "Geheim")
    before = sorted(p.name for p in settings.corpus_dir.glob("*.pdf"))
    events = call(
        client, "admin_upload", [TOKEN, [{"path": str(outside), "meta": {"_type": "gradio.FileData"}}], False]
    )
    assert sorted(p.name for p in settings.corpus_dir.glob("*.pdf")) == before
    assert "nicht mit dieser Anmeldung hochgeladen" in events or "event: error" in events, events


def call(client: Client, api: str, data: list) -> str:
    """One event through Gradio's HTTP API, with the client's cookies; the event stream."""
    host = client.src.rstrip("/")
    event = httpx.post(f"{host}/gradio_api/call/{api}", json={"data": data}, cookies=client.cookies).json()
    return httpx.get(f"{host}/gradio_api/call/{api}/{event['event_id']}", cookies=client.cookies, timeout=120).text


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
    log, progress, table = job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3  # progress arrives while indexing, not only at the end
    # While it ran: the pages read and the passages embedded, of their totals.
    shown = [o[1] for o in outputs]
    assert any("Seiten gelesen: 3 von 3" in html and "Passagen eingebettet:" in html for html in shown), shown
    assert re.search(r"Fertig nach [\d,]+ s: 3 Seiten und \d+ Passagen indexiert", progress), progress
    assert "✗ grosse-charta.pdf: abgelehnt – zu groß (0.1 MB; erlaubt sind höchstens 0.07 MB)" in log
    assert "= smart-city-charta-2021.pdf: 21 Seiten, 120 Passagen (unverändert)" in log  # not re-embedded
    assert "✗ rechnung.pdf: abgelehnt – keine PDF-Datei" in log
    assert "✗ leer.pdf: abgelehnt – leere Datei (0 Bytes)" in log
    assert "+ Leitfaden Datenhoheit.pdf: hinzugefügt" in log
    assert "✓ Leitfaden Datenhoheit.pdf: 3 Seiten" in log
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
    log, _, _ = client.predict(TOKEN, [handle_file(str(again))], False, api_name="/admin_upload")
    assert "= kopie.pdf: gleicher Inhalt wie Leitfaden Datenhoheit.pdf (schon im Korpus); nicht hinzugefügt" in log
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
    log, _, table = client.predict(TOKEN, [handle_file(str(f)) for f in files], False, api_name="/admin_upload")
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


def test_uploads_per_login_are_limited_and_removed_once_used(admin, tmp_path):
    _tmp, settings, _live, client = admin
    fresh = logged_in(client.src)  # a login of its own, good for 20 files
    ticket = fresh.cookies[UPLOAD_COOKIE]
    pdf = write_excerpt(tmp_path / "Kurzleitfaden.pdf", range(20, 21), "Kurz")
    stored = []
    for _ in range(20):
        response = upload_raw(client.src, [pdf], ticket=ticket)
        assert response.status_code == 200
        stored += response.json()
    over = upload_raw(client.src, [pdf], ticket=ticket)
    assert over.status_code == 429 and "Höchstens 20 Dateien" in over.text
    # The tab takes a file of this login and deletes the uploaded copy afterwards.
    events = call(fresh, "admin_upload", [TOKEN, [{"path": stored[0], "meta": {"_type": "gradio.FileData"}}], False])
    assert "Kurzleitfaden.pdf: hinzugef" in events, events
    assert (settings.corpus_dir / "Kurzleitfaden.pdf").is_file()
    assert not Path(stored[0]).exists()


def test_uploads_left_unused_are_deleted_at_shutdown(tmp_path, charter_index):
    settings = make_settings(tmp_path)
    live = LiveSearcher(charter_index)
    gate = UploadGate()
    with LotseBlocks() as demo, gr.Tabs():
        build_admin_tab(live, settings, TOKEN, gate)
    demo.live, demo.gate = live, gate
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = logged_in(f"http://127.0.0.1:{port}/")
        pdf = write_excerpt(tmp_path / "liegen-gelassen.pdf", range(9, 10), "X")
        response = upload_raw(client.src, [pdf], ticket=client.cookies[UPLOAD_COOKIE])
        assert response.status_code == 200
        left = Path(response.json()[0])
        assert left.is_file()
    finally:
        demo.close()
    assert not left.exists()


def test_pdf_links_work_for_names_with_dashes_euro_emoji_and_line_breaks(admin, tmp_path):
    """Names the upload accepts must not break the PDF route (HTTP 500, dropped connection)."""
    from urllib.parse import unquote

    from web.render import pdf_url

    _tmp, _settings, live, client = admin
    names = ["Leitfaden – Teilhabe €.pdf", "Radverkehr 🚲.pdf", "Zeile\r\nUmbruch.pdf", "a#b?c%.pdf"]
    files = [write_excerpt(tmp_path / str(i) / name, range(i, i + 1), f"Name {i}") for i, name in enumerate(names, 2)]
    before = {d["file"] for d in live.get().documents.values()}
    log, _, _ = client.predict(TOKEN, [handle_file(str(f)) for f in files], False, api_name="/admin_upload")
    assert "jetzt durchsuchbar" in log, log
    added = {d["file"] for d in live.get().documents.values()} - before
    assert {"Leitfaden – Teilhabe €.pdf", "Radverkehr 🚲.pdf"} < added and len(added) == 4, added
    for stored in added:
        assert "\r" not in stored and "\n" not in stored
        response = httpx.get(client.src.rstrip("/") + pdf_url(stored, 1).split("#")[0])
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), stored
        disposition = response.headers["content-disposition"]
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == stored


def _holding(root: Path, data: bytes) -> list[Path]:
    """Files under ``root`` with exactly these bytes."""
    return [p for p in root.rglob("*") if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data]


def test_file_parts_under_another_field_are_refused_and_nothing_of_them_is_stored(admin, tmp_path):
    """Gradio stores a file part under any form field, but counted and returned only
    those under ``files``: the others escaped the ticket's count and were never deleted."""
    _tmp, _settings, _live, client = admin
    ticket = logged_in(client.src).cookies[UPLOAD_COOKIE]  # good for 20 files
    pdf = write_excerpt(tmp_path / "Anhang.pdf", range(11, 12), f"Anhang {time.time_ns()}")  # bytes of its own
    data = pdf.read_bytes()
    ok = upload_raw(client.src, [pdf], ticket=ticket)
    assert ok.status_code == 200
    root = Path(ok.json()[0]).parent.parent  # Gradio's upload folder
    Path(ok.json()[0]).unlink()
    url = client.src.rstrip("/") + "/gradio_api/upload"
    for field in ("other", "files[]"):
        parts = [("files", ("a.pdf", data, "application/pdf"))] + [
            (field, (f"{i}.pdf", data, "application/pdf")) for i in range(30)
        ]
        refused = httpx.post(url, files=parts, cookies={UPLOAD_COOKIE: ticket})
        assert refused.status_code == 400 and "nur im Feld" in refused.text, refused.text
    # More files in one request than the ticket has left: refused, none of them kept.
    parts = [("files", (f"{i}.pdf", data, "application/pdf")) for i in range(25)]
    over = httpx.post(url, files=parts, cookies={UPLOAD_COOKIE: ticket})
    assert over.status_code == 429 and "Höchstens 20 Dateien" in over.text
    assert _holding(root, data) == []
    assert upload_raw(client.src, [pdf], ticket=ticket).status_code == 200  # the ticket still works


def test_uploads_left_unused_are_deleted_when_the_app_gets_sigterm(tmp_path, charter_index):
    """systemd and `docker stop` end the app with SIGTERM, which deleted nothing."""
    import os
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTA_")}
    env.update(
        CHARTA_INDEX_DIR=str(charter_index.index_dir),
        CHARTA_CORPUS_DIR=str(charter_index.corpus_dir),
        CHARTA_ADMIN_TOKEN=TOKEN,
        GRADIO_TEMP_DIR=str(tmp_path / "gradio"),
        HF_HUB_OFFLINE="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(240):
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.5)
        client = logged_in(url)
        pdf = write_excerpt(tmp_path / "liegen-gelassen.pdf", range(9, 10), "X")
        response = upload_raw(url, [pdf], ticket=client.cookies[UPLOAD_COOKIE])
        assert response.status_code == 200
        left = Path(response.json()[0])
        assert left.is_file() and left.is_relative_to(tmp_path / "gradio")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not left.exists()
