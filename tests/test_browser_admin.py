"""The admin tab in a real browser, as a maintainer uses it: a wrong token, then the
right one, a real multi-page PDF uploaded, its indexing followed in pages, passages and
time left, then the finished status; in German only, seen from an English browser
(Gradio's own texts follow the browser), and in English only after the switch.

The browser's language is English on purpose: a German interface then shows any English
that Gradio or the tab lets through. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import charter_corpus, write_excerpt

from tests.app_fixtures import running_app
from tests.test_browser import ARGS, ARTIFACTS, AXE, CHROMIUM, describe, foreign, run_axe

TOKEN = "geheim-1"

# Words only English has (in the German interface, none may show), and only German (in
# the English one). Checked on the tab's visible text, its control names and what the
# page announces to screen readers.
ENGLISH = re.compile(
    r"\b(the|and|of|or|to|drop|file|files|here|click|upload|added|updated|embedding|embedded|pages|page|"
    r"passages|sentences|left|done|loading|complete|error|copy|table|fullscreen|open|cell|menu|new|"
    r"unchanged|refused|documents?|log|time|show|about|read|remove|download|close|more|tabs|actions|"
    r"progress|state|title|edition|note|indexed|login)\b",
    re.IGNORECASE,
)
GERMAN = re.compile(
    r"\b(der|die|das|und|oder|noch|etwa|Seiten?|Passagen|Sätze|Dokumente?|hinzugefügt|gelesen|eingebettet|"
    r"Restzeit|Fertig|Dateien?|hier|ablegen|Hochladen|Anmelden|Verwaltung|Zustand|Titel|Ausgabe|Hinweis|"
    r"aktuell|neu|ersetzen|Schließen|Kopieren|Tabelle|Protokoll|Fortschritt|indexiert|durchsuchbar)\b"
)
# An i18n key instead of a text, like Gradio's "common.complete".
KEY = re.compile(r"^\s*[a-z_]+(\.[a-z_]+)+\s*$")

# Every text put into a live region or status element, as a screen reader hears it: as
# it stands once the page's scripts have run (a task later).
RECORD_SAID = """
window.lotseSaid = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    const el = change.target.nodeType === Node.TEXT_NODE ? change.target.parentElement : change.target;
    const region = el && el.closest && el.closest("[aria-live], [role=status], [role=alert]");
    if (region) setTimeout(() => {
      const text = region.textContent.trim();
      if (text && window.lotseSaid[window.lotseSaid.length - 1] !== text) window.lotseSaid.push(text);
    }, 0);
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""

# What the admin tab shows and names: visible text, the log's text, and the names and
# titles of its controls.
TAB_WORDS = """() => {
  const tab = [...document.querySelectorAll("[role=tabpanel]")].find((p) => p.offsetParent !== null);
  const names = [...tab.querySelectorAll("[aria-label], [title], [placeholder]")]
    .filter((el) => el.offsetParent !== null)
    .flatMap((el) => ["aria-label", "title", "placeholder"].map((a) => el.getAttribute(a)).filter(Boolean));
  const values = [...tab.querySelectorAll("textarea")].map((t) => t.value);
  return [tab.innerText, ...values, ...names].join("\\n");
}"""

# Headers of the status table whose text runs over more than one line.
BROKEN_HEADERS = """() => [...document.querySelectorAll("#dokumente-status th .header")].filter((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
}).map((el) => el.textContent.trim())"""


def words(pattern: re.Pattern, text: str) -> list[str]:
    """The lines of ``text`` with a word of ``pattern``."""
    return [line for line in text.splitlines() if pattern.search(line)]


@pytest.fixture(scope="module", autouse=True)
def _browser_tools():
    missing = [str(p) for p in (CHROMIUM, AXE) if not __import__("pathlib").Path(p).exists()]
    if missing:
        pytest.fail(f"browser test needs {', '.join(missing)}: run bash scripts/run-tests.sh")


@pytest.fixture
def app(charter_index, tmp_path):
    from common.settings import load_settings

    shutil.copytree(charter_index.index_dir, tmp_path / "index")
    settings = load_settings(
        env={}, corpus_dir=charter_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index", admin_token=TOKEN
    )
    with running_app(settings) as url:
        yield url, settings


@pytest.fixture
def page(app):
    from playwright.sync_api import sync_playwright

    url, _settings = app
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.add_init_script(RECORD_SAID)
        # A maintainer who chose German before (a first visit would follow the browser).
        context.add_init_script(
            "if (!localStorage.getItem('charta-lotse-sprache')) localStorage.setItem('charta-lotse-sprache', 'de');"
        )
        pg = context.new_page()
        pg.requests_seen = []
        context.on("request", lambda req: pg.requests_seen.append(req.url))
        pg.goto(url, wait_until="load")
        pg.get_by_label("Ihre Frage").wait_for(timeout=30_000)
        yield pg
        context.close()
        browser.close()


