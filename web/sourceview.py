"""The quoted sentence in its place: the PDF page as an image, the sentence marked on it.

``/stelle/<passage id>?hl=<start>-<end>`` is an HTML page: the citation, the marked
sentences as text, and each PDF page they lie on as an image (``/seitenbild/<file>/<page>``,
rendered here with PDFium) with a box over every line of them. The offsets in ``hl`` are
character offsets into the passage's indexed text, as :class:`answer.answer.CitedPassage`
holds them; the server snaps them to whole sentences of its own index, so a URL can
choose which indexed sentences to mark, never what text to show.

Finding the sentence on the page: the index holds cleaned text (hyphenation joined,
spacing normalised, page furniture removed), PDFium the page's characters with their
boxes. Both are reduced to lowercase letters and digits (:func:`normalise`) and the
sentence's part on that page is looked up in the page's characters; it counts as found
only where exactly one place fits, with as much of the surrounding text as it takes to
tell places apart (:func:`locate`). Otherwise the page is shown without a mark and the
view says so: a mark in the wrong place would be worse than none. A page without text
layer, read by OCR at ingest, has no characters in the PDF: its words and their boxes are
in the index (:func:`ocr_chars`), and the sentence is looked up in them the same way.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import functools
import hashlib
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from answer.cite import citation, citation_in
from index.search import Searcher
from text.sentences import trim_span
from web.guard import TooManyRequests
from web.i18n import t
from web.pagerender import TooSlow, render_png
from web.render import esc, pdf_url

SOURCE_ROUTE = "/stelle"
PAGE_IMAGE_ROUTE = "/seitenbild"

# Bounds on the work one request can cause: the image size, the marks per view, the
# pages per view, the pages kept rendered.
MAX_SCALE = 1.5
MAX_WIDTH_PX = 1400
MAX_HEIGHT_PX = 2000
MAX_SPANS = 8
MAX_PAGES = 4
CACHED_PAGES = 32
LOCK_WAIT_S = 10.0
# The render budget (web/pagerender.py): seconds per page, renders at once (one per
# client), and how long a request may wait for its turn.
RENDER_TIMEOUT_S = 10.0
RENDER_WORKERS = 2
RENDER_WAIT_S = 30.0
# Context widths (characters of the cleaned page text) tried on each side of a part that
# occurs more than once on the page.
_CONTEXT = (0, 40, 120, 400)
_PUNCT = ".,;:!?…\"'„“”‚‘’»«()[]"
_HL = re.compile(r"\d{1,7}-\d{1,7}(?:,\d{1,7}-\d{1,7})*")

# PDFium must not be called from two threads at once; requests run in a thread pool.
_PDFIUM = threading.Lock()


class Busy(Exception):
    """PDFium stayed busy with other requests for longer than :data:`LOCK_WAIT_S`."""


@dataclass(frozen=True)
class Box:
    """A rectangle on the page as fractions of its width and height, from the top left."""

    left: float
    top: float
    right: float
    bottom: float

    def union(self, other: Box) -> Box:
        return Box(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )


@dataclass(frozen=True)
class PageChars:
    """A PDF page's characters in PDFium's order, each with its box (None: no ink)."""

    text: str
    boxes: tuple[Box | None, ...]


@dataclass
class PageMark:
    """One page of the view: what of the marked sentences lies on it, and where."""

    pdf_page: int
    label: str  # printed page label
    parts: list[str] = field(default_factory=list)  # the sentences' text on this page
    boxes: list[Box] = field(default_factory=list)  # one per line of the found parts
    missing: int = 0  # parts that could not be found with certainty


@dataclass
class SourceView:
    """Everything the view shows; made from the index only (:func:`build_view`)."""

    file: str
    title: str
    citation: str
    sentences: list[str]
    pages: list[PageMark]


# --------------------------------------------------------------------------- matching


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` reduced to lowercase letters and digits, and for each character kept the
    index of the character it comes from, so that spacing, hyphenation, soft hyphens,
    ligatures and punctuation (which cleaning changes) do not matter.

    >>> normalise("Struk-\\r\\nturen ﬁx")
    ('strukturenfix', [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 14, 14, 15])
    >>> normalise("Straße „A“")[0]
    'strassea'
    """
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                out.append(c)
                where.append(i)
    return "".join(out), where


