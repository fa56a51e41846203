"""The admin tab "Verwaltung": upload PDFs into the corpus and watch them being indexed.

Shown only when the operator sets an admin token (``CHARTA_ADMIN_TOKEN``); every
action asks for it. Uploads are checked before anything is written or parsed (size,
``%PDF`` header), land only in the corpus folder under a sanitised name, and are
indexed in a background thread with the normal build, which publishes the new index
atomically: nothing is searchable before it is indexed completely. The running app
switches to the new index on its next request (:class:`index.live.LiveSearcher`).
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import math
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
from web.errors import shown
from web.guard import UPLOAD_COOKIE, LoginThrottle, UploadGate
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


SET_COOKIE_JS = f"""(ticket) => {{
  if (ticket) {{
    document.cookie = "{UPLOAD_COOKIE}=" + ticket + "; path=/; max-age=3600; SameSite=Strict";
  }}
  return [];
}}"""


def _discard(paths: list[str]) -> None:
    """Delete uploaded copies once the corpus has its own (or refused them)."""
    for p in paths:
        with contextlib.suppress(OSError):
            Path(p).unlink()


def build_admin_tab(
    live: LiveSearcher,
    settings: Settings,
    token: str,
    gate: UploadGate,
    throttle: LoginThrottle | None = None,
) -> None:
    """Add the tab "Verwaltung" to the caller's ``gr.Tabs`` (call inside its context).

    ``gate`` must be the one the app's :class:`web.guard.GuardMiddleware` checks:
    a login issues its ticket, and only files uploaded with it are taken.
    """
    if not token or not token.strip():
        raise ValueError("the admin token must not be empty (CHARTA_ADMIN_TOKEN)")
    expected = token.strip().encode("utf-8")
    throttle = throttle or LoginThrottle()

    def authorised(given: str | None, request: gr.Request | None) -> None:
        client = str(getattr(getattr(request, "client", None), "host", "") or "")
        wait = throttle.wait_s(client)
        if wait > 0:
            log.warning("admin: attempt from %s refused unchecked, %d s after repeated wrong tokens", client, wait)
            raise shown(f"Zu viele falsche Anmeldungen. Bitte in {math.ceil(wait)} s erneut versuchen.")
        if not hmac.compare_digest((given or "").strip().encode("utf-8"), expected):
            wait = throttle.failed(client)
            log.warning("admin: wrong token from %s%s", client, f"; next attempt in {wait:.0f} s" if wait else "")
            time.sleep(_WRONG_TOKEN_DELAY_S)
            raise shown("Falsches oder fehlendes Admin-Token.")
        throttle.succeeded(client)

    def login(given: str | None, request: gr.Request) -> tuple[str, Any, str]:
        authorised(given, request)
        return "Angemeldet. Sie können jetzt PDF-Dateien hochladen.", gr.Column(visible=True), gate.issue()

    def show_status(given: str | None, request: gr.Request) -> list[list[str]]:
        authorised(given, request)
        try:
            return status_rows(settings)
        except ChartaError as exc:
            raise shown(str(exc)) from None

    def upload(
        given: str | None, files: list[str] | None, replace: bool, request: gr.Request
    ) -> Iterator[tuple[str, list[list[str]]]]:
        authorised(given, request)
        if not files:
            raise shown("Bitte zuerst PDF-Dateien auswählen.")
        ticket = (getattr(request, "cookies", None) or {}).get(UPLOAD_COOKIE)
        try:
            yield from _index_uploads(files, replace, ticket)
        finally:
            _discard([f for f in files if gate.owns(ticket, f)])

    def _index_uploads(files: list[str], replace: bool, ticket: str | None) -> Iterator[tuple[str, list[list[str]]]]:
        lines: list[str] = []
        accepted: list[tuple[Path, str]] = []
        for f in files:
            path = Path(f)
            if not gate.owns(ticket, f):
                # Only what this login uploaded: never a path named by the caller.
                lines.append(f"✗ {path.name}: abgelehnt – nicht mit dieser Anmeldung hochgeladen")
                continue
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
                    # Switch now, so that "searchable" is true when it is said.
                    serving = live.switch().generation
                except ChartaError as exc:
                    lines.append(f"✗ Der neue Index lässt sich nicht laden: {exc}")
                else:
                    if serving == report.build.generation:
                        lines.append("Fertig: die neuen Dokumente sind jetzt durchsuchbar.")
                    else:
                        lines.append(f"✗ Der neue Index ist nicht in Betrieb: {live.last_error or serving}")
            else:
                lines.append("Fertig: der Index ist unverändert.")
        yield "\n".join(lines), status_rows(settings)

    with gr.Tab("Verwaltung", id="verwaltung"):
        gr.Markdown(
            "### Dokumente verwalten\n"
            f"PDF-Dateien (höchstens {settings.max_file_mb:g} MB, {gate.max_files} je Anmeldung) werden in "
            "den Korpus kopiert und indexiert. Durchsuchbar sind sie erst, wenn die Indexierung "
            "vollständig abgeschlossen ist. Dateien mit gleichem Inhalt werden nicht doppelt "
            "aufgenommen."
        )
        token_box = gr.Textbox(label="Admin-Token", type="password", max_lines=1)
        with gr.Row():
            login_btn = gr.Button("Anmelden", variant="primary")
            refresh = gr.Button("Status anzeigen")
        login_msg = gr.Markdown()
        ticket_box = gr.Textbox(visible=False)
        # The upload control exists for a session only after its login: Gradio's upload
        # route takes files only with that login's ticket (web/guard.py).
        with gr.Column(visible=False) as upload_area:
            files = gr.File(label="PDF-Dateien", file_count="multiple", file_types=[".pdf"], type="filepath")
            replace = gr.Checkbox(
                label="Gleichnamige Datei ersetzen (die alte wird nach corpus/.removed/ verschoben)", value=False
            )
            start = gr.Button("Hochladen und indexieren", variant="primary")
            log_box = gr.Textbox(label="Fortschritt", lines=10, max_lines=30, interactive=False, autoscroll=True)
        table = gr.Dataframe(headers=STATUS_HEADERS, value=[], label="Dokumente im Index", interactive=False, wrap=True)
    login_btn.click(login, [token_box], [login_msg, upload_area, ticket_box], api_name="admin_login").then(
        None, [ticket_box], None, js=SET_COOKIE_JS
    )
    start.click(upload, [token_box, files, replace], [log_box, table], api_name="admin_upload", concurrency_limit=1)
    refresh.click(show_status, [token_box], [table], api_name="admin_status")