def test_a_maintainer_follows_a_large_pdf_being_indexed_in_german(page, app, tmp_path):
    _url, settings = app
    # A real six-page PDF: pages of the charter, with a title of its own.
    pdf = write_excerpt(tmp_path / "upload" / "Leitfaden Teilhabe.pdf", range(9, 15), "Leitfaden Teilhabe")
    page.get_by_role("tab", name="Verwaltung").click()
    assert page.get_by_label("PDF-Dateien").count() == 0  # nothing to upload into before a login

    # A wrong token: a warning, which goes once the right token has logged in.
    page.get_by_label("Admin-Token").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    warning = page.get_by_test_id("toast-body").filter(has_text="Falsches oder fehlendes Admin-Token.")
    warning.wait_for(timeout=15_000)
    page.get_by_label("Admin-Token").fill(TOKEN)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Angemeldet.").wait_for(timeout=15_000)
    warning.wait_for(state="detached", timeout=5_000)
    page.wait_for_function("document.cookie.includes('charta_upload=')", timeout=15_000)
    assert {c["name"]: c for c in page.context.cookies()}["charta_upload"]["sameSite"] == "Strict"

    page.locator("input[type=file][accept='.pdf']").set_input_files(str(pdf))
    page.get_by_role("button", name="Hochladen und indexieren").click()
    progress = page.locator("#indexierung")
    # While it runs: the document, pages read of all, passages and sentences embedded of
    # all, and the time left measured from the model's rate.
    progress.get_by_text(re.compile(r"Restzeit: noch etwa \d+ (s|min)")).wait_for(timeout=180_000)
    running = progress.inner_text()
    assert "Leitfaden Teilhabe.pdf – Dokument 1 von 1" in running, running
    assert "Seiten gelesen: 6 von 6" in running, running
    assert re.search(r"Passagen eingebettet: \d+ von [1-9]\d*", running), running
    assert re.search(r"Sätze eingebettet: \d+ von [1-9]\d*", running), running
    assert progress.locator("progress").count() == 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-progress.png"), full_page=True)
    while_running = page.evaluate(TAB_WORDS)
    assert not words(ENGLISH, while_running), words(ENGLISH, while_running)

    # Finished: how long it took, the log, and the status table.
    progress.get_by_text("Fertig nach").wait_for(timeout=180_000)
    assert re.search(r"Fertig nach [\d,]+ (s|min)[^:]*: 6 Seiten und \d+ Passagen indexiert", progress.inner_text())
    log = page.get_by_label("Protokoll").input_value()
    assert "+ Leitfaden Teilhabe.pdf: hinzugefügt" in log, log
    assert re.search(r"✓ Leitfaden Teilhabe.pdf: 6 Seiten, \d+ Passagen, [\d,]+ s \(neu\)", log), log
    assert "= smart-city-charta-2021.pdf: 21 Seiten, 120 Passagen (unverändert)" in log, log
    assert "Fertig: die neuen Dokumente sind jetzt durchsuchbar." in log, log
    table = page.locator("#dokumente-status")
    table.get_by_text("leitfaden-teilhabe").wait_for(timeout=15_000)
    assert "aktuell" in table.inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)

    shown = page.evaluate(TAB_WORDS)
    assert not words(ENGLISH, shown), words(ENGLISH, shown)
    # What Gradio's status region says when an event is done (it waits up to 5 s between
    # announcements): in German, and never a text key.
    page.wait_for_function("window.lotseSaid.includes('Fertig.')", timeout=15_000)
    said = page.evaluate("window.lotseSaid")
    assert not [s for s in said if KEY.match(s) or words(ENGLISH, s)], said
    assert page.evaluate(BROKEN_HEADERS) == []
    violations = run_axe(page)
    assert not violations, describe(violations)

    # In English, the same tab says it all in English.
    page.get_by_label("English").check()
    page.get_by_role("tab", name="Administration").first.wait_for(timeout=10_000)
    page.get_by_label("Log", exact=True).wait_for(timeout=10_000)
    english = page.evaluate(TAB_WORDS)
    assert "+ Leitfaden Teilhabe.pdf: added" in english and "Done after" in english, english
    assert "Pages" in english and "State" in english, english  # the table's headers
    assert not words(GERMAN, english), words(GERMAN, english)
    assert page.evaluate(BROKEN_HEADERS) == []
    assert (settings.corpus_dir / "Leitfaden Teilhabe.pdf").is_file()
    assert foreign(page.requests_seen) == [], foreign(page.requests_seen)


def test_status_table_headers_stay_whole_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("button[aria-label='Weitere Registerkarten']").first.click()
    page.get_by_role("tab", name="Verwaltung").or_(page.get_by_text("Verwaltung", exact=True)).last.click()
    page.get_by_label("Admin-Token").fill(TOKEN)
    page.get_by_role("button", name="Status anzeigen").click()
    page.locator("#dokumente-status span:visible", has_text="smart-city-charta-2021").first.wait_for(timeout=15_000)
    assert page.evaluate(BROKEN_HEADERS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls in its box
    page.screenshot(path=str(ARTIFACTS / "admin-phone.png"), full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)