def _places(hay: str, needle: str, limit: int = 2) -> list[int]:
    found: list[int] = []
    at = hay.find(needle)
    while at >= 0 and len(found) < limit:
        found.append(at)
        at = hay.find(needle, at + 1)
    return found


def locate(page_text: str, start: int, end: int, chars: str) -> tuple[int, int] | None:
    """Where ``page_text[start:end]`` (cleaned text) lies in ``chars`` (the PDF page's
    characters): ``(first, last + 1)`` character indices, or None unless exactly one place
    fits. A part found more than once is told apart by the cleaned text around it.

    >>> page = "Kommunen sollen handeln. Kommunen sollen prüfen."
    >>> pdf = "Kommunen sol-\\r\\nlen handeln. Kom-\\r\\nmunen sollen prü-\\r\\nfen."
    >>> a, b = locate(page, 25, 48, pdf); pdf[a:b]
    'Kom-\\r\\nmunen sollen prü-\\r\\nfen.'
    >>> locate(page, 0, 8, pdf)  # "Kommunen" twice; the text after it tells them apart
    (0, 8)
    >>> locate(page, 0, 8, "Kommunen und Kommunen") is None
    True
    """
    hay, where = normalise(chars)
    part = normalise(page_text[start:end])[0]
    if not part:
        return None
    for width in _CONTEXT:
        sides = ((0, 0),) if width == 0 else ((width, width), (width, 0), (0, width))
        for before_w, after_w in sides:
            before = normalise(page_text[max(0, start - before_w) : start])[0]
            after = normalise(page_text[end : end + after_w])[0]
            places = _places(hay, before + part + after)
            if len(places) == 1:
                first = places[0] + len(before)
                return _edges(page_text[start:end], chars, where[first], where[first + len(part) - 1] + 1)
    return None


def _edges(part: str, chars: str, a: int, b: int) -> tuple[int, int]:
    """``[a, b)`` widened over the punctuation that ``part`` has before its first and after
    its last letter or digit (quotes, the full stop), where the page has it too.

    >>> _edges("„Ja.“", "Er sagte „Ja.“ und ging", 10, 12)
    (9, 14)
    """
    lead = len(part) - len(part.lstrip(_PUNCT))
    trail = len(part) - len(part.rstrip(_PUNCT))
    while lead and a > 0 and chars[a - 1] in _PUNCT:
        a, lead = a - 1, lead - 1
    while trail and b < len(chars) and chars[b] in _PUNCT:
        b, trail = b + 1, trail - 1
    return a, b


def line_boxes(boxes: list[Box]) -> list[Box]:
    """Character boxes (in reading order) merged into one box per line: a box that
    overlaps the line vertically and does not go back left continues it (a comma sits
    lower than the letters before it, the next line starts further left).

    >>> line_boxes([Box(.1, .1, .2, .12), Box(.2, .115, .205, .125), Box(.21, .1, .3, .12),
    ...             Box(.1, .125, .2, .145)])
    [Box(left=0.1, top=0.1, right=0.3, bottom=0.125), Box(left=0.1, top=0.125, right=0.2, bottom=0.145)]
    """
    lines: list[Box] = []
    for box in boxes:
        if lines:
            last = lines[-1]
            if box.top < last.bottom and box.bottom > last.top and box.left >= last.right - 0.02:
                lines[-1] = last.union(box)
                continue
        lines.append(box)
    return lines


# --------------------------------------------------------------------------- PDFium


def _key(path: Path) -> tuple[str, int, int]:
    """A cache key that changes when the file does."""
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


class _Locked:
    def __enter__(self) -> None:
        if not _PDFIUM.acquire(timeout=LOCK_WAIT_S):
            raise Busy()

    def __exit__(self, *exc: object) -> None:
        _PDFIUM.release()


def _index(pdf: pdfium.PdfDocument, pdf_page: int) -> int:
    """PDFium's 0-based index of a 1-based page number; no negative indices from the end."""
    if not 1 <= pdf_page <= len(pdf):
        raise IndexError(f"page {pdf_page} of {len(pdf)}")
    return pdf_page - 1


