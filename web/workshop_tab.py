"""The "Workshop" tab: trainers put sections and collected passages into a kit and get a
handout (PDF, DOCX), slides (PPTX), a quiz (Moodle XML) and the kit file to reopen later.

The kit itself is :mod:`workshop` (the library); this tab only keeps the kit's items in
the session (and a copy in the browser, like the collection), shows them as the current
index resolves them, and hands the files out. A saved kit is read by the browser and sent
as text, so loading one needs no upload (uploads are for the admin only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from html import escape as esc
from typing import Any

import gradio as gr

from answer.cite import section_label
from common.errors import KitError
from index.live import LiveSearcher
from web.errors import shown
from web.export import ExportFolder
from web.i18n import STRINGS, t
from web.itemlist import NOTE_OF_JS, index_of, moved, noted
from workshop.kit import kit_to_json, load_kit, resolve, section_items
from workshop.model import Kit, KitItem, Workshop

MAX_KIT_ITEMS = 200  # as many as a kit file may hold (workshop.kit)
PREVIEW_CHARS = 220


@dataclass
class WorkshopTab:
    """What the page needs of the tab: the kit's items and the views the language switch
    renders again."""

    items: gr.State
    kit_html: gr.HTML
    file_html: gr.HTML

    def rerender(self, items: list[dict[str, Any]], lang: str, live: LiveSearcher) -> tuple[str, str]:
        return render_kit(_resolve(live, items), lang), file_input(lang)


def file_input(lang: str) -> str:
    """The file chooser for a saved kit; the page's script reads the file into the text box."""
    return (
        f'<label for="kit-datei">{esc(t("kit_choose_file", lang))}</label> '
        '<input type="file" id="kit-datei" accept=".json,application/json">'
    )


def section_choices(live: LiveSearcher, doc_id: str | None) -> list[tuple[str, str]]:
    """The document's sections as (indented title with page, label) for the picker."""
    searcher = live.get()
    doc = searcher.stored.documents.get(doc_id or "")
    title = searcher.documents.get(doc_id or "", {}).get("title", "")
    if not doc:
        return []
    out = []
    for s in doc["sections"]:
        label = section_label(s["path"], title)
        if label:
            out.append(("\u2003" * (s["level"] - 1) + f"{s['title']} ({t('page', 'de')} {s['page']})", label))
    return list(dict.fromkeys(out))


