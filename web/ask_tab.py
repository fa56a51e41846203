"""The tab "Fragen": a question, its answer with cited passages, the conversation above
it, and what can be done with the answer (collect, export, rate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from answer.answer import Answer
from common.errors import ChartaError
from web import handlers as h
from web.errors import refusals_shown, shown
from web.export import handout_markdown
from web.feedback import DOWN, UP
from web.i18n import t
from web.page import Page
from web.render import render_answer, render_cards, render_thread


@dataclass
class AskTab:
    """The tab's controls that events and other tabs use."""

    thread_html: gr.HTML
    question: gr.Textbox
    docs: gr.Dropdown
    ask_btn: gr.Button
    new_btn: gr.Button
    answer_html: gr.HTML
    answer_json: gr.JSON
    cards_html: gr.HTML
    citations_area: gr.Column
    citations_box: gr.Textbox
    answer_tools: gr.Column
    pick: gr.CheckboxGroup
    collect_btn: gr.Button
    export_btn: gr.Button
    collect_msg: gr.HTML
    feedback_area: gr.Column
    feedback_comment: gr.Textbox
    up_vote: gr.Button
    down_vote: gr.Button
    feedback_msg: gr.HTML
    export_box: gr.Column
    export_file: gr.File

    def inputs(self, page: Page) -> list[Any]:
        # Enter in the question box clicks the button (the page's script), so there is no submit event.
        return [self.question, page.previous, page.lang, page.last_answer, page.thread, self.docs]

    def outputs(self, page: Page) -> list[Any]:
        return [
            self.answer_html,
            self.answer_json,
            self.cards_html,
            self.citations_box,
            self.pick,
            page.previous,
            page.last_answer,
            page.thread,
            self.thread_html,
            self.citations_area,
            self.question,
            self.feedback_area,
            self.feedback_msg,
            self.answer_tools,
            self.collect_msg,
        ]


def build_ask_tab(page: Page) -> AskTab:
    """The tab's controls (call inside the ``gr.Tabs`` context)."""
    tr = page.tr
    with tr(gr.Tab(t("tab_ask"), id="ask"), "label", "tab_ask"):
        thread_html = gr.HTML(elem_id="verlauf")
        question = tr(
            gr.Textbox(label=t("question"), lines=2, placeholder=t("question_placeholder"), elem_id="frage"),
            "label",
            "_question",  # label and placeholder
        )
        # Shown once there is a choice to make; empty means every document.
        all_docs = page.lotse.doc_choices()
        docs = tr(
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
                gr.Textbox(label=t("citations"), lines=3, interactive=False, buttons=["copy"]), "label", "citations"
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
        # Shown only with a file: Gradio's empty file box fails axe (aria-prohibited-attr).
        with gr.Column(visible=False) as export_box:
            export_file = tr(gr.File(label=t("download"), interactive=False), "label", "download")
    return AskTab(
        thread_html,
        question,
        docs,
        ask_btn,
        new_btn,
        answer_html,
        answer_json,
        cards_html,
        citations_area,
        citations_box,
        answer_tools,
        pick,
        collect_btn,
        export_btn,
        collect_msg,
        feedback_area,
        feedback_comment,
        up_vote,
        down_vote,
        feedback_msg,
        export_box,
        export_file,
    )


def asker(page: Page) -> Any:
    """The function that answers a question (the ask button, and an example chosen in Blättern)."""

    def do_ask(
        q: str,
        prev: list[str],
        lg: str,
        last: dict | None,
        earlier: list[dict],
        docs: list[str] | None,
        request: gr.Request,
    ):
        with refusals_shown():
            try:
                answer = page.lotse.answer(q, prev, lg, h.client_of(request), docs)
            except ChartaError as exc:
                raise shown(str(exc)) from None
        data = answer.to_json()
        earlier = h.thread_after(earlier, last, prev)
        return (
            render_answer(answer, lg),
            data,
            render_cards(answer, lg),
            h.citations_text(answer, lg),
            gr.update(choices=[h.choice(p, lg) for p in answer.passages], value=[]),
            [*prev, answer.question][-10:],
            data,
            earlier,
            render_thread([Answer.from_json(a) for a in earlier], lg),
            gr.Column(visible=bool(answer.passages)),
            "",  # the question box is ready for the next question
            gr.Column(visible=page.feedback_store is not None),
            "",  # no thanks for an answer not yet rated
            gr.Column(visible=bool(answer.passages)),  # collect and export only with passages
            "",
        )

    return do_ask


def wire_ask_tab(page: Page, tab: AskTab) -> None:
    """The tab's events: ask, a new conversation, rating and exporting the answer."""
    tab.ask_btn.click(asker(page), tab.inputs(page), tab.outputs(page), api_name="ask")

    def do_new():
        """Everything the ask outputs show, emptied: a new conversation."""
        empty_pick = gr.update(choices=[], value=[])
        hidden = gr.Column(visible=False)
        return ("", None, "", "", empty_pick, [], None, [], "", hidden, "", hidden, "", hidden, "")

    tab.new_btn.click(do_new, None, tab.outputs(page), api_name="new_conversation")

    def do_feedback(rating: int, data: dict | None, comment: str, lg: str, client: str):
        with refusals_shown():
            generation = page.live.get().generation
            return h.record_feedback(page.feedback_store, rating, data, comment, generation, lg, client), ""

    def do_up(d: dict | None, c: str, lg: str, request: gr.Request):
        return do_feedback(UP, d, c, lg, h.client_of(request))

    def do_down(d: dict | None, c: str, lg: str, request: gr.Request):
        return do_feedback(DOWN, d, c, lg, h.client_of(request))

    rating = [page.last_answer, tab.feedback_comment, page.lang]
    tab.up_vote.click(do_up, rating, [tab.feedback_msg, tab.feedback_comment], api_name="feedback_up")
    tab.down_vote.click(do_down, rating, [tab.feedback_msg, tab.feedback_comment], api_name="feedback_down")

    def do_export_answer(data: dict | None, lg: str, request: gr.Request):
        if not data:
            raise shown(t("empty_question", lg), lg)
        answer = Answer.from_json(data)
        text = handout_markdown(t("answer_title", lg), answer.passages, answer, pdf_url=page.export_links(request))
        return page.exports.write(text, "antwort"), gr.Column(visible=True)

    tab.export_btn.click(
        do_export_answer, [page.last_answer, page.lang], [tab.export_file, tab.export_box], api_name="export_answer"
    )
