"""A real browser (Debian's headless Chromium, driven by Playwright) against the app.

Asks a German question the way a person does, checks the cited section and page, that
no request left the host, and runs axe-core for WCAG 2.1 AA. Screenshots go to
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tests.app_fixtures import running_app

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module", autouse=True)
def _browser_tools():
    # scripts/run-tests.sh installs both; a missing tool must fail loudly, not skip.
    missing = [str(p) for p in (Path(CHROMIUM), AXE) if not p.exists()]
    if missing:
        pytest.fail(
            f"browser test needs {', '.join(missing)}: run bash scripts/run-tests.sh (apt-get install chromium; npm ci)"
        )


@pytest.fixture(scope="module")
def app_url(charter_index):
    with running_app(charter_index) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
            locale="de-DE",
        )
        pg = context.pages[0] if context.pages else context.new_page()
        pg.requests_seen = []
        pg.playwright = pw  # for tests that need a browser of their own
        context.on("request", lambda req: pg.requests_seen.append(req.url))
        open_app(pg, app_url)
        yield pg
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def open_app(page, url: str) -> None:
    # Gradio keeps a heartbeat connection open, so "networkidle" never comes.
    page.goto(url, wait_until="load")
    page.get_by_label("Ihre Frage").wait_for(timeout=30_000)


def reload(page) -> None:
    page.reload(wait_until="load")
    page.get_by_label("Ihre Frage").wait_for(timeout=30_000)


def foreign(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            continue
        if parsed.hostname not in LOCAL_HOSTS:
            out.append(url)
    return out


# Gradio fades toasts and panels in with Web Animations, and a fade can begin a moment
# after its element appears; axe measures half-faded text as low contrast. Settled means
# no finite animation running, twice, a fade's length apart.
SETTLED = """() => document.getAnimations().every(
    (a) => a.playState !== "running" || !Number.isFinite(a.effect.getComputedTiming().endTime))"""


def settle(page) -> None:
    for _ in range(2):
        page.wait_for_function(SETTLED, timeout=10_000)
        page.wait_for_timeout(350)
    page.wait_for_function(SETTLED, timeout=10_000)


def run_axe(page) -> list[dict]:
    settle(page)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} – " + "; ".join(n["html"][:120] for n in v["nodes"][:3])
        for v in violations
    )


def test_ask_in_german_cites_section_and_page_locally(page):
    ARTIFACTS.mkdir(exist_ok=True)
    box = page.get_by_label("Ihre Frage")
    box.fill("Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
    page.get_by_role("button", name="Fragen", exact=True).click()
    answer = page.locator("#antwort .lotse-answer")
    answer.wait_for(timeout=30_000)
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in answer.inner_text()
    # The box is empty for the next question; the question asked stands above its answer.
    assert box.input_value() == ""
    asked = page.locator("#antwort .lotse-asked")
    assert asked.inner_text() == "Ihre Frage: Darf jemand gezwungen werden, digitale Angebote zu nutzen?"
    assert asked.bounding_box()["y"] < answer.bounding_box()["y"]
    cards = page.locator("#belegstellen")
    text = cards.inner_text()
    assert "Smart City Charta (BBSR, Fassung 2021), Abschnitt 2.2, S. 8" in text
    link = cards.locator("a[href*='#page=8']").first
    assert link.get_attribute("href").startswith("/dokumente/smart-city-charta-2021.pdf")
    page.screenshot(path=str(ARTIFACTS / "ask.png"), full_page=True)
    assert foreign(page.requests_seen) == [], foreign(page.requests_seen)


def test_a_message_is_german_accessible_and_stays_until_closed(page):
    reload(page)
    page.get_by_role("button", name="Fragen", exact=True).click()  # no question typed
    toast = page.get_by_test_id("toast-body")
    toast.wait_for(timeout=10_000)
    assert "Bitte geben Sie eine Frage ein." in toast.inner_text()
    assert toast.locator(".toast-title").inner_text().strip() == "Hinweis"
    # Checked once it has faded in: half-transparent text fails the contrast check.
    page.wait_for_function(
        """() => {
          for (let el = document.querySelector("[data-testid=toast-body]"); el; el = el.parentElement)
            if (getComputedStyle(el).opacity !== "1") return false;
          return true;
        }""",
        timeout=5_000,
    )
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.wait_for_timeout(11_000)  # Gradio's own toasts go after 10 s
    assert toast.is_visible()
    page.get_by_role("button", name="Schließen").click()
    toast.wait_for(state="detached", timeout=5_000)


def test_no_serious_accessibility_violations(page):
    # After an answer is shown (previous test), and on a fresh page.
    violations = run_axe(page)
    assert not violations, describe(violations)
    reload(page)
    violations = run_axe(page)
    assert not violations, describe(violations)
    assert foreign(page.requests_seen) == [], foreign(page.requests_seen)


def test_keyboard_alone_reaches_the_answer(page):
    """Skip link, Enter asks (Shift+Enter is a new line), then Tab reaches a marker and the
    first PDF link; the answer region is live for screen readers; the page is German."""
    reload(page)
    assert page.evaluate("document.documentElement.lang") == "de"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Zur Frage springen"
    page.keyboard.press("Enter")
    assert page.evaluate("!!document.activeElement.closest('#frage')")
    page.keyboard.type("Wie sollen Kommunen")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("die Datenhoheit behalten?")
    assert page.get_by_label("Ihre Frage").input_value() == "Wie sollen Kommunen\ndie Datenhoheit behalten?"
    assert page.evaluate("document.getElementById('antwort').getAttribute('aria-live')") == "polite"
    page.keyboard.press("Enter")
    # Answered, or the fitting passages: either way the cited section shows.
    page.locator("#antwort .lotse-answer, #antwort .lotse-passages").wait_for(timeout=30_000)
    assert "Abschnitt 3.2, S. 10" in page.locator("#belegstellen").inner_text()
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "(() => { const a = document.activeElement;"
                " return a.className + '|' + (a.getAttribute('href') || ''); })()"
            )
        )
        if "#page=" in seen[-1]:
            break
    assert (
        any(s.startswith("marker|#quelle-") for s in seen) or "lotse-passages" in page.locator("#antwort").inner_html()
    )
    assert "/dokumente/" in seen[-1], seen


def test_a_control_focused_by_keyboard_is_visibly_marked(page):
    """The language radio once changed 0 pixels when focused (WCAG 2.4.7)."""
    reload(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type === 'radio'"):
            break
    assert page.evaluate("document.activeElement.type === 'radio'")
    area = page.locator(".lotse-lang")
    focused = area.screenshot()
    page.evaluate("document.activeElement.blur()")
    assert area.screenshot() != focused


def test_a_marker_jumps_to_its_card_and_previews_the_source(page):
    reload(page)
    page.get_by_label("Ihre Frage").fill("Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
    page.get_by_label("Ihre Frage").press("Enter")
    marker = page.locator("#antwort a.marker").first
    marker.wait_for(timeout=30_000)
    marker.focus()
    preview = marker.locator(".lotse-preview")
    assert "Abschnitt 2.2, S. 8" in preview.inner_text()
    box = preview.bounding_box()
    assert box and box["x"] >= 0 and box["width"] > 50  # shown on focus, not off-screen
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#quelle-1'")
    card = page.locator("#quelle-1").bounding_box()
    assert card and 0 <= card["y"] < page.viewport_size["height"]


def test_a_conversation_stays_visible_until_a_new_one(page):
    reload(page)
    box = page.get_by_label("Ihre Frage")
    box.fill("Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
    box.press("Enter")
    page.locator("#antwort .lotse-answer").wait_for(timeout=30_000)
    box.fill("Und welche Rolle spielen dabei analoge Angebote?")
    box.press("Enter")
    thread = page.locator("#verlauf .lotse-thread")
    thread.wait_for(timeout=30_000)
    text = thread.inner_text()
    assert "Darf jemand gezwungen werden" in text and "Abschnitt 2.2, S. 8" in text
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in text
    page.get_by_role("button", name="Neue Unterhaltung").click()
    page.wait_for_function("!document.querySelector('#verlauf .lotse-thread')")
    assert page.locator("#antwort").inner_text().strip() == ""


def test_a_question_the_charter_cannot_answer_says_so(page):
    reload(page)
    page.get_by_label("Ihre Frage").fill("Wie wird das Wetter morgen in Bonn?")
    page.get_by_role("button", name="Fragen", exact=True).click()
    notice = page.locator("#antwort .lotse-notice")
    notice.wait_for(timeout=30_000)
    assert "Die Dokumente beantworten diese Frage nicht." in notice.inner_text()
    assert page.locator("#belegstellen .lotse-card").count() == 0
    # No empty controls: nothing to collect, nothing to export.
    for name in ("Zur Sammlung hinzufügen", "Antwort als Markdown exportieren"):
        assert not page.get_by_role("button", name=name).first.is_visible(), name
    assert not page.get_by_text("Textstellen für die Sammlung auswählen").first.is_visible()
    violations = run_axe(page)
    assert not violations, describe(violations)
    # Instead: the nearest chapters, read in the Browse tab …
    chapters = notice.locator("a[data-goto=browse]")
    assert chapters.count() >= 1
    title = chapters.first.get_attribute("data-idx")
    assert chapters.first.get_attribute("href").startswith("/dokumente/")  # without script: the PDF page
    chapters.first.click()
    page.get_by_role("tab", name="Blättern", selected=True).wait_for(timeout=15_000)
    page.locator("#abschnitt h2").first.wait_for(timeout=15_000)
    assert title is not None and page.get_by_label("Inhaltsverzeichnis").input_value() != ""
    # … and a search with the question's words, run in the Search tab.
    page.get_by_role("tab", name="Fragen").click()
    search = notice.get_by_role("link", name="Mit den Wörtern der Frage suchen: Wetter morgen Bonn")
    search.click()
    page.get_by_role("tab", name="Suchen", selected=True).wait_for(timeout=15_000)
    assert page.get_by_label("Suchbegriffe oder Frage").input_value() == "Wetter morgen Bonn"
    page.locator(".lotse-card:visible").first.wait_for(timeout=30_000)
    violations = run_axe(page)
    assert not violations, describe(violations)


# An element's text without its markers (and their citation previews).
WITHOUT_MARKERS = """el => { const c = el.cloneNode(true);
  c.querySelectorAll('a.marker').forEach((a) => a.remove()); return c.textContent; }"""
PASSAGES_QUESTION = "Zahlt der Staat dafür, dass wir auf dem Land endlich schnelles Internet bekommen?"


def test_the_passages_outcome_leads_with_the_closest_sentence_quoted_and_cited(page):
    reload(page)
    page.get_by_label("Ihre Frage").fill(PASSAGES_QUESTION)
    page.get_by_label("Ihre Frage").press("Enter")
    box = page.locator("#antwort .lotse-passages")
    box.wait_for(timeout=30_000)
    text = box.inner_text()
    # An honest label first, then the quote and its citation; never the answer's look.
    assert text.startswith("Am nächsten kommt diese Stelle – keine geprüfte Antwort:"), text
    assert page.locator("#antwort .lotse-answer").count() == 0
    quote = " ".join(box.locator(".lotse-closest p").evaluate(WITHOUT_MARKERS).split())
    assert "von Bund und Ländern finanziell gefördert werden." in quote, quote
    cited = box.locator(".lotse-closest-cite").inner_text()
    assert cited == "Smart City Charta (BBSR, Fassung 2021), Abschnitt 3.1, S. 10", cited
    # The quote is exactly what the first card marks in the document's text.
    marks = " ".join(" ".join(m.split()) for m in page.locator("#quelle-1 mark").all_inner_texts())
    assert quote == marks
    assert box.locator(".lotse-closest a.marker").get_attribute("href") == "#quelle-1"
    assert text.index("Abschnitt 3.1") < text.index("Lesen Sie die markierten Sätze")
    assert box.bounding_box()["y"] < page.locator("#belegstellen .lotse-card").first.bounding_box()["y"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "passages.png"), full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)


def test_an_exported_link_is_absolute(page, app_url):
    reload(page)
    page.get_by_label("Ihre Frage").fill("Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
    page.get_by_label("Ihre Frage").press("Enter")
    page.locator("#antwort .lotse-answer").wait_for(timeout=30_000)
    page.get_by_role("button", name="Antwort als Markdown exportieren").click()
    link = page.locator("a[download]:visible").first
    link.wait_for(timeout=30_000)
    text = page.request.get(urljoin(app_url + "/", link.get_attribute("href"))).text()
    assert f"{app_url}/dokumente/smart-city-charta-2021.pdf#page=8" in text, text
    assert "](/dokumente" not in text and " /dokumente/" not in text


def test_english_survives_a_reload_and_shows_no_german_label(page):
    reload(page)
    page.get_by_label("English").check()
    page.get_by_role("tab", name="Ask").wait_for(timeout=10_000)
    page.wait_for_function("window.localStorage.getItem('charta-lotse-sprache') === 'en'")
    page.reload(wait_until="load")
    try:
        box = page.get_by_label("Your question")
        box.wait_for(timeout=30_000)
        page.wait_for_function("document.documentElement.lang === 'en'")
        assert box.get_attribute("placeholder") == "e.g. Must every citizen use online services?"
        seen = page.evaluate(UI_WORDS)
        german = sorted({de for de in GERMAN_LABELS if de in seen})
        assert german == [], german
        page.get_by_role("tab", name="Browse").click()
        page.locator("#abschnitt").get_by_text("Choose a section from the table of contents:").wait_for(timeout=15_000)
        violations = run_axe(page)
        assert not violations, describe(violations)
    finally:
        page.get_by_label("Deutsch").check()
        page.get_by_role("tab", name="Fragen").wait_for(timeout=10_000)


def test_a_first_visit_follows_the_browsers_language(page, app_url):
    browser = page.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    try:
        for locale, label in (("en-US", "Your question"), ("fr-FR", "Ihre Frage")):
            context = browser.new_context(locale=locale)
            pg = context.new_page()
            pg.goto(app_url, wait_until="load")
            pg.get_by_label(label).wait_for(timeout=30_000)
            context.close()
    finally:
        browser.close()


# The interface's own texts as the page shows them: visible text, control names,
# placeholders; the documents' text (marked lang="de") is left out.
UI_WORDS = """() => {
  const out = [];
  const walk = (el) => {
    if (el.closest && el.closest("[lang=de]")) return;
    if (el.offsetParent === null && el !== document.body) return;
    for (const attr of ["aria-label", "placeholder", "title"]) {
      if (el.getAttribute && el.getAttribute(attr)) out.push(el.getAttribute(attr));
    }
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE && node.textContent.trim()) out.push(node.textContent.trim());
      else if (node.nodeType === Node.ELEMENT_NODE) walk(node);
    }
  };
  walk(document.body);
  return out.join("\\n");
}"""


def _german_labels() -> list[str]:
    from web.i18n import STRINGS

    # Texts that differ between the languages and are words, not names or symbols.
    return [de for de, en in STRINGS.values() if de != en and "{" not in de and len(de) > 4]


GERMAN_LABELS = _german_labels()


def open_section(page, label: str) -> None:
    """Choose a table-of-contents entry by typing, as a keyboard user would."""
    toc = page.get_by_label("Inhaltsverzeichnis")
    toc.click()
    toc.fill(label)
    page.get_by_role("option", name=label, exact=False).first.click()


def test_browse_view_and_english_switch(page):
    reload(page)
    page.get_by_role("tab", name="Blättern").click()
    # It opens with the table of contents, each entry a link to its section.
    contents = page.locator("#abschnitt nav.lotse-toc")
    contents.get_by_role("link", name="2.2 Digitale Teilhabe").wait_for(timeout=15_000)
    assert contents.get_by_role("link").count() > 10
    violations = run_axe(page)
    assert not violations, describe(violations)
    contents.get_by_role("link", name="3.2", exact=False).first.click()
    page.locator("#abschnitt h2").get_by_text("3.2", exact=False).wait_for(timeout=15_000)
    assert page.get_by_label("Inhaltsverzeichnis").input_value().strip().startswith("3.2")
    open_section(page, "2.2 Digitale Teilhabe")
    page.locator("#abschnitt").get_by_text("Niemand soll zur Nutzung digitaler").wait_for(timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "browse.png"), full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)
    # A chapter shows its introduction and its subsections, not only its title.
    open_section(page, "3. Digitale Transformation")
    page.locator("#abschnitt h3").get_by_text("Unterabschnitte").wait_for(timeout=15_000)
    assert "3.2" in page.locator("#abschnitt ul").inner_text()
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.get_by_label("English").check()
    page.get_by_role("tab", name="Ask").wait_for(timeout=10_000)
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert foreign(page.requests_seen) == [], foreign(page.requests_seen)
    page.get_by_label("Deutsch").check()  # kept across reloads: the next tests read German
    page.get_by_role("tab", name="Fragen").wait_for(timeout=10_000)


def test_the_english_switch_renders_the_answer_on_screen_again(page):
    reload(page)
    page.get_by_label("Ihre Frage").fill("Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
    page.get_by_label("Ihre Frage").press("Enter")
    page.locator("#belegstellen h2").get_by_text("Belegstellen").wait_for(timeout=30_000)
    assert "PDF auf Seite 8 öffnen" in page.locator("#belegstellen").inner_text()
    page.get_by_label("English").check()
    page.locator("#belegstellen h2").get_by_text("Sources").wait_for(timeout=10_000)
    assert "Open PDF at page 8" in page.locator("#belegstellen").inner_text()
    assert page.evaluate("document.documentElement.lang") == "en"
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.get_by_label("Deutsch").check()
    page.locator("#belegstellen h2").get_by_text("Belegstellen").wait_for(timeout=10_000)


def test_every_tab_and_state_passes_axe_including_contrast(page):
    reload(page)
    page.get_by_role("tab", name="Suchen").click()
    page.get_by_label("Suchbegriffe oder Frage").fill("Datenhoheit")
    page.get_by_role("button", name="Suchen", exact=True).click()
    page.locator(".lotse-card").first.wait_for(timeout=30_000)
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.locator("input[type=checkbox]:visible").first.check()
    page.locator("button:visible", has_text="Zur Sammlung hinzufügen").click()
    # Confirmed in German, in a status line beside the button.
    page.locator("[role=status]:visible", has_text="1 Textstelle(n) zur Sammlung hinzugefügt.").wait_for(timeout=15_000)
    page.get_by_role("tab", name="Sammlung (1)").click()
    page.locator("#sammlung").get_by_text("1 Textstellen in der Sammlung").wait_for(timeout=15_000)
    violations = run_axe(page)
    assert not violations, describe(violations)
    # The collection survives a reload (the browser keeps it).
    reload(page)
    page.get_by_role("tab", name="Sammlung (1)").click()
    page.locator("#sammlung").get_by_text("1 Textstellen in der Sammlung").wait_for(timeout=15_000)
    page.get_by_role("button", name="Sammlung leeren").click()
    page.get_by_role("tab", name="Sammlung", exact=True).wait_for(timeout=15_000)


@pytest.mark.parametrize(("width", "height", "name"), [(390, 844, "phone"), (320, 640, "zoom-400")])
def test_phone_and_400_percent_zoom_reflow_without_horizontal_scrolling(page, width, height, name):
    page.set_viewport_size({"width": width, "height": height})
    try:
        reload(page)
        header = page.locator(".lotse-header").bounding_box()
        assert header and header["y"] + header["height"] <= height / 3 + 60, header
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        title = page.get_by_role("heading", name="Charta-Lotse").bounding_box()
        assert title and title["height"] < 60  # one line, not a letter per line
        tabs = page.get_by_role("tab").all_inner_texts()
        assert tabs[:2] == ["Fragen", "Suchen"]
        assert page.locator("[aria-label='More tabs']").count() == 0  # German, if shown at all
        assert not page.get_by_label("Zitiervorschläge zum Kopieren").is_visible()  # empty, hidden
        page.get_by_label("Ihre Frage").fill("Darf jemand gezwungen werden, digitale Angebote zu nutzen?")
        page.get_by_label("Ihre Frage").press("Enter")
        page.locator("#antwort .lotse-answer").wait_for(timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_questions_and_answers_are_not_kept_in_the_browser(page, app_url):
    import urllib.error
    import urllib.request

    reload(page)
    question = "Wie sollen Kommunen die Datenhoheit behalten?"
    page.get_by_label("Ihre Frage").fill(question)
    page.get_by_role("button", name="Fragen", exact=True).click()
    page.locator("#antwort .lotse-answer, #antwort .lotse-passages").wait_for(timeout=30_000)
    stored = page.evaluate("""() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])""")
    assert question not in stored and "die Datenhoheit behalten" not in stored, stored[:300]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(app_url + "/gradio_api/runs", timeout=10)
    assert err.value.code == 404


ASK_DOCS = "Nur in diesen Dokumenten fragen (leer lassen: in allen)"
DECK = "Ulm4CleverCity – Smart City Modellstadt (Stadt Ulm, Geschäftsstelle Digitale Agenda, 2020)"


def test_the_ask_tab_can_be_limited_to_documents_by_keyboard(page, app_url, two_documents):
    """With one document there is nothing to choose; with two, the choice sits right
    after the question box, is labelled, works with the keyboard alone and passes axe."""
    reload(page)
    assert not page.get_by_label(ASK_DOCS).is_visible()
    with running_app(two_documents) as url:
        try:
            open_app(page, url)
            page.get_by_label("Ihre Frage").fill("Was wird zur Nachhaltigkeit gesagt?")
            page.keyboard.press("Tab")
            docs = page.get_by_label(ASK_DOCS)
            assert docs.evaluate("el => el === document.activeElement")
            violations = run_axe(page)
            assert not violations, describe(violations)
            page.keyboard.type("Ulm4")
            # Under load the list filters late: wait until the deck is offered.
            page.get_by_role("option", name=DECK).wait_for(timeout=10_000)
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            # Chosen: shown as a token in the box.
            page.locator("#frage-dokumente span", has_text=DECK).first.wait_for(timeout=10_000)
            page.get_by_label("Ihre Frage").press("Enter")
            page.locator("#belegstellen .lotse-card").first.wait_for(timeout=30_000)
            titles = page.locator("#belegstellen .lotse-card h3").all_inner_texts()
            assert titles and all(DECK in t for t in titles), titles
            page.screenshot(path=str(ARTIFACTS / "ask-documents.png"), full_page=True)
            violations = run_axe(page)
            assert not violations, describe(violations)
            assert foreign(page.requests_seen) == [], foreign(page.requests_seen)
        finally:
            open_app(page, app_url)


def test_the_first_start_serves_a_progress_page_at_once_and_then_the_app(page, tmp_path):
    """A fresh clone: app.py builds the index, and the address answers HTTP 200 with the
    build's progress meanwhile, then switches to the app by itself."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.app_fixtures import free_port
    from tests.conftest import write_excerpt

    write_excerpt(tmp_path / "corpus" / "auszug.pdf", range(6, 12), "Charta-Auszug")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["--port", str(port), "--index-dir", str(tmp_path / "index"), "--corpus", str(tmp_path / "corpus")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), *args], cwd=ROOT, env=env)
    try:
        deadline, body = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "Charta-Lotse wird vorbereitet" in body, body[:300]
        browser = page.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(locale="de-DE")
        pg = context.new_page()
        pg.requests_seen = []
        context.on("request", lambda req: pg.requests_seen.append(req.url))
        pg.goto(url, wait_until="load")
        status = pg.locator("#stand")
        assert re.search(r"Dokument 1 von 1|Die Indexierung beginnt|Index", status.inner_text())
        violations = run_axe(pg)
        assert not violations, describe(violations)
        pg.get_by_text(re.compile(r"Seite \d+ von 6 gelesen|6 Seiten gelesen|Index ist fertig")).first.wait_for(
            timeout=60_000
        )
        # Once the app serves, the page becomes the app.
        pg.get_by_label("Ihre Frage").wait_for(timeout=120_000)
        assert foreign(pg.requests_seen) == [], foreign(pg.requests_seen)
        context.close()
        browser.close()
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
