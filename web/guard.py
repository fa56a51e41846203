"""What stands between a visitor's request and the library: foreign origins, uploads,
requests per client, admin logins.

- :class:`GuardMiddleware` refuses state-changing requests from a foreign ``Origin``
  (another web page cannot drive the app through the visitor's browser) and lets a file
  reach Gradio's upload route only with a valid upload ticket (:class:`UploadGate`).
- :class:`UploadGate`: an admin login hands out a ticket (set as a same-site cookie in
  the admin's browser); uploads count against it, and the admin tab accepts only files
  uploaded with it.
- :class:`RateLimiter`: the events (questions, searches, clicks) one client may start
  per second, refused before they reach Gradio's queue.
- :class:`ClientLimiter`: one client cannot hold more than a few of the app's worker
  slots, however many requests it sends.
- :class:`LoginThrottle`: after repeated wrong admin tokens from one client, further
  attempts are refused for a while without being checked.

A client is its address as the server sees it; behind a reverse proxy on the same host,
uvicorn takes it from ``X-Forwarded-For`` (docs/SECURITY.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

UPLOAD_COOKIE = "charta_upload"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TooManyRequests(Exception):
    """A client already has as many requests running as it may."""


class ClientLimiter:
    """At most ``limit`` requests of one client at a time (0: no limit).

    >>> limiter = ClientLimiter(1)
    >>> with limiter.slot("10.0.0.1"):
    ...     with limiter.slot("10.0.0.1"):
    ...         pass
    Traceback (most recent call last):
    ...
    web.guard.TooManyRequests: 10.0.0.1
    >>> with limiter.slot("10.0.0.1"), limiter.slot("10.0.0.2"):
    ...     "two clients, one request each"
    'two clients, one request each'
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self, client: str) -> Iterator[None]:
        if self.limit <= 0:
            yield
            return
        with self._lock:
            if self._running.get(client, 0) >= self.limit:
                raise TooManyRequests(client)
            self._running[client] = self._running.get(client, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[client] - 1
                if left:
                    self._running[client] = left
                else:
                    del self._running[client]


class RateLimiter:
    """Events a client may start: ``rate`` per second on average, ``burst`` at once
    (a token bucket per client; ``rate`` 0: no limit).

    >>> clock = [0.0]
    >>> limiter = RateLimiter(rate=1, burst=2, clock=lambda: clock[0])
    >>> [limiter.allow("c") for _ in range(3)], limiter.allow("other")
    ([True, True, False], True)
    >>> clock[0] = 1.0; limiter.allow("c"), limiter.allow("c")
    (True, False)
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = rate, burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, when)
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget clients whose bucket has refilled
                full = self.burst / self.rate
                self._buckets = {c: b for c, b in self._buckets.items() if now - b[1] < full}
            tokens, when = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1, now)
            return True


class LoginThrottle:
    """Wrong admin tokens from one client: from the ``free``-th failure within
    ``window_s`` on, each failure makes the client wait, unchecked, for a time that
    doubles per failure (up to ``max_wait_s``). A correct token resets the count.

    >>> clock = [0.0]
    >>> throttle = LoginThrottle(free=2, first_wait_s=10, clock=lambda: clock[0])
    >>> throttle.failed("c"), throttle.wait_s("c")
    (0.0, 0.0)
    >>> throttle.failed("c"), throttle.wait_s("c")
    (10.0, 10.0)
    >>> clock[0] = 10.0; throttle.wait_s("c"), throttle.failed("c")
    (0.0, 20.0)
    """

    def __init__(
        self,
        free: int = 5,
        first_wait_s: float = 5.0,
        max_wait_s: float = 300.0,
        window_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.first_wait_s, self.max_wait_s, self.window_s = free, first_wait_s, max_wait_s, window_s
        self._clock = clock
        self._failures: dict[str, tuple[int, float, float]] = {}  # client → (count, last, blocked until)
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds this client must wait before its next attempt is checked."""
        with self._lock:
            _count, _last, until = self._failures.get(client, (0, 0.0, 0.0))
            return max(0.0, until - self._clock())

    def failed(self, client: str) -> float:
        """Count a failure; returns the wait it earns."""
        now = self._clock()
        with self._lock:
            count, last, _until = self._failures.get(client, (0, now, 0.0))
            count = count + 1 if now - last < self.window_s else 1
            over = count - self.free + 1
            wait = float(min(self.max_wait_s, self.first_wait_s * 2 ** (over - 1))) if over > 0 else 0.0
            self._failures[client] = (count, now, now + wait)
            return wait

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


@dataclass
class _Ticket:
    expires: float
    files: set[str] = field(default_factory=set)
    count: int = 0  # files received, equal contents counted each time


class UploadGate:
    """Upload tickets: handed out at an admin login, they admit files to the upload route
    and let the admin tab take exactly the files uploaded with them.

    >>> gate = UploadGate(max_files=1, lifetime_s=60)
    >>> ticket = gate.issue()
    >>> gate.admits(ticket), gate.admits("forged"), gate.admits(None)
    (True, False, False)
    >>> gate.record(ticket, ["/tmp/gradio/1/a.pdf"])
    True
    >>> gate.owns(ticket, "/tmp/gradio/1/a.pdf"), gate.owns(ticket, "/etc/x.pdf")
    (True, False)
    >>> gate.admits(ticket)  # its one file is used up
    False
    """

    def __init__(self, max_files: int = 50, lifetime_s: float = 3600.0) -> None:
        self.max_files = max_files
        self.lifetime_s = lifetime_s
        self._tickets: dict[str, _Ticket] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        ticket = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._tickets = {k: v for k, v in self._tickets.items() if v.expires > now}
            self._tickets[ticket] = _Ticket(now + self.lifetime_s)
        return ticket

    def _live(self, ticket: str | None) -> _Ticket | None:
        found = self._tickets.get(ticket or "")
        return found if found is not None and found.expires > time.monotonic() else None

    def admits(self, ticket: str | None) -> bool:
        """Whether an upload with this ticket may start."""
        with self._lock:
            found = self._live(ticket)
            return found is not None and found.count < self.max_files

    def valid(self, ticket: str | None) -> bool:
        """Whether this ticket was issued and has not expired (used up or not)."""
        with self._lock:
            return self._live(ticket) is not None

    def record(self, ticket: str | None, paths: list[str]) -> bool:
        """Note files uploaded with ``ticket``; False when they go over its file limit."""
        with self._lock:
            found = self._live(ticket)
            if found is None or found.count + len(paths) > self.max_files:
                return False
            found.count += len(paths)
            found.files.update(str(Path(p).resolve()) for p in paths)
            return True

    def owns(self, ticket: str | None, path: str) -> bool:
        """Whether ``path`` was uploaded with this (still valid) ticket."""
        with self._lock:
            found = self._live(ticket)
            return found is not None and str(Path(path).resolve()) in found.files


def cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    """A cookie's value from raw ASGI headers.

    >>> cookie([(b"cookie", b"a=1; charta_upload=xyz")], "charta_upload")
    'xyz'
    """
    jar: SimpleCookie = SimpleCookie()
    for key, value in headers:
        if key == b"cookie":
            with contextlib.suppress(Exception):
                jar.load(value.decode("latin-1"))
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def foreign_origin(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The ``Origin`` of a request when it is not the host the request went to.

    >>> foreign_origin([(b"host", b"127.0.0.1:7860"), (b"origin", b"http://127.0.0.1:7860")]) is None
    True
    >>> foreign_origin([(b"host", b"127.0.0.1:7860"), (b"origin", b"https://evil.example")])
    'https://evil.example'
    >>> foreign_origin([(b"host", b"127.0.0.1:7860"), (b"origin", b"null")])
    'null'
    """
    values = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers if k in (b"host", b"origin")}
    origin = values.get("origin")
    if origin is None:
        return None  # not sent by a browser, or a same-origin navigation
    host = values.get("host", "")
    return None if urlsplit(origin).netloc.lower() == host.lower() else origin


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


_EVENT_PATHS = ("/queue/join", "/call/", "/run/")
REFUSAL_DELAY_S = 1.0  # a refused client waits, at no cost to the server, before it can retry


class GuardMiddleware:
    """ASGI middleware in front of the whole app (Gradio's routes and ours)."""

    def __init__(self, app: ASGIApp, gate: UploadGate | None = None, events: RateLimiter | None = None) -> None:
        self.app = app
        self.gate = gate
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        method = scope.get("method", "GET")
        if method not in SAFE_METHODS and foreign_origin(headers) is not None:
            await _plain(send, 403, "Anfragen von fremden Seiten werden abgelehnt.")
            return
        path = scope.get("path", "")
        if method == "POST" and path.rstrip("/").endswith("/upload"):
            await self._upload(scope, receive, send, cookie(headers, UPLOAD_COOKIE))
            return
        if method == "POST" and self.events is not None and any(p in path for p in _EVENT_PATHS):
            client = scope.get("client") or ("", 0)
            if not self.events.allow(str(client[0])):
                # Refused before Gradio's queue sees it, where even a refusal costs a worker.
                await asyncio.sleep(REFUSAL_DELAY_S)
                await _plain(send, 429, "Zu viele Anfragen von Ihrem Rechner. Bitte einen Moment warten.")
                return
        await self.app(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, ticket: str | None) -> None:
        gate = self.gate
        if gate is None or not gate.valid(ticket):
            await _plain(send, 403, "Hochladen nur nach Anmeldung in der Verwaltung.")
            return
        if not gate.admits(ticket):
            await _plain(send, 429, f"Höchstens {gate.max_files} Dateien je Anmeldung.")
            return
        # Hold Gradio's answer (a short JSON list of the stored paths) until the files
        # are counted against the ticket.
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if start is not None and start["status"] == 200:
            try:
                paths = [p for p in json.loads(body) if isinstance(p, str)]
            except (ValueError, TypeError):
                paths = []
            if not gate.record(ticket, paths):
                for p in paths:
                    with contextlib.suppress(OSError):
                        Path(p).unlink()
                await _plain(send, 429, f"Höchstens {gate.max_files} Dateien je Anmeldung.")
                return
        for message in held:
            await send(message)
