"""The tab "Sammlung": passages collected from answers and searches, with a note each,
in the order the trainer wants, exported as a handout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from web import handlers as h
from web.errors import refusals_shown, shown
from web.export import handout_markdown
from web.i18n import t
from web.itemlist import NOTE_OF_JS, moved, noted
from web.page import Page
from web.render import render_collection


@dataclass
class CollectionTab:
    """The tab's controls that events and other tabs use."""

    tab: gr.Tab
    html: gr.HTML
    tools: gr.Column
    item: gr.Dropdown
    note: gr.Textbox
    save_note_btn: gr.Button
    up_btn: gr.Button
    down_btn: gr.Button
    remove_btn: gr.Button
    export_btn: gr.Button
    clear_btn: gr.Button
    export_box: gr.Column
    export_file: gr.File

    def outputs(self, page: Page) -> list[Any]:
        """Everything on screen that shows the collection (see :func:`collection_view`)."""
        return [page.collection, self.html, page.saved_collection, self.tab, self.item, self.note, self.tools]


def build_collection_tab(page: Page) -> CollectionTab:
    """The tab's controls (call inside the ``gr.Tabs`` context)."""
    tr = page.tr
    with tr(gr.Tab(t("tab_collection"), id="collection"), "label", "tab_collection") as tab:
        html = gr.HTML(f"<p>{t('collection_empty')}</p>", elem_id="sammlung")
        with gr.Column(visible=False) as tools:
            item = tr(gr.Dropdown([], label=t("collection_item"), value=None), "label", "collection_item")
            note = tr(gr.Textbox(label=t("note"), lines=2, max_lines=6), "label", "note")
            with gr.Row():
                save_note_btn = tr(gr.Button(t("save_note")), "value", "save_note")
                up_btn = tr(gr.Button(t("move_up")), "value", "move_up")
                down_btn = tr(gr.Button(t("move_down")), "value", "move_down")
                remove_btn = tr(gr.Button(t("remove_item")), "value", "remove_item")
        with gr.Row():
            export_btn = tr(gr.Button(t("export_collection"), variant="primary"), "value", "export_collection")
            clear_btn = tr(gr.Button(t("clear_collection")), "value", "clear_collection")
        with gr.Column(visible=False) as export_box:
            export_file = tr(gr.File(label=t("download"), interactive=False), "label", "download")
    return CollectionTab(
        tab,
        html,
        tools,
        item,
        note,
        save_note_btn,
        up_btn,
        down_btn,
        remove_btn,
        export_btn,
        clear_btn,
        export_box,
        export_file,
    )


def collection_view(coll: list[dict], lg: str, chosen: int | None = None) -> tuple[Any, ...]:
    """Everything on screen that shows the collection."""
    value = chosen if chosen is not None and 0 <= chosen < len(coll) else None
    return (
        coll,
        render_collection(h.collected(coll), lg, [c.get("note", "") for c in coll]),
        coll,
        gr.Tab(label=h.collection_label(coll, lg)),
        gr.update(choices=h.collection_choices(coll, lg), value=value),
        coll[value].get("note", "") if value is not None else "",
        gr.Column(visible=bool(coll)),
    )


def wire_collecting(page: Page, tab: CollectionTab, sources: list[tuple[Any, Any, Any, Any, str]]) -> None:
    """The collect buttons of other tabs: (button, choices, source state, status line, api name)."""

    def do_collect(chosen: list[str], source: Any, coll: list[dict], lg: str):
        coll, status = h.collect(chosen, source, coll, lg)
        return (*collection_view(coll, lg), status)

    for button, pick, source, message, api_name in sources:
        button.click(
            do_collect, [pick, source, page.collection, page.lang], [*tab.outputs(page), message], api_name=api_name
        )


def wire_collection_tab(page: Page, tab: CollectionTab) -> None:
    """The tab's events: order, notes, removing, the copy in the browser, export and clearing."""
    outputs = tab.outputs(page)
    chosen = [page.collection, tab.item, page.lang]

    def do_move(coll: list[dict], item: Any, step: int, lg: str):
        with refusals_shown():
            coll, at = moved(coll, h.entry(coll, item, lg), step)
        return collection_view(coll, lg, at)

    def do_note(coll: list[dict], item: Any, note: str, lg: str):
        with refusals_shown():
            idx = h.entry(coll, item, lg)
        return collection_view(noted(coll, idx, note), lg, idx)

    tab.up_btn.click(lambda c, i, lg: do_move(c, i, -1, lg), chosen, outputs, api_name="move_up")
    tab.down_btn.click(lambda c, i, lg: do_move(c, i, 1, lg), chosen, outputs, api_name="move_down")
    tab.remove_btn.click(lambda c, i, lg: do_move(c, i, 0, lg), chosen, outputs, api_name="remove_item")
    tab.save_note_btn.click(do_note, [page.collection, tab.item, tab.note, page.lang], outputs, api_name="save_note")
    tab.item.input(None, [page.saved_collection, tab.item], tab.note, js=NOTE_OF_JS, api_name=False)  # type: ignore[arg-type]

    def restore(saved: Any, lg: str):
        return collection_view(saved if isinstance(saved, list) else [], lg)

    page.blocks.load(restore, [page.saved_collection, page.lang], outputs, api_name=False)  # type: ignore[arg-type]

    def do_export_collection(coll: list[dict], lg: str, request: gr.Request):
        if not coll:
            raise shown(t("collection_empty", lg), lg)
        notes = [c.get("note", "") for c in coll]
        text = handout_markdown(
            t("handout_title", lg), h.collected(coll), pdf_url=page.export_links(request), notes=notes
        )
        return page.exports.write(text, "handout"), gr.Column(visible=True)

    tab.export_btn.click(
        do_export_collection,
        [page.collection, page.lang],
        [tab.export_file, tab.export_box],
        api_name="export_collection",
    )
    tab.clear_btn.click(lambda lg: collection_view([], lg), page.lang, outputs, api_name="clear_collection")
