"""Optional generative answers from an OpenAI-compatible chat endpoint (Ollama, vLLM,
llama.cpp's server …), configured by the operator only:

    CHARTA_LLM_URL      base URL, e.g. http://127.0.0.1:11434/v1 (or the full
                        …/chat/completions URL)
    CHARTA_LLM_MODEL    model name the server knows
    CHARTA_LLM_KEY      optional bearer token
    CHARTA_LLM_TIMEOUT  seconds the whole answer may take (default 30)

The model sees only the numbered passages. Its answer is checked before it is shown:
citation markers that name no retrieved passage are removed, and quoted text that is
not in a passage loses its quotation marks. An answer without a single valid marker,
an endpoint error, an oversized response or a missed deadline raises :class:`LLMError`;
the app then shows the extractive answer and says why.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from common.errors import LLMError
from common.settings import Settings

DEFAULT_TIMEOUT_S = 30.0
MAX_TOKENS = 400
MAX_RESPONSE_BYTES = 256 * 1024  # a 400-token answer is a few kB; more is not an answer
READ_CHUNK = 64 * 1024
MAX_ANSWER_CHARS = 3000  # four sentences; 400 tokens are about 2000 characters of German

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


class _Deadline:
    """Cuts the connection when the time for the whole answer is up.

    A socket timeout bounds each read, not their sum: a server that sends one byte every
    few seconds never trips it. This watchdog shuts the socket down at the deadline,
    whatever the client is waiting for (status line, headers or body).
    """

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.cut)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self.cut()

    def cut(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                # The plain socket's shutdown, also for TLS: it wakes a blocked read in
                # another thread without touching the TLS state that read is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.end


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """urllib's opener (proxies and all) whose connections the deadline can cut."""

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class SecureConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(SecureConnection, req)

    return urllib.request.build_opener(Handler, SecureHandler)


def _too_large() -> LLMError:
    return LLMError(f"the language model's response is larger than {MAX_RESPONSE_BYTES // 1024} kB")


def _post(request: urllib.request.Request, config: LLMConfig, deadline: _Deadline) -> bytes:
    """The response body, read piece by piece so that neither the deadline nor the size
    cap waits for the whole of it."""
    with _opener(deadline).open(request, timeout=config.timeout_s) as response:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            raise _too_large()
        chunks: list[bytes] = []
        size = 0
        while not deadline.passed:
            chunk = response.read1(READ_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _too_large()
            chunks.append(chunk)
    if deadline.passed:
        raise TimeoutError
    return b"".join(chunks)


def _request(question: str, passages: Sequence[str], config: LLMConfig) -> dict[str, Any]:
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
    timed_out = LLMError(f"the language model did not answer within {config.timeout_s:g} s")
    with _Deadline(config.timeout_s) as deadline:
        try:
            raw = _post(request, config, deadline)
        except urllib.error.HTTPError as exc:
            raise LLMError(f"the language model server answered HTTP {exc.code}") from None
        except (OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if deadline.passed or isinstance(reason, TimeoutError):
                raise timed_out from None
            if isinstance(exc, urllib.error.URLError):
                raise LLMError(f"the language model server is unreachable ({exc.reason})") from None
            raise LLMError(f"the language model server sent no valid answer ({exc})") from None
    try:
        payload = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise LLMError(f"the language model server sent no valid answer ({exc})") from None
    return payload if isinstance(payload, dict) else {}


def generate(question: str, passages: Sequence[str], config: LLMConfig) -> Checked:
    """Ask the endpoint for an answer from ``passages`` and check it; raises LLMError."""
    payload = _request(question, passages, config)
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("the language model server sent no answer text") from None
    if not isinstance(content, str) or not content.strip():
        raise LLMError("the language model sent an empty answer")
    if len(content) > MAX_ANSWER_CHARS:
        raise LLMError(f"the language model's answer is longer than {MAX_ANSWER_CHARS} characters")
    checked = check_answer(content, passages)
    if not checked.markers:
        raise LLMError("the language model's answer cites none of the passages")
    return checked
