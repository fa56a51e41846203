"""Typeset the public documents of the multi-document evaluation corpus (eval/corpus/) as PDFs.

The sources are public Markdown texts mirrored from GitHub (see eval/corpus/SOURCES.md for
each document's origin, version and licence); this script turns them into A4 PDFs with
Debian's chromium, as their publishers' own sites print them: running head, printed page
numbers in the footer, and a PDF outline from the headings. The deck and the charter are
the publishers' own PDFs and are copied, not typeset.

Only needed to remake the corpus (the PDFs are committed); it reads the mirrors:

    python scripts/render_eval_corpus.py MIRRORS_DIR      # MIRRORS_DIR/<owner>+<name>/repo

Needs markdown-it-py (comes with gradio) and Playwright driving /usr/bin/chromium.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "eval" / "corpus"

ULM = "loobopi+smart-city-strategie/repo"  # the city's repository as of November 2021 (fork)
ULM_DECK = "stadtulm+smart-city-strategie/repo/.git"
BERLIN = "berlinonline+open-data-handbuch/repo"
LAWS = "bundestag+gesetze/repo"

DOCS: list[dict] = [
    {
        "file": "ulm-smart-city-strategie.pdf",
        "title": "Smart City Strategie der Stadt Ulm",
        "head": "Smart City Strategie Ulm",
        "repo": ULM,
        "parts": [
            "01_Intro/index.md",
            "04_Ulmer-Verstaendnis-einer-Smart-City/index.md",
            "06_Handlungsfelder/06.02_Bildung/index.md",
            "06_Handlungsfelder/06.13_Zusammenleben_und_Gesellschaft/index.md",
            "08_Organisatorisches-Grundlagenkapitel/index.md",
        ],
    },
    {
        "file": "berlin-open-data-handbuch.pdf",
        "title": "Open Data Handbuch – Handreichung für die Berliner Verwaltung",
        "head": "Open Data Handbuch Berlin",
        "repo": BERLIN,
        "parts": ["handreichung_opendata.md"],
        "stop": r"^# (Anhang|Bildverzeichnis|Quellenverzeichnis)",
    },
    {"file": "ozg.pdf", "title": "", "head": "OZG", "repo": LAWS, "parts": ["o/ozg/index.md"], "law": True},
    {"file": "egovg.pdf", "title": "", "head": "EGovG", "repo": LAWS, "parts": ["e/egovg/index.md"], "law": True},
    {"file": "bgg.pdf", "title": "", "head": "BGG", "repo": LAWS, "parts": ["b/bgg/index.md"], "law": True},
    {"file": "ifg.pdf", "title": "", "head": "IFG", "repo": LAWS, "parts": ["i/ifg/index.md"], "law": True},
]

CSS = """
@page { size: A4; margin: 22mm 20mm 22mm 20mm; }
body { font-family: 'DejaVu Serif', serif; font-size: 10.5pt; line-height: 1.4; hyphens: auto; }
h1 { font-size: 18pt; margin: 0 0 10pt; break-before: page; }
h1:first-of-type { break-before: avoid; }
h2 { font-size: 13.5pt; margin: 14pt 0 6pt; }
h3 { font-size: 11.5pt; margin: 10pt 0 4pt; }
h4 { font-size: 10.5pt; margin: 8pt 0 3pt; }
h1, h2, h3, h4 { font-family: 'DejaVu Sans', sans-serif; break-after: avoid; }
p { margin: 0 0 6pt; text-align: justify; }
table { border-collapse: collapse; font-size: 9pt; margin: 6pt 0; }
td, th { border: 0.5pt solid #888; padding: 2pt 4pt; vertical-align: top; }
.notes { font-size: 8.5pt; border-top: 0.5pt solid #888; margin-top: 10pt; padding-top: 4pt; }
.titlepage { break-after: page; padding-top: 60mm; }
.titlepage .t { font: bold 24pt 'DejaVu Sans', sans-serif; }
.titlepage .s { margin-top: 12pt; font-size: 12pt; }
"""


def read(mirrors: Path, repo: str, path: str) -> str:
    git = mirrors / repo
    return subprocess.run(
        ["git", "--git-dir", str(git), "show", f"HEAD:{path}"], capture_output=True, check=True, text=True
    ).stdout


def clean_markdown(text: str, doc: dict) -> tuple[str, str]:
    """The Markdown body to typeset and the document's title (laws: from their header)."""
    text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.DOTALL)  # front matter
    title = doc["title"]
    if doc.get("law"):
        m = re.search(r"^# (.+)$", text, flags=re.MULTILINE)
        title = m.group(1).strip() if m else doc["head"]
        # Drop the heading and the block of dates after it; keep the paragraphs (§§).
        first = re.search(r"^##+ ", text, flags=re.MULTILINE)
        text = text[first.start() :] if first else text
    if doc.get("stop"):
        m = re.search(doc["stop"], text, flags=re.MULTILINE)
        text = text[: m.start()] if m else text
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)(\{[^}]*\})?", "", text)  # images: not reproduced
    text = re.sub(r"\{[:#.][^}]*\}|\{-\}", "", text)  # kramdown/pandoc attribute lists
    text = re.sub(r"@include\([^)]*\)", "", text)
    text = re.sub(r"^<!--.*?-->", "", text, flags=re.DOTALL | re.MULTILINE)
    return text, title


