"""The passage view: the quoted sentence marked on its PDF page, found on real charter pages.

Where a mark should be is worked out here independently of web/sourceview.py: with
PDFium's own text search on the page, in plain PDF coordinates.
"""

from __future__ import annotations

import io
import shutil
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pypdfium2 as pdfium
import pytest
from conftest import CHARTER, write_excerpt
from PIL import Image

from tests.app_fixtures import running_app
from web import sourceview
from web.sourceview import Box, PageMark, SourceView, build_view, locate, render_view, source_url

NIEMAND = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden."
ACROSS = "Bei energetischen und datentechnischen Verknüpfungen muss garantiert werden"
HYPHENATED_ACROSS = "Kommunen müssen die erforderlichen Investitionen"


def found_box(pdf_page: int, fragment: str, skip: int = 0, path: Path = CHARTER) -> Box:
    """The box of ``fragment`` (less its first ``skip`` characters) on the page as PDFium's
    text search finds it, as fractions of the page from the top left."""
    pdf = pdfium.PdfDocument(str(path))
    page = pdf[pdf_page - 1]
    assert page.get_rotation() == 0 and page.get_cropbox()[:2] == (0.0, 0.0)
    width, height = page.get_width(), page.get_height()
    textpage = page.get_textpage()
    match = textpage.search(fragment, match_case=True).get_next()
    assert match is not None, f"{fragment!r} is not on PDF page {pdf_page}"
    boxes = [textpage.get_charbox(i) for i in range(match[0] + skip, match[0] + match[1])]
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
    pdf.close()
    return Box(left / width, 1 - top / height, right / width, 1 - bottom / height)


def overlap(a: Box, b: Box) -> float:
    """The share of ``b`` that ``a`` covers."""
    w = min(a.right, b.right) - max(a.left, b.left)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    return max(w, 0) * max(h, 0) / ((b.right - b.left) * (b.bottom - b.top))


def sentence_place(searcher, text: str) -> tuple[str, tuple[int, int]]:
    """A passage that holds the sentence starting with ``text``, and the sentence's offsets in it."""
    row = next(i for i, s in enumerate(searcher.sentences) if s.text.startswith(text))
    passage = searcher._passages_of[row][0]
    where = searcher.sentence_offsets(passage, row)
    assert where is not None
    return searcher.passages[passage].id, where


def test_the_quoted_sentence_is_marked_where_the_pdf_has_it_and_nowhere_else(charter_searcher):
    passage_id, where = sentence_place(charter_searcher, NIEMAND)
    view = build_view(charter_searcher, passage_id, [where])
    assert view is not None and view.sentences == [NIEMAND]
    assert "Abschnitt 2.2, S. 8" in view.citation
    [page] = view.pages
    assert page.pdf_page == 8 and page.missing == 0 and len(page.boxes) == 2  # the sentence's two lines
    first, second = page.boxes
    assert overlap(first, found_box(8, "Niemand soll zur Nutzung digitaler")) > 0.95
    assert overlap(second, found_box(8, "gezwungen werden.")) > 0.95
    # Neither the sentence before it (at the foot of the left column) nor the one after
    # it (on its last line).
    before, after = found_box(8, "Netzwerke angeboten werden."), found_box(8, "werden. Kommunen", skip=8)
    assert all(overlap(box, before) == 0 and overlap(box, after) == 0 for box in page.boxes)


@pytest.mark.parametrize(
    ("sentence", "pages", "cited", "head", "tail"),
    [
        (ACROSS, (10, 11), "S. 10–11", "Bei energetischen", "funktionsfähig bleiben"),
        # "In-|vestitionen" is split by the page break; the index joins it onto page 16.
        (HYPHENATED_ACROSS, (16, 17), "S. 16–17", "Kommunen müssen die", "in die technische Infrastruktur"),
    ],
)
def test_a_sentence_across_a_page_break_is_marked_on_both_pages(charter_searcher, sentence, pages, cited, head, tail):
    passage_id, where = sentence_place(charter_searcher, sentence)
    view = build_view(charter_searcher, passage_id, [where])
    assert view is not None and cited in view.citation
    assert [p.pdf_page for p in view.pages] == list(pages)
    assert all(p.boxes and p.missing == 0 for p in view.pages)
    assert max(overlap(b, found_box(pages[0], head)) for b in view.pages[0].boxes) > 0.95
    assert max(overlap(b, found_box(pages[1], tail)) for b in view.pages[1].boxes) > 0.95


