"""Answer feedback: stored only when enabled, whole under concurrent clicks, bounded in size,
and turned by ``python -m web.feedback`` into a table and into eval drafts a person reviews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from answer.answer import ANSWERED, NOT_COVERED, Answer, AnswerSentence, CitedPassage
from answer.cite import citation
from common.errors import ConfigError, FeedbackFullError, FeedbackWriteError
from common.settings import help_text, load_settings
from index.search import Hit
from web.feedback import (
    DOWN,
    MAX_COMMENT_CHARS,
    UP,
    Feedback,
    FeedbackShareError,
    FeedbackStore,
    feedback_from,
    main,
)

SENTENCE = "Niemand soll zur Nutzung digitaler Angebote gezwungen werden."


def answered(question: str = "Muss ich digitale Angebote nutzen?") -> Answer:
    """An answer as the pipeline builds it: one quoted sentence and its card."""
    hit = Hit(
        1, 0.9, "charta", "Smart City Charta", "charta.pdf", "10", "10", 10, 10,
        "2. Leitlinien › 2.2 Teilhabe", SENTENCE, "charta-p0042",
        section_path=["2. Leitlinien", "2.2 Teilhabe"], publisher="BBSR", year="2021",
    )  # fmt: skip
    sentence = AnswerSentence(SENTENCE, 1, hit.passage_id, "10", "10", hit.section)
    return Answer(question, ANSWERED, sentences=[sentence], passages=[CitedPassage(1, hit, citation(hit))])


def store_at(tmp_path: Path) -> FeedbackStore:
    """The store the app uses for an index in ``tmp_path/index``, with feedback on."""
    settings = load_settings(env={"CHARTA_FEEDBACK": "1", "CHARTA_INDEX_DIR": str(tmp_path / "index")})
    store = FeedbackStore.for_settings(settings)
    assert store is not None
    return store


def command(tmp_path: Path, *argv: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTA_")}
    env["CHARTA_INDEX_DIR"] = str(tmp_path / "index")
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "web.feedback", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_feedback_is_kept_only_when_the_operator_enables_it(tmp_path):
    assert FeedbackStore.for_settings(load_settings(env={})) is None
    assert store_at(tmp_path).path == tmp_path / "feedback.jsonl"  # beside the index, not in it
    with pytest.raises(ConfigError, match="CHARTA_FEEDBACK='vielleicht' is not 0 or 1"):
        load_settings(env={"CHARTA_FEEDBACK": "vielleicht"})


def test_a_replica_keeps_feedback_in_its_own_file_and_the_command_reads_it_there(tmp_path):
    own = tmp_path / "replica-1" / "feedback.jsonl"
    env = {"CHARTA_FEEDBACK": "1", "CHARTA_INDEX_DIR": str(tmp_path / "shared" / "index")}
    store = FeedbackStore.for_settings(load_settings(env={**env, "CHARTA_FEEDBACK_FILE": str(own)}))
    assert store is not None and store.path == own
    store.add(feedback_from(answered("Frage an Replikat 1?"), UP, "", "g", "de"))
    assert own.exists() and not (tmp_path / "shared" / "feedback.jsonl").exists()
    proc = command(tmp_path, "list", extra_env={"CHARTA_FEEDBACK_FILE": str(own)})
    assert proc.returncode == 0, proc.stderr
    assert "Frage an Replikat 1?" in proc.stdout


def test_an_unwritable_feedback_file_is_refused_at_start_up_and_when_written(tmp_path):
    """On a replica the folder beside the index is read-only; here a file stands where the
    folder should be, which the system refuses the same way (no privileges needed)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    settings = load_settings(env={"CHARTA_FEEDBACK": "1", "CHARTA_FEEDBACK_FILE": str(blocker / "feedback.jsonl")})
    with pytest.raises(FeedbackWriteError) as exc:
        FeedbackStore.for_settings(settings)
    message = str(exc.value)
    assert f"feedback cannot be stored in {blocker / 'feedback.jsonl'}" in message
    assert "CHARTA_FEEDBACK_FILE" in message and "\n" not in message

    # Writable at start-up, then the folder is gone and a file is in its place.
    folder = tmp_path / "fb"
    store = FeedbackStore.for_settings(
        load_settings(env={"CHARTA_FEEDBACK": "1", "CHARTA_FEEDBACK_FILE": str(folder / "feedback.jsonl")})
    )
    assert store is not None
    store.add(feedback_from(answered("Erste?"), UP, "", "g", "de"))
    (folder / "feedback.jsonl").unlink()
    folder.rmdir()
    folder.write_text("x", encoding="utf-8")
    with pytest.raises(FeedbackWriteError, match="feedback cannot be stored in"):
        store.add(feedback_from(answered("Zweite?"), UP, "", "g", "de"))


