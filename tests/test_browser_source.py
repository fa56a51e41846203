"""A real browser opens „Stelle im PDF zeigen“ under an answer: the page image shows a
mark where PDFium's own text search puts the quoted sentence, the view works with the
keyboard, passes axe-core and loads nothing from outside the host."""

from __future__ import annotations

import re

import pytest

from tests.app_fixtures import running_app
from tests.test_browser import ARGS, ARTIFACTS, AXE, CHROMIUM, describe, foreign, open_app
from tests.test_source_view import NIEMAND, found_box, overlap
from web.sourceview import Box

QUESTION = "Darf jemand gezwungen werden, digitale Angebote zu nutzen?"


@pytest.fixture(scope="module")
def app_url(charter_index):
    with running_app(charter_index) as url:
        yield url


@pytest.fixture
def browser_context(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
        context.requests_seen = []
        context.on("request", lambda req: context.requests_seen.append(req.url))
        yield context
        context.close()
        browser.close()


def on_screen(image: dict, box: Box) -> Box:
    """A box given as fractions of the page, in the browser's pixels over ``image``."""
    x, y, w, h = image["x"], image["y"], image["width"], image["height"]
    return Box(x + box.left * w, y + box.top * h, x + box.right * w, y + box.bottom * h)


def test_show_in_the_pdf_marks_the_quoted_sentence_where_it_is_on_the_page(app_url, browser_context):
    page = browser_context.new_page()
    open_app(page, app_url)
    page.get_by_label("Ihre Frage").fill(QUESTION)
    page.get_by_role("button", name="Fragen", exact=True).click()
    card = page.locator("#belegstellen .lotse-card").first
    card.wait_for(timeout=30_000)
    assert NIEMAND in page.locator("#antwort .lotse-answer").inner_text()
    with browser_context.expect_page() as opened:
        card.get_by_role("link", name="Stelle im PDF zeigen").click()
    view = opened.value
    view.wait_for_load_state("load")
    view.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")

    assert "Abschnitt 2.2, S. 8" in view.get_by_role("heading", level=1).inner_text()
    # The image's text alternative is the sentence itself, with its page.
    alt = re.compile(r"^S\. 8 von „Smart City Charta“, markiert: .*" + re.escape(NIEMAND))
    image = view.get_by_role("img", name=alt)
    shown = image.bounding_box()
    assert shown is not None
    marks = []
    for mark in view.locator(".sheet .mark").all():
        b = mark.bounding_box()
        assert b is not None
        marks.append(Box(b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]))
    for fragment in ("Niemand soll zur Nutzung digitaler", "gezwungen werden."):
        expected = on_screen(shown, found_box(8, fragment))
        assert max(overlap(m, expected) for m in marks) > 0.9, (fragment, expected, marks)
    ARTIFACTS.mkdir(exist_ok=True)
    view.screenshot(path=str(ARTIFACTS / "source-view.png"), full_page=True)

    # The keyboard reaches the full PDF at that page.
    view.keyboard.press("Tab")
    focused = view.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
    assert focused == ["PDF auf Seite 8 öffnen", "/dokumente/smart-city-charta-2021.pdf#page=8"]

    # The view forbids inline scripts (its CSP), so axe-core comes in through the browser's
    # own evaluation channel instead of a <script> tag.
    view.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = view.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    violations = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, describe(violations)
    assert result["passes"], "axe-core ran no checks"
    assert foreign(browser_context.requests_seen) == [], foreign(browser_context.requests_seen)
