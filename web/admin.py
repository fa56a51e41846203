"""The admin tab "Verwaltung": upload PDFs into the corpus and watch them being indexed.

Shown only when the operator sets an admin token (``CHARTA_ADMIN_TOKEN``); every
action asks for it. Uploads are checked before anything is written or parsed (size,
``%PDF`` header), land only in the corpus folder under a sanitised name, and are
indexed in a background thread with the normal build, which publishes the new index
atomically: nothing is searchable before it is indexed completely. The running app
switches to the new index on its next request (:class:`index.live.LiveSearcher`).

While it indexes, the tab shows the document, its pages read and passages and sentences
embedded of their totals, and the time left (:mod:`index.progress`). Everything it says
is worded here from the library's results and reason codes, in the interface's language
(web/i18n.py); the library's English lines are the command line's.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape as esc
from pathlib import Path
from typing import Any

import gradio as gr

from common.errors import ChartaError, DocumentError, IndexLockedError, Reason
from common.settings import Settings
from index import maintain
from index.build import BuildReport, DocResult
from index.live import LiveSearcher
from index.maintain import FileChange, StatusRow
from index.progress import EMBED, READ, WRITE, BuildProgress, rounded
from ingest.pdf import check_file
from web.errors import shown
from web.guard import UPLOAD_COOKIE, LoginThrottle, UploadGate
from web.i18n import STRINGS, t

log = logging.getLogger(__name__)

COLUMNS = [
    "col_state",
    "col_doc",
    "col_title",
    "col_edition",
    "col_pages",
    "col_passages",
    "col_sha",
    "col_indexed",
    "col_note",
]
_WRONG_TOKEN_DELAY_S = 1.0  # slows down guessing
_REDRAW_S = 0.5  # the progress on screen is redrawn at most this often


# --------------------------------------------------------------------------- words


def number(value: float, lang: str, digits: int = 1) -> str:
    """A decimal number as the language writes it.

    >>> number(0.25, "de"), number(0.25, "en"), number(1234.5, "de", 0)
    ('0,2', '0.2', '1234')
    """
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "de" else text


def duration(seconds: float, lang: str) -> str:
    """How long something took.

    >>> duration(12.34, "de"), duration(329.2, "de"), duration(4000, "en")
    ('12,3 s', '5 min 29 s', '66 min 40 s')
    """
    if seconds < 60:
        return f"{number(seconds, lang)} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def time_left(seconds: float | None, lang: str) -> str:
    """The estimated time left, in words.

    >>> time_left(None, "de"), time_left(42, "de"), time_left(250, "en")
    ('Restzeit: wird gemessen …', 'Restzeit: noch etwa 45 s', 'Time left: about 5 min')
    """
    if seconds is None:
        return t("progress_measuring", lang)
    h, m, s = rounded(seconds)
    if h:
        return t("progress_left_h", lang, h=h, m=m)
    return t("progress_left_min", lang, m=m) if m else t("progress_left_s", lang, s=s)


def reason_text(why: Reason | None, english: str, lang: str) -> str:
    """A reason in the interface's language: worded from its code (``reason_<code>``),
    else the library's English line. An empty detail leaves no empty brackets.

    >>> reason_text(Reason("too_many_pages", "…", {"pages": 3000, "limit": 2000}), "…", "de")
    'zu viele Seiten (3000, Grenze 2000, CHARTA_MAX_PAGES)'
    >>> reason_text(Reason("corrupt", "…", {"failed": 2, "pages": 2, "detail": ""}), "…", "de")
    'beschädigtes PDF: 2 von 2 Seiten nicht lesbar'
    """
    if why is None or f"reason_{why.code}" not in STRINGS:
        return english
    values: dict[str, object] = dict(why.details)
    if why.cause is not None:
        values["cause"] = reason_text(why.cause, why.cause.text, lang)
    return re.sub(r" \(\)", "", t(f"reason_{why.code}", lang, **values))


@dataclass(frozen=True)
class Said:
    """A line of the tab's own (a text key and its values)."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