def test_stored_feedback_reads_back_as_the_visitor_saw_the_answer(tmp_path):
    store = store_at(tmp_path)
    fb = feedback_from(answered(), UP, "  Genau das\x1b[2J\u202e gesucht\n" + "!" * 3000, "gen-7", "en")
    store.add(fb)
    [again] = store.read()
    assert again == fb
    assert again.answer == f"{SENTENCE} [1]"
    assert again.citations == ["Smart City Charta (BBSR, 2021), Abschnitt 2.2, S. 10"]
    assert again.passage_ids == ["charta-p0042"]
    assert (again.rating, again.generation, again.lang, again.status) == (1, "gen-7", "en", ANSWERED)
    # no terminal escape or bidi override survives, and the comment is capped
    assert again.comment.startswith("Genau das[2J gesucht !!!") and len(again.comment) == MAX_COMMENT_CHARS
    assert again.time.endswith("+00:00") and len(again.time) == 25
    assert (store.path.stat().st_mode & 0o777) == 0o600  # visitors' words are for the operator only


@pytest.mark.parametrize("rating", [0, 2, True, "1"])
def test_a_rating_other_than_up_or_down_is_refused_naming_the_allowed_ones(rating):
    with pytest.raises(ValueError) as exc:
        feedback_from(answered(), rating, "", "g", "de")
    assert f"rating={rating!r} is not allowed; use 1 (👍) or -1 (👎)" == str(exc.value)
    with pytest.raises(ValueError, match=r"lang='fr' is not allowed; use one of \['de', 'en'\]"):
        feedback_from(answered(), UP, "", "g", "fr")


def test_eight_threads_clicking_at_once_keep_every_line_whole(tmp_path):
    store = store_at(tmp_path)
    # Lines of over 4 KB (2,000 × „ä“): larger than a pipe's atomic write.
    records = [
        feedback_from(answered(f"Frage {t}-{n}"), UP if n % 2 else DOWN, "ä" * 2000, "g", "de")
        for t in range(8)
        for n in range(40)
    ]
    threads = [
        threading.Thread(target=lambda t=t: [store.add(r) for r in records[t * 40 : t * 40 + 40]]) for t in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read = store.read()
    assert store.broken == []
    assert sorted(r.question for r in read) == sorted(r.question for r in records)
    assert all(r.comment == "ä" * 2000 for r in read)


def test_broken_lines_are_skipped_and_reported_and_the_rest_listed(tmp_path):
    store = store_at(tmp_path)
    store.add(feedback_from(answered("Erste Frage?"), UP, "", "g", "de"))
    with store.path.open("a", encoding="utf-8") as fh:
        fh.write("{kein json\n")
        fh.write(json.dumps({**store.read()[0].to_json(), "rating": 5}) + "\n")
        fh.write('{"time": "2030-01-01T00:00:00+00:00", "question": "abgebro')  # a writer killed mid-line
    store.add(feedback_from(answered("Letzte Frage?"), DOWN, "falsch", "g", "de"))
    assert [r.question for r in store.read()] == ["Erste Frage?", "Letzte Frage?"]
    assert store.broken == [2, 3, 4]

    proc = command(tmp_path, "list")
    assert proc.returncode == 0, proc.stderr
    assert "skipped 3 broken line(s): 2, 3, 4" in proc.stderr
    assert "Erste Frage?" in proc.stdout and "Letzte Frage?" in proc.stdout
    assert "2 in all: 1 👍, 1 👎" in proc.stdout


def test_a_full_feedback_file_refuses_more_and_keeps_what_it_holds(tmp_path):
    store = FeedbackStore(store_at(tmp_path).path, max_bytes=3_000)
    added = 0
    with pytest.raises(FeedbackFullError) as exc:
        while True:
            store.add(feedback_from(answered(f"Frage {added}?"), UP, "x" * 200, "g", "de"))
            added += 1
    assert f"{store.path} has reached its limit of 3,000 bytes" in str(exc.value)
    assert "python -m web.feedback export" in str(exc.value)
    assert 0 < added and store.path.stat().st_size <= 3_000
    assert [r.question for r in store.read()] == [f"Frage {n}?" for n in range(added)]


def test_one_client_fills_only_its_share_of_the_day_and_others_still_give_feedback(tmp_path):
    """One visitor clicking 👍 for 19 minutes filled the whole 50 MB file; now one
    address may store a fiftieth of it a day, and everyone else still can."""
    store = FeedbackStore(store_at(tmp_path).path, max_bytes=100_000)
    assert store.client_bytes == 2_000
    added = 0
    with pytest.raises(FeedbackShareError) as exc:
        while added < 1_000:
            store.add(feedback_from(answered(f"Frage {added}?"), UP, "x" * 200, "g", "de"), "10.0.0.7")
            added += 1
    assert 0 < added < 20 and store.path.stat().st_size <= 2_000
    assert "10.0.0.7" in str(exc.value) and "2,000 per client and day" in str(exc.value)
    assert "\n" not in str(exc.value)
    store.add(feedback_from(answered("Andere Frage?"), DOWN, "", "g", "de"), "10.0.0.8")
    store.add(feedback_from(answered("Vom Betreiber?"), DOWN, "", "g", "de"))  # no client: no share
    assert [r.question for r in store.read()][-2:] == ["Andere Frage?", "Vom Betreiber?"]


def test_list_shows_a_table_newest_last_without_terminal_escapes(tmp_path):
    store = store_at(tmp_path)
    for when, question, rating, comment in [
        ("2025-03-02T09:00:00+00:00", "Zweite Frage?", DOWN, "Seite stimmt nicht"),
        ("2025-03-01T09:00:00+00:00", "Erste Frage?", UP, ""),
        ("2025-03-03T09:00:00+00:00", "Dritte Frage?", UP, "danke"),
    ]:
        fb = feedback_from(answered(question), rating, comment, "g", "de")
        fb.time = when
        store.add(fb)
    with store.path.open("a", encoding="utf-8") as fh:  # edited by hand, escapes and all
        fh.write(json.dumps({**fb.to_json(), "time": "2025-03-04T09:00:00+00:00", "comment": "\x1b[2Jweg"}) + "\n")

    proc = command(tmp_path, "list", "--limit", "3")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["time", "(UTC)", "status", "question", "comment"]
    assert lines[1].split() == [
        "2025-03-02",
        "09:00:00",
        "👎",
        "answered",
        "Zweite",
        "Frage?",
        "Seite",
        "stimmt",
        "nicht",
    ]
    assert lines[2].split() == ["2025-03-03", "09:00:00", "👍", "answered", "Dritte", "Frage?", "danke"]
    assert lines[3].endswith("[2Jweg") and "\x1b" not in proc.stdout
    assert lines[4] == f"4 in all: 3 👍, 1 👎 ({store.path})"


def test_the_command_says_when_nothing_was_stored_yet(tmp_path):
    proc = command(tmp_path, "export", "--format", "jsonl")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: no feedback stored yet in {tmp_path / 'feedback.jsonl'}; the app stores it when CHARTA_FEEDBACK=1"
    )