def page_count(path: Path) -> int:
    """How many pages the PDF has."""
    return _page_count(_key(path))


@functools.lru_cache(maxsize=64)
def _page_count(key: tuple[str, int, int]) -> int:
    with _Locked():
        pdf = pdfium.PdfDocument(key[0])
        try:
            return len(pdf)
        finally:
            pdf.close()


def page_chars(path: Path, pdf_page: int) -> PageChars:
    """The characters of page ``pdf_page`` (1-based) with their boxes."""
    return _page_chars(_key(path), pdf_page)


@functools.lru_cache(maxsize=CACHED_PAGES)
def _page_chars(key: tuple[str, int, int], pdf_page: int) -> PageChars:
    with _Locked():
        pdf = pdfium.PdfDocument(key[0])
        try:
            page = pdf[_index(pdf, pdf_page)]
            textpage = page.get_textpage()
            # Device coordinates of a virtual rendering at 10 px per point: the same
            # mapping (crop box, /Rotate) as the image, with sub-pixel precision.
            width, height = round(page.get_width() * 10), round(page.get_height() * 10)
            dx, dy = ctypes.c_int(), ctypes.c_int()

            def device(x: float, y: float) -> tuple[float, float]:
                pdfium_c.FPDF_PageToDevice(page, 0, 0, width, height, 0, x, y, dx, dy)
                return dx.value / width, dy.value / height

            # One character per index, aligned with the boxes (get_text_range() may
            # leave out or add characters).
            n = textpage.count_chars()
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) for i in range(n))
            boxes: list[Box | None] = []
            for i, ch in enumerate(text):
                left, bottom, right, top = textpage.get_charbox(i)
                if ch.isspace() or right <= left or top <= bottom:
                    boxes.append(None)
                    continue
                (x0, y0), (x1, y1) = device(left, top), device(right, bottom)
                boxes.append(Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            textpage.close()
            page.close()
            return PageChars(text, tuple(boxes))
        finally:
            pdf.close()


def ocr_chars(lines: list[list[list[Any]]]) -> PageChars:
    """The characters of a page read by OCR, from its words in the index (lines of
    ``[text, left, top, right, bottom]``, fractions of the page): each character gets an
    equal share of its word's box, so a mark can begin or end inside a word.

    >>> chars = ocr_chars([[["Daten", 0.1, 0.2, 0.2, 0.22], ["teilen", 0.21, 0.2, 0.3, 0.22]]])
    >>> chars.text, chars.boxes[1], chars.boxes[5]
    ('Daten teilen\\n', Box(left=0.12, top=0.2, right=0.14, bottom=0.22), None)
    """
    text: list[str] = []
    boxes: list[Box | None] = []
    for line in lines:
        for k, word in enumerate(line):
            try:
                token, left, top, right, bottom = str(word[0]), *(float(v) for v in word[1:5])
            except (TypeError, ValueError, IndexError):
                continue
            if k:
                text.append(" ")
                boxes.append(None)
            step = (right - left) / max(len(token), 1)
            for j, ch in enumerate(token):
                text.append(ch)
                boxes.append(Box(round(left + j * step, 6), top, round(left + (j + 1) * step, 6), bottom))
        text.append("\n")
        boxes.append(None)
    return PageChars("".join(text), tuple(boxes))


def scale_for(width_pt: float, height_pt: float) -> float:
    """The rendering scale: 1.5 pixels per point, less for pages that would get too big.

    >>> scale_for(595.3, 841.9), round(scale_for(2000, 1000), 3)
    (1.5, 0.7)
    """
    return min(MAX_SCALE, MAX_WIDTH_PX / max(width_pt, 1.0), MAX_HEIGHT_PX / max(height_pt, 1.0))


class _RenderShare:
    """Page renders: at most ``workers`` at once, and at most one per client, so that one
    client never holds every worker. A client's further requests wait for its own turn
    (at most ``queue`` of them; more: :class:`web.guard.TooManyRequests`)."""

    def __init__(self, workers: int, queue: int) -> None:
        self.queue = queue
        self._pool = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._clients: dict[str, tuple[threading.Lock, list[int]]] = {}  # client → (its turn, [users])

    @contextlib.contextmanager
    def turn(self, client: str, wait_s: float) -> Iterator[None]:
        deadline = time.monotonic() + wait_s
        with self._lock:
            own, users = self._clients.setdefault(client, (threading.Lock(), [0]))
            if users[0] >= self.queue:
                raise TooManyRequests(client)
            users[0] += 1
        try:
            if not own.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise Busy()
            try:
                if not self._pool.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    raise Busy()
                try:
                    yield
                finally:
                    self._pool.release()
            finally:
                own.release()
        finally:
            with self._lock:
                users[0] -= 1
                if not users[0]:
                    del self._clients[client]


_RENDERS = _RenderShare(RENDER_WORKERS, queue=MAX_PAGES)
_CACHE_LOCK = threading.Lock()
_PNGS: OrderedDict[tuple[tuple[str, int, int], int], bytes] = OrderedDict()
_TOO_SLOW: OrderedDict[tuple[tuple[str, int, int], int], str] = OrderedDict()


def clear_cache() -> None:
    """Forget rendered pages and pages found too slow (tests; a changed file changes the key anyway)."""
    with _CACHE_LOCK:
        _PNGS.clear()
        _TOO_SLOW.clear()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    with _CACHE_LOCK:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)


