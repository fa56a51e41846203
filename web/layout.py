"""The page: layout, events and what each control does, on top of the library.

Rendering lives in web/render.py, texts in web/i18n.py, the admin tab in web/admin.py;
``app.py`` is the command line that starts it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path
from typing import Any, TypeVar

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr
from starlette.middleware import Middleware

from answer import llm
from answer.answer import Answer, CitedPassage
from answer.cite import citation, citation_in, document_name
from answer.pipeline import ask
from common.errors import ChartaError, FeedbackFullError, FeedbackWriteError
from common.settings import Settings
from index.live import LiveSearcher
from index.search import Hit
from ingest.structure import heading_label
from web import sourceview
from web.errors import shown
from web.export import ExportFolder, document_link, handout_markdown
from web.feedback import DOWN, UP, FeedbackShareError, FeedbackStore, feedback_from
from web.guard import ClientLimiter, GuardMiddleware, RateLimiter, TooManyRequests, UploadGate
from web.i18n import t
from web.itemlist import NOTE_OF_JS, index_of, moved, noted
from web.render import (
    PDF_ROUTE,
    pdf_url,
    render_answer,
    render_card,
    render_cards,
    render_collection,
    render_section,
    render_thread,
)
from web.routes import health_route, pdf_route, source_routes
from web.workshop_tab import build_workshop_tab

log = logging.getLogger("charta.app")
T = TypeVar("T")

MAX_QUESTION_CHARS = 1000
MAX_K = 50

CONCURRENCY = 32  # simultaneous requests; a workshop of 20 must not queue behind each other
QUEUE_POLL_S = 0.02
LANG_CHOICES = [("Deutsch", "de"), ("English", "en")]
# The page's stylesheet and script, read once at start and sent inline (nothing from elsewhere).
STATIC = Path(__file__).parent / "static"

# System fonts only: Gradio's default theme would fetch Inter from Google Fonts.
THEME = gr.themes.Default(
    primary_hue="blue",
    neutral_hue="slate",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Consolas", "Liberation Mono", "monospace"],
).set(
    # White on blue-700 has a contrast of 6.7:1 (blue-500 would fail WCAG 1.4.3).
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700",
    button_primary_text_color="white",
    button_primary_text_color_dark="white",
)
CSS = (STATIC / "app.css").read_text(encoding="utf-8")

# Gradio's own control names and texts (they follow the browser's language, or are
# English), as [English, German]: shown in the interface's language.
GRADIO_TEXTS = [
    ["More tabs", "Weitere Registerkarten"],
    ["Copy", "Kopieren"],
    ["Copied!", "Kopiert!"],
    ["Clear", "Leeren"],
    ["Download", "Herunterladen"],
    ["Close", "Schließen"],
    ["Remove", "Entfernen"],
    ["Loading...", "Wird geladen …"],
    ["Error", "Hinweis"],
    ["Click to upload or drop files", "Zum Hochladen klicken oder Dateien hierher ziehen"],
    ["File upload", "Datei hochladen"],
    ["Open cell menu", "Zellenmenü öffnen"],
    ["Table actions", "Tabellenaktionen"],
    ["Copy table data", "Tabelle kopieren"],
    ["Fullscreen", "Vollbild"],
    ["Exit fullscreen", "Vollbild beenden"],
    ["Drop File Here", "Datei hier ablegen"],
    ["- or -", "- oder -"],
    ["Click to Upload", "Hochladen"],
]
# … and what to show instead, as [English, German].
GRADIO_KEYS = {"common.upload": ["Add files", "Dateien hinzufügen"]}
# Gradio announces each finished event in a hidden status region with the text of its
# key "common.complete", which it does not have: a screen reader would read out the key.
# These are said instead, in the interface's language.
STATUS_SAID = {
    lang: {
        "answer": t("answer", lang),
        "complete": t("sr_complete", lang),
        "loading": t("sr_loading", lang),
        "error": t("sr_error", lang),
        "queue": t("sr_queue", lang),
    }
    for lang in ("de", "en")
}

# Runs in the page: the document language follows the interface language (WCAG 3.1.1);
# Enter asks and Shift+Enter makes a new line; the skip link moves focus into the question
# box; the answer is a live region, so a screen reader announces it (WCAG 4.1.3); and
# Gradio's own control names, texts and announcements follow the interface language.
HEAD = (
    "<script>\n"
    + (STATIC / "app.js")
    .read_text(encoding="utf-8")
    .replace("/*GRADIO_TEXTS*/[]", json.dumps(GRADIO_TEXTS, ensure_ascii=False))
    .replace("/*GRADIO_KEYS*/{}", json.dumps(GRADIO_KEYS, ensure_ascii=False))
    .replace("/*STATUS_SAID*/{}", json.dumps(STATUS_SAID, ensure_ascii=False))
    + "</script>"
)


class LotseBlocks(gr.Blocks):
    """Blocks that launch with our theme, CSS and PDF route unless told otherwise."""

    live: LiveSearcher
    max_file_mb: float = 200.0
    gate: UploadGate | None = None  # set when the admin tab is on; without it, no uploads
    rate_limiter: RateLimiter | None = None
    allowed_hosts: tuple[str, ...] = ("localhost",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Uploads and Gradio's copies of exports: deleted after an hour, and all of them
        # when the server stops.
        kwargs.setdefault("delete_cache", (600, 3600))
        super().__init__(*args, **kwargs)

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        kwargs.setdefault("theme", THEME)
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", HEAD)
        # The footer's links are English only ("Use via API", "Settings"); the API works
        # without them (README).
        kwargs.setdefault("footer_links", [])
        # Gradio would keep every question, answer and admin token in the browser's
        # storage and offer them at /gradio_api/runs; questions are not logged here.
        kwargs.setdefault("run_history", False)
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("max_threads", CONCURRENCY * 2)
        kwargs.setdefault("share", False)
        # Gradio stores an upload before our checks run: cap it at the ingest limit.
        kwargs.setdefault("max_file_size", f"{int(self.max_file_mb)}mb")
        # Gradio's traffic dashboard is public and prints its key to the log.
        kwargs.setdefault("enable_monitoring", False)
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        app_kwargs["routes"] = [
            *app_kwargs.get("routes", []),
            pdf_route(self.live),
            *source_routes(self.live),
            health_route(self.live),
        ]
        # A share link reaches the app under a name of Gradio's tunnel.
        hosts = (*self.allowed_hosts, ".gradio.live") if kwargs["share"] else self.allowed_hosts
        app_kwargs["middleware"] = [
            *app_kwargs.get("middleware", []),
            Middleware(
                GuardMiddleware,
                gate=self.gate,
                events=self.rate_limiter,
                allowed_hosts=hosts,
                limited_gets=(PDF_ROUTE, sourceview.SOURCE_ROUTE, sourceview.PAGE_IMAGE_ROUTE),
                same_site_only=(sourceview.PAGE_IMAGE_ROUTE,),
            ),
        ]
        kwargs["app_kwargs"] = app_kwargs
        return super().launch(*args, **kwargs)


def _choice(item: CitedPassage, lang: str) -> tuple[str, str]:
    return (f"[{item.marker}] {citation_in(item.citation, lang)}", item.hit.passage_id)


# --------------------------------------------------------------------------- actions


class Lotse:
    """What the page does, on top of the library (one per app)."""

    def __init__(self, settings: Settings, live: LiveSearcher) -> None:
        self.settings = settings
        self.live = live
        self.llm = llm.config_from_settings(settings)
        self.limiter = ClientLimiter(settings.max_requests_per_client)

    def answer(
        self, question: str, previous: list[str], lang: str = "de", client: str = "", doc_ids: list[str] | None = None
    ) -> Answer:
        """The answer to ``question`` after ``previous``, from the documents ``doc_ids``
        (all when empty)."""
        question = _clean_text(question, lang, "empty_question")
        if len(question) > MAX_QUESTION_CHARS:
            raise shown(t("question_too_long", lang, limit=MAX_QUESTION_CHARS), lang)
        searcher = self.live.get()  # one index generation for the check and the answer
        chosen = [str(d) for d in doc_ids or ()]
        unknown = [d for d in chosen if d not in searcher.documents]
        if unknown:
            raise shown(t("unknown_docs", lang, docs=", ".join(unknown)[:200]), lang)
        if self.settings.log_questions:
            log.info("question: %s", question)
        return self.limited(
            client, lang, lambda: ask(searcher, question, previous, llm_config=self.llm, doc_ids=chosen or None)
        )

    def limited(self, client: str, lang: str, work: Callable[[], T]) -> T:
        try:
            with self.limiter.slot(client):
                return work()
        except TooManyRequests:
            raise shown(t("too_many_requests", lang), lang) from None

    def documents(self) -> list[dict[str, Any]]:
        return list(self.live.get().documents.values())

    def doc_choices(self) -> list[tuple[str, str]]:
        """Each document by the name an official knows (title, publisher, year), with its id."""
        return [(document_name(d), d["doc_id"]) for d in self.documents()]

    def sections(self, doc_id: str) -> list[dict[str, Any]]:
        doc = self.live.get().stored.documents.get(doc_id)
        return doc["sections"] if doc else []

    def section_choices(self, doc_ids: list[str] | None, lang: str = "de") -> list[tuple[str, str]]:
        out = [(t("whole_document", lang), "")]
        for doc_id in doc_ids or [d["doc_id"] for d in self.documents()]:
            for s in self.sections(doc_id):
                path = " › ".join(s["path"])
                out.append(("  " * (s["level"] - 1) + s["path"][-1], path))
        return list(dict.fromkeys(out))

    def section_text(self, doc_id: str, idx: int, lang: str) -> tuple[str, list[str]]:
        """HTML of a section's text with page references, and example questions."""
        searcher = self.live.get()  # one generation for the whole section view
        doc = searcher.stored.documents.get(doc_id)
        meta = searcher.documents.get(doc_id, {})
        if not doc:
            return "", []
        sec = next((s for s in doc["sections"] if s["idx"] == idx), None)
        if sec is None:
            return "", []
        pages = {p["pdf_page"]: p for p in doc["pages"]}
        pieces = [
            {
                "pdf_page": span["pdf_page"],
                "label": pages[span["pdf_page"]]["label"],
                "text": pages[span["pdf_page"]]["text"][span["start"] : span["end"]],
            }
            for span in sec["spans"]
            if span["pdf_page"] in pages
        ]
        title = meta.get("title") or doc_id
        label = heading_label(sec["title"])
        heading = sec["title"][len(label) :].strip() if label != sec["title"] else label
        examples = [t("example_what", lang, title=title, heading=heading), t("example_small", lang, heading=heading)]
        if sec["level"] > 1:
            examples.append(t("example_who", lang, label=f"{t('section', lang)} {label}"))
        # A chapter's own text is its introduction; its subsections follow it.
        level, children = sec["level"], []
        for later in doc["sections"][doc["sections"].index(sec) + 1 :]:
            if later["level"] <= level:
                break
            if later["level"] == level + 1:
                children.append({k: later[k] for k in ("title", "page", "pdf_page")})
        return render_section(sec["title"], pieces, meta.get("file", ""), lang, children), examples

    def search(
        self, query: str, doc_ids: list[str] | None, section: str | None, k: Any, lang: str = "de", client: str = ""
    ) -> list[Hit]:
        query = _clean_text(query, lang, "empty_query")
        if len(query) > MAX_QUESTION_CHARS:
            raise shown(t("question_too_long", lang, limit=MAX_QUESTION_CHARS), lang)
        count = _whole_number(k)
        if count is None or not 1 <= count <= MAX_K:
            raise shown(t("bad_k", lang, value=str(k)[:40], limit=MAX_K), lang)
        if self.settings.log_questions:
            log.info("search: %s", query)
        return self.limited(
            client, lang, lambda: self.live.search(query, k=count, doc_ids=doc_ids or None, section=section or None)
        )