def test_the_command_prints_the_settings_table(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help-settings"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == help_text()
    assert "CHARTA_FEEDBACK" in help_text()


def test_real_answers_export_as_records_and_as_eval_drafts_for_review(tmp_path, charter_searcher):
    from answer.pipeline import ask
    from eval.metrics import in_gold_section, load_questions, normalize

    right = ask(charter_searcher, "Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
    weather = ask(charter_searcher, "Wie wird das Wetter morgen in Bonn?")
    assert (right.status, weather.status) == (ANSWERED, NOT_COVERED)
    store = store_at(tmp_path)
    generation = charter_searcher.generation
    store.add(feedback_from(right, UP, "", generation, "de"))
    store.add(feedback_from(weather, UP, "", generation, "de"))
    store.add(feedback_from(right, DOWN, "Quelle fehlt", generation, "de"))  # a second visitor disagrees

    proc = command(tmp_path, "export", "--format", "jsonl", "--only", "down")
    assert proc.returncode == 0, proc.stderr
    [down] = [Feedback.from_json(json.loads(line)) for line in proc.stdout.splitlines()]
    assert (down.comment, down.answer, down.passage_ids) == (
        "Quelle fehlt",
        right.text,
        [right.passages[0].hit.passage_id],
    )

    out = tmp_path / "drafts.jsonl"
    proc = command(tmp_path, "export", "--format", "eval", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "must review each one" in proc.stderr and "eval/questions.jsonl" in proc.stderr
    questions = {q.question: q for q in load_questions(out)}  # the eval's own loader reads them
    drafts = {d["question"]: d for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert list(drafts) == [weather.question, right.question]  # one per question, newest feedback last

    # The newest word on the right answer is a 👎: no gold, and the draft says what to check.
    latest = drafts[right.question]
    assert (latest["gold_sections"], latest["answer_contains"], latest["feedback"]["rating"]) == ([], None, "👎")
    assert latest["feedback"]["votes"] == {"up": 1, "down": 1} and "visitor found this wrong" in latest["review"]
    assert questions[weather.question].kind == "unanswerable" and not questions[weather.question].gold_sections

    # A 👍 alone makes a draft whose gold phrase stands in a passage of its gold section,
    # as tests/test_eval.py demands of every gold question.
    out_up = tmp_path / "up.jsonl"
    assert command(tmp_path, "export", "--format", "eval", "--only", "up", "--out", str(out_up)).returncode == 0
    up = {q.question: q for q in load_questions(out_up)}[right.question]
    assert up.kind == "answerable" and up.gold_sections and up.answer_contains
    assert any(
        normalize(up.answer_contains[0]) in normalize(p.text) and in_gold_section(p.section_path, up.gold_sections)
        for p in charter_searcher.passages
    )
    # never written over an existing file, least of all the gold questions
    again = command(tmp_path, "export", "--format", "eval", "--out", str(out_up))
    assert again.returncode == 2 and f"error: {out_up} exists" in again.stderr
