"""A trainer builds a workshop kit in a real browser (headless Chromium via Playwright):
a section from the table of contents and a collected passage, a note, reordering, then
all formats downloaded and opened with independent readers; the kit file reopened with a
passage that no longer exists, which is flagged; a broken kit file refused in German; notes
shown for the chosen entry, and a typed note not replaced by a late server reply."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.app_fixtures import running_app
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, describe, foreign, open_app, run_axe
from workshop.exports import FILES

NOTE = "Mit Beispiel aus der eigenen Kommune einsteigen."


@pytest.fixture(scope="module")
def app_url(charter_index):
    with running_app(charter_index) as url:
        yield url


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE", accept_downloads=True)
        ctx.requests_seen = []
        ctx.on("request", lambda req: ctx.requests_seen.append(req.url))
        yield ctx
        ctx.close()
        browser.close()


def status(page, text: str) -> None:
    page.locator("[role=status]:visible", has_text=text).first.wait_for(timeout=30_000)


def choose_section(page, typed: str) -> None:
    box = page.get_by_label("Abschnitte auswählen")
    box.click()
    box.fill(typed)
    page.get_by_role("option", name=re.compile(re.escape(typed))).first.click()
    page.keyboard.press("Escape")


def download_all(page, folder: Path) -> dict[str, Path]:
    links = page.locator("#kit-dateien a[download]")
    links.first.wait_for(timeout=60_000)
    got = {}
    for i in range(links.count()):
        with page.expect_download() as info:
            links.nth(i).click()
        download = info.value
        path = folder / download.suggested_filename
        download.save_as(path)
        got[path.name] = path
    return got


def test_a_trainer_builds_a_kit_downloads_every_format_and_reopens_it(app_url, context, tmp_path):
    from docx import Document
    from pptx import Presentation
    from pypdf import PdfReader

    page = context.new_page()
    open_app(page, app_url)
    # One passage collected from the search first.
    page.get_by_role("tab", name="Suchen").click()
    page.get_by_label("Suchbegriffe oder Frage").fill("Datenhoheit")
    page.get_by_role("button", name="Suchen", exact=True).click()
    page.locator(".lotse-card").first.wait_for(timeout=30_000)
    page.locator("input[type=checkbox]:visible").first.check()
    page.locator("button:visible", has_text="Zur Sammlung hinzufügen").click()
    status(page, "1 Textstelle(n) zur Sammlung hinzugefügt.")

    page.get_by_role("tab", name="Workshop").click()
    page.get_by_label("Abschnitte auswählen").wait_for(timeout=15_000)
    assert page.get_by_role("tab", name="Workshop").count() == 1  # no ghost tab button
    choose_section(page, "3.2 Daten verantwortungsvoll")
    page.get_by_role("button", name="Abschnitte hinzufügen").click()
    status(page, "1 Eintrag/Einträge hinzugefügt.")
    page.get_by_role("button", name="Gesammelte Textstellen übernehmen").click()
    status(page, "1 Eintrag/Einträge hinzugefügt.")
    kit = page.locator("#kit")
    kit.get_by_text("2 Einträge im Kit").wait_for(timeout=15_000)
    assert "Abschnitt 3.2" in kit.inner_text()

    # A note on the section, and the collected passage moved to the front.
    page.get_by_label("Eintrag").click()
    page.get_by_role("option", name=re.compile(r"^1\. 3\.2")).click()
    page.get_by_label("Notiz", exact=True).fill(NOTE)
    page.get_by_role("button", name="Notiz speichern").click()
    kit.get_by_text(NOTE).wait_for(timeout=15_000)
    page.get_by_label("Eintrag").click()
    page.get_by_role("option", name=re.compile(r"^2\. ")).click()
    page.get_by_role("button", name="Nach oben").click()
    page.wait_for_function(
        "() => document.querySelector('#kit li:last-child') && "
        "document.querySelector('#kit li:last-child').innerText.includes('3.2')"
    )
    page.get_by_label("Titel der Schulung").fill("Daten in der Kommune")
    page.get_by_label("Zielgruppe (z. B. Verwaltungsmitarbeitende, Einstieg)").fill("Verwaltung, Einstieg")
    page.get_by_role("button", name="Material erstellen").click()
    status(page, "Material erstellt")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workshop.png"), full_page=True)
    violations = run_axe(page)
    assert not violations, describe(violations)

    files = download_all(page, tmp_path)
    assert set(files) == {*FILES.values(), "kit.json"}, files

    def pdf_text(name: str) -> str:
        return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(files[name]).pages)

    participants, trainer = pdf_text("handout.pdf"), pdf_text("kursleitung.pdf")
    assert "Daten in der Kommune" in participants
    assert "Abschnitt 3.2" in participants and NOTE in participants
    assert "Lösungen zum Quiz" in trainer and "Lösungen zum Quiz" not in participants
    docx_text = "\n".join(p.text for p in Document(str(files["handout.docx"])).paragraphs)
    assert NOTE in docx_text and "Abschnitt 3.2" in docx_text
    slides = Presentation(str(files["slides.pptx"]))
    assert len(slides.slides) >= 4  # title, two items, sources
    notes = " ".join(s.notes_slide.notes_text_frame.text for s in slides.slides if s.has_notes_slide)
    assert NOTE in notes
    quiz = ElementTree.parse(files["quiz.xml"]).getroot()
    assert quiz.tag == "quiz" and quiz.findall("question[@type='multichoice']")
    saved = json.loads(files["kit.json"].read_text(encoding="utf-8"))
    assert [i.get("section") for i in saved["items"]][-1] == "3.2"
    assert zipfile.is_zipfile(files["handout.docx"]) and zipfile.is_zipfile(files["slides.pptx"])

    # The kit survives a reload (the browser keeps a copy, like the collection).
    page.reload(wait_until="load")
    page.get_by_label("Ihre Frage").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Workshop").click()
    kit.get_by_text("2 Einträge im Kit").wait_for(timeout=15_000)
    assert page.get_by_role("tab", name="Workshop").count() == 1

    # The kit file reopened later, when one passage is no longer in the index.
    saved["items"].append({"doc_id": "smart-city-charta-2021", "passage_id": "smart-city-charta-2021:00000000:000:000"})
    changed = tmp_path / "kit-alt.json"
    changed.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    page.get_by_role("button", name="Kit leeren").click()
    kit.get_by_text("Das Kit ist leer").wait_for(timeout=15_000)
    page.set_input_files("#kit-datei", str(changed))
    status(page, "Kit „Daten in der Kommune“ geladen: 3 Einträge.")
    assert (
        "1 Eintrag/Einträge gibt es im aktuellen Index nicht mehr"
        in page.locator("[role=status]:visible").first.inner_text()
    )
    kit.get_by_text("Nicht mehr im Index").wait_for(timeout=15_000)
    assert page.get_by_label("Titel der Schulung").input_value() == "Daten in der Kommune"
    violations = run_axe(page)
    assert not violations, describe(violations)

    # A broken kit file gets a clear German message, and the kit stays as it was.
    page.get_by_label("Gespeicherte Kit-Datei (JSON) hier einfügen oder unten wählen").fill("{kaputt")
    page.get_by_role("button", name="Kit laden").click()
    page.get_by_text("Die Kit-Datei lässt sich nicht laden").first.wait_for(timeout=15_000)
    assert "3 Einträge im Kit" in kit.inner_text()
    assert foreign(context.requests_seen) == [], foreign(context.requests_seen)


def test_an_empty_kit_gets_a_clear_german_message(app_url, context):
    page = context.new_page()
    open_app(page, app_url)
    page.get_by_role("tab", name="Workshop").click()
    page.get_by_role("button", name="Kit leeren").click()
    page.get_by_role("button", name="Material erstellen").click()
    page.get_by_text("Das Kit ist leer. Fügen Sie Abschnitte").first.wait_for(timeout=15_000)
    assert page.locator("#kit-dateien a[download]").count() == 0


def test_a_note_typed_right_after_choosing_an_entry_is_kept_when_the_server_is_slow(app_url, context):
    """Choosing an entry shows its stored note; what the trainer types next must not be
    replaced by a late server reply (every request to the app is held back 1 s here)."""
    from playwright.sync_api import expect

    kit_file = {
        "format": "charta-lotse-kit",
        "version": 1,
        "title": "Notizen",
        "items": [
            {"doc_id": "smart-city-charta-2021", "section": "3.2", "note": "Gespeicherte Notiz"},
            {"doc_id": "smart-city-charta-2021", "section": "3.1", "note": ""},
        ],
    }
    page = context.new_page()
    open_app(page, app_url)
    page.get_by_role("tab", name="Workshop").click()
    page.get_by_label("Gespeicherte Kit-Datei (JSON) hier einfügen oder unten wählen").fill(
        json.dumps(kit_file, ensure_ascii=False)
    )
    page.get_by_role("button", name="Kit laden").click()
    status(page, "Kit „Notizen“ geladen: 2 Einträge.")
    note = page.get_by_label("Notiz", exact=True)

    def choose(number: int) -> None:
        page.get_by_label("Eintrag").click()
        page.get_by_role("option", name=re.compile(rf"^{number}\. ")).click()

    choose(1)
    expect(note).to_have_value("Gespeicherte Notiz", timeout=5_000)
    choose(2)
    expect(note).to_have_value("", timeout=5_000)

    def slow(route) -> None:
        page.wait_for_timeout(1000)
        route.continue_()

    page.route(re.compile(r"/gradio_api/"), slow)
    try:
        choose(1)
        note.fill(NOTE)
        page.wait_for_timeout(6000)  # a reply would be back after about 2.5 s
        assert note.input_value() == NOTE
    finally:
        page.unroute(re.compile(r"/gradio_api/"))
    page.close()


def test_each_collected_passage_shows_its_own_note_when_chosen(app_url, context):
    from playwright.sync_api import expect

    fresh = context.browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    page = fresh.new_page()  # a browser without the other tests' collection
    open_app(page, app_url)
    page.get_by_role("tab", name="Suchen").click()
    page.get_by_label("Suchbegriffe oder Frage").fill("Datenhoheit")
    page.get_by_role("button", name="Suchen", exact=True).click()
    page.locator(".lotse-card").first.wait_for(timeout=30_000)
    boxes = page.locator("input[type=checkbox]:visible")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("button:visible", has_text="Zur Sammlung hinzufügen").click()
    status(page, "2 Textstelle(n) zur Sammlung hinzugefügt.")
    page.get_by_role("tab", name=re.compile("^Sammlung")).click()
    note = page.get_by_label("Notiz", exact=True)

    def choose(number: int) -> None:
        page.get_by_label("Textstelle", exact=True).click()
        page.get_by_role("option", name=re.compile(rf"^\[{number}\] ")).click()

    choose(2)
    note.fill(NOTE)
    page.get_by_role("button", name="Notiz speichern").click()
    page.locator("#sammlung").get_by_text(NOTE).wait_for(timeout=15_000)
    choose(1)
    expect(note).to_have_value("", timeout=5_000)
    choose(2)
    expect(note).to_have_value(NOTE, timeout=5_000)
    fresh.close()