def _cached(key: tuple[tuple[str, int, int], int]) -> bytes | None:
    with _CACHE_LOCK:
        if key in _TOO_SLOW:
            raise TooSlow(_TOO_SLOW[key])
        png = _PNGS.get(key)
        if png is not None:
            _PNGS.move_to_end(key)
        return png


def page_png(path: Path, pdf_page: int, client: str = "", timeout_s: float = RENDER_TIMEOUT_S) -> bytes:
    """Page ``pdf_page`` (1-based) as a PNG, at most 1400 × 2000 pixels, rendered in a
    child process within ``timeout_s`` (else :class:`TooSlow`, also for every later
    request of that page), kept for the next request. ``client`` waits for its own turn
    (:class:`_RenderShare`)."""
    key = (_key(path), pdf_page)
    png = _cached(key)
    if png is not None:
        return png
    with _RENDERS.turn(client, RENDER_WAIT_S):
        png = _cached(key)  # rendered while this request waited
        if png is not None:
            return png
        try:
            png = render_png(path, pdf_page, (MAX_SCALE, MAX_WIDTH_PX, MAX_HEIGHT_PX), timeout_s)
        except TooSlow as exc:
            _remember(_TOO_SLOW, key, str(exc), 4 * CACHED_PAGES)
            raise
    _remember(_PNGS, key, png, CACHED_PAGES)
    return png


# --------------------------------------------------------------------------- the view


def passage_row(searcher: Searcher, passage_id: str) -> int | None:
    """The row of the passage with this id in the searcher's index generation."""
    return searcher.row_of(passage_id)


def parse_spans(value: str) -> list[tuple[int, int]] | None:
    """``"12-40,41-90"`` as spans; None for anything else or more than 8 spans.

    >>> parse_spans("12-40,41-90"), parse_spans(""), parse_spans("1-2<script>")
    ([(12, 40), (41, 90)], [], None)
    """
    if not value:
        return []
    if len(value) > 16 * MAX_SPANS or not _HL.fullmatch(value):
        return None
    spans = [(int(a), int(b)) for a, b in (s.split("-") for s in value.split(","))]
    return spans if len(spans) <= MAX_SPANS else None


def source_url(passage_id: str, highlights: list[tuple[int, int]], lang: str = "de") -> str:
    """The view of a passage with its marked sentences; the one way to link it.

    >>> source_url("charta:0e3f:009:002", [(0, 63)], "en")
    '/stelle/charta%3A0e3f%3A009%3A002?hl=0-63&lang=en'
    """
    query = []
    if highlights:
        query.append("hl=" + ",".join(f"{int(a)}-{int(b)}" for a, b in highlights[:MAX_SPANS]))
    if lang == "en":
        query.append("lang=en")
    return f"{SOURCE_ROUTE}/{quote(passage_id, safe='')}" + ("?" + "&".join(query) if query else "")


