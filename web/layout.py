"""The page: theme, stylesheet and script, and the tabs put together.

Rendering lives in web/render.py, texts in web/i18n.py, the admin tab in web/admin.py;
``app.py`` is the command line that starts it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr
from starlette.middleware import Middleware

from answer.answer import Answer
from common.settings import Settings
from index.live import LiveSearcher
from web import handlers as h
from web import sourceview
from web.ask_tab import AskTab, asker, build_ask_tab, wire_ask_tab
from web.browse_tab import BrowseTab, build_browse_tab, wire_browse_tab
from web.collection_tab import CollectionTab, build_collection_tab, wire_collecting, wire_collection_tab
from web.errors import refusals_shown
from web.export import ExportFolder
from web.feedback import FeedbackStore
from web.guard import GuardMiddleware, RateLimiter, UploadGate
from web.handlers import MAX_QUESTION_CHARS, Lotse
from web.i18n import t
from web.page import Page
from web.render import PDF_ROUTE, render_answer, render_cards, render_collection, render_thread
from web.routes import health_route, pdf_route, source_routes
from web.search_tab import SearchTab, build_search_tab, searched, wire_search_tab
from web.workshop_tab import build_workshop_tab

log = logging.getLogger("charta.app")
T = TypeVar("T")


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


# --------------------------------------------------------------------------- the page


def build_app(settings: Settings, live: LiveSearcher | None = None) -> gr.Blocks:
    """The whole page; ``launch()`` it (theme, CSS and the PDF route come with it)."""
    live = live or LiveSearcher(settings)
    live.get()  # load the index and the model now, not on the first question
    lotse = Lotse(settings, live)
    with LotseBlocks(title="Charta-Lotse", analytics_enabled=False) as demo:
        demo.live = live
        rate = settings.events_per_client_s
        demo.rate_limiter = RateLimiter(rate, burst=max(1.0, 4 * rate)) if rate > 0 else None
        demo.max_file_mb = settings.max_file_mb
        demo.allowed_hosts = settings.allowed_hosts
        page = Page(
            demo,
            settings,
            live,
            lotse,
            ExportFolder(),
            FeedbackStore.for_settings(settings),
            gr.State("de"),
            gr.State([]),
            gr.State(None),
            gr.State([]),
            gr.State([]),
            gr.BrowserState([], storage_key="charta-lotse-sammlung"),
            gr.State([]),
            gr.BrowserState([], storage_key="charta-lotse-kit"),
        )
        skip = gr.HTML(h.skip_link("de"))
        # Where links in the page lead (a search, a section): set by the page's script.
        nav = gr.Textbox(elem_id="lotse-nav", label="nav", container=False)
        nav_go = gr.Button("nav", elem_id="lotse-nav-go")
        with gr.Row(elem_classes=["lotse-header"]):
            page.tr(gr.Markdown(f"# {t('app_title')}\n{t('intro')}"), "value", "_header")
            lang_radio = gr.Radio(
                LANG_CHOICES, value="de", label=t("language"), scale=0, min_width=200, elem_classes=["lotse-lang"]
            )
        with gr.Tabs() as tabs:
            ask_tab = build_ask_tab(page)
            search_tab = build_search_tab(page)
            browse_tab = build_browse_tab(page)
            coll_tab = build_collection_tab(page)
            workshop_tab = build_workshop_tab(
                demo,
                live,
                page.exports,
                page.collection,
                page.lang,
                page.kit_items,
                page.saved_kit,
                lotse.doc_choices(),
                page.tr,
                lambda request, lg, work: _limited(lotse, request, lg, work),
            )
            admin_tab = _admin_tab(page)

        wire_ask_tab(page, ask_tab)
        wire_collecting(
            page,
            coll_tab,
            [
                (ask_tab.collect_btn, ask_tab.pick, page.last_answer, ask_tab.collect_msg, "collect_answer"),
                (
                    search_tab.collect_results_btn,
                    search_tab.pick_results,
                    search_tab.search_state,
                    search_tab.collect_results_msg,
                    "collect_results",
                ),
            ],
        )
        wire_collection_tab(page, coll_tab)

        def fresh_doc_choices():
            """The document choices as the live index has them: a document added in the
            „Verwaltung“ tab can be chosen after the next page load."""
            docs = lotse.doc_choices()
            return gr.update(choices=docs, visible=len(docs) > 1), gr.update(choices=docs)

        demo.load(fresh_doc_choices, None, [ask_tab.docs, search_tab.doc_filter], api_name=False)
        wire_search_tab(page, search_tab)
        wire_browse_tab(page, browse_tab)
        _wire_links(page, nav, nav_go, tabs, search_tab, browse_tab)

        def use_example(q: str | None):
            if not q:
                return gr.update(), gr.update()
            return q, gr.Tabs(selected="ask")

        browse_tab.examples.input(use_example, browse_tab.examples, [ask_tab.question, tabs], api_name=False).then(  # type: ignore[arg-type]
            asker(page), ask_tab.inputs(page), ask_tab.outputs(page), api_name=False
        )
        views = LanguageViews(skip, ask_tab, browse_tab, coll_tab, workshop_tab, admin_tab)
        _wire_language(page, lang_radio, views)

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=512)
    # Gradio's queue looks for new events every 1 ms and for progress to send every
    # 10 ms, idle or not (6.7 % of a core doing nothing); every QUEUE_POLL_S costs a
    # question at most that much more wait, and a progress message that much delay.
    for knob in ("sleep_when_free", "progress_update_sleep_when_free"):
        if hasattr(demo._queue, knob):
            setattr(demo._queue, knob, QUEUE_POLL_S)
    return demo


def _limited(lotse: Lotse, request: gr.Request, lang: str, work: Callable[[], T]) -> T:
    with refusals_shown():
        return lotse.limited(h.client_of(request), lang, work)


def _admin_tab(page: Page) -> Any:
    """The tab "Verwaltung" when the operator set an admin token, else None."""
    token = page.settings.admin_token
    if not token:
        return None
    try:
        from web.admin import build_admin_tab
    except ImportError as exc:
        log.warning("CHARTA_ADMIN_TOKEN is set but the admin tab is not available (%s)", exc)
        return None
    gate = UploadGate(max_files=page.settings.max_upload_files)
    page.blocks.gate = gate  # type: ignore[attr-defined]
    return build_admin_tab(page.live, page.settings, token, gate, lang=page.lang, tr=page.tr)


def _wire_links(page: Page, nav: gr.Textbox, nav_go: gr.Button, tabs: gr.Tabs, search: SearchTab, browse: BrowseTab):
    """Follow a link of the page (web/render.py ``lotse-goto``): run the search with the
    question's words, or open a section in the Browse tab."""
    lotse = page.lotse

    def do_goto(raw: str, k: Any, lg: str, request: gr.Request):
        skipped = [gr.skip()] * 13
        target = h.goto_target(raw)
        if target is None:
            return skipped
        if target.get("goto") == "search" and str(target.get("words", "")).strip():
            words = str(target["words"])[:MAX_QUESTION_CHARS]
            body, data, choices, _ = searched(page, words, None, None, k, lg, h.client_of(request))
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
        doc_id, idx = str(target.get("doc", "")), h.whole_number(target.get("idx"))
        if target.get("goto") == "browse" and doc_id in lotse.live.get().documents and idx is not None:
            body, ex = lotse.section_text(doc_id, idx, lg)
            if body:
                return [
                    gr.Tabs(selected="browse"),
                    *[gr.skip()] * 7,
                    doc_id,
                    gr.update(choices=h.toc_choices(lotse, doc_id, lg), value=idx),
                    body,
                    gr.update(choices=ex, value=None),
                    ex,
                ]
        return skipped

    nav_go.click(
        do_goto,
        [nav, search.k_slider, page.lang],
        [
            tabs,
            search.query,
            search.doc_filter,
            search.section_filter,
            *search.shown_results(),
            browse.doc,
            browse.toc,
            browse.section_html,
            browse.examples,
            browse.examples_json,
        ],
        api_name=False,  # type: ignore[arg-type]
    )