# --------------------------------------------------------------------------- the page


def build_app(settings: Settings, live: LiveSearcher | None = None) -> gr.Blocks:
    """The whole page; ``launch()`` it (theme, CSS and the PDF route come with it)."""
    live = live or LiveSearcher(settings)
    live.get()  # load the index and the model now, not on the first question
    lotse = Lotse(settings, live)
    exports = ExportFolder()
    feedback_store = FeedbackStore.for_settings(settings)
    texts: list[tuple[Any, str, str]] = []  # (component, attribute, string key)

    def tr(component: Any, attr: str, key: str) -> Any:
        texts.append((component, attr, key))
        return component

    with LotseBlocks(title="Charta-Lotse", analytics_enabled=False) as demo:
        demo.live = live
        rate = settings.events_per_client_s
        demo.rate_limiter = RateLimiter(rate, burst=max(1.0, 4 * rate)) if rate > 0 else None
        demo.max_file_mb = settings.max_file_mb
        demo.allowed_hosts = settings.allowed_hosts
        lang = gr.State("de")
        previous = gr.State([])  # questions of the conversation so far
        last_answer = gr.State(None)  # the current answer as JSON, for export
        thread = gr.State([])  # earlier answers of the conversation (JSON), oldest first
        # Passages a trainer collected (JSON, with a note each). A copy is kept in the
        # browser's storage so that a reload does not lose them (document text only, no
        # question); the server-side state keeps the API as it was.
        collection = gr.State([])
        saved_collection = gr.BrowserState([], storage_key="charta-lotse-sammlung")
        kit_items = gr.State([])  # the Workshop tab's kit, and its copy in the browser
        saved_kit = gr.BrowserState([], storage_key="charta-lotse-kit")

        skip = gr.HTML(_skip_link("de"))
        # Where links in the page lead (a search, a section): set by the page's script.
        nav = gr.Textbox(elem_id="lotse-nav", label="nav", container=False)
        nav_go = gr.Button("nav", elem_id="lotse-nav-go")
        with gr.Row(elem_classes=["lotse-header"]):
            tr(gr.Markdown(f"# {t('app_title')}\n{t('intro')}"), "value", "_header")
            lang_radio = gr.Radio(
                LANG_CHOICES, value="de", label=t("language"), scale=0, min_width=200, elem_classes=["lotse-lang"]
            )
        with gr.Tabs() as tabs:
            with tr(gr.Tab(t("tab_ask"), id="ask"), "label", "tab_ask"):
                thread_html = gr.HTML(elem_id="verlauf")
                question = tr(
                    gr.Textbox(label=t("question"), lines=2, placeholder=t("question_placeholder"), elem_id="frage"),
                    "label",
                    "_question",  # label and placeholder
                )
                # Shown once there is a choice to make; empty means every document.
                all_docs = lotse.doc_choices()
                ask_docs = tr(
                    gr.Dropdown(
                        all_docs,
                        value=[],
                        multiselect=True,
                        label=t("ask_docs"),
                        visible=len(all_docs) > 1,
                        elem_id="frage-dokumente",
                    ),
                    "label",
                    "ask_docs",
                )
                with gr.Row():
                    ask_btn = tr(gr.Button(t("ask_button"), variant="primary", elem_id="fragen"), "value", "ask_button")
                    new_btn = tr(gr.Button(t("new_conversation")), "value", "new_conversation")
                answer_html = gr.HTML(elem_id="antwort")
                answer_json = gr.JSON(visible=False)
                cards_html = gr.HTML(elem_id="belegstellen")
                with gr.Column(visible=False) as citations_area:  # empty boxes stay out of the way
                    citations_box = tr(
                        gr.Textbox(label=t("citations"), lines=3, interactive=False, buttons=["copy"]),
                        "label",
                        "citations",
                    )
                # Only with passages to collect and export: never empty controls.
                with gr.Column(visible=False) as answer_tools:
                    with gr.Row():
                        pick = tr(gr.CheckboxGroup([], label=t("collect_label")), "label", "collect_label")
                    with gr.Row():
                        collect_btn = tr(gr.Button(t("collect_button")), "value", "collect_button")
                        export_btn = tr(gr.Button(t("export_answer")), "value", "export_answer")
                    collect_msg = gr.HTML()
                # Feedback on the answer, only where the operator stores it (CHARTA_FEEDBACK).
                with gr.Column(visible=False) as feedback_area:
                    feedback_comment = tr(
                        gr.Textbox(label=t("feedback_comment"), lines=1, max_lines=4), "label", "feedback_comment"
                    )
                    with gr.Row():
                        up_vote = tr(gr.Button(t("feedback_up")), "value", "feedback_up")
                        down_vote = tr(gr.Button(t("feedback_down")), "value", "feedback_down")
                    feedback_msg = gr.HTML()
                # Shown only with a file: Gradio's empty file box fails axe
                # (aria-prohibited-attr).
                with gr.Column(visible=False) as export_box:
                    export_file = tr(gr.File(label=t("download"), interactive=False), "label", "download")

            with tr(gr.Tab(t("tab_search"), id="search"), "label", "tab_search"):
                query = tr(gr.Textbox(label=t("query"), elem_id="suche"), "label", "query")
                with gr.Row():
                    doc_filter = tr(
                        gr.Dropdown(lotse.doc_choices(), multiselect=True, label=t("filter_docs")),
                        "label",
                        "filter_docs",
                    )
                    section_filter = tr(
                        gr.Dropdown(lotse.section_choices(None), value="", label=t("filter_section")),
                        "label",
                        "filter_section",
                    )
                    k_slider = tr(gr.Slider(1, 50, value=10, step=1, label=t("k")), "label", "k")
                search_btn = tr(gr.Button(t("search_button"), variant="primary"), "value", "search_button")
                results_html = gr.HTML()
                results_json = gr.JSON(visible=False)
                pick_results = tr(gr.CheckboxGroup([], label=t("collect_label")), "label", "collect_label")
                collect_results_btn = tr(gr.Button(t("collect_button")), "value", "collect_button")
                collect_results_msg = gr.HTML()
                search_state = gr.State([])

            with tr(gr.Tab(t("tab_browse"), id="browse"), "label", "tab_browse"):
                docs = lotse.doc_choices()
                with gr.Row():
                    with gr.Column(scale=1):
                        browse_doc = tr(
                            gr.Dropdown(docs, value=docs[0][1] if docs else None, label=t("document")),
                            "label",
                            "document",
                        )
                        # One keyboard stop, arrow keys inside (a list box), not one radio
                        # button per section.
                        toc = tr(
                            gr.Dropdown(
                                _toc_choices(lotse, docs[0][1] if docs else None),
                                value=None,
                                label=t("toc"),
                                elem_id="inhalt",
                            ),
                            "label",
                            "toc",
                        )
                        toc_json = gr.JSON(visible=False)
                    with gr.Column(scale=2):
                        # Opens with the table of contents, each entry a link to its section.
                        section_html = gr.HTML(_toc_html(lotse, docs[0][1] if docs else None), elem_id="abschnitt")
                        examples = tr(gr.Radio([], label=t("examples")), "label", "examples")
                        examples_json = gr.JSON(visible=False)

            with tr(gr.Tab(t("tab_collection"), id="collection"), "label", "tab_collection") as coll_tab:
                collection_html = gr.HTML(f"<p>{t('collection_empty')}</p>", elem_id="sammlung")
                with gr.Column(visible=False) as coll_tools:
                    coll_item = tr(gr.Dropdown([], label=t("collection_item"), value=None), "label", "collection_item")
                    coll_note = tr(gr.Textbox(label=t("note"), lines=2, max_lines=6), "label", "note")
                    with gr.Row():
                        save_note_btn = tr(gr.Button(t("save_note")), "value", "save_note")
                        up_btn = tr(gr.Button(t("move_up")), "value", "move_up")
                        down_btn = tr(gr.Button(t("move_down")), "value", "move_down")
                        remove_btn = tr(gr.Button(t("remove_item")), "value", "remove_item")
                with gr.Row():
                    export_coll_btn = tr(
                        gr.Button(t("export_collection"), variant="primary"), "value", "export_collection"
                    )
                    clear_coll_btn = tr(gr.Button(t("clear_collection")), "value", "clear_collection")
                with gr.Column(visible=False) as export_coll_box:
                    export_coll_file = tr(gr.File(label=t("download"), interactive=False), "label", "download")

            workshop_tab = build_workshop_tab(
                demo,
                live,
                exports,
                collection,
                lang,
                kit_items,
                saved_kit,
                lotse.doc_choices(),
                tr,
                lambda request, lg, work: lotse.limited(_client(request), lg, work),
            )

            token = settings.admin_token
            admin_tab = None
            if token:
                try:
                    from web.admin import build_admin_tab
                except ImportError as exc:
                    log.warning("CHARTA_ADMIN_TOKEN is set but the admin tab is not available (%s)", exc)
                else:
                    demo.gate = UploadGate(max_files=settings.max_upload_files)
                    admin_tab = build_admin_tab(live, settings, token, demo.gate, lang=lang, tr=tr)

        # ----------------------------------------------------------------- events
        def do_ask(
            q: str,
            prev: list[str],
            lg: str,
            last: dict | None,
            earlier: list[dict],
            docs: list[str] | None,
            request: gr.Request,
        ):
            try:
                answer = lotse.answer(q, prev, lg, _client(request), docs)
            except ChartaError as exc:
                raise shown(str(exc)) from None
            data = answer.to_json()
            cites = "\n".join(f"[{p.marker}] {citation_in(p.citation, lg)}" for p in answer.passages)
            choices = [_choice(p, lg) for p in answer.passages]
            # The previous answer joins the thread above; a new conversation has none.
            earlier = ([*earlier, last] if last and prev else [])[-MAX_THREAD:]
            return (
                render_answer(answer, lg),
                data,
                render_cards(answer, lg),
                cites,
                gr.update(choices=choices, value=[]),
                [*prev, answer.question][-10:],
                data,
                earlier,
                render_thread([Answer.from_json(a) for a in earlier], lg),
                gr.Column(visible=bool(answer.passages)),
                "",  # the question box is ready for the next question
                gr.Column(visible=feedback_store is not None),
                "",  # no thanks for an answer not yet rated
                gr.Column(visible=bool(answer.passages)),  # collect and export only with passages
                "",
            )

        ask_outputs = [
            answer_html,
            answer_json,
            cards_html,
            citations_box,
            pick,
            previous,
            last_answer,
            thread,
            thread_html,
            citations_area,
            question,
            feedback_area,
            feedback_msg,
            answer_tools,
            collect_msg,
        ]
        # Enter in the question box clicks the button (HEAD), so there is no submit event.
        ask_inputs = [question, previous, lang, last_answer, thread, ask_docs]
        ask_btn.click(do_ask, ask_inputs, ask_outputs, api_name="ask")

        def do_new():
            """Everything ask_outputs shows, emptied: a new conversation."""
            empty_pick = gr.update(choices=[], value=[])
            hidden = gr.Column(visible=False)
            return ("", None, "", "", empty_pick, [], None, [], "", hidden, "", hidden, "", hidden, "")

        new_btn.click(
            do_new,
            None,
            ask_outputs,
            api_name="new_conversation",
        )

        def do_feedback(rating: int, data: dict | None, comment: str, lg: str, client: str):
            if feedback_store is None or not data:
                raise shown(t("feedback_off", lg), lg)
            try:
                record = feedback_from(Answer.from_json(data), rating, comment or "", live.get().generation, lg)
                feedback_store.add(record, client)
            except FeedbackShareError as exc:
                log.info("feedback not stored: %s", exc)
                raise shown(t("feedback_share", lg), lg) from None
            except (FeedbackFullError, FeedbackWriteError) as exc:
                # The operator's problem, with a path in it: for the log, not the visitor.
                log.error("feedback not stored: %s", exc)
                raise shown(t("feedback_failed", lg), lg) from None
            except (ChartaError, ValueError) as exc:
                raise shown(str(exc), lg) from None
            thanks = f'<p class="lotse-note" role="status">{html_escape(t("feedback_thanks", lg))}</p>'
            return thanks, ""

        def do_up(d: dict | None, c: str, lg: str, request: gr.Request):
            return do_feedback(UP, d, c, lg, _client(request))

        def do_down(d: dict | None, c: str, lg: str, request: gr.Request):
            return do_feedback(DOWN, d, c, lg, _client(request))

        up_vote.click(
            do_up,
            [last_answer, feedback_comment, lang],
            [feedback_msg, feedback_comment],
            api_name="feedback_up",
        )
        down_vote.click(
            do_down,
            [last_answer, feedback_comment, lang],
            [feedback_msg, feedback_comment],
            api_name="feedback_down",
        )

        def do_collect(chosen: list[str], source: Any, coll: list[dict], lg: str):
            if isinstance(source, dict):  # an answer
                items = source.get("hits", [])
            else:  # search results
                items = source or []
            have = {c["passage_id"] for c in coll}
            added = [
                {**i, "note": ""} for i in items if i["passage_id"] in (chosen or []) and i["passage_id"] not in have
            ]
            # Confirmed beside the button, in a status line a screen reader announces
            # (Gradio's toasts fail axe: nested controls, low contrast).
            message = t("added", lg, n=len(added)) if added else t("added_none", lg)
            status = f'<p class="lotse-note" role="status">{html_escape(message)}</p>'
            return (*collection_view([*coll, *added], lg), status)

        def collection_view(coll: list[dict], lg: str, chosen: int | None = None) -> tuple[Any, ...]:
            """Everything on screen that shows the collection."""
            items = _collected(coll)
            choices = [(f"[{i.marker}] {citation_in(i.citation, lg)}", n) for n, i in enumerate(items)]
            value = chosen if chosen is not None and 0 <= chosen < len(coll) else None
            return (
                coll,
                render_collection(items, lg, [c.get("note", "") for c in coll]),
                coll,
                gr.Tab(label=_collection_label(coll, lg)),
                gr.update(choices=choices, value=value),
                coll[value].get("note", "") if value is not None else "",
                gr.Column(visible=bool(coll)),
            )

        coll_outputs = [collection, collection_html, saved_collection, coll_tab, coll_item, coll_note, coll_tools]
        collect_btn.click(
            do_collect, [pick, last_answer, collection, lang], [*coll_outputs, collect_msg], api_name="collect_answer"
        )
        collect_results_btn.click(
            do_collect,
            [pick_results, search_state, collection, lang],
            [*coll_outputs, collect_results_msg],
            api_name="collect_results",
        )

        def entry(coll: list[dict], chosen: Any, lg: str) -> int:
            idx = index_of(coll, chosen)
            if idx is None:
                raise shown(t("collection_item", lg) + "?", lg)
            return idx

        def do_move(coll: list[dict], chosen: Any, step: int, lg: str):
            coll, at = moved(coll, entry(coll, chosen, lg), step)
            return collection_view(coll, lg, at)

        def do_note(coll: list[dict], chosen: Any, note: str, lg: str):
            idx = entry(coll, chosen, lg)
            return collection_view(noted(coll, idx, note), lg, idx)

        up_btn.click(
            lambda c, i, lg: do_move(c, i, -1, lg), [collection, coll_item, lang], coll_outputs, api_name="move_up"
        )
        down_btn.click(
            lambda c, i, lg: do_move(c, i, 1, lg), [collection, coll_item, lang], coll_outputs, api_name="move_down"
        )
        remove_btn.click(
            lambda c, i, lg: do_move(c, i, 0, lg), [collection, coll_item, lang], coll_outputs, api_name="remove_item"
        )
        save_note_btn.click(do_note, [collection, coll_item, coll_note, lang], coll_outputs, api_name="save_note")

        coll_item.input(None, [saved_collection, coll_item], coll_note, js=NOTE_OF_JS, api_name=False)
        demo.load(
            lambda saved, lg: collection_view(saved if isinstance(saved, list) else [], lg),
            [saved_collection, lang],
            coll_outputs,
            api_name=False,
        )

        def fresh_doc_choices():
            """The document choices as the live index has them: a document added in the
            „Verwaltung“ tab can be chosen after the next page load."""
            docs = lotse.doc_choices()
            return gr.update(choices=docs, visible=len(docs) > 1), gr.update(choices=docs)

        demo.load(fresh_doc_choices, None, [ask_docs, doc_filter], api_name=False)

        def export_links(request: gr.Request | None) -> Callable[[Hit], str]:
            """Absolute links for an export (web/export.py document_link)."""
            base = settings.public_url or _base_url(request)
            documents = live.get().documents
            return lambda hit: document_link(documents.get(hit.doc_id, {}), hit.file, hit.pdf_page, base)

        def do_export_answer(data: dict | None, lg: str, request: gr.Request):
            if not data:
                raise shown(t("empty_question", lg), lg)
            answer = Answer.from_json(data)
            text = handout_markdown(t("answer_title", lg), answer.passages, answer, pdf_url=export_links(request))
            return exports.write(text, "antwort"), gr.Column(visible=True)

        export_btn.click(do_export_answer, [last_answer, lang], [export_file, export_box], api_name="export_answer")

        def do_search(q: str, doc_ids: list[str], section: str | None, k: float, lg: str, request: gr.Request):
            try:
                hits = lotse.search(q, doc_ids, section, k, lg, _client(request))
            except (ChartaError, ValueError) as exc:
                raise shown(str(exc)) from None
            items = [CitedPassage(h.rank, h, citation(h)) for h in hits]
            body = "".join(render_card(i, lg) for i in items) or f"<p>{t('no_results', lg)}</p>"
            data = [i.to_json() for i in items]
            return (body, data, gr.update(choices=[_choice(i, lg) for i in items], value=[]), data)

        # Raw inputs: a wrong number of results through the API gets our clear message
        # instead of Gradio's generic preprocessing error.
        search_btn.click(
            do_search,
            [query, doc_filter, section_filter, k_slider, lang],
            [results_html, results_json, pick_results, search_state],
            api_name="search",
            preprocess=False,
        )
        query.submit(
            do_search,
            [query, doc_filter, section_filter, k_slider, lang],
            [results_html, results_json, pick_results, search_state],
            api_name=False,
            preprocess=False,
        )
        doc_filter.change(
            lambda d: gr.update(choices=lotse.section_choices(d), value=""), doc_filter, section_filter, api_name=False
        )

        def do_toc(doc_id: str | None):
            entries = [
                {k: s[k] for k in ("idx", "level", "title", "page", "pdf_page")}
                for s in (lotse.sections(doc_id) if doc_id else [])
            ]
            return gr.update(choices=_toc_choices(lotse, doc_id), value=None), entries

        # Input, not change: a link that opens a section sets the document and the entry
        # together (do_goto), and must not have the entry cleared after it.
        browse_doc.input(do_toc, browse_doc, [toc, toc_json], api_name="toc")

        def do_section(doc_id: str | None, idx: int | None, lg: str):
            if doc_id is None or idx is None:
                return (_toc_html(lotse, doc_id, lg), gr.update(choices=[], value=None), [])
            body, ex = lotse.section_text(doc_id, int(idx), lg)
            return body, gr.update(choices=ex, value=None), ex

        toc.change(do_section, [browse_doc, toc, lang], [section_html, examples, examples_json], api_name="section")

        def do_goto(raw: str, k: Any, lg: str, request: gr.Request):
            """Follow a link of the page (web/render.py ``lotse-goto``): run the search with
            the question's words, or open a section in the Browse tab."""
            skipped = [gr.skip()] * 13
            try:
                target = json.loads(raw or "{}")
            except ValueError:
                return skipped
            if not isinstance(target, dict):
                return skipped
            if target.get("goto") == "search" and str(target.get("words", "")).strip():
                words = str(target["words"])[:MAX_QUESTION_CHARS]
                try:
                    hits = lotse.search(words, None, None, k, lg, _client(request))
                except (ChartaError, ValueError) as exc:
                    raise shown(str(exc)) from None
                items = [CitedPassage(h.rank, h, citation(h)) for h in hits]
                body = "".join(render_card(i, lg) for i in items) or f"<p>{t('no_results', lg)}</p>"
                data = [i.to_json() for i in items]
                choices = gr.update(choices=[_choice(i, lg) for i in items], value=[])
                return [
                    gr.Tabs(selected="search"),
                    words,
                    gr.update(value=[]),
                    gr.update(value=""),
                    body,
                    data,
                    choices,
                    data,
                    *[gr.skip()] * 5,
                ]
            doc_id, idx = str(target.get("doc", "")), _whole_number(target.get("idx"))
            if target.get("goto") == "browse" and doc_id in lotse.live.get().documents and idx is not None:
                body, ex = lotse.section_text(doc_id, idx, lg)
                if body:
                    return [
                        gr.Tabs(selected="browse"),
                        *[gr.skip()] * 7,
                        doc_id,
                        gr.update(choices=_toc_choices(lotse, doc_id, lg), value=idx),
                        body,
                        gr.update(choices=ex, value=None),
                        ex,
                    ]
            return skipped

        nav_go.click(
            do_goto,
            [nav, k_slider, lang],
            [
                tabs,
                query,
                doc_filter,
                section_filter,
                results_html,
                results_json,
                pick_results,
                search_state,
                browse_doc,
                toc,
                section_html,
                examples,
                examples_json,
            ],
            api_name=False,  # type: ignore[arg-type]
        )

        def use_example(q: str | None):
            if not q:
                return gr.update(), gr.update()
            return q, gr.Tabs(selected="ask")

        examples.input(use_example, examples, [question, tabs], api_name=False).then(
            do_ask, ask_inputs, ask_outputs, api_name=False
        )

        def do_export_collection(coll: list[dict], lg: str, request: gr.Request):
            if not coll:
                raise shown(t("collection_empty", lg), lg)
            items = _collected(coll)
            notes = [c.get("note", "") for c in coll]
            path = exports.write(
                handout_markdown(t("handout_title", lg), items, pdf_url=export_links(request), notes=notes), "handout"
            )
            return path, gr.Column(visible=True)

        export_coll_btn.click(
            do_export_collection, [collection, lang], [export_coll_file, export_coll_box], api_name="export_collection"
        )
        clear_coll_btn.click(lambda lg: collection_view([], lg), lang, coll_outputs, api_name="clear_collection")

        def relabel(
            lg: str,
            last: dict | None,
            earlier: list[dict],
            coll: list[dict],
            doc_id: str | None,
            entry: Any,
            kit: list[dict],
            *admin_view: Any,
        ):
            updates = []
            for _comp, attr, key in texts:
                if key == "_header":
                    updates.append(gr.update(value=f"# {t('app_title', lg)}\n{t('intro', lg)}"))
                elif key == "_question":
                    updates.append(gr.update(label=t("question", lg), placeholder=t("question_placeholder", lg)))
                elif key == "tab_collection":
                    updates.append(gr.update(label=_collection_label(coll, lg)))
                else:
                    updates.append(gr.update(**{attr: t(key, lg)}))  # type: ignore[arg-type]
            # What is on screen is rendered again in the new language.
            shown_answer = Answer.from_json(last) if last else None
            return [
                lg,
                _skip_link(lg),
                render_answer(shown_answer, lg) if shown_answer else gr.skip(),
                render_cards(shown_answer, lg) if shown_answer else gr.skip(),
                render_thread([Answer.from_json(a) for a in earlier], lg),
                render_collection(_collected(coll), lg, [c.get("note", "") for c in coll]),
                gr.update(choices=_toc_choices(lotse, doc_id, lg)),
                _browsed(lotse, doc_id, _whole_number(entry), lg),
                *workshop_tab.rerender(kit, lg, live),
                *(admin_tab.rerender(admin_view[0], lg) if admin_tab else []),
                *updates,
            ]

        admin_inputs = [admin_tab.view] if admin_tab else []
        lang_radio.change(
            relabel,
            [lang_radio, last_answer, thread, collection, browse_doc, toc, workshop_tab.items, *admin_inputs],
            [
                lang,
                skip,
                answer_html,
                cards_html,
                thread_html,
                collection_html,
                toc,
                section_html,
                workshop_tab.kit_html,
                workshop_tab.file_html,
                *(admin_tab.components if admin_tab else []),
                *[c for c, _, _ in texts],
            ],
            api_name=False,  # type: ignore[arg-type]
        ).then(None, lang_radio, None, js="(lang) => { window.lotseSetLanguage(lang); return []; }")
        # The language chosen on an earlier visit, else the browser's: set as if clicked.
        demo.load(None, None, lang_radio, js="() => window.lotseFirstLanguage()", api_name=False)

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=512)
    # Gradio's queue looks for new events every 1 ms and for progress to send every
    # 10 ms, idle or not (6.7 % of a core doing nothing); every QUEUE_POLL_S costs a
    # question at most that much more wait, and a progress message that much delay.
    for knob in ("sleep_when_free", "progress_update_sleep_when_free"):
        if hasattr(demo._queue, knob):
            setattr(demo._queue, knob, QUEUE_POLL_S)
    return demo


