"""Helpers for the app tests: a free port, the app launched in-process, and a small
OpenAI-compatible chat server of our own (the stand-in for Ollama, vLLM, llama.cpp)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(settings) -> Iterator[str]:
    """The app over ``settings`` on a free local port; yields its base URL."""
    from web.layout import build_app

    demo = build_app(settings)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


class ChatServer:
    """Answers ``POST …/chat/completions`` according to the requested model name:

    ``good``     an answer citing [1] and an unknown [9], with a real and an invented quote
    ``nocite``   an answer without citation markers
    ``broken``   HTTP 500
    ``garbage``  a 200 response that is not JSON
    ``slow``     waits 5 s before answering
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                model = body.get("model")
                if model == "broken":
                    self.send_response(500)
                    self.end_headers()
                    return
                if model == "slow":
                    time.sleep(5)
                if model == "garbage":
                    self._send(b"<html>not json</html>")
                    return
                passages = body["messages"][-1]["content"]
                first = passages.split("[1] ", 1)[1].split(".")[0] if "[1] " in passages else ""
                if model == "nocite":
                    text = "Das steht so in der Charta."
                else:
                    text = (
                        f"Laut Charta gilt: „{first}“ [1]. Außerdem steht dort "
                        f"„Alle Bürger müssen Apps installieren“ [9]."
                    )
                reply = {
                    "id": "x",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                    ],
                }
                self._send(json.dumps(reply).encode("utf-8"))

            def _send(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
