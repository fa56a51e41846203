"""The span judge over the real charter index: it reads the candidates of the first
passages, its files are not stale, and the answer quotes what it picks."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from answer.answer import ANSWERED, PASSAGES
from answer.compose import score_candidates
from answer.decide import DECISION_FILE, evidence_version
from answer.judge import JUDGE_FILE, JUDGED, judge_candidates, load_judge, with_rank_prior
from answer.judge_features import FEATURES, features, features_version
from answer.pipeline import RETRIEVED, ask
from eval.judge.data import pairs_version


def test_the_judge_and_the_decision_are_not_stale():
    # Changing what a feature means, or the judge under a fitted decision, without
    # retraining and refitting, fails here (and warns at run time).
    judge = json.loads(JUDGE_FILE.read_text(encoding="utf-8"))
    assert judge["features_version"] == features_version(), "retrain: python -m eval.train_judge"
    assert tuple(judge["features"]) == FEATURES
    decision = json.loads(DECISION_FILE.read_text(encoding="utf-8"))
    assert decision["fitted"]["evidence_version"] == evidence_version(), "refit: python -m eval --answers --fit"


def test_the_judge_records_what_it_was_trained_on():
    trained = load_judge().trained
    assert trained["pairs"] >= 3000
    assert len(trained["documents"]) >= 6
    assert {"dev", "dev-multi"} <= set(trained["results"])
    assert trained["pairs_version"] == pairs_version(), "the pairs changed: python -m eval.train_judge"


def test_the_judge_reads_every_candidate_of_the_first_passages(charter_searcher):
    query = charter_searcher.analyse("Muss jeder Bürger Online-Dienste nutzen?")
    hits = charter_searcher.search(query, k=RETRIEVED)
    cands = score_candidates(charter_searcher, query, hits, max_passages=JUDGED)
    judged = judge_candidates(charter_searcher, query, hits, list(cands))
    assert sorted(c.row for c in judged) == sorted(c.row for c in cands)
    assert {c.hit_index for c in judged} <= set(range(JUDGED))
    logits = [c.judge for c in judged]
    assert logits == sorted(logits, reverse=True) and len(set(logits)) > 1
    # The same numbers as the judge's formula on the features and vectors, less the
    # prior for the pipeline's order.
    feats = features(charter_searcher, query, hits, cands)
    vectors = np.asarray(charter_searcher.stored.sentence_embeddings[[c.row for c in cands]], dtype=np.float64)
    direct = with_rank_prior(load_judge().logits(np.asarray(query.vector, dtype=np.float64), vectors, feats))
    assert sorted(direct.round(9), reverse=True) == [round(x, 9) for x in logits]


def test_the_judge_prefers_the_sentence_that_answers(charter_searcher):
    # Everyday wording; the sentence that settles it is not the one most like the question.
    query = charter_searcher.analyse("Wird man gezwungen, Apps der Stadt zu benutzen?")
    hits = charter_searcher.search(query, k=RETRIEVED)
    cands = score_candidates(charter_searcher, query, hits, max_passages=JUDGED)
    closest = max(cands, key=lambda c: c.dense)
    judged = judge_candidates(charter_searcher, query, hits, list(cands))
    answering = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden."
    assert charter_searcher.sentences[judged[0].row].text == answering
    assert charter_searcher.sentences[closest.row].text != answering


def test_the_judge_needs_no_torch():
    code = (
        "import sys; from answer.judge import load_judge; import numpy as np; j = load_judge();"
        "print(j.logits(np.ones(384) / 20, np.ones((2, 384)) / 20, np.zeros((2, len(j.mean)))));"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_a_list_announced_by_a_lead_in_is_quoted_whole(charter_searcher):
    from answer.pipeline import examine

    question = "Was ist eine Smart City laut Charta, welche Eigenschaften hat sie?"
    _, span, _ = examine(charter_searcher, charter_searcher.analyse(question))
    assert span is not None
    for item in ("lebenswert und liebenswert", "vielfältig und offen", "sicher und raumgebend"):
        assert item in span.text, span.text[:300]
    answer = ask(charter_searcher, question)
    if answer.status == ANSWERED:  # what is quoted is that whole span
        assert all(item in answer.text for item in ("vielfältig und offen", "sicher und raumgebend"))


@pytest.mark.parametrize("follow_up", ["Und warum?", "Und warum ist das so?"])
def test_a_follow_up_that_finds_nothing_new_says_so(charter_searcher, follow_up):
    from answer.decide import load_decision
    from answer.pipeline import resolve

    first = "Darf jemand gezwungen werden, digitale Angebote zu nutzen?"
    before = resolve(charter_searcher, first, [], load_decision())
    assert before.status == ANSWERED, before.confidence
    again = ask(charter_searcher, follow_up, [first])
    if again.status == PASSAGES and again.lacks == "new":
        assert again.text == ""
        assert again.passages  # the closest passages are still shown
    else:
        # Something new was found: then it is not the previous quote word for word.
        prev = ask(charter_searcher, first)
        assert again.text != prev.text


def test_cli_reads_questions_with_their_history(charter_index, tmp_path):
    lines = [
        json.dumps({"question": "Darf jemand gezwungen werden, digitale Angebote zu nutzen?"}),
        json.dumps(
            {"question": "Und warum?", "history": ["Darf jemand gezwungen werden, digitale Angebote zu nutzen?"]}
        ),
        "Wie wird das Wetter morgen in Bonn?",
    ]
    questions = tmp_path / "gespraech.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "index.search", "--answer", "--json", "--queries", str(questions)]
        + ["--index-dir", str(charter_index.index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["question"] for r in rows] == [
        "Darf jemand gezwungen werden, digitale Angebote zu nutzen?",
        "Und warum?",
    ] + ["Wie wird das Wetter morgen in Bonn?"]
    assert rows[1]["followup"] is True  # searched with the question before it
    bad = tmp_path / "kaputt.jsonl"
    bad.write_text('{"history": []}\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "index.search", "--answer", "--queries", str(bad)]
        + ["--index-dir", str(charter_index.index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 1 and "not a question object" in proc.stderr
