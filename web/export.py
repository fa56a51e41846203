"""Markdown handouts: an answer with its sources, or a trainer's collection.

Every field that comes from a document, a question or a language model goes through
:func:`md_text`: opened in a Markdown viewer that renders HTML, a handout runs no
script, loads no remote image and offers no ``javascript:`` link.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from answer.answer import ANSWERED, NOT_COVERED, Answer, CitedPassage
from answer.cite import document_name
from index.search import Hit

_MD_ACTIVE = re.compile(r"[\\`*_\[\]<>&!|]")
_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_text(text: str) -> str:
    """``text`` as inert Markdown: HTML characters become entities, and the characters
    that make links, images, emphasis or code are backslash-escaped.

    >>> print(md_text('<img src=x onerror=alert(1)> ![x](http://evil.example/a.png)'))
    &lt;img src=x onerror=alert(1)&gt; \\!\\[x\\](http://evil.example/a.png)
    >>> print(md_text('[klick](javascript:alert(1)) & *fett*'))
    \\[klick\\](javascript:alert(1)) &amp; \\*fett\\*
    """
    return _MD_ACTIVE.sub(lambda m: _ENTITY.get(m.group(0)) or "\\" + m.group(0), text)


def document_link(doc: Mapping[str, Any], file: str, pdf_page: int, base_url: str) -> str:
    """The absolute link to a passage's page for an export, valid outside the app: the
    document's own public link where its catalog entry has one (``url`` or ``link``; a
    PDF gets ``#page=N``), else the PDF as this app serves it at ``base_url``
    (``CHARTA_PUBLIC_URL``, else the address the browser used).

    >>> document_link({}, "Charta 2021.pdf", 10, "https://lotse.stadt.de/")
    'https://lotse.stadt.de/dokumente/Charta%202021.pdf#page=10'
    >>> document_link({"url": "https://www.bbsr.bund.de/charta.pdf"}, "c.pdf", 10, "http://127.0.0.1:7860")
    'https://www.bbsr.bund.de/charta.pdf#page=10'
    >>> document_link({"link": "https://www.bbsr.bund.de/charta"}, "c.pdf", 10, "")
    'https://www.bbsr.bund.de/charta'
    """
    own = str(doc.get("url") or doc.get("link") or "").strip()
    if own.startswith(("https://", "http://")):
        parts = urlsplit(own)
        return f"{own}#page={int(pdf_page)}" if parts.path.lower().endswith(".pdf") and not parts.fragment else own
    return f"{base_url.rstrip('/')}/dokumente/{quote(file, safe='')}#page={int(pdf_page)}"


def handout_markdown(
    title: str,
    items: Sequence[CitedPassage],
    answer: Answer | None = None,
    pdf_url: Callable[[Hit], str] | None = None,
    notes: Sequence[str] | None = None,
) -> str:
    """A Markdown handout: optionally the answer, then each passage with its full citation
    and the trainer's note."""
    lines = [f"# {md_text(title)}", ""]
    if answer is not None:
        lines += [f"**Frage:** {md_text(answer.question)}", ""]
        if answer.named:
            lines += [f"*Gesucht nur in: {md_text('; '.join(answer.named))} (in der Frage genannt).*", ""]
        if answer.status == ANSWERED:
            lines += [md_text(answer.text), ""]
            if answer.mode == "llm":
                lines += [
                    f"*Vom Sprachmodell {md_text(answer.llm_model)} formuliert – maßgeblich sind die "
                    "zitierten Textstellen.*",
                    "",
                ]
        elif answer.status == NOT_COVERED:
            lines += ["Die Dokumente beantworten diese Frage nicht.", ""]
        elif answer.closest:
            # The closest passage, quoted as the app shows it: not a confirmed answer.
            lines += [
                "Keine geprüfte Antwort – am nächsten kommt diese Stelle:",
                "",
                "> " + md_text(answer.closest_text),
                "",
                f"({md_text(answer.closest_citation)})",
                "",
                "Weitere passende Stellen:",
                "",
            ]
        else:
            lines += ["Keine fertige Antwort – diese Stellen passen am ehesten:", ""]
        lines += ["## Quellen", ""]
    for n, item in enumerate(items):
        hit = item.hit
        heading = hit.section_path[-1] if hit.section_path else hit.section
        lines += [f"### \\[{item.marker}\\] {md_text(document_name(hit))} – {md_text(heading)}", ""]
        lines += ["> " + md_text(line) if line.strip() else ">" for line in hit.text.splitlines()]
        lines.append("")
        link = pdf_url(hit) if pdf_url else ""
        # An absolute link (document_link), so that it works pasted into a memo.
        lines.append(f"Zitiervorschlag: {md_text(item.citation)}" + (f" – {link}" if link else ""))
        lines.append("")
        note = notes[n] if notes and n < len(notes) else ""
        if note.strip():
            lines += [f"**Notiz:** {md_text(' '.join(note.split()))}", ""]
    return "\n".join(lines).rstrip() + "\n"


class ExportFolder:
    """One temporary folder for this process's exports: files older than ``keep_s`` go
    at each new export (Gradio has copied them into its own cache by then), and the
    folder goes when the process ends."""

    def __init__(self, keep_s: float = 600.0) -> None:
        self.keep_s = keep_s
        self.path = Path(tempfile.mkdtemp(prefix="charta-export-"))
        atexit.register(self.remove)

    def write(self, text: str, stem: str) -> str:
        """Write one export; returns the file's path."""
        self.prune()
        path = self.path / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}.md"
        path.write_text(text, encoding="utf-8")
        return str(path)

    def new_folder(self, stem: str) -> Path:
        """A fresh folder for one set of exports (a workshop's files keep their plain names)."""
        self.prune()
        path = self.path / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}"
        path.mkdir()
        return path

    def prune(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for old in self.path.iterdir():
            with contextlib.suppress(OSError):
                if now - old.stat().st_mtime > self.keep_s:
                    if old.is_dir():
                        shutil.rmtree(old)
                    else:
                        old.unlink()

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
