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
import ipaddress
import json
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

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

    def remaining(self, ticket: str | None) -> int:
        """How many more files this ticket admits."""
        with self._lock:
            found = self._live(ticket)
            return max(0, self.max_files - found.count) if found is not None else 0

    def owns(self, ticket: str | None, path: str) -> bool:
        """Whether ``path`` was uploaded with this (still valid) ticket."""
        with self._lock:
            found = self._live(ticket)
            return found is not None and str(Path(path).resolve()) in found.files


class UploadParts:
    r"""Reads a ``multipart/form-data`` body as it streams to Gradio and passes on only
    what may be stored: file parts under the field ``files``, at most ``allowed`` of
    them. Gradio stores a file part under any other field too, never counts it and never
    deletes it; so at the first part that is not allowed the form is closed before it
    (Gradio stores nothing of it) and :attr:`refusal` says why.

    >>> parts = UploadParts(b"XY", allowed=1)
    >>> body = (b'--XY\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n%PDF'
    ...         b'\r\n--XY\r\nContent-Disposition: form-data; name="other"; filename="b.pdf"\r\n\r\n%PDF'
    ...         b'\r\n--XY--\r\n')
    >>> parts.feed(body[:30], False) + parts.feed(body[30:], True)
    b'--XY\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n%PDF\r\n--XY--\r\n'
    >>> parts.refusal, parts.files
    ("a file under the form field 'other'", 1)
    """

    MAX_HEADERS = 16 * 1024
    TOO_MANY = "more files than this login may still upload"

    def __init__(self, boundary: bytes, allowed: int) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.allowed = allowed
        self.files = 0
        self.refusal: str | None = None
        self.closed = False  # the closing delimiter has passed
        self._buf = b"\r\n"  # the first delimiter has no line break before it
        self._lead = 2  # bytes of _buf that are ours, not the client's
        self._headers = False  # inside a part's headers

    def feed(self, chunk: bytes, last: bool) -> bytes:
        """The bytes of ``chunk`` (and of earlier ones held back) that go on to Gradio."""
        if self.refusal is not None:
            return b""
        if self.closed:
            return chunk
        buf, out, d = self._buf + chunk, bytearray(), self.delimiter
        while True:
            if not self._headers:
                at = buf.find(d)
                if at < 0 or len(buf) < at + len(d) + 2:
                    # Hold back what could be the start of a delimiter.
                    cut = len(buf) if last else max(0, min(len(buf) - len(d) - 1, at if at >= 0 else len(buf)))
                    out += buf[:cut]
                    buf = buf[cut:]
                    break
                after = buf[at + len(d) : at + len(d) + 2]
                if after == b"--":
                    self.closed = True
                    out += buf
                    buf = b""
                    break
                if after != b"\r\n":  # not a delimiter: data that looks like one
                    out += buf[: at + 1]
                    buf = buf[at + 1 :]
                    continue
                out += buf[:at]
                buf = buf[at:]
                self._headers = True
            end = buf.find(b"\r\n\r\n", len(d))
            if end < 0:
                if len(buf) > self.MAX_HEADERS:
                    self.refusal = "a part's headers are too long"
                elif not last:
                    break
                else:
                    out += buf
                    buf = b""
                    break
            else:
                self.refusal = self._check(buf[len(d) + 2 : end])
            if self.refusal is not None:
                out += d + b"--\r\n"  # the form ends before the refused part
                buf = b""
                break
            out += buf[: end + 4]
            buf = buf[end + 4 :]
            self._headers = False
        self._buf = buf
        drop, self._lead = min(self._lead, len(out)), self._lead - min(self._lead, len(out))
        return bytes(out[drop:])

    def _check(self, headers: bytes) -> str | None:
        """Why a part with these headers may not pass, or None; read as Gradio reads them
        (the last Content-Disposition counts)."""
        from python_multipart.multipart import parse_options_header

        disposition = None
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-disposition":
                disposition = value.strip()
        if disposition is None:
            return None  # Gradio refuses a part without a name itself
        _, options = parse_options_header(disposition)
        if b"filename" not in options:
            return None  # a plain field: kept in memory, nothing stored
        field = options.get(b"name", b"").decode("utf-8", "replace")
        if field != "files":
            return f"a file under the form field {field[:40]!r}"
        self.files += 1
        if self.files > self.allowed:
            return self.TOO_MANY
        return None


def _upload_parts(scope: Scope, allowed: int) -> UploadParts | None:
    """The checker of an upload's body; None when it is not multipart with a boundary
    (Gradio then refuses it and stores nothing)."""
    from python_multipart.multipart import parse_options_header

    ctype = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"")
    kind, params = parse_options_header(ctype)
    boundary = params.get(b"boundary")
    return UploadParts(boundary, allowed) if kind == b"multipart/form-data" and boundary else None