def page_image_url(file: str, pdf_page: int) -> str:
    """
    >>> page_image_url("Leitfaden #2.pdf", 3)
    '/seitenbild/Leitfaden%20%232.pdf/3'
    """
    return f"{PAGE_IMAGE_ROUTE}/{quote(file, safe='')}/{int(pdf_page)}"


def _page_parts(
    passage_text: str, spans: list[dict[str, int]], pages: dict[int, dict[str, Any]], start: int, end: int
) -> list[tuple[int, int, int]]:
    """The pieces of passage text ``[start, end)`` per page: ``(pdf_page, page start, page
    end)`` offsets into the cleaned page text. A passage's text is its pages' texts joined
    by one character (ingest/document.py), each page's piece named in ``spans``."""
    parts = []
    at = 0
    for span in spans:
        page = pages.get(span["pdf_page"])
        if page is None:
            return []
        piece = page["text"][span["start"] : span["end"]]
        if passage_text[at : at + len(piece)] != piece:  # not laid out as expected
            found = passage_text.find(piece, at)
            if found < 0:
                return []
            at = found
        a, b = max(start, at), min(end, at + len(piece))
        if a < b:
            parts.append((span["pdf_page"], span["start"] + a - at, span["start"] + b - at))
        at += len(piece) + 1
    return parts


def build_view(searcher: Searcher, passage_id: str, spans: list[tuple[int, int]]) -> SourceView | None:
    """What the view of a passage shows: the sentences that ``spans`` touch (all of the
    passage's without spans), and where each lies on its pages. None for an unknown
    passage or spans that touch none of its sentences."""
    row = passage_row(searcher, passage_id)
    if row is None:
        return None
    hit = searcher.passage_hit(row)
    doc = searcher.stored.documents.get(hit.doc_id)
    meta = searcher.documents.get(hit.doc_id)
    if not doc or not meta:
        return None
    path = Path(meta["source_path"]) if meta.get("source_path") else None
    if path is None or not path.is_file():
        return None
    chosen = []
    for r in searcher.sentence_rows(hit):
        where = searcher.sentence_offsets(row, r)
        if where and (not spans or any(a < where[1] and where[0] < b for a, b in spans)):
            chosen.append((r, where))
    if not chosen:
        return None
    pages = {p["pdf_page"]: p for p in doc["pages"]}
    marks: dict[int, PageMark] = {}
    count = page_count(path)
    for _, (start, end) in chosen:
        for pdf_page, a, b in _page_parts(hit.text, hit.spans, pages, start, end):
            a, b = trim_span(pages[pdf_page]["text"], a, b)
            if a >= b or not 1 <= pdf_page <= count:
                continue
            if pdf_page not in marks:
                if len(marks) >= MAX_PAGES:
                    continue
                marks[pdf_page] = PageMark(pdf_page, str(pages[pdf_page].get("label", pdf_page)))
            words = pages[pdf_page].get("words")
            chars = ocr_chars(words) if isinstance(words, list) else page_chars(path, pdf_page)
            _mark(marks[pdf_page], pages[pdf_page]["text"], a, b, chars)
    first, last = searcher.sentences[chosen[0][0]], searcher.sentences[chosen[-1][0]]
    cited = f"S. {first.page}" if first.page == last.page_end else f"S. {first.page}–{last.page_end}"
    ocr = searcher.read_by_ocr(hit.doc_id, first.pdf_page, last.pdf_page_end)
    return SourceView(
        file=hit.file,
        title=hit.title,
        citation=citation(hit, cited, ocr),
        sentences=[searcher.sentences[r].text for r, _ in chosen],
        pages=[marks[p] for p in sorted(marks)],
    )


def _mark(mark: PageMark, page_text: str, a: int, b: int, chars: PageChars) -> None:
    """Find ``page_text[a:b]`` on the page and add its line boxes to ``mark``."""
    mark.parts.append(page_text[a:b])
    found = locate(page_text, a, b, chars.text)
    if found is None and b == len(page_text.rstrip()):
        # A word hyphenated across the page break is joined onto this page in the index,
        # while this page of the PDF holds only its first half: look for the rest.
        cut = page_text.rfind(" ", a, b)
        if cut > a:
            found = locate(page_text, a, cut, chars.text)
    if found is None:
        mark.missing += 1
        return
    boxes = [box for box in chars.boxes[found[0] : found[1]] if box is not None]
    mark.boxes.extend(line_boxes(boxes))