Entry = FileChange | DocResult | BuildReport | Said  # a line of the log


def change_line(c: FileChange, lang: str) -> str:
    """What happened to an uploaded file."""
    why = reason_text(c.why, c.reason, lang)
    if c.action == "duplicate":
        return t("admin_duplicate", lang, file=c.source, reason=why)
    if c.action == "rejected":
        return t("admin_rejected", lang, file=c.source, reason=why)
    if c.action == "replaced":
        return t("admin_replaced", lang, file=c.source, reason=why)
    if c.file and c.file != c.source:
        return t("admin_added_as", lang, source=c.source, file=c.file)
    return t("admin_added", lang, file=c.source)


def result_line(r: DocResult, lang: str) -> str:
    """What the build did with a document."""
    why = reason_text(r.why, r.reason, lang)
    if r.status in ("failed", "duplicate"):
        return t("admin_doc_failed", lang, file=r.file, reason=why)
    if r.status == "kept":
        return t("admin_doc_kept", lang, file=r.file, reason=why)
    if r.status == "removed":
        return t("admin_doc_removed", lang, file=r.file)
    counts = {"file": r.file, "pages": r.pages, "passages": r.passages, "seconds": number(r.seconds, lang)}
    if r.status == "unchanged":
        if r.unreadable:  # the loss stays visible at every later build, as in the ingest line
            return t("admin_doc_unchanged_lost_pages", lang, unreadable=r.unreadable, **counts)
        return t("admin_doc_unchanged", lang, **counts)
    if r.unreadable:
        return t("admin_doc_lost_pages", lang, unreadable=r.unreadable, **counts)
    return t("admin_doc_changed" if r.status == "changed" else "admin_doc_new", lang, **counts)


def summary_line(b: BuildReport, lang: str) -> str:
    """The index after the build, and how fast this build indexed.

    >>> print(summary_line(BuildReport(documents=2, pages=138, passages=837, seconds=329.2, written=True,
    ...                                pages_done=117, passages_done=717, embed_seconds=300.0), "de"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Im Index: 2 Dokument(e), 138 Seiten, 837 Passagen; Index aktualisiert; 5 min 29 s
    (0,4 Seiten/s, 2,2 Passagen/s, davon 91 % Einbetten)
    """
    text = t(
        "admin_summary",
        lang,
        documents=b.documents,
        pages=b.pages,
        passages=b.passages,
        state=t("admin_index_updated" if b.written else "admin_index_unchanged", lang),
        seconds=duration(b.seconds, lang),
    )
    if b.pages_done and b.seconds > 0:
        text += t(
            "admin_speed",
            lang,
            pages_s=number(b.pages_done / b.seconds, lang),
            passages_s=number(b.passages_done / b.seconds, lang),
            share=round(100 * b.embed_seconds / b.seconds),
        )
    return text


def entry_line(e: Entry, lang: str) -> str:
    if isinstance(e, FileChange):
        return change_line(e, lang)
    if isinstance(e, DocResult):
        return result_line(e, lang)
    if isinstance(e, BuildReport):
        return summary_line(e, lang)
    return t(e.key, lang, **e.values)


def _bar(label: str, done: int, total: int) -> str:
    return (
        f'<p>{esc(label)}</p><progress max="{max(total, 1)}" value="{min(done, total)}" '
        f'aria-label="{esc(label)}"></progress>'
    )