def render_kit(workshop: Workshop, lang: str) -> str:
    """The kit as a list: each item with its citation, the start of its quote, the
    trainer's note, or the mark that it is no longer in the index.

    >>> from workshop.model import Kit, KitItem, Workshop, WorkshopItem
    >>> ws = Workshop(Kit("T"), [WorkshopItem(KitItem("d", passage_id="d:1"), missing="gone")], "2026-12-02")
    >>> print(render_kit(ws, "de"))  # doctest: +NORMALIZE_WHITESPACE
    <p>1 Einträge im Kit</p><ol class="lotse-kit"><li><strong>d:1</strong>
    <p class="lotse-missing"><strong>Nicht mehr im Index:</strong> gone</p></li></ol>
    """
    if not workshop.items:
        return f"<p>{esc(t('kit_empty', lang))}</p>"
    rows = []
    for wi in workshop.items:
        note = f'<p class="lotse-note"><strong>{esc(t("note", lang))}:</strong> {esc(wi.item.note)}</p>'
        note = note if wi.item.note else ""
        if not wi.found:
            name = wi.item.passage_id or f"{wi.item.doc_id} {wi.item.section}"
            rows.append(
                f"<li><strong>{esc(name)}</strong>\n"
                f'<p class="lotse-missing"><strong>{esc(t("kit_missing", lang))}:</strong> {esc(wi.missing)}</p>'
                f"{note}</li>"
            )
            continue
        quote = wi.quote if len(wi.quote) <= PREVIEW_CHARS else wi.quote[:PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
        kind = t("kit_kind_passage" if wi.item.passage_id else "kit_kind_section", lang)
        rows.append(
            f"<li>{esc(kind)}: <strong>{esc(_item_name(wi.label, wi.heading))}</strong> – {esc(wi.citation)}"
            f'<blockquote lang="de">„{esc(quote)}“</blockquote>{note}</li>'
        )
    return (
        f"<p>{esc(t('kit_count', lang, n=len(workshop.items)))}</p>"
        + '<ol class="lotse-kit">'
        + "".join(rows)
        + "</ol>"
    )


def kit_reason(exc: KitError, lang: str) -> str:
    """Why a kit file is refused, in the interface language (with the item's number).

    >>> kit_reason(KitError("k", "x", "too_long", field="note", item=3, limit=2000), "de")
    'Eintrag 3: der Text in „note“ ist länger als 2000 Zeichen'
    """
    key = f"kit_err_{exc.code}"
    if key not in STRINGS:
        return exc.reason
    try:
        reason = t(key, lang, **exc.details)
    except (KeyError, IndexError):
        return exc.reason
    item = exc.details.get("item")
    return f"{t('kit_item', lang)} {item}: {reason}" if isinstance(item, int) and item > 0 else reason


def _item_name(label: str, heading: str) -> str:
    return f"{label} {heading}".strip() if heading != label else label


def _kit(items: list[dict[str, Any]], title: str = "", audience: str = "", minutes: Any = 0) -> Kit:
    try:
        mins = int(minutes or 0)
    except (TypeError, ValueError):
        mins = 0
    return Kit(
        title=" ".join(str(title or "").split())[:200],
        audience=" ".join(str(audience or "").split())[:200],
        minutes=min(max(mins, 0), 1440),
        items=[KitItem(**{k: str(i.get(k, "")) for k in ("doc_id", "passage_id", "section", "note")}) for i in items],
    )


def _resolve(live: LiveSearcher, items: list[dict[str, Any]], kit: Kit | None = None) -> Workshop:
    return resolve(kit or _kit(items), live.get(), date.today())


def build_workshop_tab(
    demo: gr.Blocks,
    live: LiveSearcher,
    exports: ExportFolder,
    collection: gr.State,
    lang: gr.State,
    items: gr.State,
    saved_items: gr.BrowserState,
    doc_choices: list[tuple[str, str]],
    tr: Callable[[Any, str, str], Any],
    limited: Callable[[gr.Request, str, Callable[[], Any]], Any],
) -> WorkshopTab:
    """The tab's components and events; call inside ``gr.Tabs``. ``items`` holds the kit's
    entries, ``saved_items`` their copy in the browser: both are made outside ``gr.Tabs``
    (a component there that is in no tab shows up as a tab button of its own, and one
    inside a tab is not there to restore from until the tab is opened)."""
    c = _controls(live, doc_choices, tr)
    outputs = [items, saved_items, c.kit_html, c.item, c.note, c.tools]
    _wire_adding(live, c, outputs, items, collection, lang)
    _wire_editing(live, c, outputs, items, saved_items, lang)
    _wire_files(live, exports, c, outputs, items, lang, limited)
    demo.load(
        lambda saved, lg: _view(live, [i for i in saved if isinstance(i, dict)] if isinstance(saved, list) else [], lg),
        [saved_items, lang],
        outputs,
        api_name=False,  # type: ignore[arg-type]
    )
    return WorkshopTab(items, c.kit_html, c.file_html)


@dataclass
class _Controls:
    """The tab's controls."""

    title: Any
    audience: Any
    minutes: Any
    doc: Any
    sections: Any
    add_sections_btn: Any
    add_collection_btn: Any
    message: Any
    kit_html: Any
    tools: Any
    item: Any
    note: Any
    save_note_btn: Any
    up_btn: Any
    down_btn: Any
    remove_btn: Any
    make_btn: Any
    clear_btn: Any
    files_box: Any
    files: Any
    kit_text: Any
    file_html: Any
    load_btn: Any


def _controls(live: LiveSearcher, doc_choices: list[tuple[str, str]], tr: Callable[[Any, str, str], Any]) -> _Controls:
    """The tab's controls, in the order they are on screen."""
    with tr(gr.Tab(t("tab_workshop"), id="workshop"), "label", "tab_workshop"):
        tr(gr.Markdown(t("workshop_intro")), "value", "workshop_intro")
        with gr.Row():
            title = tr(
                gr.Textbox(t("kit_title_default"), label=t("kit_title"), elem_id="kit-titel"), "label", "kit_title"
            )
            audience = tr(gr.Textbox(label=t("kit_audience"), elem_id="kit-zielgruppe"), "label", "kit_audience")
            minutes = tr(
                gr.Number(90, label=t("kit_minutes"), precision=0, minimum=0, maximum=1440), "label", "kit_minutes"
            )
        with gr.Row():
            doc = tr(
                gr.Dropdown(doc_choices, value=doc_choices[0][1] if doc_choices else None, label=t("document")),
                "label",
                "document",
            )
            sections = tr(
                gr.Dropdown(
                    section_choices(live, doc_choices[0][1] if doc_choices else None),
                    multiselect=True,
                    label=t("kit_sections"),
                    elem_id="kit-abschnitte",
                ),
                "label",
                "kit_sections",
            )
        with gr.Row():
            add_sections_btn = tr(gr.Button(t("kit_add_sections")), "value", "kit_add_sections")
            add_collection_btn = tr(gr.Button(t("kit_add_collection")), "value", "kit_add_collection")
        message = gr.HTML()
        kit_html = gr.HTML(f"<p>{t('kit_empty')}</p>", elem_id="kit")
        with gr.Column(visible=False) as tools:
            item = tr(gr.Dropdown([], label=t("kit_item"), value=None), "label", "kit_item")
            note = tr(gr.Textbox(label=t("note"), lines=2, max_lines=6), "label", "note")
            with gr.Row():
                save_note_btn = tr(gr.Button(t("save_note")), "value", "save_note")
                up_btn = tr(gr.Button(t("move_up")), "value", "move_up")
                down_btn = tr(gr.Button(t("move_down")), "value", "move_down")
                remove_btn = tr(gr.Button(t("remove_item")), "value", "remove_item")
        with gr.Row():
            make_btn = tr(gr.Button(t("kit_make"), variant="primary", elem_id="kit-erstellen"), "value", "kit_make")
            clear_btn = tr(gr.Button(t("kit_clear")), "value", "kit_clear")
        # Shown only with files: Gradio's empty file box fails axe.
        with gr.Column(visible=False) as files_box:
            files = tr(
                gr.File(label=t("kit_files"), file_count="multiple", interactive=False, elem_id="kit-dateien"),
                "label",
                "kit_files",
            )
        kit_text = tr(
            gr.Textbox(label=t("kit_load_label"), lines=2, max_lines=6, elem_id="kit-json"), "label", "kit_load_label"
        )
        file_html = gr.HTML(file_input("de"))
        load_btn = tr(gr.Button(t("kit_load"), elem_id="kit-laden"), "value", "kit_load")

    return _Controls(
        title,
        audience,
        minutes,
        doc,
        sections,
        add_sections_btn,
        add_collection_btn,
        message,
        kit_html,
        tools,
        item,
        note,
        save_note_btn,
        up_btn,
        down_btn,
        remove_btn,
        make_btn,
        clear_btn,
        files_box,
        files,
        kit_text,
        file_html,
        load_btn,
    )


def _view(live: LiveSearcher, its: list[dict[str, Any]], lg: str, chosen: int | None = None) -> tuple[Any, ...]:
    """Everything on screen that shows the kit."""
    workshop = _resolve(live, its)
    choices = [
        (f"{n + 1}. " + (_item_name(w.label, w.heading) if w.found else w.item.passage_id or w.item.section), n)
        for n, w in enumerate(workshop.items)
    ]
    value = chosen if chosen is not None and 0 <= chosen < len(its) else None
    return (
        its,
        its,
        render_kit(workshop, lg),
        gr.update(choices=choices, value=value),
        its[value].get("note", "") if value is not None else "",
        gr.Column(visible=bool(its)),
    )


def _status(text: str) -> str:
    return f'<p class="lotse-note" role="status">{esc(text)}</p>'


def _add(live: LiveSearcher, its: list[dict[str, Any]], new: list[dict[str, Any]], lg: str) -> tuple[Any, ...]:
    have = {(i["doc_id"], i.get("passage_id", ""), i.get("section", "")) for i in its}
    added = [n for n in new if (n["doc_id"], n.get("passage_id", ""), n.get("section", "")) not in have]
    added = list({(n["doc_id"], n.get("passage_id", ""), n.get("section", "")): n for n in added}.values())
    its = [*its, *added][:MAX_KIT_ITEMS]
    text = t("kit_added", lg, n=len(added)) if added else t("kit_added_none", lg)
    return (*_view(live, its, lg), _status(text))


def _wire_adding(
    live: LiveSearcher, c: _Controls, outputs: list[Any], items: gr.State, collection: gr.State, lang: gr.State
) -> None:
    """Adding sections of a document, or the collected passages, to the kit."""

    def do_add_sections(its: list[dict[str, Any]], doc_id: str | None, labels: list[str] | None, lg: str):
        if not doc_id or not labels:
            return _add(live, its, [], lg)
        allowed = {label for _, label in section_choices(live, doc_id)}
        searcher = live.get()
        # A chapter comes with its subsections: choosing „III“ means the recommendations.
        new = [asdict(i) for s in labels if s in allowed for i in section_items(searcher, doc_id, s)]
        return _add(live, its, new, lg)

    def do_add_collection(its: list[dict[str, Any]], coll: list[dict[str, Any]], lg: str):
        new = [
            {"doc_id": str(c.get("doc_id", "")), "passage_id": str(c.get("passage_id", "")), "note": c.get("note", "")}
            for c in (coll or [])
            if isinstance(c, dict) and c.get("passage_id")
        ]
        return _add(live, its, new, lg)

    c.add_sections_btn.click(
        do_add_sections, [items, c.doc, c.sections, lang], [*outputs, c.message], api_name="kit_add_sections"
    )
    c.add_collection_btn.click(
        do_add_collection, [items, collection, lang], [*outputs, c.message], api_name="kit_add_collection"
    )
    c.doc.change(lambda d: gr.update(choices=section_choices(live, d), value=[]), c.doc, c.sections, api_name=False)


def _wire_editing(
    live: LiveSearcher, c: _Controls, outputs: list[Any], items: gr.State, saved_items: gr.BrowserState, lang: gr.State
) -> None:
    """Moving, removing and noting the kit's entries, and clearing the kit."""

    def entry(its: list[dict[str, Any]], chosen: Any, lg: str) -> int:
        idx = index_of(its, chosen)
        if idx is None:
            raise shown(t("kit_item", lg) + "?", lg)
        return idx

    def do_move(its: list[dict[str, Any]], chosen: Any, step: int, lg: str):
        its, at = moved(its, entry(its, chosen, lg), step)
        return _view(live, its, lg, at)

    def do_note(its: list[dict[str, Any]], chosen: Any, text: str, lg: str):
        idx = entry(its, chosen, lg)
        return _view(live, noted(its, idx, text), lg, idx)

    chosen = [items, c.item, lang]
    c.up_btn.click(lambda i, e, lg: do_move(i, e, -1, lg), chosen, outputs, api_name="kit_move_up")
    c.down_btn.click(lambda i, e, lg: do_move(i, e, 1, lg), chosen, outputs, api_name="kit_move_down")
    c.remove_btn.click(lambda i, e, lg: do_move(i, e, 0, lg), chosen, outputs, api_name="kit_remove")
    c.save_note_btn.click(do_note, [items, c.item, c.note, lang], outputs, api_name="kit_save_note")
    c.item.input(None, [saved_items, c.item], c.note, js=NOTE_OF_JS, api_name=False)
    c.clear_btn.click(lambda lg: _view(live, [], lg), lang, outputs, api_name="kit_clear")


def _wire_files(
    live: LiveSearcher,
    exports: ExportFolder,
    c: _Controls,
    outputs: list[Any],
    items: gr.State,
    lang: gr.State,
    limited: Callable[[gr.Request, str, Callable[[], Any]], Any],
) -> None:
    """Making the kit's files, and loading a saved kit."""

    def do_make(its: list[dict[str, Any]], ttl: str, aud: str, mins: Any, lg: str, request: gr.Request):
        from workshop.exports import write_all
        from workshop.quiz import make_quiz

        kit = _kit(its, ttl or t("kit_title_default", lg), aud, mins)
        searcher = live.get()
        kit.generation = searcher.generation
        workshop = resolve(kit, searcher, date.today())
        if not workshop.found:
            raise shown(t("kit_empty", lg), lg)

        def work() -> list[str]:
            quiz = make_quiz(workshop, searcher)
            folder = exports.new_folder("workshop")
            written = write_all(workshop, quiz, folder)
            kit_file = folder / "kit.json"
            kit_file.write_text(kit_to_json(kit), encoding="utf-8")
            return [str(p) for p in [*written.values(), kit_file]]

        paths = limited(request, lg, work)
        names = ", ".join(p.rsplit("/", 1)[-1] for p in paths)
        text = t("kit_made", lg, files=names)
        if workshop.missing:
            text += " " + t("kit_missing_n", lg, n=len(workshop.missing))
        return paths, gr.Column(visible=True), _status(text)

    c.make_btn.click(
        do_make, [items, c.title, c.audience, c.minutes, lang], [c.files, c.files_box, c.message], api_name="kit_make"
    )

    def do_load(text: str, lg: str):
        try:
            kit = load_kit(text or "", "Kit-Datei")
        except KitError as exc:
            raise shown(t("kit_bad", lg, reason=kit_reason(exc, lg)), lg) from None
        its = [asdict(i) for i in kit.items]
        workshop = _resolve(live, its, kit)
        msg = t("kit_loaded", lg, title=kit.title, n=len(kit.items))
        if workshop.missing:
            msg += " " + t("kit_missing_n", lg, n=len(workshop.missing))
        return (*_view(live, its, lg), _status(msg), kit.title, kit.audience, kit.minutes, "")

    c.load_btn.click(
        do_load,
        [c.kit_text, lang],
        [*outputs, c.message, c.title, c.audience, c.minutes, c.kit_text],
        api_name="kit_load",
    )