def _percent(x: float) -> str:
    return f"{100 * x:.3f}%"


def render_view(view: SourceView, lang: str) -> tuple[str, str]:
    """The view's HTML page and the hash of its one style block (for the CSP header)."""
    rules = [_CSS]
    figures = []
    n = 0
    for mark in view.pages:
        page = f"{t('page', lang)} {mark.label}"
        quoted = " … ".join(" ".join(p.split()) for p in mark.parts)
        if not mark.boxes:
            alt = t("source_alt_unmarked", lang, page=page, title=view.title, text=quoted)
            note = t("source_not_found", lang)
        else:
            alt = t("source_alt", lang, page=page, title=view.title, text=quoted)
            note = t("source_partly_found", lang) if mark.missing else ""
        boxes = []
        for box in mark.boxes:
            n += 1
            rules.append(
                f"#m{n}{{left:{_percent(box.left)};top:{_percent(box.top)};"
                f"width:{_percent(box.right - box.left)};height:{_percent(box.bottom - box.top)}}}"
            )
            boxes.append(f'<span class="mark" id="m{n}"></span>')
        caption = f"{page} ({t('pdf_page', lang)} {mark.pdf_page})"
        figures.append(
            "<figure>"
            + (f'<p class="note" role="note">{esc(note)}</p>' if note else "")
            + f'<div class="sheet"><img src="{esc(page_image_url(view.file, mark.pdf_page))}" alt="{esc(alt)}">'
            + "".join(boxes)
            + f"</div><figcaption>{esc(caption)} · "
            + f'<a href="{esc(pdf_url(view.file, mark.pdf_page))}">{esc(t("open_pdf", lang, page=mark.label))}</a>'
            + "</figcaption></figure>"
        )
    style = "".join(rules)
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    if not figures:  # the PDF no longer has the pages the index names
        figures.append(f'<p class="note" role="note">{esc(t("source_no_page", lang))}</p>')
    quotes = "".join(f"<p>{esc(s)}</p>" for s in view.sentences)
    doc = (
        f'<!doctype html><html lang="{"en" if lang == "en" else "de"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(t('source_title', lang))} – {esc(citation_in(view.citation, lang))}</title>"
        f"<style>{style}</style></head><body><main>"
        f"<h1>{esc(citation_in(view.citation, lang))}</h1>"
        f"<h2>{esc(t('source_marked', lang))}</h2>"
        f'<blockquote lang="de">{quotes}</blockquote>' + "".join(figures) + "</main></body></html>"
    )
    return doc, digest


# The marks: yellow multiplied onto the page keeps the text under them legible; the
# dark orange outline has a contrast of 5:1 on white paper (WCAG 1.4.11).
_CSS = (
    "body{margin:0;background:#f8fafc;color:#111827;font-family:system-ui,-apple-system,'Segoe UI',"
    "Roboto,Arial,sans-serif;line-height:1.5}"
    "main{max-width:62rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.35rem;margin:.5rem 0}h2{font-size:1.1rem;margin:1rem 0 .25rem}"
    "blockquote{margin:0 0 1rem;padding:.25rem .75rem;border-left:4px solid #b45309;background:#fffbeb}"
    "blockquote p{margin:.25rem 0}a{color:#1d4ed8}"
    ".note{border-left:4px solid #b45309;background:#fffbeb;padding:.5rem .75rem}"
    "figure{margin:1rem 0 2rem}figcaption{margin-top:.25rem}"
    ".sheet{position:relative;display:inline-block;max-width:100%;box-shadow:0 0 0 1px #64748b}"
    ".sheet img{display:block;max-width:100%;height:auto}"
    ".mark{position:absolute;background:rgba(250,204,21,.45);mix-blend-mode:multiply;"
    "outline:2px solid #b45309;outline-offset:1px}"
)
