"""Optional generative answers from an OpenAI-compatible chat endpoint (Ollama, vLLM,
llama.cpp's server …), configured by the operator only:

    CHARTA_LLM_URL      base URL, e.g. http://127.0.0.1:11434/v1 (or the full
                        …/chat/completions URL)
    CHARTA_LLM_MODEL    model name the server knows
    CHARTA_LLM_KEY      optional bearer token
    CHARTA_LLM_TIMEOUT  seconds to wait for the answer (default 30)

The model sees only the numbered passages. Its answer is checked before it is shown:
citation markers that name no retrieved passage are removed, and quoted text that is
not in a passage loses its quotation marks. An answer without a single valid marker,
an endpoint error or a timeout raises :class:`LLMError`; the app then shows the
extractive answer and says why.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from common.errors import LLMError
from common.settings import Settings

DEFAULT_TIMEOUT_S = 30.0
MAX_TOKENS = 400

SYSTEM_PROMPT = (
    "Du beantwortest Fragen von Beschäftigten deutscher Kommunen ausschließlich anhand der "
    "nummerierten Textstellen, die du erhältst. Antworte kurz (höchstens vier Sätze) in der "
    "Sprache der Frage. Belege jeden Satz mit der Nummer der Textstelle in eckigen Klammern, "
    "z. B. [1] oder [2]. Erfinde nichts; wörtliche Zitate nur, wenn sie genau so in einer "
    "Textstelle stehen. Wenn die Textstellen die Frage nicht beantworten, sage das."
)


@dataclass(frozen=True)
class LLMConfig:
    url: str
    model: str
    key: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def endpoint(self) -> str:
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"


def config_from_settings(settings: Settings) -> LLMConfig | None:
    """The configured endpoint, or None when ``CHARTA_LLM_URL`` is unset (validated with
    the other settings at startup).

    >>> from common.settings import load_settings
    >>> config_from_settings(load_settings({})) is None
    True
    >>> config_from_settings(load_settings({"CHARTA_LLM_URL": "http://127.0.0.1:8080/v1",
    ...                                     "CHARTA_LLM_MODEL": "m"})).endpoint
    'http://127.0.0.1:8080/v1/chat/completions'
    """
    if not settings.llm_url:
        return None
    return LLMConfig(settings.llm_url, settings.llm_model, settings.llm_key, settings.llm_timeout_s)


@dataclass
class Checked:
    text: str
    markers: list[int] = field(default_factory=list)  # valid markers, in order of use
    removed_markers: list[str] = field(default_factory=list)
    unquoted: list[str] = field(default_factory=list)  # quotes not found in any passage


def build_messages(question: str, passages: Sequence[str]) -> list[dict[str, str]]:
    numbered = "\n\n".join(f"[{n}] {' '.join(p.split())}" for n, p in enumerate(passages, 1))
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Textstellen:\n\n{numbered}\n\nFrage: {question}"},
    ]


_MARKER = re.compile(r"\s?\[(\d+(?:\s*,\s*\d+)*)\]")
_QUOTE = re.compile(r"„([^“”\"]+)[“”\"]|\"([^\"]+)\"|»([^«]+)«|“([^”]+)”")


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_answer(text: str, passages: Sequence[str]) -> Checked:
    """Remove unknown citation markers and the quotation marks of invented quotes.

    >>> c = check_answer('Niemand soll „gezwungen werden“ [1], sagt „die Bibel“ [7].',
    ...                  ["Niemand soll zur Nutzung gezwungen werden."])
    >>> c.text, c.markers, c.removed_markers, c.unquoted
    ('Niemand soll „gezwungen werden“ [1], sagt die Bibel.', [1], ['7'], ['die Bibel'])
    """
    n = len(passages)
    markers: list[int] = []
    removed: list[str] = []

    def fix_marker(m: re.Match) -> str:
        nums = [int(x) for x in re.findall(r"\d+", m.group(1))]
        good = [x for x in nums if 1 <= x <= n]
        removed.extend(str(x) for x in nums if not 1 <= x <= n)
        for x in good:
            if x not in markers:
                markers.append(x)
        return (" [" + ", ".join(map(str, good)) + "]") if good else ""

    text = _MARKER.sub(fix_marker, text)
    corpus = [_norm(p) for p in passages]
    unquoted: list[str] = []

    def fix_quote(m: re.Match) -> str:
        inner = next(g for g in m.groups() if g is not None)
        if any(_norm(inner) in p for p in corpus):
            return m.group(0)
        unquoted.append(inner)
        return inner

    text = _QUOTE.sub(fix_quote, text)
    return Checked(text.strip(), markers, removed, unquoted)


def generate(question: str, passages: Sequence[str], config: LLMConfig) -> Checked:
    """Ask the endpoint for an answer from ``passages`` and check it; raises LLMError."""
    body = {
        "model": config.model,
        "messages": build_messages(question, passages),
        "temperature": 0.0,
        "max_tokens": MAX_TOKENS,
        "stream": False,
    }
    headers = {"Content-Type": "application/json"}
    if config.key:
        headers["Authorization"] = f"Bearer {config.key}"
    request = urllib.request.Request(
        config.endpoint, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_s) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise LLMError(f"the language model server answered HTTP {exc.code}") from None
    except TimeoutError:
        raise LLMError(f"the language model did not answer within {config.timeout_s:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise LLMError(f"the language model did not answer within {config.timeout_s:g} s") from None
        raise LLMError(f"the language model server is unreachable ({exc.reason})") from None
    except (OSError, ValueError) as exc:
        raise LLMError(f"the language model server sent no valid answer ({exc})") from None
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("the language model server sent no answer text") from None
    if not isinstance(content, str) or not content.strip():
        raise LLMError("the language model sent an empty answer")
    checked = check_answer(content, passages)
    if not checked.markers:
        raise LLMError("the language model's answer cites none of the passages")
    return checked