def progress_html(p: BuildProgress | None, lang: str, finished: BuildReport | None = None) -> str:
    """The running indexing: document, pages read, passages and sentences embedded of
    their totals, and the time left; once it is over, how long it took.

    >>> html = progress_html(BuildProgress(EMBED, "GeoTopo.pdf", 1, 1, 117, 117, 300, 717, 0, 1207, 0.2, 250), "de")
    >>> [s for s in ("Seiten gelesen: 117 von 117", "Passagen eingebettet: 300 von 717",
    ...              "Sätze eingebettet: 0 von 1207", "Restzeit: noch etwa 5 min") if s not in html]
    []
    """
    if p is None:
        if finished is None:
            return ""
        if not finished.pages_done:
            return f'<div class="lotse-progress"><p>{esc(t("progress_nothing", lang))}</p></div>'
        done = t(
            "progress_done",
            lang,
            seconds=duration(finished.seconds, lang),
            pages=finished.pages_done,
            passages=finished.passages_done,
        )
        return f'<div class="lotse-progress"><p>{esc(done)}</p></div>'
    if p.stage == WRITE:
        return f'<div class="lotse-progress"><p>{esc(t("progress_writing", lang))}</p></div>'
    parts = [f"<h3>{esc(t('progress_doc', lang, file=p.file, doc=p.doc, docs=p.docs))}</h3>"]
    if p.stage == READ and not p.pages:
        parts.append(f"<p>{esc(t('progress_opening', lang))}</p>")
    else:
        parts.append(_bar(t("progress_pages", lang, done=p.pages_read, total=p.pages), p.pages_read, p.pages))
    if p.stage == EMBED:
        parts.append(
            _bar(t("progress_passages", lang, done=p.passages_done, total=p.passages), p.passages_done, p.passages)
        )
        parts.append(
            _bar(t("progress_sentences", lang, done=p.sentences_done, total=p.sentences), p.sentences_done, p.sentences)
        )
        parts.append(f"<p><strong>{esc(time_left(p.seconds_left, lang))}</strong></p>")
    else:
        parts.append(f"<p>{esc(time_left(None, lang))}</p>")
    if p.docs > p.doc:
        parts.append(f"<p>{esc(t('progress_more_docs', lang, n=p.docs - p.doc))}</p>")
    return f'<div class="lotse-progress">{"".join(parts)}</div>'


def status_table(rows: list[StatusRow] | None, lang: str) -> dict[str, Any]:
    """The status of ``ingest status`` as the tab's table: headers and rows, worded in
    ``lang`` (states, notes)."""
    out = []
    for r in rows or []:
        notes = [reason_text(n, n.text, lang) for n in r.notes] or ([r.note] if r.note else [])
        if r.superseded_by:
            notes.insert(0, t("superseded_by", lang, doc_id=r.superseded_by))
        state, *rest = r.cells()
        key = f"state_{state}"
        out.append([t(key, lang) if key in STRINGS else state, *rest, "; ".join(notes)])
    return {"headers": [t(c, lang) for c in COLUMNS], "data": out}


def check_upload(path: Path, settings: Settings) -> Reason | None:
    """Why an uploaded file is refused, or None.

    The checks are ingest's own (:func:`ingest.pdf.check_file`, 1 KB read at most).
    """
    try:
        check_file(path, settings.max_file_mb)
    except DocumentError as exc:
        return exc.why
    except OSError as exc:
        return Reason("unreadable", f"unreadable ({exc.strerror})", {"detail": exc.strerror})
    return None


# --------------------------------------------------------------------------- state


@dataclass
class AdminView:
    """What one session's tab shows, kept so that the language switch can word it again."""

    logged_in: bool = False
    entries: list[Entry] = field(default_factory=list)
    progress: BuildProgress | None = None
    finished: BuildReport | None = None
    rows: list[StatusRow] | None = None

    def log(self, lang: str) -> str:
        return "\n".join(entry_line(e, lang) for e in self.entries)


class _Running:
    """The indexing under way, if any (one at a time): what a login or "Status anzeigen"
    in another session shows of it."""

    def __init__(self) -> None:
        self.progress: BuildProgress | None = None
        self.active = False


