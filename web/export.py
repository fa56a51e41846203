"""Markdown handouts: an answer with its sources, or a trainer's collection."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from answer.answer import ANSWERED, NOT_COVERED, Answer, CitedPassage
from index.search import Hit


def handout_markdown(
    title: str, items: Sequence[CitedPassage], answer: Answer | None = None, pdf_url: Callable[[Hit], str] | None = None
) -> str:
    """A Markdown handout: optionally the answer, then each passage with its full citation."""
    lines = [f"# {title}", ""]
    if answer is not None:
        lines += [f"**Frage:** {answer.question}", ""]
        if answer.status == ANSWERED:
            lines += [answer.text, ""]
        elif answer.status == NOT_COVERED:
            lines += ["Die Dokumente beantworten diese Frage nicht.", ""]
        else:
            lines += ["Keine fertige Antwort – diese Stellen passen am ehesten:", ""]
        lines += ["## Quellen", ""]
    for item in items:
        hit = item.hit
        heading = hit.section_path[-1] if hit.section_path else hit.section
        lines += [f"### [{item.marker}] {hit.title} – {heading}", ""]
        lines += ["> " + line if line.strip() else ">" for line in hit.text.splitlines()]
        lines.append("")
        link = pdf_url(hit) if pdf_url else ""
        lines.append(f"Zitiervorschlag: {item.citation}" + (f" – {link}" if link else ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(text: str, stem: str) -> str:
    """Write an export to a fresh temporary folder; returns the file's path."""
    folder = Path(tempfile.mkdtemp(prefix="charta-export-"))
    path = folder / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(text, encoding="utf-8")
    return str(path)
