"""Two real documents in one index: the charter and a city's slide deck (the Ulm4CleverCity
excerpt in tests/fixtures). A question that names a document is answered from it, the
user can limit a question to documents, and every place that shows a passage says which
document it is from in words an official knows: title, publisher, year."""

from __future__ import annotations

import json
import re

import pytest

from answer.answer import Answer
from answer.cli import main as cli
from answer.pipeline import ask
from index.search import Searcher
from web.export import handout_markdown
from web.render import render_answer, render_cards

DECK = "Ulm4CleverCity – Smart City Modellstadt (Stadt Ulm, Geschäftsstelle Digitale Agenda, 2020)"
CHARTER = "Smart City Charta (BBSR, Fassung 2021)"
NAMED = "Was sagt die Ulmer Präsentation zur Nachhaltigkeit?"
UNNAMED = "Was wird zur Nachhaltigkeit gesagt?"


@pytest.fixture(scope="module")
def searcher(two_documents):
    return Searcher.open(two_documents)


def test_a_question_naming_the_deck_is_answered_from_it(searcher):
    answer = ask(searcher, NAMED)
    assert answer.passages, answer.status
    assert {p.hit.doc_id for p in answer.passages} == {"ulm4clevercity"}
    assert answer.named == [DECK]
    # The same question without the name finds the charter first: the name decided.
    assert searcher.search(searcher.analyse(UNNAMED), k=1)[0].doc_id == "smart-city-charta-2021"


def test_the_card_names_title_publisher_and_year_and_keeps_section_and_page(searcher):
    answer = ask(searcher, "Was ist das zentrale Ziel von Ulm4CleverCity?")
    first = answer.passages[0]
    assert first.citation.startswith(DECK + ", Abschnitt 1, S. ")
    cards = render_cards(answer, "de")
    assert f"<h3>[1] {DECK}</h3>" in cards
    assert re.search(r'<p class="meta">1\. Was ist Ulm4CleverCity\? · S\. \d', cards), cards[:600]
    shown = render_answer(answer, "de")
    assert f'Gesucht nur in: <span lang="de">{DECK}</span> (in der Frage genannt).' in shown
    assert "Searched only in: " in render_answer(answer, "en")
    handout = handout_markdown("Antwort", answer.passages, answer)
    assert f"### \\[1\\] {DECK} – 1. Was ist Ulm4CleverCity?" in handout
    assert f"*Gesucht nur in: {DECK} (in der Frage genannt).*" in handout
    # Through JSON (the app keeps answers so), the note stays.
    assert Answer.from_json(json.loads(json.dumps(answer.to_json()))).named == [DECK]


def test_a_question_naming_the_charter_stays_in_the_charter(searcher):
    answer = ask(searcher, "Was sagt die Charta zu Nachhaltigkeit?")
    assert {p.hit.doc_id for p in answer.passages} == {"smart-city-charta-2021"}
    assert answer.named == [CHARTER]
    assert answer.passages[0].citation.startswith(CHARTER + ", ")


def test_the_users_choice_of_documents_limits_the_answer(searcher):
    answer = ask(searcher, UNNAMED, doc_ids=["ulm4clevercity"])
    assert answer.passages and {p.hit.doc_id for p in answer.passages} == {"ulm4clevercity"}
    assert answer.named == []  # the user chose; nothing to explain
    # The question names the deck, the user chose the charter: the choice stands.
    answer = ask(searcher, NAMED, doc_ids=["smart-city-charta-2021"])
    assert {p.hit.doc_id for p in answer.passages} <= {"smart-city-charta-2021"}
    assert answer.named == []


def test_a_follow_up_keeps_the_named_document(searcher):
    answer = ask(searcher, "Und warum?", history=[NAMED])
    assert answer.followup
    assert {p.hit.doc_id for p in answer.passages} <= {"ulm4clevercity"}


def test_the_command_line_answers_in_the_chosen_document(two_documents, capsys):
    index = str(two_documents.index_dir)
    assert cli(["--answer", "--json", "--doc", "ulm4clevercity", "--index-dir", index, UNNAMED]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hits"] and {h["doc_id"] for h in data["hits"]} == {"ulm4clevercity"}
    assert all(h["citation"].startswith(DECK) for h in data["hits"])
    assert cli(["--answer", "--index-dir", index, NAMED]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Gesucht nur in: {DECK} (in der Frage genannt).\n"), out[:300]
    assert cli(["--k", "3", "--index-dir", index, "Fördervolumen Projektlaufzeit"]) == 0
    assert capsys.readouterr().out.startswith(f"1. {DECK} › ")
    # A document the index does not have: one line naming it and the ones it has.
    assert cli(["--answer", "--doc", "ulm", "--index-dir", index, UNNAMED]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"error: no document ulm in {index}; the index has: smart-city-charta-2021, ulm4clevercity"
    ]