@dataclass
class AdminTab:
    """What the page needs of the tab: its session state and the views the language
    switch words again."""

    view: gr.State
    components: list[Any]
    limits: dict[str, object]  # the values of the introduction

    def rerender(self, view: AdminView | None, lang: str) -> list[Any]:
        view = view or AdminView()
        return [
            t("admin_intro", lang, **self.limits),
            t("admin_logged_in", lang) if view.logged_in else "",
            gr.update(value=view.log(lang), label=t("admin_log", lang)),
            progress_html(view.progress, lang, view.finished),
            gr.update(value=status_table(view.rows, lang), label=t("admin_table", lang)),
        ]


SET_COOKIE_JS = """(ticket) => {{
  if (ticket) {{
    document.cookie = "{cookie}=" + ticket + "; path=/; max-age=3600; SameSite=Strict";
    // A warning about an earlier wrong token is stale once a login has succeeded.
    const stale = {warnings};
    for (const toast of document.querySelectorAll("[data-testid=toast-body]")) {{
      const close = toast.querySelector(".toast-close");
      if (close && stale.some((w) => toast.textContent.includes(w))) close.click();
    }}
  }}
  return [];
}}"""


def _set_cookie_js() -> str:
    # The login warnings in both languages, up to their first value (the wait varies).
    warnings = [text.split("{")[0].strip() for key in ("admin_wrong_token", "admin_wait") for text in STRINGS[key]]
    return SET_COOKIE_JS.format(cookie=UPLOAD_COOKIE, warnings=json.dumps(warnings, ensure_ascii=False))


def _discard(paths: list[str]) -> None:
    """Delete uploaded copies once the corpus has its own (or refused them)."""
    for p in paths:
        with contextlib.suppress(OSError):
            Path(p).unlink()


# --------------------------------------------------------------------------- the tab