def test_a_sentence_that_is_not_on_the_page_is_not_found_there(charter_searcher):
    doc = next(iter(charter_searcher.stored.documents.values()))
    page8, page10 = (next(p["text"] for p in doc["pages"] if p["pdf_page"] == n) for n in (8, 10))
    chars = sourceview.page_chars(CHARTER, 8).text
    start = page8.index(NIEMAND)
    assert locate(page8, start, start + len(NIEMAND), chars) is not None
    # A sentence of page 10 looked for on page 8: no place fits, so no mark.
    start = page10.index("Kommunen sollten sich den Zugang")
    end = page10.index(".", start) + 1
    assert locate(page10, start, end, sourceview.page_chars(CHARTER, 10).text) is not None
    assert locate(page10, start, end, chars) is None


def test_a_pdf_that_no_longer_holds_the_sentence_shows_the_page_unmarked_and_says_so(workspace):
    from index.search import Searcher

    searcher = Searcher.open(workspace)
    # The file under the indexed name now starts one page later: its page 8 is the
    # charter's page 9.
    pdf = workspace.corpus_dir / CHARTER.name
    write_excerpt(workspace.corpus_dir / "neu.pdf", range(1, 21), "Smart City Charta")
    shutil.move(workspace.corpus_dir / "neu.pdf", pdf)
    passage_id, where = sentence_place(searcher, NIEMAND)
    view = build_view(searcher, passage_id, [where])
    assert view is not None
    [page] = view.pages
    assert page.pdf_page == 8 and page.boxes == [] and page.missing == 1
    html, _ = render_view(view, "de")
    assert "Die Stelle ließ sich auf dieser Seite nicht sicher finden" in html
    assert 'class="mark"' not in html and "ohne Markierung" in html


def test_everything_from_the_document_is_escaped_in_the_view():
    evil = '<script>alert(1)</script><img src="https://evil.example/x.png">'
    view = SourceView(
        file=evil,
        title=evil,
        citation=evil,
        sentences=[evil],
        pages=[PageMark(8, evil, [evil], [Box(0.1, 0.1, 0.2, 0.12)])],
    )
    html, _ = render_view(view, "de")
    assert "<script" not in html and 'evil.example/x.png"' not in html and "&lt;script&gt;" in html
    assert html.count("<img") == 1 and 'src="/seitenbild/%3Cscript%3E' in html


def test_pages_are_rendered_within_bounds_and_kept(charter_index):
    sourceview.clear_cache()
    start = time.perf_counter()
    png = sourceview.page_png(CHARTER, 8)
    first = time.perf_counter() - start
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (893, 1263)  # A4 at 1.5 px per point
    start = time.perf_counter()
    assert sourceview.page_png(CHARTER, 8) is png
    again = time.perf_counter() - start
    print(f"page 8 rendered in {first * 1000:.0f} ms, from the cache in {again * 1000:.2f} ms")
    assert first < 5.0 and again < 0.01  # a child process renders it (web/pagerender.py)


@pytest.fixture(scope="module")
def app_url(charter_index):
    with running_app(charter_index) as url:
        yield url


def get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_the_view_serves_indexed_passages_and_pages_only(app_url, charter_searcher):
    passage_id, where = sentence_place(charter_searcher, NIEMAND)
    status, headers, body = get(app_url + source_url(passage_id, [where]))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    page = body.decode("utf-8")
    assert NIEMAND in page and "/seitenbild/smart-city-charta-2021.pdf/8" in page
    status, headers, body = get(app_url + "/seitenbild/smart-city-charta-2021.pdf/8")
    assert status == 200 and headers["Content-Type"] == "image/png" and body.startswith(b"\x89PNG")
    name = quote(CHARTER.name)
    refused = {
        source_url("smart-city-charta-2021:00000000:009:002", []): 404,  # no such passage
        source_url(passage_id, [(5000, 5100)]): 404,  # no sentence there
        f"/stelle/{quote(passage_id, safe='')}?hl=1-2%3Cscript%3E": 400,
        f"/stelle/{quote(passage_id, safe='')}?hl=" + ",".join(["1-2"] * 9): 400,
        f"/seitenbild/{name}/0": 404,
        f"/seitenbild/{name}/22": 404,  # the charter has 21 pages
        f"/seitenbild/{name}/99999999999999999999": 404,
        "/seitenbild/andere.pdf/1": 404,
        "/seitenbild/..%2Fcatalog.toml/1": 404,
        "/seitenbild/catalog.toml/1": 404,
    }
    for path, code in refused.items():
        assert get(app_url + path)[0] == code, path
