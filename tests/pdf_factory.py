"""Small PDFs made at test time: simple text documents and deliberately broken files.

The text PDFs are written by hand (one Helvetica font, WinAnsi encoding, one line per
``Tj``), so tests control exactly which lines each page carries. Nothing here imports
project code.
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252")
    out = bytearray()
    for b in raw:
        if b in b"()\\":
            out += b"\\" + bytes([b])
        elif b > 126:
            out += f"\\{b:03o}".encode()
        else:
            out.append(b)
    return bytes(out)


def _assemble(objects: list[bytes], root: int, extra_trailer: bytes = b"") -> bytes:
    """A PDF file with a correct xref table; ``objects[i]`` is object number i + 1."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R ".encode()
        + extra_trailer
        + f">>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def text_pdf(
    path: Path,
    pages: list[list[str]],
    *,
    footer: str | None = None,
    title: str | None = None,
    broken: frozenset[int] = frozenset(),
    cyclic: frozenset[int] = frozenset(),
    cut: frozenset[int] = frozenset(),
    missing: frozenset[int] = frozenset(),
) -> Path:
    """Write an A4 PDF whose page i shows the lines ``pages[i]`` top-down.

    ``footer`` (``{n}`` becomes the page number) is printed at the bottom of every
    page, like a running footer. The content streams of the pages in ``broken``
    (0-based) claim a compression they do not have, so their text cannot be read. The
    resources of the pages in ``cyclic`` are a reference to an object that is a
    reference to itself (a reference cycle). The compressed content streams of the
    pages in ``cut`` end half-way; the pages in ``missing`` name a content stream
    object the file does not have. pypdf reads both as empty pages, without a warning.
    """
    n = len(pages)
    # Objects: 1 catalog, 2 page tree, 3 font, 4 info, then per page: page, content;
    # last, the self-referencing object.
    first_page = 5
    cycle = first_page + 2 * n
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(n))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (" + _escape(title or "") + b") /Producer (pdf_factory) >>",
    ]
    for i, lines in enumerate(pages):
        ops = [b"BT /F1 11 Tf 14 TL 56 780 Td"]
        for line in lines:
            ops.append(b"(" + _escape(line) + b") Tj T*")
        ops.append(b"ET")
        if footer is not None:
            ops.append(b"BT /F1 9 Tf 280 30 Td (" + _escape(footer.format(n=i + 1)) + b") Tj ET")
        stream = b"\n".join(ops)
        resources = f"{cycle} 0 R" if i in cyclic else "<< /Font << /F1 3 0 R >> >>"
        contents = 999 if i in missing else first_page + 2 * i + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources {resources} /Contents {contents} 0 R >>".encode()
        )
        flate = " /Filter /FlateDecode" if i in broken | cut else ""
        if i in cut:
            packed = zlib.compress(stream)
            stream = packed[: len(packed) // 2]
        objects.append(f"<< /Length {len(stream)}{flate} >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(f"{cycle} 0 R".encode())
    path.write_bytes(_assemble(objects, root=1, extra_trailer=b"/Info 4 0 R "))
    return path


def looping_page_tree(path: Path) -> Path:
    """A PDF whose page tree node lists itself among its /Kids (a cycle)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    path.write_bytes(_assemble(objects, root=1))
    return path


def blank_pages(path: Path, count: int) -> Path:
    """A valid PDF of ``count`` empty A4 pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=595, height=842)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def random_after_header(path: Path, size: int = 20_000, seed: int = 7) -> Path:
    """A ``%PDF-1.7`` header followed by random bytes."""
    rng = random.Random(seed)
    path.write_bytes(b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(size)))
    return path


def truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    """The first ``keep`` share of ``source``'s bytes."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def text_file_named_pdf(path: Path) -> Path:
    path.write_text("Dies ist keine PDF-Datei, sondern eine Notiz der Stadtverwaltung.\n", encoding="utf-8")
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def image_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """An A4 page showing one grey image that claims ``width`` × ``height`` pixels (10
    gigapixels by default) and carries a few bytes of compressed zeros: decoded whole, it
    would need gigabytes."""
    import zlib

    data = zlib.compress(b"\0" * 4096, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray"
        f" /BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        + data
        + b"\nendstream",
        b"<< /Length 32 >>\nstream\nq 595 0 0 842 0 0 cm /Im1 Do Q\n\nendstream",
    ]
    path.write_bytes(_assemble(objects, root=1))
    return path


def outlined_text(path: Path, lines: list[str], font: Path, size: float = 16) -> Path:
    """An A4 page showing ``lines`` as filled glyph outlines, one vector path per line and
    no text layer: what a print shop gets from fonts "converted to curves". Drawn with
    fpdf2 from the TrueType outlines fontTools reads."""
    from fontTools.pens.basePen import BasePen
    from fontTools.ttLib import TTFont
    from fpdf import FPDF
    from fpdf.enums import PathPaintRule

    tt = TTFont(str(font))
    glyphs, cmap, widths = tt.getGlyphSet(), tt.getBestCmap(), tt["hmtx"]
    scale = size / tt["head"].unitsPerEm

    class Pen(BasePen):
        def __init__(self, drawing, x: float, y: float) -> None:
            super().__init__(glyphs)
            self.drawing, self.x, self.y = drawing, x, y

        def at(self, p):  # font units, y up -> points, y down
            return self.x + p[0] * scale, self.y - p[1] * scale

        def _moveTo(self, p):
            self.drawing.move_to(*self.at(p))

        def _lineTo(self, p):
            self.drawing.line_to(*self.at(p))

        def _curveToOne(self, p1, p2, p3):
            self.drawing.curve_to(*self.at(p1), *self.at(p2), *self.at(p3))

        def _qCurveToOne(self, p1, p2):
            self.drawing.quadratic_curve_to(*self.at(p1), *self.at(p2))

        def _closePath(self):
            self.drawing.close()

    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    y = 90.0
    for line in lines:
        x = 56.0
        with pdf.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as drawing:
            drawing.style.fill_color = "#000000"
            for ch in line:
                name = cmap.get(ord(ch), ".notdef")
                glyphs[name].draw(Pen(drawing, x, y))
                x += widths[name][0] * scale
        y += size * 1.6
    pdf.output(str(path))
    return path


def heavy_drawing(path: Path, depth: int = 6, fan: int = 8) -> Path:
    """A two-page PDF of a few kilobytes: page 1 is a line of text, page 2 a drawing of
    ``fan ** depth`` small strokes, each form drawing the one below it ``fan`` times, so
    that rendering it takes PDFium seconds to minutes (a render budget's test)."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>",
    ]
    text = b"BT /F1 11 Tf 56 780 Td (Eine Seite Text vor einer schweren Zeichnung.) Tj ET"
    objects.append(f"<< /Length {len(text)} >>\nstream\n".encode() + text + b"\nendstream")
    first_form = 8
    top = first_form + depth - 1
    objects.append(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        + f"/Resources << /XObject << /X {top} 0 R >> >> /Contents 6 0 R >>".encode()
    )
    page = b"q 1 0 0 1 20 20 cm /X Do Q"
    objects.append(f"<< /Length {len(page)} >>\nstream\n".encode() + page + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for level in range(depth):
        if level == 0:
            body = b"0.2 w 0 0 m 3 3 l 0 3 l h S"
            resources = b"<< >>"
        else:
            # fan copies of the form below, each shrunk and shifted.
            body = b" ".join(
                f"q 0.6 0 0 0.6 {(i % 4) * 0.4 * 555 / 4:.2f} {(i // 4) * 0.4 * 800 / 4:.2f} cm /Y Do Q".encode()
                for i in range(fan)
            )
            resources = f"<< /XObject << /Y {first_form + level - 1} 0 R >> >>".encode()
        objects.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 555 800] /Resources "
            + resources
            + f" /Length {len(body)} >>\nstream\n".encode()
            + body
            + b"\nendstream"
        )
    path.write_bytes(_assemble(objects, root=1))
    return path