def _delete(paths: list[str]) -> None:
    """Uploaded files and the folders Gradio made for them, once empty."""
    for p in paths:
        with contextlib.suppress(OSError):
            Path(p).unlink()
        with contextlib.suppress(OSError):
            Path(p).parent.rmdir()


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


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a request's ``Host`` is one the app answers to: an IP address (a rebinding
    page has a name, never an address, as its origin), or a name in ``allowed`` (``.x``
    also allows its subdomains, ``*`` any), as Django's ALLOWED_HOSTS.

    >>> allowed = ("localhost", ".example.de")
    >>> [host_allowed(h, allowed) for h in ("127.0.0.1:7860", "[::1]:7860", "LOCALHOST:7860", "lotse.example.de")]
    [True, True, True, True]
    >>> [host_allowed(h, allowed) for h in ("evil.example:7860", "", "localhost.evil.example", "a b")]
    [False, False, False, False]
    """
    host = host.strip().lower()
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0] if ":" in host else host
    if not name:
        return False
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        return True
    name = name.rstrip(".")
    return any(a == "*" or name == a or (a.startswith(".") and (name.endswith(a) or name == a[1:])) for a in allowed)


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


def _cross_site(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the browser says another site made this request (``Sec-Fetch-Site``).

    >>> _cross_site([(b"sec-fetch-site", b"cross-site")]), _cross_site([(b"sec-fetch-site", b"same-origin")])
    (True, False)
    """
    site = next((v for k, v in headers if k == b"sec-fetch-site"), b"")
    return site in (b"cross-site", b"same-site")


_EVENT_PATHS = ("/queue/join", "/call/", "/run/")
REFUSAL_DELAY_S = 1.0  # a refused client waits, at no cost to the server, before it can retry


class GuardMiddleware:
    """ASGI middleware in front of the whole app (Gradio's routes and ours)."""

    def __init__(
        self,
        app: ASGIApp,
        gate: UploadGate | None = None,
        events: RateLimiter | None = None,
        allowed_hosts: tuple[str, ...] = ("localhost",),
        limited_gets: tuple[str, ...] = (),
        same_site_only: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.gate = gate
        self.events = events
        self.allowed_hosts = allowed_hosts
        self.limited_gets = limited_gets  # GET routes of ours that cost work: rate-limited too
        self.same_site_only = same_site_only  # routes only the app's own pages use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), "")
        if not host_allowed(host, self.allowed_hosts):
            # DNS rebinding: a foreign page whose name now points at this host.
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _plain(send, 400, "Unbekannter Host-Name (CHARTA_ALLOWED_HOSTS).")
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if method not in SAFE_METHODS and foreign_origin(headers) is not None:
            await _plain(send, 403, "Anfragen von fremden Seiten werden abgelehnt.")
            return
        path = scope.get("path", "")
        if method == "POST" and path.rstrip("/").endswith("/upload"):
            await self._upload(scope, receive, send, cookie(headers, UPLOAD_COOKIE))
            return
        ours = method in ("GET", "HEAD") and path.startswith(self.limited_gets) if self.limited_gets else False
        if path.startswith(self.same_site_only) and self.same_site_only and _cross_site(headers):
            await _plain(send, 403, "Nur für die Seiten dieser Anwendung.")
            return
        if self.events is not None and (ours or (method == "POST" and any(p in path for p in _EVENT_PATHS))):
            client = scope.get("client") or ("", 0)
            if not self.events.allow(str(client[0])):
                # Refused before Gradio's queue sees it, where even a refusal costs a worker.
                await asyncio.sleep(REFUSAL_DELAY_S)
                await _plain(send, 429, "Zu viele Anfragen von Ihrem Rechner. Bitte einen Moment warten.")
                return
        if method == "GET" and path.endswith("/queue/data"):
            await self._event_stream(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _event_stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Gradio's event stream. Opened for an unknown session, or closed early, it ends
        with an exception after its response started, which uvicorn logs as ~78 lines of
        traceback per stream, for anyone who asks: here it is one debug line."""
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if not started:
                raise
            log.debug("event stream ended: %s", " ".join(str(exc).split())[:200] or type(exc).__name__)
            with contextlib.suppress(Exception):  # the client may be gone already
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _upload(self, scope: Scope, receive: Receive, send: Send, ticket: str | None) -> None:
        gate = self.gate
        if gate is None or not gate.valid(ticket):
            await _plain(send, 403, "Hochladen nur nach Anmeldung in der Verwaltung.")
            return
        if not gate.admits(ticket):
            await _plain(send, 429, f"Höchstens {gate.max_files} Dateien je Anmeldung.")
            return
        parts = _upload_parts(scope, gate.remaining(ticket))
        # Hold Gradio's answer (a short JSON list of the stored paths) until the files
        # are counted against the ticket.
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        async def checked() -> Message:
            message = await receive()
            if parts is None or message["type"] != "http.request":
                return message
            last = not message.get("more_body", False)
            body = parts.feed(message.get("body", b""), last)
            if parts.refusal is not None:
                return {"type": "http.request", "body": body, "more_body": False}
            return {**message, "body": body}

        await self.app(scope, checked, hold)
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        paths: list[str] = []
        if start is not None and start["status"] == 200:
            try:
                paths = [p for p in json.loads(body) if isinstance(p, str)]
            except (ValueError, TypeError):
                paths = []
        refusal = parts.refusal if parts is not None else None
        if refusal is not None or not gate.record(ticket, paths):
            _delete(paths)
            if refusal is not None and refusal != UploadParts.TOO_MANY:
                log.warning("upload refused: %s", refusal)
                await _plain(send, 400, "Ungültiges Hochladen: Dateien nur im Feld „files“.")
                return
            await _plain(send, 429, f"Höchstens {gate.max_files} Dateien je Anmeldung.")
            return
        for message in held:
            await send(message)
