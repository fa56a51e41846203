"""The web server's second hardening round (issue 21): Host names (DNS rebinding), the
page-image render budget and rate limit, event-stream log noise, huge page numbers."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import CHARTER
from pdf_factory import heavy_drawing

from common.settings import load_settings
from tests.app_fixtures import running_app
from web import sourceview

PAGE = "/seitenbild/smart-city-charta-2021.pdf"


@pytest.fixture(scope="module")
def app_url(charter_index):
    with running_app(charter_index.with_overrides(allowed_hosts=("localhost", "lotse.example.de"))) as url:
        yield url


def test_a_page_number_of_5000_digits_is_a_short_404(app_url):
    response = httpx.get(f"{app_url}{PAGE}/{'9' * 5000}")
    assert response.status_code == 404 and response.text == "Seite nicht gefunden"
    assert httpx.get(f"{app_url}{PAGE}/８").status_code == 404  # a digit, but not an ASCII one


def test_a_foreign_host_name_is_refused_as_dns_rebinding(app_url):
    """A rebinding page (evil.example, now resolving to 127.0.0.1) sends its own name as
    Host and as Origin, which the Origin check alone let through."""
    assert load_settings(env={}).allowed_hosts == ("localhost",)
    port = app_url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "lotse.example.de", "[::1]:80"):
        assert httpx.get(app_url + "/", headers={"Host": host}).status_code == 200, host
    for host in (f"evil.example:{port}", f"localhost.evil.example:{port}", ""):
        refused = httpx.get(app_url + "/", headers={"Host": host})
        assert refused.status_code == 400 and "CHARTA_ALLOWED_HOSTS" in refused.text, host
    rebound = httpx.post(
        app_url + "/gradio_api/call/search",
        json={"data": ["Datenhoheit", [], "", 3]},
        headers={"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"},
    )
    assert rebound.status_code == 400


def test_an_event_stream_of_an_unknown_session_writes_no_traceback(app_url, capfd):
    capfd.readouterr()
    for _ in range(3):
        with httpx.stream("GET", app_url + "/gradio_api/queue/data?session_hash=niemand", timeout=10) as stream:
            assert stream.status_code == 200
            b"".join(stream.iter_bytes())
    time.sleep(0.5)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "Exception in ASGI application" not in out + err, err[-2000:]


def test_page_images_are_for_the_apps_own_pages_only(app_url):
    ok = httpx.get(f"{app_url}{PAGE}/8", headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200 and ok.content.startswith(b"\x89PNG")
    foreign = httpx.get(f"{app_url}{PAGE}/8", headers={"Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403


def _children() -> set[str]:
    found = subprocess.run(["pgrep", "-f", "web.pagerender"], capture_output=True, text=True).stdout
    return set(found.split())


def test_a_page_over_its_render_budget_is_refused_and_others_render_meanwhile(tmp_path):
    """A page of 16 million strokes takes PDFium minutes (about 140 s here): it is refused
    at its time budget, at once thereafter, and another client's page renders meanwhile."""
    sourceview.clear_cache()
    heavy = heavy_drawing(tmp_path / "schwer.pdf", depth=8)
    before = _children()
    done: list[str] = []
    failure: list[BaseException] = []

    def render_heavy() -> None:
        try:
            sourceview.page_png(heavy, 2, "10.0.0.1", timeout_s=4.0)
        except BaseException as exc:
            failure.append(exc)
        done.append("heavy")

    worker = threading.Thread(target=render_heavy)
    worker.start()
    time.sleep(0.5)
    png = sourceview.page_png(CHARTER, 8, "10.0.0.2")
    done.append("other")
    worker.join(60)
    assert png.startswith(b"\x89PNG") and done == ["other", "heavy"]
    assert len(failure) == 1 and isinstance(failure[0], sourceview.TooSlow)
    assert "page 2 of schwer.pdf takes longer than 4 s to render" in str(failure[0])
    with pytest.raises(sourceview.TooSlow):  # known to be too slow: not tried again
        sourceview.page_png(heavy, 2, "10.0.0.3", timeout_s=4.0)
    assert sourceview.page_png(heavy, 1, "10.0.0.1").startswith(b"\x89PNG")  # its text page is fine
    assert _children() <= before  # the child was killed


def test_one_client_renders_one_page_at_a_time_and_queues_at_most_a_views_worth():
    share = sourceview._RenderShare(workers=2, queue=2)
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with share.turn("a", 5):
            inside.set()
            release.wait(10)

    first = threading.Thread(target=hold)
    first.start()
    assert inside.wait(5)
    with share.turn("b", 1):  # another client gets the second worker at once
        pass
    # Client a's second request waits for its own turn; a third is refused at once.
    results: list[str] = []

    def second_of_a() -> None:
        try:
            with share.turn("a", 0.5):
                results.append("ran")
        except sourceview.Busy:
            results.append("busy")

    second = threading.Thread(target=second_of_a)
    second.start()
    time.sleep(0.1)
    with pytest.raises(sourceview.TooManyRequests):
        with share.turn("a", 0.5):
            pass
    second.join(5)
    assert results == ["busy"]  # a's first render still held its turn
    release.set()
    first.join(5)
    with share.turn("a", 1):  # its turn is free again
        pass


def test_page_images_are_rate_limited_per_client(app_url):
    """Any page could make a visitor's browser request page images without limit."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda n: httpx.get(f"{app_url}{PAGE}/{n % 21 + 1}", timeout=60).status_code, range(60)))
    assert codes.count(429) >= 20 and set(codes) <= {200, 429}, codes
