"""Pictures of the workshop exports for the README, made from the example kit resolved
against the live index: page 1 of the participants' handout (docs/handout.png), page 1 of
the trainer's (docs/handout-trainer.png), the first item's slide of key sentences
(docs/slide.png) and its discussion slide (docs/slide-discussion.png).

    .venv/bin/python docs/make_workshop_pictures.py [--slide N]

The PDF page is rendered with PDFium (pypdfium2). The slide is rendered by LibreOffice
when ``soffice`` is installed (PPTX → PDF → PNG); without it, the slide's text boxes are
drawn with Pillow from the PPTX geometry (positions, sizes, font sizes, bold, colour), in
the DejaVu fonts the handout uses: a faithful picture of the layout, not of PowerPoint's
rendering. The script says which it used.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from pptx import Presentation  # noqa: E402
from pptx.enum.text import MSO_ANCHOR  # noqa: E402
from pptx.util import Emu  # noqa: E402

from workshop.typography import FONTS  # noqa: E402

SLIDE_PX = 1280


def render_pdf_page(pdf: Path, out: Path, page: int = 0, width_px: int = 900) -> None:
    doc = pdfium.PdfDocument(str(pdf))
    p = doc[page]
    p.render(scale=width_px / p.get_width()).to_pil().save(out)


def render_slide(pptx: Path, out: Path, index: int) -> str:
    """Slide ``index`` of ``pptx`` as PNG; returns how it was rendered."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                # A profile of its own: another LibreOffice running would take the job over.
                [soffice, f"-env:UserInstallation=file://{tmp}/lo", "--headless", "--convert-to", "pdf",
                 "--outdir", tmp, str(pptx)],
                check=True, capture_output=True, timeout=180,
            )  # fmt: skip
            render_pdf_page(Path(tmp) / (pptx.stem + ".pdf"), out, index, SLIDE_PX)
        return f"LibreOffice ({soffice})"
    draw_slide(pptx, out, index)
    return "Pillow from the PPTX geometry (LibreOffice not installed)"


def draw_slide(pptx: Path, out: Path, index: int) -> None:
    prs = Presentation(str(pptx))
    slide_w, slide_h = int(prs.slide_width or 0), int(prs.slide_height or 0)
    scale = SLIDE_PX / slide_w  # px per EMU
    height = round(slide_h * scale)
    img = Image.new("RGB", (SLIDE_PX, height), "white")
    draw = ImageDraw.Draw(img)
    px_per_pt = SLIDE_PX / (slide_w / 12700)  # 12700 EMU in a point
    slide = prs.slides[index]
    for shape in slide.shapes:
        if not shape.has_text_frame or not shape.text_frame.text.strip():
            continue
        frame = shape.text_frame
        left = (int(shape.left) + int(frame.margin_left)) * scale
        top = (int(shape.top) + int(frame.margin_top)) * scale
        width = (int(shape.width) - int(frame.margin_left) - int(frame.margin_right)) * scale
        box_height = (int(shape.height) - int(frame.margin_top) - int(frame.margin_bottom)) * scale
        lines: list[tuple[str, ImageFont.FreeTypeFont, tuple[int, int, int], float]] = []
        for para in frame.paragraphs:
            runs = para.runs
            if not runs:
                continue
            font_pt = (runs[0].font.size or Emu(18 * 12700)).pt
            bold = bool(runs[0].font.bold)
            font = ImageFont.truetype(
                str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), round(font_pt * px_per_pt)
            )
            try:
                rgb = runs[0].font.color.rgb
                color = (rgb[0], rgb[1], rgb[2]) if rgb is not None else (0, 0, 0)
            except AttributeError:
                color = (0, 0, 0)
            line_px = font_pt * px_per_pt * 1.2
            for text_line in "".join(r.text for r in runs).split("\n"):
                for wrapped in _wrap(text_line, font, width):
                    lines.append((wrapped, font, color, line_px))
        total = sum(h for *_, h in lines)
        y = top + (box_height - total) / 2 if frame.vertical_anchor == MSO_ANCHOR.MIDDLE else top
        for text, font, color, line_px in lines:
            draw.text((left, y), text, font=font, fill=color)
            y += line_px
    img.save(out)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def main() -> int:
    from common.settings import load_settings
    from index.search import Searcher
    from workshop.handout_pdf import write_pdf
    from workshop.kit import example_kit, resolve
    from workshop.quiz import make_quiz
    from workshop.slides import write_pptx

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slide", type=int, default=2, help="0-based slide to picture (2: the first item's)")
    args = parser.parse_args()
    searcher = Searcher.open(load_settings())
    workshop = resolve(example_kit(searcher), searcher)
    docs = ROOT / "docs"
    quiz = make_quiz(workshop, searcher)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_pdf(workshop, quiz, Path(tmp) / "handout.pdf")
        render_pdf_page(pdf, docs / "handout.png")
        trainer = write_pdf(workshop, quiz, Path(tmp) / "kursleitung.pdf", trainer=True)
        render_pdf_page(trainer, docs / "handout-trainer.png")
        pptx = write_pptx(workshop, Path(tmp) / "folien.pptx", quiz)
        how = render_slide(pptx, docs / "slide.png", args.slide)
        render_slide(pptx, docs / "slide-discussion.png", args.slide + 1)
    print("docs/handout.png, docs/handout-trainer.png: page 1 of each handout, rendered with PDFium")
    shown = f"slides {args.slide + 1} and {args.slide + 2}"
    print(f"docs/slide.png, docs/slide-discussion.png: {shown}, rendered with {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
