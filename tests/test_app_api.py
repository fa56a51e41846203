"""The app through its Gradio API, as a script or another tool would use it.

One app instance over the session's charter index; a small chat server of our own stands
in for an operator's language model.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.app_fixtures import ChatServer, running_app

QUESTION = "Darf jemand gezwungen werden, digitale Angebote zu nutzen?"
NOT_COVERED = "Wie hoch ist die Hundesteuer in Leipzig?"
SECTION_2_2 = "Abschnitt 2.2, S. 8"


@pytest.fixture(scope="module")
def app_url(charter_index):
    with running_app(charter_index) as url:
        yield url


@pytest.fixture
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def _norm(text: str) -> str:
    return " ".join(text.split())


def ask(client, question: str) -> tuple[str, dict, str, str]:
    answer_html, data, cards_html, citations, *_rest = client.predict(question, api_name="/ask")
    return answer_html, data, cards_html, citations


def test_ask_answers_from_the_right_section_with_verbatim_sentences(client):
    answer_html, data, cards_html, citations = ask(client, QUESTION)
    assert data["status"] == "answered" and data["mode"] == "extractive"
    assert 1 <= len(data["sentences"]) <= 3
    cited = {p["marker"]: p for p in data["hits"]}
    assert any(SECTION_2_2 in p["citation"] for p in cited.values()), citations
    assert "Smart City Charta (BBSR, Fassung 2021), " + SECTION_2_2 in citations
    for s in data["sentences"]:
        passage = cited[s["marker"]]
        # Every answer sentence is copied from the passage it cites, at the recorded place.
        assert passage["text"][s["start"] : s["end"]] == s["text"]
        assert _norm(s["text"]) in _norm(answer_html)
        assert [s["start"], s["end"]] in passage["highlights"]
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in data["answer"]
    # Markers in the answer name exactly the cards shown.
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", data["answer"])}
    assert markers == set(cited)
    assert "smart-city-charta-2021.pdf#page=8" in cards_html
    assert "<mark>Niemand soll zur Nutzung digitaler Strukturen gezwungen werden.</mark>" in cards_html
    assert "Belegstellen" in cards_html


def test_pdf_link_opens_the_indexed_pdf_and_nothing_else(client, app_url):
    _, _, cards_html, _ = ask(client, QUESTION)
    href = re.search(r'href="(/dokumente/[^"#]+)#page=(\d+)"', cards_html)
    assert href, cards_html
    with urllib.request.urlopen(app_url + href.group(1), timeout=10) as resp:
        assert resp.headers["Content-Type"] == "application/pdf"
        assert resp.read(5) == b"%PDF-"
    for bad in (
        "/dokumente/catalog.toml",
        "/dokumente/..%2Fcorpus%2Fcatalog.toml",
        "/dokumente/%2Fetc%2Fpasswd",
        "/dokumente/..%2F..%2Fapp.py",
    ):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(app_url + bad, timeout=10)
        assert err.value.code == 404, bad


def test_question_the_documents_do_not_cover(client):
    answer_html, data, cards_html, _ = ask(client, NOT_COVERED)
    assert data["status"] == "not_covered"
    assert data["sentences"] == [] and data["answer"] == "" and data["hits"] == []
    assert "Die Dokumente beantworten diese Frage nicht" in answer_html
    # Where to go instead: a search with the question's words, the nearest chapters.
    assert "Mit den Wörtern der Frage suchen" in answer_html and "Blättern" in answer_html
    assert data["search_words"] and data["chapters"]
    assert cards_html == ""


def test_no_composed_answer_shows_the_fitting_passages(client):
    answer_html, data, cards_html, citations = ask(client, "Muss jeder Bürger Online-Dienste nutzen?")
    if data["status"] == "answered":
        pytest.skip("the decision answers the guide's example; covered by the answered test")
    assert data["status"] == "passages" and data["answer"] == ""
    # Led by the closest sentence, quoted from the first cards' marks, never as an answer.
    assert "Am nächsten kommt diese Stelle – keine geprüfte Antwort" in answer_html
    assert data["closest"] and all(s["text"] in cards_html for s in data["closest"])
    assert "Passende Stellen" in cards_html and "<mark>" in cards_html
    assert citations.startswith("[1] Smart City Charta (BBSR, Fassung 2021), Abschnitt 2.2")


def test_follow_up_question_uses_the_conversation(client):
    first = "Sollen neue Technologien offene Schnittstellen und Standards haben?"
    ask(client, first)
    _, data, _, _ = ask(client, "Und warum eigentlich?")
    assert data["followup"]
    assert first in data["query"]
    # A new conversation forgets the context.
    client.predict(api_name="/new_conversation")
    _, data, _, _ = ask(client, "Und warum eigentlich?")
    assert not data["followup"]


def test_search_with_section_filter_and_k(client):
    section = (
        "3. Digitale Transformation braucht Infrastrukturen, Daten und Dienstleistungen"
        " › 3.2 Daten verantwortungsvoll generieren, Datenhoheit behalten"
    )
    _, hits, _ = client.predict("Daten", [], section, 3, api_name="/search")
    assert 1 <= len(hits) <= 3
    assert all(h["section"] == section for h in hits)
    assert all("Abschnitt 3.2, S. 10" in h["citation"] for h in hits)
    _, all_hits, _ = client.predict("Daten", ["smart-city-charta-2021"], "", 10, api_name="/search")
    assert len(all_hits) == 10
    assert {h["section_path"][-1][:3] for h in all_hits} != {"3.2"}


def test_browse_table_of_contents_and_section_text(client):
    _, toc = client.predict("smart-city-charta-2021", api_name="/toc")
    titles = [e["title"] for e in toc]
    assert any(t.startswith("2.2 Digitale Teilhabe") for t in titles)
    entry = next(e for e in toc if e["title"].startswith("2.2 "))
    assert entry["page"] == "8"
    html, _, examples = client.predict("smart-city-charta-2021", entry["idx"], api_name="/section")
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in html
    assert "#page=8" in html and "S. 8" in html
    assert examples and all(isinstance(q, str) and q.endswith("?") for q in examples)
    # An example question leads to passages from that very section.
    _, data, _, _ = ask(client, examples[0])
    assert data["status"] != "not_covered"
    assert any(SECTION_2_2 in p["citation"] for p in data["hits"])


def test_export_answer_as_markdown_handout(client):
    _, data, _, _ = ask(client, QUESTION)
    path = client.predict(api_name="/export_answer")
    text = Path(path).read_text(encoding="utf-8")
    assert f"**Frage:** {QUESTION}" in text
    assert data["answer"].replace("[", "\\[").replace("]", "\\]") in text  # markers escaped as Markdown
    assert "Zitiervorschlag: Smart City Charta (BBSR, Fassung 2021), " + SECTION_2_2 in text
    # Absolute, so that it still opens the page pasted into a memo.
    assert re.search(r"– http://127\.0\.0\.1:\d+/dokumente/smart-city-charta-2021\.pdf#page=8\b", text), text


def test_collect_passages_and_export_collection(client):
    _, data, _, _ = ask(client, QUESTION)
    first = data["hits"][0]
    html, *_ = client.predict([first["passage_id"]], api_name="/collect_answer")
    assert "1 Textstellen in der Sammlung" in html
    _, hits, _ = client.predict("Datenhoheit", [], "", 2, api_name="/search")
    html, *_ = client.predict([hits[0]["passage_id"]], api_name="/collect_results")
    assert "2 Textstellen in der Sammlung" in html
    # The trainer orders the items and notes something on one; the handout follows.
    html, *_ = client.predict(1, api_name="/move_up")
    assert html.index(hits[0]["citation"]) < html.index(first["citation"])
    html, *_ = client.predict(0, "Mit der Gruppe diskutieren", api_name="/save_note")
    assert "Notiz:</strong> Mit der Gruppe diskutieren" in html
    path = client.predict(api_name="/export_collection")
    text = Path(path).read_text(encoding="utf-8")
    assert text.index(hits[0]["citation"]) < text.index(first["citation"])
    assert "**Notiz:** Mit der Gruppe diskutieren" in text
    assert f"Zitiervorschlag: {first['citation']}" in text
    assert f"Zitiervorschlag: {hits[0]['citation']}" in text
    assert _norm(first["text"]).split(". ")[0] in _norm(text.replace("> ", ""))
    html, *_ = client.predict(1, api_name="/remove_item")
    assert "1 Textstellen in der Sammlung" in html and first["citation"] not in html
    html, *_ = client.predict(api_name="/clear_collection")
    assert "Noch keine Textstellen gesammelt" in html


@pytest.fixture(scope="module")
def chat_server():
    with ChatServer() as llm:
        yield llm


def test_generated_answer_is_checked(charter_index, chat_server):
    from gradio_client import Client

    with running_app(charter_index.with_overrides(llm_url=chat_server.url, llm_model="good")) as url:
        answer_html, data, _, _ = ask(Client(url, verbose=False), QUESTION)
    assert chat_server.requests, "the app asked the language model"
    assert data["mode"] == "llm" and data["llm_model"] == "good"
    assert "[1]" in data["answer"] and "[9]" not in data["answer"]
    # The real quote stays; the invented sentence, backed by no passage, is dropped.
    assert "Alle Bürger müssen" not in data["answer"] and data["llm_dropped"] == 1
    assert re.search(r"„[^“]+“ \[1\]", data["answer"])
    assert data["llm_removed"] == ["9"]
    assert "Sprachmodell good" in answer_html and "ohne Beleg" in answer_html


@pytest.mark.parametrize(
    "model,reason",
    [("broken", "HTTP 500"), ("slow", "within 1 s"), ("garbage", "no valid answer"), ("nocite", "cites none")],
)
def test_language_model_failure_falls_back_to_extractive(charter_index, chat_server, model, reason):
    from gradio_client import Client

    settings = charter_index.with_overrides(llm_url=chat_server.url, llm_model=model, llm_timeout_s=1.0)
    with running_app(settings) as url:
        answer_html, data, _, _ = ask(Client(url, verbose=False), QUESTION)
    assert data["mode"] == "extractive" and data["status"] == "answered"
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in data["answer"]
    assert reason in data["llm_error"]
    assert "Das Sprachmodell war nicht nutzbar" in answer_html and reason in answer_html


def test_empty_question_is_a_clear_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Bitte geben Sie eine Frage ein"):
        client.predict("   ", api_name="/ask")


def test_an_overlong_question_is_refused_with_a_clear_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Die Frage ist zu lang"):
        client.predict("Datenhoheit " * 200, api_name="/ask")


def test_a_non_numeric_or_huge_k_is_a_clear_error(client):
    from gradio_client.exceptions import AppError

    for k in ("viele", 10**9, 2.5, None):
        with pytest.raises(AppError, match="Die Anzahl Treffer muss eine ganze Zahl von 1 bis 50 sein"):
            client.predict("Datenhoheit", [], "", k, api_name="/search")


def call_raw(app_url: str, api: str, data: list) -> str:
    """One event through Gradio's HTTP API, the JSON written by hand; the event's type and
    what it sent."""
    import json

    import httpx

    body = json.dumps({"data": data})  # ASCII escapes: a lone surrogate travels as \\ud800
    event = httpx.post(
        f"{app_url}/gradio_api/call/{api}", content=body, headers={"Content-Type": "application/json"}
    ).json()
    stream = httpx.get(f"{app_url}/gradio_api/call/{api}/{event['event_id']}", timeout=60).text
    payloads = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: ")]
    return stream.split("\n", 1)[0] + " " + json.dumps(payloads, ensure_ascii=False)


def test_text_that_is_not_valid_unicode_is_a_clear_error(app_url):
    assert "ungültige Zeichen" in call_raw(app_url, "ask", ["Datenhoheit \ud800?", []])
    assert "ungültige Zeichen" in call_raw(app_url, "search", ["\udcff", [], "", 5])


def test_gradio_monitoring_is_off(app_url):
    for path in ("/monitoring", "/monitoring/summary", "/gradio_api/monitoring/summary"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(app_url + path, timeout=10)
        assert err.value.code in (403, 404), path


def test_one_client_cannot_take_every_worker(app_url):
    """16 long questions at once from one address: at most a few run, the rest are refused
    at once with a clear message, and another visitor is answered meanwhile."""
    import threading

    import httpx

    hostile = {"X-Forwarded-For": "203.0.113.66"}
    long_question = ("Wie sichern Kommunen Datenhoheit und Teilhabe bei digitalen Plattformen? " * 13)[:1000]
    results: list[str] = []
    barrier = threading.Barrier(16)

    def flood() -> None:
        barrier.wait()
        event = httpx.post(
            app_url + "/gradio_api/call/ask", json={"data": [long_question, []]}, headers=hostile, timeout=60
        ).json()
        stream = httpx.get(f"{app_url}/gradio_api/call/ask/{event['event_id']}", headers=hostile, timeout=120)
        results.append(stream.text)

    threads = [threading.Thread(target=flood) for _ in range(16)]
    for th in threads:
        th.start()
    _, data, _, _ = ask(__import__("gradio_client").Client(app_url, verbose=False), QUESTION)
    for th in threads:
        th.join()
    assert data["status"] == "answered"
    refused = [r for r in results if "zu viele Anfragen gleichzeitig" in r]
    answered = [r for r in results if "event: complete" in r]
    assert len(refused) + len(answered) == 16, results
    assert refused and answered


def test_a_flood_from_one_client_is_turned_away_at_the_door(app_url):
    """More events than the per-client rate allows (5/s, bursts of 20) get HTTP 429 before
    they reach Gradio's queue; another address is served as usual."""
    import threading

    import httpx

    statuses: list[int] = []
    barrier = threading.Barrier(40)

    def join() -> None:
        barrier.wait()
        response = httpx.post(
            app_url + "/gradio_api/call/search",
            json={"data": ["Datenhoheit", [], "", 3]},
            headers={"X-Forwarded-For": "203.0.113.77"},
            timeout=60,
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert "Zu viele Anfragen" in response.text

    threads = [threading.Thread(target=join) for _ in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert statuses.count(200) >= 20 and statuses.count(429) >= 10, statuses
    other = httpx.post(app_url + "/gradio_api/call/search", json={"data": ["Datenhoheit", [], "", 3]}, timeout=60)
    assert other.status_code == 200


def test_feedback_on_an_answer_is_stored_only_when_the_operator_enables_it(charter_index, client):
    """Off by default (the module's app refuses it); on, a 👎 with a comment lands in the
    store and the command lists it."""
    import subprocess
    import sys

    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from web.feedback import FeedbackStore, feedback_path

    ask(client, QUESTION)
    with pytest.raises(AppError, match="Rückmeldungen werden hier nicht gespeichert"):
        client.predict("gut", api_name="/feedback_up")
    settings = charter_index.with_overrides(feedback=True)
    before = len(FeedbackStore(feedback_path(settings)).read()) if feedback_path(settings).exists() else 0
    with running_app(settings) as url:
        on = Client(url, verbose=False)
        ask(on, QUESTION)
        thanks, comment = on.predict("Zu lang <b>für</b> Bürger", api_name="/feedback_down")
    assert "Danke! Ihre Rückmeldung ist gespeichert." in thanks and comment == ""
    records = FeedbackStore(feedback_path(settings)).read()
    assert len(records) == before + 1
    last = records[-1]
    assert last.rating == -1 and last.question == QUESTION and last.comment == "Zu lang <b>für</b> Bürger"
    assert any("Abschnitt 2.2, S. 8" in c for c in last.citations)
    listed = subprocess.run(
        [sys.executable, "-m", "web.feedback", "list", "--index-dir", str(settings.index_dir)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert QUESTION[:30] in listed and "👎" in listed


def test_feedback_that_cannot_be_stored_is_a_german_message_and_an_unwritable_file_stops_the_start(
    charter_index, tmp_path, monkeypatch, capsys
):
    """A visitor is told in German, without the server's paths; the operator finds the
    reason in the log. An app whose feedback file cannot be written does not start."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from app import main as app_main

    folder = tmp_path / "replica"
    settings = charter_index.with_overrides(feedback=True, feedback_file=folder / "feedback.jsonl")
    with running_app(settings) as url:
        on = Client(url, verbose=False)
        ask(on, QUESTION)
        thanks, _ = on.predict("", api_name="/feedback_up")
        assert "Danke!" in thanks
        (folder / "feedback.jsonl").unlink()
        folder.rmdir()
        folder.write_text("x", encoding="utf-8")  # the folder is gone, a file in its place
        with pytest.raises(AppError) as exc:
            on.predict("", api_name="/feedback_up")
    assert "Ihre Rückmeldung konnte nicht gespeichert werden" in str(exc.value)
    assert str(folder) not in str(exc.value)

    monkeypatch.setenv("CHARTA_FEEDBACK", "1")
    monkeypatch.setenv("CHARTA_FEEDBACK_FILE", str(folder / "feedback.jsonl"))
    assert app_main(["--index-dir", str(charter_index.index_dir), "--corpus", str(charter_index.corpus_dir)]) == 1
    err = capsys.readouterr().err
    assert f"error: feedback cannot be stored in {folder / 'feedback.jsonl'}" in err