def _toc_choices(lotse: Lotse, doc_id: str | None, lang: str = "de") -> list[tuple[str, int]]:
    if not doc_id:
        return []
    return [
        ("\u2003" * (s["level"] - 1) + f"{s['title']} ({t('page', lang)} {s['page']})", s["idx"])
        for s in lotse.sections(doc_id)
    ]


def _browsed(lotse: Lotse, doc_id: str | None, idx: int | None, lang: str) -> str:
    """What the Browse tab shows: the chosen section, else the table of contents."""
    if doc_id and idx is not None:
        body, _ = lotse.section_text(doc_id, idx, lang)
        if body:
            return body
    return _toc_html(lotse, doc_id, lang)


def _toc_html(lotse: Lotse, doc_id: str | None, lang: str = "de") -> str:
    """The document's table of contents, open: each entry a link that shows its section
    here (the page's script), or without script opens the PDF at its page."""
    if not doc_id:
        return f"<p>{html_escape(t('choose_section', lang))}</p>"
    file = lotse.live.get().documents.get(doc_id, {}).get("file", "")
    items = "".join(
        f'<li style="padding-left: {1.25 * (s["level"] - 1):g}em"><a class="lotse-goto" '
        f'href="{html_escape(pdf_url(file, s["pdf_page"]))}" data-goto="browse" '
        f'data-doc="{html_escape(doc_id)}" data-idx="{int(s["idx"])}">{html_escape(s["title"])}</a> '
        f"({html_escape(t('page', lang))} {html_escape(str(s['page']))})</li>"
        for s in lotse.sections(doc_id)
    )
    label = html_escape(t("toc", lang))
    return (
        f'<nav class="lotse-toc" aria-label="{label}"><p>{html_escape(t("toc_intro", lang))}</p>'
        f'<ul lang="de">{items}</ul></nav>'
    )


