"""Text of scanned pages: Tesseract (Debian's tesseract-ocr, German data) over page images
rendered with PDFium.

Only pages whose text layer is empty get here (:mod:`ingest.pdf` decides), so a born-digital
PDF costs nothing. It runs in the parser's child process and within its limits: the
rendering is bounded in pixels, a page whose image claims more pixels than any real scan
is not rendered at all, and every Tesseract run stops at the parse's deadline. Tesseract is
called as a command (TSV output: words with their boxes), so no Python package is needed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANGUAGE = "deu"
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-deu"
DPI = 300  # what Tesseract is trained for; a 10-point line is then about 40 pixels high
# A3 at 300 dpi is 17.4 million pixels; a larger page is rendered at a lower resolution.
MAX_RENDER_PIXELS = 25_000_000
# An A2 page scanned at 600 dpi has 140 million pixels. An image that claims more is not
# decoded: PDFium would have to allocate it whole before scaling it down.
MAX_IMAGE_PIXELS = 150_000_000

# One word: its text and its box as fractions of the page width and height, from the top
# left (the form web/sourceview.py marks with). Lists, as they travel through JSON.
Word = list[Any]  # [text, left, top, right, bottom]


@dataclass
class OcrResult:
    """What OCR made of a document's pages without text layer."""

    pages: dict[int, list[list[Word]]] = field(default_factory=dict)  # 0-based page -> lines of words
    read: int = 0  # pages Tesseract ran on (with or without text found)
    unread: int = 0  # pages with something drawn on them that could not be read
    problem: str = ""  # why (the first reason), e.g. how to install Tesseract
    waiting_for_tesseract: bool = False  # unread because Tesseract or its German data is missing
    seconds: float = 0.0  # rendering and recognition, wall time
    notes: list[str] = field(default_factory=list)


class OcrTimeout(Exception):
    """The parse's deadline came before OCR was done."""

    def __init__(self, done: int, total: int, seconds: float) -> None:
        self.done, self.total, self.seconds = done, total, seconds
        super().__init__(f"{done} of {total} pages read")


def unavailable() -> str | None:
    """Why OCR cannot run on this machine, as the fix to apply; None when it can.

    Asked anew each time (60 ms): Tesseract may be installed while the app runs."""
    exe = shutil.which("tesseract")
    if exe is None:
        return f"OCR needs Tesseract: {INSTALL}"
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"OCR needs a working Tesseract ({type(exc).__name__}): {INSTALL}"
    # "List of available languages in "/usr/share/…/tessdata/" (3):", then one per line.
    if LANGUAGE not in out.stdout.split("\n")[1:]:
        return f"OCR needs Tesseract's German data: {INSTALL}"
    return None


