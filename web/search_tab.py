"""The tab "Suchen": passages that match a query, filtered by document and section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from common.errors import ChartaError
from web import handlers as h
from web.errors import refusals_shown, shown
from web.i18n import t
from web.page import Page


@dataclass
class SearchTab:
    """The tab's controls that events and other tabs use."""

    query: gr.Textbox
    doc_filter: gr.Dropdown
    section_filter: gr.Dropdown
    k_slider: gr.Slider
    search_btn: gr.Button
    results_html: gr.HTML
    results_json: gr.JSON
    pick_results: gr.CheckboxGroup
    collect_results_btn: gr.Button
    collect_results_msg: gr.HTML
    search_state: gr.State

    def shown_results(self) -> list[Any]:
        """What a search shows: the cards, their JSON, the choices to collect, the state."""
        return [self.results_html, self.results_json, self.pick_results, self.search_state]


def build_search_tab(page: Page) -> SearchTab:
    """The tab's controls (call inside the ``gr.Tabs`` context)."""
    tr = page.tr
    with tr(gr.Tab(t("tab_search"), id="search"), "label", "tab_search"):
        query = tr(gr.Textbox(label=t("query"), elem_id="suche"), "label", "query")
        with gr.Row():
            doc_filter = tr(
                gr.Dropdown(page.lotse.doc_choices(), multiselect=True, label=t("filter_docs")), "label", "filter_docs"
            )
            section_filter = tr(
                gr.Dropdown(page.lotse.section_choices(None), value="", label=t("filter_section")),
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
    return SearchTab(
        query,
        doc_filter,
        section_filter,
        k_slider,
        search_btn,
        results_html,
        results_json,
        pick_results,
        collect_results_btn,
        collect_results_msg,
        search_state,
    )


def searched(page: Page, q: Any, doc_ids: list[str] | None, section: str | None, k: Any, lg: str, client: str):
    """A search's results as the tab shows them (cards, JSON, choices to collect, JSON)."""
    with refusals_shown():
        try:
            hits = page.lotse.search(q, doc_ids, section, k, lg, client)
        except (ChartaError, ValueError) as exc:
            raise shown(str(exc)) from None
    body, data, choices = h.search_view(hits, lg)
    return body, data, gr.update(choices=choices, value=[]), data


def wire_search_tab(page: Page, tab: SearchTab) -> None:
    """The tab's events: search (button and Enter), and the sections of the chosen documents."""

    def do_search(q: str, doc_ids: list[str], section: str | None, k: float, lg: str, request: gr.Request):
        return searched(page, q, doc_ids, section, k, lg, h.client_of(request))

    # Raw inputs: a wrong number of results through the API gets our clear message
    # instead of Gradio's generic preprocessing error.
    inputs = [tab.query, tab.doc_filter, tab.section_filter, tab.k_slider, page.lang]
    tab.search_btn.click(do_search, inputs, tab.shown_results(), api_name="search", preprocess=False)
    tab.query.submit(do_search, inputs, tab.shown_results(), api_name=False, preprocess=False)  # type: ignore[arg-type]
    tab.doc_filter.change(
        lambda d: gr.update(choices=page.lotse.section_choices(d), value=""),
        tab.doc_filter,
        tab.section_filter,
        api_name=False,  # type: ignore[arg-type]
    )
