"""Make the README screenshots (docs/ask.png, docs/passages.png, docs/browse.png) with headless Chromium.

    python docs/make_screenshots.py [--index-dir DIR]

Starts the app on a free local port over the index (CHARTA_INDEX_DIR or --index-dir),
asks a German question the charter answers and one where it shows the closest passage,
opens a section in the browse view, and saves the three views.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app_fixtures import running_app  # noqa: E402
from tests.test_browser import ARGS, CHROMIUM, open_app  # noqa: E402

QUESTION = "Darf jemand gezwungen werden, digitale Angebote zu nutzen?"
# The passages outcome: no confirmed answer, the closest sentence quoted first.
PASSAGES_QUESTION = "Zahlt der Staat dafür, dass wir auf dem Land endlich schnelles Internet bekommen?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from common.settings import load_settings
    from index.build import ensure_index

    settings = load_settings(index_dir=args.index_dir)
    ensure_index(settings)
    out = ROOT / "docs"
    with running_app(settings) as url, sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1200, "height": 1000},
            locale="de-DE",
        )
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        open_app(page, url)
        page.get_by_label("Ihre Frage").fill(QUESTION)
        page.get_by_role("button", name="Fragen", exact=True).click()
        page.locator("#belegstellen .lotse-card").first.wait_for(timeout=30_000)
        page.screenshot(path=str(out / "ask.png"))
        page.get_by_role("button", name="Neue Unterhaltung").click()
        page.get_by_label("Ihre Frage").fill(PASSAGES_QUESTION)
        page.get_by_role("button", name="Fragen", exact=True).click()
        page.locator("#antwort .lotse-closest").wait_for(timeout=30_000)
        page.locator("#belegstellen .lotse-card").first.wait_for(timeout=30_000)
        page.screenshot(path=str(out / "passages.png"))
        page.get_by_role("tab", name="Blättern").click()
        page.locator("#abschnitt nav.lotse-toc").get_by_role("link", name="2.2 Digitale Teilhabe").click()
        page.locator("#abschnitt").get_by_text("Niemand soll zur Nutzung digitaler").wait_for(timeout=15_000)
        page.screenshot(path=str(out / "browse.png"))
        ctx.close()
    print(f"wrote {out / 'ask.png'}, {out / 'passages.png'} and {out / 'browse.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