def jobs() -> int:
    """Tesseract processes at a time: one per core, at most 4 (each runs single-threaded,
    which on a busy machine is several times faster than its own threads)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def render_scale(width_pt: float, height_pt: float) -> float:
    """PDFium's scale for a page: 300 dpi, less where that would exceed 25 million pixels.

    >>> round(render_scale(595.3, 841.9) * 72)
    300
    >>> w, h = 14_400, 14_400  # the largest page PDF allows, 200 × 200 inches
    >>> s = render_scale(w, h); round(w * s) * round(h * s) <= MAX_RENDER_PIXELS
    True
    """
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    return min(DPI / 72, math.sqrt(MAX_RENDER_PIXELS / area))


def parse_tsv(tsv: str, width: int, height: int) -> list[list[Word]]:
    """Tesseract's TSV as lines of words with boxes (fractions of the image); lines
    without a letter or digit (specks, rules read as dashes) are left out.

    >>> head = "\\t".join("level page_num block_num par_num line_num word_num left top width height conf text".split())
    >>> tsv = (head + "\\n"
    ...        "5\\t1\\t1\\t1\\t1\\t1\\t100\\t50\\t200\\t40\\t96.1\\tDaten\\n"
    ...        "5\\t1\\t1\\t1\\t1\\t2\\t320\\t50\\t100\\t40\\t95.0\\tteilen\\n"
    ...        "5\\t1\\t1\\t1\\t2\\t1\\t100\\t120\\t20\\t20\\t30.0\\t|\\n")
    >>> parse_tsv(tsv, 1000, 2000)
    [[['Daten', 0.1, 0.025, 0.3, 0.045], ['teilen', 0.32, 0.025, 0.42, 0.045]]]
    """
    lines: dict[tuple[str, ...], list[Word]] = {}
    for row in csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if len(row) < 12 or row[0] != "5" or not row[11].strip():
            continue
        try:
            left, top, w, h = (int(v) for v in row[6:10])
        except ValueError:
            continue
        box = [round(x, 5) for x in (left / width, top / height, (left + w) / width, (top + h) / height)]
        lines.setdefault(tuple(row[1:5]), []).append([row[11].strip(), *box])
    return [_tidy(words) for words in lines.values() if any(c.isalnum() for w in words for c in w[0])]


# What Tesseract makes of a list bullet at the start of a line.
_BULLETS = set("«»*+°·•●■□▪►")
# A Roman numeral before a heading, with „I“ read as „l“ or „|“: „ll.“, „Ill.“.
_MISREAD_ROMAN = re.compile(r"(?=[IVX]*[l|])[IVXl|]{2,}\.")


def _tidy(words: list[Word]) -> list[Word]:
    """Two misreadings at the start of a line that change a document's structure, not
    just a letter: a bullet read as „«“ or „*“ (the text layer's bullets become „•“, which
    starts a list item), and „II.“ read as „ll.“ (which starts a numbered heading).

    >>> [w[0] for w in _tidy([["«", 0, 0, 0, 0], ["Daten", 0, 0, 0, 0]])]
    ['•', 'Daten']
    >>> [w[0] for w in _tidy([["Ill.", 0, 0, 0, 0], ["Akteure", 0, 0, 0, 0]])], _tidy([["all.", 0, 0, 0, 0]])[0][0]
    (['III.', 'Akteure'], 'all.')
    """
    first = words[0][0]
    if len(words) > 1 and first in _BULLETS:
        words[0][0] = "•"
    elif _MISREAD_ROMAN.fullmatch(first):
        words[0][0] = first.replace("l", "I").replace("|", "I")
    return words


def read_pages(
    path: Path,
    indexes: list[int],
    password: str | None,
    deadline: float,
    read: Callable[[int], None] | None = None,
) -> OcrResult:
    """OCR of the pages ``indexes`` (0-based) of the PDF; blank ones are skipped. Raises
    :class:`OcrTimeout` when ``deadline`` (``time.monotonic()``) comes first.
    ``read(pages read so far)`` is told after each page Tesseract has read (for progress)."""
    import pypdfium2 as pdfium

    result = OcrResult()
    started = time.monotonic()
    try:
        pdf = pdfium.PdfDocument(str(path), password=password)
    except Exception as exc:  # PDFium reads fewer broken files than pypdf does
        result.unread = len(indexes)
        result.problem = f"PDFium cannot open it to read its pages by OCR ({type(exc).__name__}: {exc})"
        return result
    try:
        scanned = []
        for i in indexes:
            page = pdf[i]
            try:
                too_big = _image_problem(page, pdfium)
            finally:
                page.close()
            if too_big is None:
                continue  # a blank page
            if too_big:
                result.unread += 1
                result.problem = result.problem or f"page {i + 1}: {too_big}"
                result.notes.append(f"page {i + 1}: {too_big}")
                continue
            scanned.append(i)
        if scanned and (missing := unavailable()):
            result.unread += len(scanned)
            result.problem, result.waiting_for_tesseract = missing, True
            return result
        workers = jobs()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running: dict[Future[str], tuple[int, int, int]] = {}
            for i in scanned:
                if time.monotonic() > deadline:
                    raise OcrTimeout(result.read, len(scanned), time.monotonic() - started)
                # PDFium is not thread-safe: pages are rendered here, one by one, while
                # Tesseract reads the ones before in its own processes.
                pgm, w, h, dpi = _render(pdf[i])
                running[pool.submit(_tesseract, pgm, dpi, deadline)] = (i, w, h)
                del pgm  # the worker holds it until Tesseract has read it
                while len(running) >= workers:
                    done = wait(running, return_when=FIRST_COMPLETED).done
                    _collect(running, done, result, started, len(scanned), read)
            while running:
                _collect(running, wait(running).done, result, started, len(scanned), read)
    finally:
        pdf.close()
    result.seconds = time.monotonic() - started
    return result


def _collect(
    running: dict[Future[str], tuple[int, int, int]],
    done: set[Future[str]],
    result: OcrResult,
    started: float,
    total: int,
    read: Callable[[int], None] | None = None,
) -> None:
    for future in done:
        i, w, h = running.pop(future)
        try:
            tsv = future.result()
        except subprocess.TimeoutExpired:
            for other in running:
                other.cancel()
            raise OcrTimeout(result.read, total, time.monotonic() - started) from None
        except _TesseractFailed as exc:
            result.unread += 1
            result.problem = result.problem or f"page {i + 1}: OCR failed ({exc})"
            result.notes.append(f"page {i + 1}: OCR failed ({exc})")
            continue
        result.read += 1
        if read is not None:
            read(result.read)
        lines = parse_tsv(tsv, w, h)
        if lines:
            result.pages[i] = lines


def _image_problem(page: Any, pdfium: Any) -> str | None:
    """None when nothing is drawn on the page (a blank page); "" when it can be rendered
    for OCR; else why not. Anything drawn may be text: a scan's image, glyphs turned into
    outlines, text in a font without a character map (what its text layer says is not
    what it shows).

    Image sizes are read from the image dictionaries, nothing is decoded; they are added
    up, so that one image drawn a thousand times counts a thousand times."""
    drawn, pixels, largest = False, 0, (0, 0)
    for obj in page.get_objects(max_depth=3):
        drawn = True
        if obj.type != pdfium.raw.FPDF_PAGEOBJ_IMAGE:
            continue
        try:
            w, h = obj.get_px_size()
        except Exception:  # an image PDFium cannot size: rendering will show what it can
            continue
        pixels += w * h
        largest = max(largest, (w, h), key=lambda s: s[0] * s[1])
        if pixels > MAX_IMAGE_PIXELS:
            size = f"{largest[0]} × {largest[1]} pixels" if pixels == w * h else f"{pixels:,} pixels in all"
            return f"image too large for OCR ({size}, limit {MAX_IMAGE_PIXELS // 1_000_000} million)"
    return "" if drawn else None


def _render(page: Any) -> tuple[bytes, int, int, int]:
    """The page in grey at :func:`render_scale`, as a binary PGM (what Tesseract reads
    from its standard input without a codec), its size and its resolution in dpi."""
    try:
        scale = render_scale(page.get_width(), page.get_height())
        bitmap = page.render(scale=scale, grayscale=True)
        w, h, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
        raw = bytes(bitmap.buffer)
        bitmap.close()
    finally:
        page.close()
    if stride == w:
        body = raw
    else:  # rows padded, or more than one byte per pixel: the first channel of each row
        body = b"".join(raw[r * stride : r * stride + w * channels : channels] for r in range(h))
    return f"P5\n{w} {h}\n255\n".encode() + body, w, h, max(1, round(scale * 72))


class _TesseractFailed(Exception):
    pass


def _tesseract(pgm: bytes, dpi: int, deadline: float) -> str:
    """Tesseract's TSV for one page image; stops at ``deadline``."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    proc = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--dpi", str(dpi), "tsv"],
        input=pgm,
        capture_output=True,
        timeout=max(0.1, deadline - time.monotonic()),
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise _TesseractFailed(tail[0][:160])
    return proc.stdout.decode("utf-8", "replace")