def render_html(doc: dict, mirrors: Path) -> str:
    md = MarkdownIt("commonmark").enable("table")
    bodies, title = [], doc["title"]
    for part in doc["parts"]:
        text, title = clean_markdown(read(mirrors, doc["repo"], part), doc)
        notes = re.findall(r"^\[\^([^\]]+)\]:\s*(.+)$", text, flags=re.MULTILINE)
        text = re.sub(r"^\[\^[^\]]+\]:.*$", "", text, flags=re.MULTILINE)
        text = re.sub(r"\[\^([^\]]+)\]", r"<sup>\1</sup>", text)
        body = md.render(text)
        if notes:
            items = "".join(f"<p>{html.escape(n)} {html.escape(t)}</p>" for n, t in notes)
            body += f'<div class="notes">{items}</div>'
        bodies.append(body)
    if doc.get("law"):
        body = f"<h1>{html.escape(title)}</h1>" + "".join(bodies)
    else:
        body = (
            f'<div class="titlepage"><div class="t">{html.escape(title)}</div>'
            f'<div class="s">{html.escape(doc.get("subtitle", ""))}</div></div>' + "".join(bodies)
        )
    return (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body>{body}</body></html>"
    )


def print_pdf(page_html: str, head: str, dest: Path) -> None:
    from playwright.sync_api import sync_playwright

    footer = (
        '<div style="font-size:8pt;width:100%;text-align:center;font-family:DejaVu Sans">'
        '<span class="pageNumber"></span></div>'
    )
    header = (
        f'<div style="font-size:7.5pt;width:100%;text-align:right;padding-right:20mm;color:#555;'
        f'font-family:DejaVu Sans">{html.escape(head)}</div>'
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(page_html, wait_until="load")
        page.pdf(
            path=str(dest),
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template=header,
            footer_template=footer,
            margin={"top": "22mm", "bottom": "22mm", "left": "20mm", "right": "20mm"},
            outline=True,
            tagged=True,
        )
        browser.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    mirrors = Path(argv[0])
    OUT.mkdir(parents=True, exist_ok=True)
    for doc in DOCS:
        dest = OUT / doc["file"]
        print_pdf(render_html(doc, mirrors), doc["head"], dest)
        print(f"{dest.relative_to(ROOT)}: {dest.stat().st_size // 1024} kB")
    deck = OUT / "ulm4clevercity-ueberblick.pdf"
    deck.write_bytes(
        subprocess.run(
            [
                "git",
                "--git-dir",
                str(mirrors / ULM_DECK),
                "show",
                "HEAD:00_Hintergrundmaterialien/Überblick_Ulm4CleverCity.pdf",
            ],
            capture_output=True,
            check=True,
        ).stdout
    )
    shutil.copy(ROOT / "corpus" / "smart-city-charta-2021.pdf", OUT / "smart-city-charta-2021.pdf")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
