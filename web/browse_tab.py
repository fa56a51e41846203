"""The tab "Blättern": a document's table of contents, a section's text, and example
questions about it."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from web import handlers as h
from web.i18n import t
from web.page import Page


@dataclass
class BrowseTab:
    """The tab's controls that events and other tabs use."""

    doc: gr.Dropdown
    toc: gr.Dropdown
    toc_json: gr.JSON
    section_html: gr.HTML
    examples: gr.Radio
    examples_json: gr.JSON


def build_browse_tab(page: Page) -> BrowseTab:
    """The tab's controls (call inside the ``gr.Tabs`` context)."""
    tr, lotse = page.tr, page.lotse
    with tr(gr.Tab(t("tab_browse"), id="browse"), "label", "tab_browse"):
        docs = lotse.doc_choices()
        first = docs[0][1] if docs else None
        with gr.Row():
            with gr.Column(scale=1):
                doc = tr(gr.Dropdown(docs, value=first, label=t("document")), "label", "document")
                # One keyboard stop, arrow keys inside (a list box), not one radio
                # button per section.
                toc = tr(
                    gr.Dropdown(h.toc_choices(lotse, first), value=None, label=t("toc"), elem_id="inhalt"),
                    "label",
                    "toc",
                )
                toc_json = gr.JSON(visible=False)
            with gr.Column(scale=2):
                # Opens with the table of contents, each entry a link to its section.
                section_html = gr.HTML(h.toc_html(lotse, first), elem_id="abschnitt")
                examples = tr(gr.Radio([], label=t("examples")), "label", "examples")
                examples_json = gr.JSON(visible=False)
    return BrowseTab(doc, toc, toc_json, section_html, examples, examples_json)


def wire_browse_tab(page: Page, tab: BrowseTab) -> None:
    """The tab's events: a document's table of contents, and a section of it."""
    lotse = page.lotse

    def do_toc(doc_id: str | None):
        return gr.update(choices=h.toc_choices(lotse, doc_id), value=None), h.toc_entries(lotse, doc_id)

    # Input, not change: a link that opens a section sets the document and the entry
    # together (layout.py goto), and must not have the entry cleared after it.
    tab.doc.input(do_toc, tab.doc, [tab.toc, tab.toc_json], api_name="toc")

    def do_section(doc_id: str | None, idx: int | None, lg: str):
        if doc_id is None or idx is None:
            return (h.toc_html(lotse, doc_id, lg), gr.update(choices=[], value=None), [])
        body, ex = lotse.section_text(doc_id, int(idx), lg)
        return body, gr.update(choices=ex, value=None), ex

    shown = [tab.section_html, tab.examples, tab.examples_json]
    tab.toc.change(do_section, [tab.doc, tab.toc, page.lang], shown, api_name="section")
