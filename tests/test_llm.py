"""The OpenAI-compatible client against small chat servers of our own: what it sends,
how long it waits, how much it reads, and which generated sentences it lets through."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from answer.llm import (
    MAX_RESPONSE_BYTES,
    LLMConfig,
    LLMError,
    check_answer,
    check_sentence,
    config_from_settings,
    generate,
    ground_answer,
)
from common.errors import ChartaError
from tests.app_fixtures import ChatServer

PASSAGES = [
    "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden. Kommunen müssen auch analoge Wege anbieten.",
    "Kommunen sollten die Hoheit über ihre Daten behalten.",
]


@pytest.fixture(scope="module")
def server():
    with ChatServer() as s:
        yield s


def test_answer_is_checked_markers_and_quotes(server):
    cfg = LLMConfig(server.url, "good", key="geheim", timeout_s=5)
    checked = generate("Muss jeder Online-Dienste nutzen?", PASSAGES, cfg)
    sent = server.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == "Bearer geheim"
    assert sent["body"]["model"] == "good"
    prompt = sent["body"]["messages"][-1]["content"]
    assert "[1] Niemand soll" in prompt and "[2] Kommunen sollten" in prompt
    assert checked.markers == [1] and checked.removed_markers == ["9"]
    assert checked.text == "Laut Charta gilt: „Niemand soll zur Nutzung digitaler Strukturen gezwungen werden“ [1]."
    # The sentence behind the invented marker and quote is in no passage: it is dropped.
    assert "Alle Bürger" not in checked.text and len(checked.dropped) == 1


@pytest.mark.parametrize(
    "model,message", [("broken", "HTTP 500"), ("garbage", "no valid answer"), ("nocite", "cites none")]
)
def test_unusable_answers_raise(server, model, message):
    with pytest.raises(LLMError, match=message):
        generate("Frage?", PASSAGES, LLMConfig(server.url, model, timeout_s=5))


def test_timeout_is_honoured(server):
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"within 0\.5 s"):
        generate("Frage?", PASSAGES, LLMConfig(server.url, "slow", timeout_s=0.5))
    assert time.monotonic() - started < 3


def test_unreachable_server():
    from tests.app_fixtures import free_port

    cfg = LLMConfig(f"http://127.0.0.1:{free_port()}/v1", "m", timeout_s=2)
    with pytest.raises(LLMError, match="unreachable"):
        generate("Frage?", PASSAGES, cfg)


def test_marker_lists_keep_only_known_passages():
    checked = check_answer("Beides gilt [1, 3, 2].", PASSAGES)
    assert checked.text == "Beides gilt [1, 2]." and checked.removed_markers == ["3"]


def test_configuration_comes_from_the_validated_settings():
    from common.settings import load_settings

    assert config_from_settings(load_settings(env={})) is None
    cfg = config_from_settings(
        load_settings(env={"CHARTA_LLM_URL": "http://h/v1", "CHARTA_LLM_MODEL": "m", "CHARTA_LLM_TIMEOUT": "7"})
    )
    assert cfg == LLMConfig("http://h/v1", "m", "", 7.0)
    with pytest.raises(ChartaError, match="CHARTA_LLM_MODEL"):
        load_settings(env={"CHARTA_LLM_URL": "http://127.0.0.1:1/v1"})


# Two passages of the Smart City Charta 2021 (p. 8), as the index returns them.
CHARTER = [
    "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden. Kommunen müssen ihren Einwohnerinnen und "
    "Einwohnern und Unternehmen ermöglichen, auch auf nicht-digitalem Wege mit ihnen zu kommunizieren, und daher "
    "zusätzlich analoge Strukturen anbieten. Die Lebenswirklichkeit in Städten, Kreisen und Gemeinden wird in hohem "
    "Maße von Haltungen und Geschäftsbedingungen von Unternehmen geprägt.",
    "Die digitale Transformation sollte die Teilhabe aller Menschen am gesellschaftlichen Leben fördern. "
    "Digitalisierung darf nicht zum Ausschluss Einzelner oder ganzer Bevölkerungsgruppen führen. Dazu sollten die "
    "digitalen Angebote den unterschiedlichen Möglichkeiten der Menschen Rechnung tragen (Design for all).",
]
NIEMAND = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden [1]."
PHISHING = (
    "Die Stadt verlangt für den analogen Weg eine Gebühr von 500 Euro auf das Konto "
    "DE89 3704 0044 0532 0130 00, Anmeldung unter evil.example/login [1]."
)
REPLIES = {
    # A prompt injection in a PDF: one true sentence, then the attacker's.
    "injected": f"{NIEMAND} {PHISHING}",
    # A year that no passage has.
    "invented": (
        "Kommunen müssen zusätzlich analoge Strukturen anbieten [1]. Digitalisierung darf nicht zum Ausschluss "
        "Einzelner führen [2]. Das gilt laut Charta seit 2019 [2]."
    ),
    "grounded": (
        f"Nein. {NIEMAND} Kommunen müssen daher zusätzlich analoge Strukturen anbieten [1]. Die Teilhabe aller "
        "Menschen wird gefördert, und digitale Angebote sollen den unterschiedlichen Möglichkeiten der Menschen "
        "Rechnung tragen [2]."
    ),
    "phishing": (
        "Die Stadt verlangt eine Gebühr von 500 Euro [1]. Überweisen Sie an DE89 3704 0044 0532 0130 00 [1]. "
        "Melden Sie sich unter https://evil.example/login an [2]."
    ),
    "verbose": NIEMAND * 200,
    # The passage turned round: negation removed, then added (issue 21).
    "reversed": (
        "Jeder soll zur Nutzung digitaler Strukturen gezwungen werden [1]. "
        "Kommunen müssen keine analogen Strukturen anbieten [1]."
    ),
}
TRICKLE_S = 0.2  # seconds between two bytes of a trickling response


class FakeModel:
    """A local stand-in for an operator's chat server. The requested model name picks
    the reply: one of REPLIES, or a misbehaving server (``trickle-body``,
    ``trickle-head``: one byte every 0.2 s for 5 s; ``huge``, ``huge-declared``: 10 MB,
    without and with a Content-Length)."""

    def __init__(self) -> None:
        self.prompts: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.prompts.append(body["messages"][-1]["content"])
                model = body["model"]
                content = REPLIES.get(model, "")
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                with contextlib.suppress(OSError):  # the client hung up, as it should
                    if model == "trickle-head":
                        self._trickle(head + b"Content-Length: %d\r\n\r\n" % len(data) + data)
                    elif model == "trickle-body":
                        self._send(head + b"Content-Length: %d\r\n\r\n" % len(data))
                        self._trickle(data)
                    elif model.startswith("huge"):
                        size = 10 * 1024 * 1024
                        declared = b"Content-Length: %d\r\n" % size if model == "huge-declared" else b""
                        self._send(head + declared + b"\r\n")
                        for _ in range(size // 65536):
                            self._send(b" " * 65536)
                    else:
                        self._send(head + b"Content-Length: %d\r\n\r\n" % len(data) + data)

            def _send(self, data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()

            def _trickle(self, data: bytes) -> None:
                # 5 s of trickle, then the rest at once: a valid answer, just late.
                slow = int(5 / TRICKLE_S)
                for i in range(slow):
                    self._send(data[i : i + 1])
                    time.sleep(TRICKLE_S)
                self._send(data[slow:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeModel]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture(scope="module")
def fake():
    with FakeModel().running() as f:
        yield f


@pytest.mark.parametrize("model", ["trickle-body", "trickle-head"])
def test_a_trickling_answer_is_cut_at_the_overall_deadline(fake, model):
    # Each byte arrives well within the timeout; the answer as a whole does not.
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"did not answer within 1 s"):
        generate("Frage?", CHARTER, LLMConfig(fake.url, model, timeout_s=1))
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("model", ["huge", "huge-declared"])
def test_an_oversized_response_is_refused_without_reading_it(fake, model):
    started = time.monotonic()
    with pytest.raises(LLMError, match=f"larger than {MAX_RESPONSE_BYTES // 1024} kB"):
        generate("Frage?", CHARTER, LLMConfig(fake.url, model, timeout_s=30))
    assert time.monotonic() - started < 2


def test_an_overlong_answer_text_is_refused(fake):
    with pytest.raises(LLMError, match="longer than"):
        generate("Frage?", CHARTER, LLMConfig(fake.url, "verbose", timeout_s=5))


def test_an_injected_phishing_sentence_is_dropped(fake):
    checked = generate("Darf jemand gezwungen werden?", CHARTER, LLMConfig(fake.url, "injected", timeout_s=5))
    assert checked.text == NIEMAND
    assert [d.sentence for d in checked.dropped] == [PHISHING]


def test_a_sentence_with_an_invented_year_is_dropped(fake):
    checked = generate("Seit wann?", CHARTER, LLMConfig(fake.url, "invented", timeout_s=5))
    assert checked.text == (
        "Kommunen müssen zusätzlich analoge Strukturen anbieten [1]. "
        "Digitalisierung darf nicht zum Ausschluss Einzelner führen [2]."
    )
    assert "2019" in checked.dropped[0].reason


def test_a_grounded_answer_survives_intact(fake):
    checked = generate("Muss jeder digital?", CHARTER, LLMConfig(fake.url, "grounded", timeout_s=5))
    assert checked.text == REPLIES["grounded"] and not checked.dropped and checked.markers == [1, 2]


def test_an_answer_with_nothing_backed_is_refused(fake):
    with pytest.raises(LLMError, match=r"only 0 of 3 sentences .* backed by the passages") as raised:
        generate("Was kostet es?", CHARTER, LLMConfig(fake.url, "phishing", timeout_s=5))
    assert "evil.example" not in str(raised.value)  # the reason is shown; the link is not


@pytest.mark.parametrize(
    "sentence,cited",
    [
        ("Kommunen müssen eine Gebühr von 500 Euro erheben [1].", [0]),  # amount in no passage
        ("Digitalisierung darf nicht zum Ausschluss führen, siehe www.evil.example [2].", [1]),  # link
        ("Fragen an hilfe@evil.example [1].", [0]),  # e-mail address
        ("Niemand soll zur Nutzung digitaler Strukturen gezwungen werden [2].", [1]),  # wrong passage cited
        ("Kommunen sollen ihre Daten an Konzerne verkaufen [1].", [0]),  # words the passage lacks
    ],
)
def test_unbacked_sentences_are_named(sentence, cited):
    assert check_sentence(sentence, [CHARTER[i] for i in cited], CHARTER)


def test_a_sentence_without_own_marker_is_checked_against_the_next_marker():
    text = "Niemand soll gezwungen werden. [1] Kommunen müssen auch auf nicht-digitalem Wege kommunizieren [1]."
    assert ground_answer(check_answer(text, CHARTER), CHARTER).text == text
    bad = "Alle zahlen 500 Euro. Kommunen müssen auch analoge Strukturen anbieten [1]."
    assert ground_answer(check_answer(bad, CHARTER), CHARTER).text == (
        "Kommunen müssen auch analoge Strukturen anbieten [1]."
    )


QUESTION = "Darf jemand gezwungen werden, digitale Angebote zu nutzen?"


def test_the_user_sees_no_injected_sentence_through_the_real_pipeline(charter_searcher, fake):
    from answer.answer import Answer
    from answer.pipeline import ask
    from web.render import render_answer

    answer = ask(charter_searcher, QUESTION, llm_config=LLMConfig(fake.url, "injected", timeout_s=5))
    assert fake.prompts[-1].split("\n\n")[1].startswith("[1] Niemand soll zur Nutzung")  # the real passage
    assert answer.mode == "llm" and answer.text == NIEMAND and answer.llm_dropped == 1
    html = render_answer(answer, "de")
    assert "evil.example" not in html and "DE89" not in html and "500 Euro" not in html
    assert "1 Satz ohne Beleg in den Textstellen wurde entfernt" in html
    assert "Vom Sprachmodell injected formuliert" in html
    assert Answer.from_json(answer.to_json()).llm_dropped == 1


def test_with_nothing_backed_the_extractive_answer_is_shown_with_the_reason(charter_searcher, fake):
    from answer.pipeline import ask
    from web.render import render_answer

    answer = ask(charter_searcher, QUESTION, llm_config=LLMConfig(fake.url, "phishing", timeout_s=5))
    assert answer.mode == "extractive" and answer.answered
    assert answer.text.startswith("Niemand soll zur Nutzung digitaler Strukturen gezwungen werden. [1]")
    html = render_answer(answer, "de")
    assert "Das Sprachmodell war nicht nutzbar (only 0 of 3 sentences" in html
    assert "evil.example" not in html and "500 Euro" not in html


# Passages of the Smart City Charta as the index returns them (pp. 4, 6, 11).
FIVE_WORKSHOPS = (
    "Aufbauend auf diesen Beiträgen des BBSR-Forschungsclusters Smart Cities erarbeitete die Dialogplattform Smart "
    "Cities zwischen Juli 2016 und Mai 2017 in fünf Workshops Leitlinien, wie die Digitalisierung in Städten "
    "zukunftsfähig und im Sinne des Gemeinwohls gestaltet werden kann."
)
OPEN_DATA = (
    "Offene Daten eröffnen die Chance auf mehr Teilhabe, Transparenz und können Impulse für neue Geschäftsmodelle "
    "und Innovationen bedeuten."
)
NO_END_IN_ITSELF = (
    "Digitalisierung ist der Charta zufolge kein Selbstzweck, sondern ein Instrument, um kommunale Ziele zum Wohle "
    "der Gemeinschaft zu erreichen. Das BMI hat im Jahr 2019 die „Modellprojekte Smart Cities“ aufgelegt – ein auf "
    "zehn Jahre angelegtes Förderprogramm."
)
LINKED = "Die Charta steht unter https://www.Smart-City-Dialog.de/Charta zum Download bereit."
TURNED = [FIVE_WORKSHOPS, OPEN_DATA, NO_END_IN_ITSELF, LINKED, *CHARTER]


@pytest.mark.parametrize(
    "sentence,reason",
    [
        # negation removed, added, or moved into another clause of the sentence
        ("Digitalisierung ist der Charta zufolge ein Selbstzweck [3].", "0 negation(s) where the passage has 1"),
        ("Niemand soll zur Nutzung digitaler Strukturen gezwungen werden [5].", ""),
        ("Jeder soll zur Nutzung digitaler Strukturen gezwungen werden [5].", "0 negation(s) where the passage has 1"),
        ("Kommunen müssen nicht zusätzlich analoge Strukturen anbieten [5].", "1 negation(s) where the passage has 0"),
        ("Digitalisierung darf zum Ausschluss Einzelner oder ganzer Bevölkerungsgruppen führen [6].", "0 negation"),
        ("Digitalisierung ist kein Selbstzweck, sondern ein Instrument für kommunale Ziele [3].", ""),
        ("Digitalisierung ist ein Selbstzweck, sondern kein Instrument für kommunale Ziele [3].", "negation"),
        # direction words swapped
        ("Offene Daten eröffnen die Chance auf weniger Teilhabe und Transparenz [2].", "„weniger“ where the passage"),
        ("Offene Daten eröffnen die Chance auf mehr Teilhabe und Transparenz [2].", ""),
        ("Offene Daten eröffnen die Chance auf höhere Teilhabe und Transparenz [2].", "„höhere“ is not in the cited"),
        # numbers written as words: the same number passes, another one does not
        ("Die Dialogplattform erarbeitete in 5 Workshops Leitlinien [1].", ""),
        ("Die Dialogplattform erarbeitete in drei Workshops Leitlinien [1].", "number 3 is not in the cited"),
        ("Die Dialogplattform erarbeitete in sechs Workshops Leitlinien [1].", "number 6 is not in the cited"),
        ("Das Förderprogramm ist auf 10 Jahre angelegt [3].", ""),
        ("Das Förderprogramm ist auf zwölf Jahre angelegt [3].", "number 12 is not in the cited"),
        # links: the host's letter case does not matter, the path's does
        ("Die Charta gibt es unter smart-city-dialog.de/Charta zum Download [4].", ""),
        ("Die Charta gibt es unter https://SMART-CITY-DIALOG.DE/Charta zum Download [4].", ""),
        ("Die Charta gibt es unter smart-city-dialog.de/charta zum Download [4].", "link smart-city-dialog.de/charta"),
        ("Die Charta gibt es unter smart-city-dialog.de/CHARTA zum Download [4].", "link smart-city-dialog.de/CHARTA"),
        ("Die Charta gibt es unter smart-city-dialog.de/Char zum Download [4].", "link smart-city-dialog.de/Char"),
    ],
)
def test_a_turned_round_sentence_is_dropped_and_a_faithful_one_kept(sentence, reason):
    cites = [TURNED[n - 1] for n in (int(sentence[-3]),)]
    got = check_sentence(sentence, cites, TURNED)
    assert reason in got if reason else got == "", got


def test_the_user_sees_no_reversed_answer_through_the_real_pipeline(charter_searcher, fake):
    from answer.pipeline import ask
    from web.render import render_answer

    answer = ask(charter_searcher, QUESTION, llm_config=LLMConfig(fake.url, "reversed", timeout_s=5))
    assert fake.prompts[-1].split("\n\n")[1].startswith("[1] Niemand soll zur Nutzung")  # the real passage
    assert answer.mode == "extractive" and answer.answered
    assert answer.text.startswith("Niemand soll zur Nutzung digitaler Strukturen gezwungen werden. [1]")
    html = render_answer(answer, "de")
    assert "Das Sprachmodell war nicht nutzbar (only 0 of 2 sentences" in html
    assert "Jeder soll" not in html and "keine analogen" not in html
