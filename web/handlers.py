"""What the page's controls do, without Gradio: tests call these directly.

The tab modules (web/ask_tab.py, search_tab.py, browse_tab.py, collection_tab.py) turn
these results into Gradio updates; a :class:`Refused` becomes the visitor's message there
(web/errors.py ``refusals_shown``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from html import escape as html_escape
from typing import Any, TypeVar

from answer import llm
from answer.answer import Answer, CitedPassage
from answer.cite import citation, citation_in, document_name
from answer.pipeline import ask
from common.errors import ChartaError, FeedbackFullError, FeedbackWriteError
from common.settings import Settings
from index.live import LiveSearcher
from index.search import Hit
from ingest.structure import heading_label
from web.feedback import FeedbackShareError, FeedbackStore, feedback_from
from web.guard import ClientLimiter, TooManyRequests
from web.i18n import t
from web.itemlist import index_of
from web.render import pdf_url, render_card, render_section

log = logging.getLogger("charta.app")
T = TypeVar("T")

MAX_QUESTION_CHARS = 1000
MAX_K = 50
MAX_THREAD = 10  # earlier answers kept on screen


class Refused(Exception):
    """A request the visitor can correct: the message, in the page's language."""

    def __init__(self, message: str, lang: str = "de") -> None:
        super().__init__(message)
        self.lang = lang


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
        question = clean_text(question, lang, "empty_question")
        if len(question) > MAX_QUESTION_CHARS:
            raise Refused(t("question_too_long", lang, limit=MAX_QUESTION_CHARS), lang)
        searcher = self.live.get()  # one index generation for the check and the answer
        chosen = [str(d) for d in doc_ids or ()]
        unknown = [d for d in chosen if d not in searcher.documents]
        if unknown:
            raise Refused(t("unknown_docs", lang, docs=", ".join(unknown)[:200]), lang)
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
            raise Refused(t("too_many_requests", lang), lang) from None

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
        query = clean_text(query, lang, "empty_query")
        if len(query) > MAX_QUESTION_CHARS:
            raise Refused(t("question_too_long", lang, limit=MAX_QUESTION_CHARS), lang)
        count = whole_number(k)
        if count is None or not 1 <= count <= MAX_K:
            raise Refused(t("bad_k", lang, value=str(k)[:40], limit=MAX_K), lang)
        if self.settings.log_questions:
            log.info("search: %s", query)
        return self.limited(
            client, lang, lambda: self.live.search(query, k=count, doc_ids=doc_ids or None, section=section or None)
        )


# --------------------------------------------------------------------------- views


def choice(item: CitedPassage, lang: str) -> tuple[str, str]:
    """A passage as a choice to collect: its marker and citation, with its id."""
    return (f"[{item.marker}] {citation_in(item.citation, lang)}", item.hit.passage_id)


def citations_text(answer: Answer, lang: str) -> str:
    """The answer's citations, one a line, to copy."""
    return "\n".join(f"[{p.marker}] {citation_in(p.citation, lang)}" for p in answer.passages)


def thread_after(earlier: list[dict], last: dict | None, previous: list[str]) -> list[dict]:
    """The earlier answers once a new one comes: the previous answer joins the thread
    above; a new conversation has none."""
    return ([*earlier, last] if last and previous else [])[-MAX_THREAD:]


def search_view(hits: list[Hit], lang: str) -> tuple[str, list[dict[str, Any]], list[tuple[str, str]]]:
    """Search results as cards (HTML), as JSON, and as choices to collect."""
    items = [CitedPassage(h.rank, h, citation(h)) for h in hits]
    body = "".join(render_card(i, lang) for i in items) or f"<p>{t('no_results', lang)}</p>"
    return body, [i.to_json() for i in items], [choice(i, lang) for i in items]


def status_line(message: str) -> str:
    """A status line beside a button that a screen reader announces (Gradio's toasts
    fail axe: nested controls, low contrast)."""
    return f'<p class="lotse-note" role="status">{html_escape(message)}</p>'


def collect(chosen: list[str] | None, source: Any, coll: list[dict], lang: str) -> tuple[list[dict], str]:
    """The collection with the chosen passages of an answer (a dict) or of search results
    (a list) added, each once; and the status line that says how many."""
    items = source.get("hits", []) if isinstance(source, dict) else (source or [])
    have = {c["passage_id"] for c in coll}
    added = [{**i, "note": ""} for i in items if i["passage_id"] in (chosen or []) and i["passage_id"] not in have]
    message = t("added", lang, n=len(added)) if added else t("added_none", lang)
    return [*coll, *added], status_line(message)


