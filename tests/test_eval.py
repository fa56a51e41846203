"""The gold questions are sound, and ``python -m eval`` reports on any question file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.__main__ import main as eval_main
from eval.metrics import QUESTIONS, in_gold_section, load_questions, normalize

HELDOUT = QUESTIONS.with_name("questions_heldout.jsonl")


@pytest.mark.parametrize("path", [QUESTIONS, HELDOUT], ids=lambda p: p.name)
def test_every_gold_phrase_is_in_a_passage_of_its_gold_section(path: Path, charter_searcher):
    questions = load_questions(path)
    assert len({q.id for q in questions}) == len(questions)
    passages = charter_searcher.passages
    for q in questions:
        if q.kind == "unanswerable":
            assert not q.gold_sections and q.answer_contains is None, q.id
            continue
        phrase = normalize(q.answer_contains)
        assert any(phrase in normalize(p["text"]) and in_gold_section(p["section_path"],
                                                                       q.gold_sections)
                   for p in passages), f"{q.id}: {q.answer_contains!r} not in {q.gold_sections}"


def test_no_heldout_question_repeats_a_dev_question():
    dev = {normalize(q.question) for q in load_questions(QUESTIONS)}
    assert not dev & {normalize(q.question) for q in load_questions(HELDOUT)}


def test_eval_reports_the_heldout_set_as_json(charter_index, monkeypatch, capsys):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(charter_index.index_dir))
    assert eval_main(["--questions", str(HELDOUT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    german = out["answerable"]["de"]
    assert german["n"] == sum(q.lang == "de" and q.kind == "answerable"
                              for q in load_questions(HELDOUT))
    for mode in ("bm25", "dense", "gloss", "hybrid"):
        assert set(german[mode]) == {"hit@1", "hit@5", "mrr@10", "contains@5"}
    assert german["hybrid"]["hit@5"] > german["dense"]["hit@5"]