class _AdminActions:
    """What the tab's buttons do, for one app: the token check with its throttle, and the
    indexing of uploads (one at a time, its progress seen by every session)."""

    def __init__(
        self, live: LiveSearcher, settings: Settings, expected: bytes, gate: UploadGate, throttle: LoginThrottle
    ) -> None:
        self.live = live
        self.settings = settings
        self.expected = expected
        self.gate = gate
        self.throttle = throttle
        self.running = _Running()

    def authorised(self, given: str | None, request: gr.Request | None, lg: str) -> None:
        client = str(getattr(getattr(request, "client", None), "host", "") or "")
        wait = self.throttle.wait_s(client)
        if wait > 0:
            log.warning("admin: attempt from %s refused unchecked, %d s after repeated wrong tokens", client, wait)
            raise shown(t("admin_wait", lg, seconds=math.ceil(wait)), lg)
        if not hmac.compare_digest((given or "").strip().encode("utf-8"), self.expected):
            wait = self.throttle.failed(client)
            log.warning("admin: wrong token from %s%s", client, f"; next attempt in {wait:.0f} s" if wait else "")
            time.sleep(_WRONG_TOKEN_DELAY_S)
            raise shown(t("admin_wrong_token", lg), lg)
        self.throttle.succeeded(client)

    def rows(self) -> list[StatusRow]:
        try:
            return maintain.status(self.settings).rows
        except ChartaError as exc:
            raise shown(str(exc)) from None

    def running_view(self, view: AdminView) -> AdminView:
        """The session's view with the progress of the indexing under way, if any (this
        session's upload, after a reload, or another session's)."""
        view.progress = self.running.progress if self.running.active else None
        if view.progress is not None:
            view.finished = None
        return view

    def login(self, given: str | None, lg: str, view: AdminView | None, request: gr.Request) -> tuple[Any, ...]:
        self.authorised(given, request, lg)
        view = self.running_view(view or AdminView())
        view.logged_in = True
        return (
            t("admin_logged_in", lg),
            gr.Column(visible=True),
            progress_html(view.progress, lg, view.finished),
            self.gate.issue(),
            view,
        )

    def show_status(self, given: str | None, lg: str, view: AdminView | None, request: gr.Request) -> tuple[Any, ...]:
        self.authorised(given, request, lg)
        view = self.running_view(view or AdminView())
        view.rows = self.rows()
        return status_table(view.rows, lg), progress_html(view.progress, lg, view.finished), view

    def upload(
        self,
        given: str | None,
        files: list[str] | None,
        replace: bool,
        lg: str,
        view: AdminView | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        self.authorised(given, request, lg)
        if not files:
            raise shown(t("admin_choose_files", lg), lg)
        ticket = (getattr(request, "cookies", None) or {}).get(UPLOAD_COOKIE)
        fresh = AdminView(logged_in=True, rows=(view or AdminView()).rows)  # a new log for each upload
        try:
            yield from self._index_uploads(files, replace, ticket, lg, fresh)
        finally:
            _discard([f for f in files if self.gate.owns(ticket, f)])

    def _index_uploads(
        self, files: list[str], replace: bool, ticket: str | None, lg: str, view: AdminView
    ) -> Iterator[tuple[Any, ...]]:
        def shown_now(table: Any = None) -> tuple[Any, ...]:
            return (
                view.log(lg),
                progress_html(view.progress, lg, view.finished),
                gr.skip() if table is None else table,  # hashing the corpus for each line is waste
                view,
            )

        accepted: list[tuple[Path, str]] = []
        for f in files:
            path = Path(f)
            if not self.gate.owns(ticket, f):
                # Only what this login uploaded: never a path named by the caller.
                why = Reason("not_this_login", "not uploaded with this login")  # worded by web/i18n.py
                view.entries.append(FileChange.because(path.name, "rejected", "", why))
                continue
            reason = check_upload(path, self.settings)
            if reason:
                view.entries.append(FileChange.because(path.name, "rejected", "", reason))
            else:
                accepted.append((path, path.name))
        if not accepted:
            view.rows = self.rows()
            yield shown_now(status_table(view.rows, lg))
            return
        view.entries.append(Said("admin_indexing", {"n": len(accepted)}))
        yield shown_now()

        events: queue.Queue[maintain.Event] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            self.running.active, self.running.progress = True, None
            try:
                outcome["report"] = maintain.add(accepted, self.settings, replace=replace, on_event=events.put)
            except IndexLockedError as exc:
                outcome["error"] = Said("admin_locked", {"detail": str(exc)})
            except ChartaError as exc:
                outcome["error"] = Said("admin_failed", {"detail": str(exc)})
            except Exception as exc:  # the thread must report, not die silently
                log.exception("indexing uploads failed")
                unexpected = t("admin_unexpected", lg, detail=f"{type(exc).__name__}: {exc}")
                outcome["error"] = Said("admin_failed", {"detail": unexpected})
            finally:
                self.running.active = False

        # The build keeps running if the browser goes away; it publishes atomically.
        worker = threading.Thread(target=work, name="charta-admin-index", daemon=True)
        worker.start()
        drawn = 0.0
        while worker.is_alive() or not events.empty():
            try:
                event = events.get(timeout=0.3)
            except queue.Empty:
                continue
            changed = False
            while True:
                if isinstance(event, BuildProgress):
                    view.progress = self.running.progress = event
                else:
                    # A file taken back out after a failed build is told again: its line
                    # is worded anew, not repeated.
                    if not any(event is e for e in view.entries):
                        view.entries.append(event)
                    changed = True
                try:
                    event = events.get_nowait()
                except queue.Empty:
                    break
            if changed or time.monotonic() - drawn >= _REDRAW_S:
                drawn = time.monotonic()
                yield shown_now()
        worker.join()
        view.progress = None
        if "error" in outcome:
            view.entries.append(outcome["error"])
        else:
            report = outcome["report"]
            if report.build is not None:
                view.entries.append(report.build)
                view.finished = report.build
            view.entries.append(self._switched(report.build))
        view.rows = self.rows()
        yield shown_now(status_table(view.rows, lg))

    def _switched(self, build: BuildReport | None) -> Said:
        if build is None or not build.written:
            return Said("admin_unchanged")
        try:
            # Switch now, so that "searchable" is true when it is said.
            serving = self.live.switch().generation
        except ChartaError as exc:
            return Said("admin_not_loaded", {"detail": str(exc)})
        if serving == build.generation:
            return Said("admin_searchable")
        return Said("admin_not_serving", {"detail": self.live.last_error or serving})


def build_admin_tab(
    live: LiveSearcher,
    settings: Settings,
    token: str,
    gate: UploadGate,
    throttle: LoginThrottle | None = None,
    lang: gr.State | None = None,
    tr: Callable[[Any, str, str], Any] | None = None,
) -> AdminTab:
    """Add the tab "Verwaltung" to the caller's ``gr.Tabs`` (call inside its context).

    ``gate`` must be the one the app's :class:`web.guard.GuardMiddleware` checks:
    a login issues its ticket, and only files uploaded with it are taken. ``lang`` is the
    page's language state and ``tr`` its way to register a label for the language switch
    (without them, the tab speaks German).
    """
    if not token or not token.strip():
        raise ValueError("the admin token must not be empty (CHARTA_ADMIN_TOKEN)")
    actions = _AdminActions(live, settings, token.strip().encode("utf-8"), gate, throttle or LoginThrottle())
    label = tr or (lambda component, _attr, _key: component)
    limits: dict[str, object] = {"mb": f"{settings.max_file_mb:g}", "files": gate.max_files}
    with label(gr.Tab(t("tab_admin"), id="verwaltung"), "label", "tab_admin"):
        # Inside the tab: a state among the tabs would make Gradio show the tab twice.
        lang_state = lang if lang is not None else gr.State("de")
        view_state = gr.State(None)
        intro = gr.Markdown(t("admin_intro", "de", **limits))
        token_box = label(gr.Textbox(label=t("admin_token"), type="password", max_lines=1), "label", "admin_token")
        with gr.Row():
            login_btn = label(gr.Button(t("admin_login"), variant="primary"), "value", "admin_login")
            refresh = label(gr.Button(t("admin_show_status")), "value", "admin_show_status")
        login_msg = gr.Markdown()
        ticket_box = gr.Textbox(visible=False)
        # The upload control exists for a session only after its login: Gradio's upload
        # route takes files only with that login's ticket (web/guard.py).
        with gr.Column(visible=False, elem_classes=["lotse-admin"]) as upload_area:
            files = label(
                gr.File(label=t("admin_files"), file_count="multiple", file_types=[".pdf"], type="filepath"),
                "label",
                "admin_files",
            )
            replace = label(gr.Checkbox(label=t("admin_replace"), value=False), "label", "admin_replace")
            start = label(gr.Button(t("admin_start"), variant="primary"), "value", "admin_start")
            progress = gr.HTML(elem_id="indexierung")
            log_box = gr.Textbox(label=t("admin_log"), lines=8, max_lines=30, interactive=False, autoscroll=True)
        table = gr.Dataframe(
            value=status_table(None, "de"),
            label=t("admin_table"),
            interactive=False,
            wrap=True,
            elem_id="dokumente-status",
        )
    login_btn.click(
        actions.login,
        [token_box, lang_state, view_state],
        [login_msg, upload_area, progress, ticket_box, view_state],
        api_name="admin_login",
    ).success(None, [ticket_box], None, js=_set_cookie_js())
    start.click(
        actions.upload,
        [token_box, files, replace, lang_state, view_state],
        [log_box, progress, table, view_state],
        api_name="admin_upload",
        concurrency_limit=1,
    ).success(lambda: None, None, [files], api_name=False)  # the uploaded copies are gone: choose anew
    refresh.click(
        actions.show_status, [token_box, lang_state, view_state], [table, progress, view_state], api_name="admin_status"
    )
    return AdminTab(view_state, [intro, login_msg, log_box, progress, table], limits)