@dataclass
class LanguageViews:
    """What the language switch renders again besides the texts of ``Page.tr``."""

    skip: gr.HTML
    ask: AskTab
    browse: BrowseTab
    collection: CollectionTab
    workshop: Any
    admin: Any


def _wire_language(page: Page, lang_radio: gr.Radio, views: LanguageViews) -> None:
    """The language switch: every text, and what is on screen rendered again."""
    lotse, admin = page.lotse, views.admin

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
        for _comp, attr, key in page.texts:
            if key == "_header":
                updates.append(gr.update(value=f"# {t('app_title', lg)}\n{t('intro', lg)}"))
            elif key == "_question":
                updates.append(gr.update(label=t("question", lg), placeholder=t("question_placeholder", lg)))
            elif key == "tab_collection":
                updates.append(gr.update(label=h.collection_label(coll, lg)))
            else:
                updates.append(gr.update(**{attr: t(key, lg)}))  # type: ignore[arg-type]
        # What is on screen is rendered again in the new language.
        shown_answer = Answer.from_json(last) if last else None
        return [
            lg,
            h.skip_link(lg),
            render_answer(shown_answer, lg) if shown_answer else gr.skip(),
            render_cards(shown_answer, lg) if shown_answer else gr.skip(),
            render_thread([Answer.from_json(a) for a in earlier], lg),
            render_collection(h.collected(coll), lg, [c.get("note", "") for c in coll]),
            gr.update(choices=h.toc_choices(lotse, doc_id, lg)),
            h.browsed(lotse, doc_id, h.whole_number(entry), lg),
            *views.workshop.rerender(kit, lg, page.live),
            *(admin.rerender(admin_view[0], lg) if admin else []),
            *updates,
        ]

    admin_inputs = [admin.view] if admin else []
    inputs = [
        lang_radio,
        page.last_answer,
        page.thread,
        page.collection,
        views.browse.doc,
        views.browse.toc,
        views.workshop.items,
        *admin_inputs,
    ]
    outputs = [
        page.lang,
        views.skip,
        views.ask.answer_html,
        views.ask.cards_html,
        views.ask.thread_html,
        views.collection.html,
        views.browse.toc,
        views.browse.section_html,
        views.workshop.kit_html,
        views.workshop.file_html,
        *(admin.components if admin else []),
        *[c for c, _, _ in page.texts],
    ]
    lang_radio.change(relabel, inputs, outputs, api_name=False).then(  # type: ignore[arg-type]
        None, lang_radio, None, js="(lang) => { window.lotseSetLanguage(lang); return []; }"
    )
    # The language chosen on an earlier visit, else the browser's: set as if clicked.
    page.blocks.load(None, None, lang_radio, js="() => window.lotseFirstLanguage()", api_name=False)  # type: ignore[arg-type]
