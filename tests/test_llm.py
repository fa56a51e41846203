"""The OpenAI-compatible client against a small chat server of our own."""

from __future__ import annotations

import time

import pytest

from answer.llm import LLMConfig, LLMError, check_answer, config_from_settings, generate
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
    assert "„Niemand soll zur Nutzung digitaler Strukturen gezwungen werden“ [1]" in checked.text
    assert "„Alle Bürger" not in checked.text and "Alle Bürger müssen" in checked.text
    assert "[9]" not in checked.text


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
