"""The admin tab "Verwaltung": upload PDFs into the corpus and watch them being indexed.

Shown only when the operator sets an admin token (``CHARTA_ADMIN_TOKEN``); every
action asks for it. Uploads are checked before anything is written or parsed (size,
``%PDF`` header), land only in the corpus folder under a sanitised name, and are
indexed in a background thread with the normal build, which publishes the new index
atomically: nothing is searchable before it is indexed completely. The running app
switches to the new index on its next request (:class:`index.live.LiveSearcher`).
"""

from __future__ import annotations

import hmac
import logging
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from common.errors import ChartaError, DocumentError, IndexLockedError
from common.settings import Settings
from index import maintain
from index.live import LiveSearcher
from ingest.pdf import check_file
from web.i18n import STRINGS, t

log = logging.getLogger(__name__)

STATUS_HEADERS = [
    "Zustand",
    "Dokument",
    "Titel",
    "Ausgabe",
    "Seiten",
    "Passagen",
    "SHA-256",
    "Indexiert",
    "Hinweis",
]
_STATE_DE = {
    "ok": "aktuell",
    "new": "neu",
    "changed": "geändert",
    "missing": "fehlt",
    "duplicate": "Duplikat",
    "invalid": "ungültig",
}
_WRONG_TOKEN_DELAY_S = 1.0  # slows down guessing


def check_upload(path: Path, settings: Settings) -> str | None:
    """Why an uploaded file is refused (German, one line), or None.

    The checks are ingest's own (:func:`ingest.pdf.check_file`, 1 KB read at most); only
    the wording is the tab's.
    """
    try:
        check_file(path, settings.max_file_mb)
    except DocumentError as exc:
        key = f"upload_{exc.code}"
        return t(key, "de", **exc.details) if key in STRINGS else exc.reason
    except OSError as exc:
        return f"nicht lesbar ({exc.strerror})"
    return None


def status_rows(settings: Settings) -> list[list[str]]:
    """The status table of ``ingest status``, with German states and notes."""
    rows = []
    for r in maintain.status(settings).rows:
        note = r.note
        if r.superseded_by:
            note = f"ersetzt durch {r.superseded_by}" + (f"; {note}" if note else "")
        state, *rest = r.cells()
        rows.append([_STATE_DE.get(state, state), *rest, note])
    return rows


def build_admin_tab(live: LiveSearcher, settings: Settings, token: str) -> None:
    """Add the tab "Verwaltung" to the caller's ``gr.Tabs`` (call inside its context)."""
    if not token or not token.strip():
        raise ValueError("the admin token must not be empty (CHARTA_ADMIN_TOKEN)")
    expected = token.strip().encode("utf-8")

    def authorised(given: str | None) -> None:
        if not hmac.compare_digest((given or "").strip().encode("utf-8"), expected):
            time.sleep(_WRONG_TOKEN_DELAY_S)
            raise gr.Error("Falsches oder fehlendes Admin-Token.")

    def show_status(given: str | None) -> list[list[str]]:
        authorised(given)
        try:
            return status_rows(settings)
        except ChartaError as exc:
            raise gr.Error(str(exc)) from None

    def upload(given: str | None, files: list[str] | None, replace: bool) -> Iterator[tuple[str, list[list[str]]]]:
        authorised(given)
        if not files:
            raise gr.Error("Bitte zuerst PDF-Dateien auswählen.")
        lines: list[str] = []
        accepted: list[tuple[Path, str]] = []
        for f in files:
            path = Path(f)
            reason = check_upload(path, settings)
            if reason:
                lines.append(f"✗ {path.name}: abgelehnt – {reason}")
            else:
                accepted.append((path, path.name))
        if not accepted:
            yield "\n".join(lines), status_rows(settings)
            return
        lines.append(f"Indexiere {len(accepted)} Datei(en) …")
        yield "\n".join(lines), gr.skip()

        progress: queue.Queue[str] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["report"] = maintain.add(accepted, settings, replace=replace, progress=progress.put)
            except IndexLockedError as exc:
                outcome["error"] = f"Der Index wird gerade aufgebaut; bitte später erneut versuchen ({exc})."
            except ChartaError as exc:
                outcome["error"] = str(exc)
            except Exception as exc:  # the thread must report, not die silently
                log.exception("indexing uploads failed")
                outcome["error"] = f"unerwarteter Fehler: {type(exc).__name__}: {exc}"

        # The build keeps running if the browser goes away; it publishes atomically.
        worker = threading.Thread(target=work, name="charta-admin-index", daemon=True)
        worker.start()
        while worker.is_alive() or not progress.empty():
            try:
                lines.append(progress.get(timeout=0.3))
            except queue.Empty:
                continue
            while not progress.empty():
                lines.append(progress.get_nowait())
            yield "\n".join(lines), gr.skip()  # hashing the corpus for each line is waste
        worker.join()
        if "error" in outcome:
            lines.append(f"✗ Fehler: {outcome['error']} Der bisherige Index bleibt in Betrieb.")
        else:
            report = outcome["report"]
            if report.build is not None:
                lines.append(report.build.summary())
            if report.build is not None and report.build.written:
                try:
                    live.get()  # load the new index now, not in a user's request
                except ChartaError as exc:
                    lines.append(f"✗ Der neue Index lässt sich nicht laden: {exc}")
                else:
                    lines.append("Fertig: die neuen Dokumente sind jetzt durchsuchbar.")
            else:
                lines.append("Fertig: der Index ist unverändert.")
        yield "\n".join(lines), status_rows(settings)

    with gr.Tab("Verwaltung", id="verwaltung"):
        gr.Markdown(
            "### Dokumente verwalten\n"
            f"PDF-Dateien (höchstens {settings.max_file_mb:g} MB) werden in den Korpus "
            "kopiert und indexiert. Durchsuchbar sind sie erst, wenn die Indexierung "
            "vollständig abgeschlossen ist. Dateien mit gleichem Inhalt werden nicht doppelt "
            "aufgenommen."
        )
        token_box = gr.Textbox(label="Admin-Token", type="password", max_lines=1)
        files = gr.File(label="PDF-Dateien", file_count="multiple", file_types=[".pdf"], type="filepath")
        replace = gr.Checkbox(
            label="Gleichnamige Datei ersetzen (die alte wird nach corpus/.removed/ verschoben)", value=False
        )
        with gr.Row():
            start = gr.Button("Hochladen und indexieren", variant="primary")
            refresh = gr.Button("Status anzeigen")
        log_box = gr.Textbox(label="Fortschritt", lines=10, max_lines=30, interactive=False, autoscroll=True)
        table = gr.Dataframe(headers=STATUS_HEADERS, value=[], label="Dokumente im Index", interactive=False, wrap=True)
    start.click(upload, [token_box, files, replace], [log_box, table], api_name="admin_upload", concurrency_limit=1)
    refresh.click(show_status, [token_box], [table], api_name="admin_status")
