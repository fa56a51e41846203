"""Quiz questions from the charter index, and their Moodle XML (parsed, counted, inert)."""

from __future__ import annotations

import dataclasses
import html
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from workshop.kit import CHARTER_ID, example_kit, resolve
from workshop.model import KitItem, QuizQuestion
from workshop.quiz import CLOZE, GAP, IN_SECTION, SECTION, TRUE_FALSE, cloze_gap, make_quiz, moodle_xml

LABELS = ["Vorwort", "I", "1.1", "2.2", "4.3", "III.a)", "III.l)", "IV"]


@pytest.fixture(scope="module")
def workshop_and_quiz(charter_searcher):
    kit = example_kit(charter_searcher)
    kit.items += [KitItem(doc_id=CHARTER_ID, section=label) for label in LABELS]
    kit.items.append(KitItem(doc_id=CHARTER_ID, section="9.9"))  # missing: no questions
    ws = resolve(kit, charter_searcher)
    return ws, make_quiz(ws, charter_searcher)


def test_every_found_item_gets_questions_on_its_own_sentences(workshop_and_quiz, charter_searcher):
    ws, quiz = workshop_and_quiz
    assert len(ws.found) == 10
    assert 2 * len(ws.found) - 2 <= len(quiz) <= 2 * len(ws.found)
    kinds = [q.kind for q in quiz]
    assert kinds.count(SECTION) * 4 <= len(quiz) and {CLOZE, IN_SECTION, TRUE_FALSE} <= set(kinds)
    by_quote = {s: item for item in ws.found for s in item.sentences}
    for q in quiz:
        item = by_quote[q.quote]  # verbatim, from an item itself
        assert 0 <= q.answer < len(q.options) and len(set(q.options)) == len(q.options)
        assert q.citation.startswith(f"Smart City Charta (BBSR, Fassung 2021), {_place(item.label)}, S. ")
        if q.kind == CLOZE:
            # The gap replaces the right term; the wrong ones do not stand in the sentence.
            term = q.options[q.answer]
            assert q.prompt == cloze_gap(q.quote, term) and GAP in q.prompt and term not in q.prompt
            for i, wrong in enumerate(q.options):
                if i != q.answer:
                    assert wrong.casefold() not in q.quote.casefold()
                    assert wrong[0].isupper() and wrong not in item.context  # from another section
        elif q.kind == SECTION:
            right = q.options[q.answer]
            assert q.prompt == q.quote and (right.startswith(item.label) or right == item.section_path[-1])
        elif q.kind == IN_SECTION:
            assert q.options[q.answer] == q.quote and q.prompt.startswith(item.label)
            assert all(o not in item.sentences for i, o in enumerate(q.options) if i != q.answer)
        else:
            assert q.kind == TRUE_FALSE and (q.prompt == q.quote) == (q.answer == 0)
    # The key terms are the rare words, not everyday ones.
    from wordfreq import zipf_frequency

    assert all(zipf_frequency(q.options[q.answer], "de") < 4.5 for q in quiz if q.kind == CLOZE)


def _place(label: str) -> str:
    return label if label == "Vorwort" else f"Abschnitt {label}"


def test_section_options_are_siblings_first(workshop_and_quiz):
    ws, quiz = workshop_and_quiz
    labels = {s: item.label for item in ws.found for s in item.sentences}
    for q in (q for q in quiz if q.kind == SECTION):
        label = labels[q.quote]
        depth = label.count(".") if not label.startswith("III") else 1
        assert all((o.split()[0].count(".") if not o.startswith("III") else 1) == depth for o in q.options), q


def test_same_kit_same_quiz(workshop_and_quiz, charter_searcher):
    ws, quiz = workshop_and_quiz
    again = make_quiz(resolve(ws.kit, charter_searcher), charter_searcher)
    assert again == quiz
    assert len(make_quiz(ws, charter_searcher, per_item=1)) <= len(ws.found)
    assert make_quiz(ws, charter_searcher, per_item=0) == []


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def _html_tags(text: str) -> set[str]:
    parser = _Tags()
    parser.feed(text)
    return set(parser.tags)


def test_moodle_xml_parses_and_counts(workshop_and_quiz):
    _, quiz = workshop_and_quiz
    root = ET.fromstring(moodle_xml(quiz, "Workshop / Daten"))
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category"
    assert category.findtext("category/text") == "$course$/top/Workshop // Daten"
    assert [q.get("type") for q in questions] == ["multichoice"] * len(quiz)
    for node, q in zip(questions, quiz):
        assert node.findtext("name/text")
        assert node.find("questiontext").get("format") == "html"
        assert html.unescape(node.findtext("questiontext/text")).count(q.prompt) == 1
        assert q.citation in html.unescape(node.findtext("generalfeedback/text"))
        assert node.findtext("single") == "true" and node.findtext("answernumbering") == "abc"
        assert node.findtext("shuffleanswers") == "true"
        answers = node.findall("answer")
        assert [html.unescape(a.findtext("text")) for a in answers] == q.options
        assert [a.get("fraction") for a in answers].count("100") == 1
        assert answers[q.answer].get("fraction") == "100"
        assert all(a.get("format") == "html" for a in answers)


def test_html_in_a_document_stays_inert_in_moodle(workshop_and_quiz, charter_searcher):
    ws, _ = workshop_and_quiz
    item = ws.found[0]
    hostile = [
        "Kommunen sollten <script>alert('Datenhoheit')</script> die Geodatenportale <img src=x onerror=alert(1)> "
        "regelmäßig prüfen und die Verwaltungsdigitalisierung voranbringen.",
        *item.sentences[1:],
    ]
    evil = dataclasses.replace(item, quote=" ".join(hostile), sentences=hostile)
    ws = dataclasses.replace(ws, items=[evil])
    quiz = make_quiz(ws, charter_searcher)
    assert any("<script>" in q.prompt for q in quiz)
    quiz.append(QuizQuestion(SECTION, "<b>fett</b>", ["<i>a</i>", "b & c", '"d"', "e"], 1, "<u>S. 1</u>", ""))
    text = moodle_xml(quiz, "<script>x</script>")
    root = ET.fromstring(text)
    fields = [n.text or "" for n in root.iter("text")]
    assert any("&lt;script&gt;" in f for f in fields)
    for field in fields:
        # Only the export's own markup is HTML; every document text is shown as text.
        assert _html_tags(field) <= {"p", "blockquote"}, field
        assert "<script" not in field and "<img" not in field
    assert html.unescape(root.findall("question")[-1].findall("answer")[1].findtext("text")) == "b & c"
