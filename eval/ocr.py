"""``python -m eval.ocr``: how well scanned pages are read, measured on a PDF with a text layer.

Its pages are rendered to images as a scanner delivers them (grey, 200 dpi, JPEG in a PDF:
:func:`scan_copy`); ingest reads that copy by OCR, and each page's cleaned text is compared
with the cleaned text ingest gets from the original's text layer. Character accuracy is
1 − edit distance / length of the original, after runs of whitespace became one space.

    python -m eval.ocr                       # every page of the charter
    python -m eval.ocr --pages 7-9 --dpi 300 # some pages, scanned at 300 dpi
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.catalog import resolve_meta
from ingest.document import Document, build_document
from ingest.pdf import RawPdf, read_pdf

ROOT = Path(__file__).resolve().parent.parent
CHARTER = ROOT / "corpus" / "smart-city-charta-2021.pdf"


def scan_copy(source: Path, dest: Path, pages: Sequence[int] | None = None, dpi: int = 200) -> Path:
    """An image-only copy of ``source`` (its 0-based ``pages``, default all): each page
    rendered by PDFium in grey at ``dpi`` and written by Pillow as a JPEG page, the size of
    the original page. No text layer is left."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(source))
    try:
        images = []
        for i in pages if pages is not None else range(len(pdf)):
            page = pdf[i]
            images.append(page.render(scale=dpi / 72, grayscale=True).to_pil())
            page.close()
    finally:
        pdf.close()
    dest.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(dest, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return dest


def excerpt(source: Path, dest: Path, pages: Sequence[int]) -> Path:
    """The 0-based ``pages`` of ``source`` as a PDF of their own, text layer and all."""
    from pypdf import PdfReader, PdfWriter

    reader, writer = PdfReader(source), PdfWriter()
    for i in pages:
        writer.add_page(reader.pages[i])
    writer.write(dest)
    return dest


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one row of the table at a time in numpy.

    >>> edit_distance("kitten", "sitting"), edit_distance("", "abc"), edit_distance("Straße", "Straße")
    (3, 3, 0)
    """
    if not a or not b:
        return max(len(a), len(b))
    first = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    second = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    cols = np.arange(len(second) + 1)
    row = cols.copy()
    for i, ch in enumerate(first, start=1):
        nxt = np.empty_like(row)
        nxt[0] = i
        nxt[1:] = np.minimum(row[:-1] + (second != ch), row[1:] + 1)
        # Insertions run along the row: a running minimum of (value - column) does them all.
        row = np.minimum.accumulate(nxt - cols) + cols
    return int(row[-1])


def char_accuracy(read: str, reference: str) -> float:
    """1 − edit distance / length of ``reference``, whitespace runs counted as one space.

    >>> char_accuracy("Die  Kommunen\\nsollen", "Die Kommunen sollen"), char_accuracy("Dle", "Die")
    (1.0, 0.6666666666666667)
    """
    read, reference = " ".join(read.split()), " ".join(reference.split())
    if not reference:
        return 1.0 if not read else 0.0
    return 1 - edit_distance(read, reference) / len(reference)


def document(path: Path, timeout_s: float = 1800) -> tuple[RawPdf, Document]:
    """``path`` as ingest reads it (OCR included), with the project's default limits."""
    raw = read_pdf(path, max_pages=2000, timeout_s=timeout_s)
    return raw, build_document(raw, path, resolve_meta(path, {}, raw.metadata), "0" * 64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=CHARTER, help="a PDF with a text layer (default: the charter)")
    parser.add_argument("--pages", default="", help="1-based pages, e.g. 8 or 7-9 (default: all)")
    parser.add_argument("--dpi", type=int, default=200, help="resolution of the scanned copy (default 200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.pages:
            a, _, b = args.pages.partition("-")
            pages = list(range(int(a) - 1, int(b or a)))
            original = excerpt(args.pdf, folder / "original.pdf", pages)
        else:
            pages, original = None, args.pdf
        scan = scan_copy(args.pdf, folder / "scan.pdf", pages, args.dpi)
        _, text_doc = document(original)
        started, cpu = time.perf_counter(), _children_cpu()
        raw, scan_doc = document(scan)
        # Wall time depends on what else the machine runs; the processor time of the
        # parser and its Tesseract runs does much less.
        seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    print("| page | characters | accuracy |\n|---|---|---|")
    total_chars = total_errors = 0
    for ref, got in zip(text_doc.pages, scan_doc.pages):
        reference = " ".join(ref.text.split())
        errors = round((1 - char_accuracy(got.text, reference)) * len(reference))
        total_chars, total_errors = total_chars + len(reference), total_errors + errors
        print(f"| {ref.label} | {len(reference)} | {char_accuracy(got.text, reference):.4f} |")
    n = len(scan_doc.pages)
    print(
        f"\n{n} pages, {sum(p.ocr for p in scan_doc.pages)} read by OCR; character accuracy "
        f"{1 - total_errors / max(total_chars, 1):.4f} over {total_chars} characters; "
        f"OCR {raw.ocr_seconds:.1f} s ({raw.ocr_seconds / max(raw.ocr_read, 1):.1f} s per page, "
        f"{cpu / max(raw.ocr_read, 1):.1f} s of processor time per page), "
        f"whole parse {seconds:.1f} s, {args.dpi} dpi scan"
    )
    return 0


def _children_cpu() -> float:
    """Processor seconds of this process's finished children (the parser, its Tesseracts)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