def collection_choices(coll: list[dict], lang: str) -> list[tuple[str, int]]:
    """The collection's entries as choices: marker and citation, with the position."""
    return [(f"[{i.marker}] {citation_in(i.citation, lang)}", n) for n, i in enumerate(collected(coll))]


def entry(coll: list[dict], chosen: Any, lang: str) -> int:
    """The position of the chosen entry; refused when none is chosen."""
    idx = index_of(coll, chosen)
    if idx is None:
        raise Refused(t("collection_item", lang) + "?", lang)
    return idx


def record_feedback(
    store: FeedbackStore | None, rating: int, data: dict | None, comment: str, generation: Any, lang: str, client: str
) -> str:
    """Store a visitor's rating of the answer ``data``; the thanks to show."""
    if store is None or not data:
        raise Refused(t("feedback_off", lang), lang)
    try:
        record = feedback_from(Answer.from_json(data), rating, comment or "", generation, lang)
        store.add(record, client)
    except FeedbackShareError as exc:
        log.info("feedback not stored: %s", exc)
        raise Refused(t("feedback_share", lang), lang) from None
    except (FeedbackFullError, FeedbackWriteError) as exc:
        # The operator's problem, with a path in it: for the log, not the visitor.
        log.error("feedback not stored: %s", exc)
        raise Refused(t("feedback_failed", lang), lang) from None
    except (ChartaError, ValueError) as exc:
        raise Refused(str(exc), lang) from None
    return status_line(t("feedback_thanks", lang))


def goto_target(raw: str | None) -> dict[str, Any] | None:
    """Where a link of the page leads (web/render.py ``lotse-goto``), or None.

    >>> goto_target('{"goto": "search", "words": "Daten"}')["words"], goto_target("kaputt"), goto_target("[1]")
    ('Daten', None, None)
    """
    try:
        target = json.loads(raw or "{}")
    except ValueError:
        return None
    return target if isinstance(target, dict) else None


def toc_choices(lotse: Lotse, doc_id: str | None, lang: str = "de") -> list[tuple[str, int]]:
    if not doc_id:
        return []
    return [
        ("\u2003" * (s["level"] - 1) + f"{s['title']} ({t('page', lang)} {s['page']})", s["idx"])
        for s in lotse.sections(doc_id)
    ]


def toc_entries(lotse: Lotse, doc_id: str | None) -> list[dict[str, Any]]:
    """The document's sections as JSON for the API."""
    return [
        {k: s[k] for k in ("idx", "level", "title", "page", "pdf_page")}
        for s in (lotse.sections(doc_id) if doc_id else [])
    ]


def browsed(lotse: Lotse, doc_id: str | None, idx: int | None, lang: str) -> str:
    """What the Browse tab shows: the chosen section, else the table of contents."""
    if doc_id and idx is not None:
        body, _ = lotse.section_text(doc_id, idx, lang)
        if body:
            return body
    return toc_html(lotse, doc_id, lang)


def toc_html(lotse: Lotse, doc_id: str | None, lang: str = "de") -> str:
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


def collection_label(coll: list[dict[str, Any]], lang: str) -> str:
    return t("tab_collection_n", lang, n=len(coll)) if coll else t("tab_collection", lang)


def skip_link(lang: str) -> str:
    return f'<a class="lotse-skip" href="#frage">{t("skip_to_question", lang)}</a>'


def base_url(request: Any) -> str:
    """The app's address as the browser used it (without CHARTA_PUBLIC_URL)."""
    base = getattr(getattr(request, "request", None), "base_url", None)
    return str(base).rstrip("/") if base else "http://127.0.0.1:7860"


def collected(coll: list[dict[str, Any]]) -> list[CitedPassage]:
    """The collection's passages (kept as JSON in the page state), numbered anew."""
    return [CitedPassage.from_json({**c, "marker": n, "highlights": []}) for n, c in enumerate(coll, 1)]


def clean_text(text: Any, lang: str, empty_key: str) -> str:
    """A question or query as one line; refused when empty or not valid Unicode (a lone
    surrogate arrives through the API as a JSON escape and would fail deep in the model).

    >>> clean_text("  Wer  entscheidet?\\n", "de", "empty_question")
    'Wer entscheidet?'
    """
    text = " ".join(str(text or "").split())
    if not text:
        raise Refused(t(empty_key, lang), lang)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(t("invalid_text", lang), lang) from None
    return text


def whole_number(value: Any) -> int | None:
    """``value`` as a whole number, or None.

    >>> whole_number(10.0), whole_number("7"), whole_number("viele"), whole_number(2.5), whole_number(True)
    (10, 7, None, None, None)
    """
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def client_of(request: Any) -> str:
    """The client's address as the server sees it (see web/guard.py)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "")