def _collection_label(coll: list[dict[str, Any]], lang: str) -> str:
    return t("tab_collection_n", lang, n=len(coll)) if coll else t("tab_collection", lang)


def _skip_link(lang: str) -> str:
    return f'<a class="lotse-skip" href="#frage">{t("skip_to_question", lang)}</a>'


MAX_THREAD = 10  # earlier answers kept on screen


def _base_url(request: gr.Request | None) -> str:
    """The app's address as the browser used it (without CHARTA_PUBLIC_URL)."""
    base = getattr(getattr(request, "request", None), "base_url", None)
    return str(base).rstrip("/") if base else "http://127.0.0.1:7860"


def _collected(coll: list[dict[str, Any]]) -> list[CitedPassage]:
    """The collection's passages (kept as JSON in the page state), numbered anew."""
    return [CitedPassage.from_json({**c, "marker": n, "highlights": []}) for n, c in enumerate(coll, 1)]


def _clean_text(text: Any, lang: str, empty_key: str) -> str:
    """A question or query as one line; refused when empty or not valid Unicode (a lone
    surrogate arrives through the API as a JSON escape and would fail deep in the model).

    >>> _clean_text("  Wer  entscheidet?\\n", "de", "empty_question")
    'Wer entscheidet?'
    """
    text = " ".join(str(text or "").split())
    if not text:
        raise shown(t(empty_key, lang), lang)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise shown(t("invalid_text", lang), lang) from None
    return text


def _whole_number(value: Any) -> int | None:
    """``value`` as a whole number, or None.

    >>> _whole_number(10.0), _whole_number("7"), _whole_number("viele"), _whole_number(2.5), _whole_number(True)
    (10, 7, None, None, None)
    """
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _client(request: gr.Request | None) -> str:
    """The client's address as the server sees it (see web/guard.py)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "")
