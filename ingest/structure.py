"""Headings: find outline titles in the page lines, or detect numbered headings.

Both return :class:`Heading` hits on line level; the document builder turns them into
a section tree. Lines that form a heading are merged into one line, so a heading
wrapped over two lines (``3.1 Zugang zu digitalen Infrastrukturen`` / ``schaffen und
sicherstellen``) becomes a single paragraph of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.clean import normalize_for_match


@dataclass
class Heading:
    level: int
    title: str
    page: int  # 0-based PDF page index
    line: int | None  # index of the (merged) heading line on that page; None if not found


def locate_outline(pages: list[list[str]], outline: list[tuple[int, str, int]]) -> list[Heading]:
    """Find each outline entry's heading lines on its destination page.

    Merges the matched lines into one, in place. Entries whose title is not printed on
    the page (mistitled outlines, illustration bookmarks) keep ``line=None`` and start
    at the top of their page. Positions never move backwards.
    """
    hits: list[Heading] = []
    cursor: tuple[int, int] = (0, 0)  # (page, line) before which no heading may start
    for level, title, page in outline:
        if not 0 <= page < len(pages):
            continue
        start = cursor[1] if page == cursor[0] else 0
        if page < cursor[0]:
            page, start = cursor  # out-of-order bookmark: keep the section order sane
        line = _match_title(pages[page], title, start)
        hits.append(Heading(level=level, title=title, page=page, line=line))
        cursor = (page, (line + 1) if line is not None else start)
    return hits


def _match_title(lines: list[str], title: str, start: int) -> int | None:
    want, _ = normalize_for_match(title)
    if not want:
        return None
    for i in range(start, len(lines)):
        acc = ""
        for j in range(i, min(i + 6, len(lines))):
            acc += normalize_for_match(lines[j])[0]
            if acc == want:
                lines[i : j + 1] = [" ".join(lines[i : j + 1])]
                return i
            if not want.startswith(acc) or not acc:
                break
    return None


_ROMAN = r"(?:[IVX]{1,5})\."
_ARABIC = r"\d{1,2}(?:\.\d{1,2}){0,3}\.?"
_LETTER = r"[a-z]\)"
HEADING_RE = re.compile(rf"^(?P<num>{_ROMAN}|{_ARABIC}|{_LETTER})\s+(?P<title>[A-ZÄÖÜ„\"][^\n]{{1,160}})$")
_CONTINUE_AFTER = {
    "und",
    "oder",
    "der",
    "die",
    "das",
    "des",
    "den",
    "dem",
    "in",
    "im",
    "zu",
    "zur",
    "zum",
    "für",
    "von",
    "vom",
    "mit",
    "auf",
    "an",
    "bei",
    "sowie",
    "als",
}


def heading_number(line: str) -> str | None:
    """The numbering of a heading-like line, else None.

    >>> [heading_number(s) for s in ["3.2 Daten verantwortungsvoll generieren",
    ...     "a) Smart-City-Strategien aufsetzen", "II. Leitlinien für Smart Cities",
    ...     "Die Kommunen sollten 3 Dinge tun.", "2020 Neue Leipzig Charta."]]
    ['3.2', 'a)', 'II.', None, None]
    """
    m = HEADING_RE.match(line.strip())
    if not m or len(line) > 140 or line.rstrip().endswith((".", ",", ";")):
        return None
    num = m.group("num")
    if re.fullmatch(r"\d{3,}\.?", num):
        return None
    return num


def detect_numbered(pages: list[list[str]]) -> list[Heading]:
    """Headings for PDFs without an outline: ``3.2 …``, ``a) …``, ``II. …`` lines.

    A heading must start a paragraph (first line of a page, or after a line that ends
    a sentence or is itself a heading); lowercase continuation lines and lines after a
    dangling ``und``/``der``/``,`` are merged into it.
    """
    found: list[tuple[str, int, int, str]] = []  # (num, page, line, title)
    for p, lines in enumerate(pages):
        i = 0
        while i < len(lines):
            line = lines[i]
            prev = lines[i - 1] if i > 0 else ""
            num = heading_number(line) or _wrapped_heading_number(lines, i)
            starts_par = (
                i == 0
                or prev.rstrip().endswith((".", "!", "?", ":"))
                or (found and found[-1][1] == p and found[-1][2] == i - 1)
            )
            if num and starts_par:
                j = i
                while j + 1 < len(lines) and _continues(lines[j], lines[j + 1]) and j - i < 3:
                    j += 1
                lines[i : j + 1] = [" ".join(lines[i : j + 1])]
                found.append((num, p, i, lines[i]))
            i += 1
    has_roman = any(re.fullmatch(_ROMAN, n) for n, *_ in found)
    hits: list[Heading] = []
    last_level = 1
    for num, p, i, title in found:
        if re.fullmatch(_ROMAN, num):
            level = 1
        elif re.fullmatch(_LETTER, num):
            level = last_level + 1
        else:
            level = len(num.rstrip(".").split(".")) + (1 if has_roman else 0)
        if not re.fullmatch(_LETTER, num):
            last_level = level
        hits.append(Heading(level=level, title=title, page=p, line=i))
    return hits


def _wrapped_heading_number(lines: list[str], i: int) -> str | None:
    """The numbering of a heading wrapped after a comma (``3.2 Daten generieren,`` /
    ``Datenhoheit behalten``), which :func:`heading_number` alone rejects."""
    line = lines[i]
    if not line.rstrip().endswith(",") or i + 1 >= len(lines) or not _continues(line, lines[i + 1]):
        return None
    return heading_number(line + " " + lines[i + 1])


def _continues(line: str, nxt: str) -> bool:
    if not nxt or heading_number(nxt) or len(nxt) > 100 or nxt.startswith("•"):
        return False
    last = line.rstrip().split()[-1].casefold() if line.split() else ""
    return nxt[0].islower() or line.rstrip().endswith((",", "-")) or last in _CONTINUE_AFTER


def heading_label(title: str) -> str:
    """The number part of a heading title, or the title itself when it has none.

    >>> [heading_label(t) for t in ["3.2 Daten …", "a) Smart-City-Strategien", "I. Präambel", "Vorwort"]]
    ['3.2', 'a)', 'I.', 'Vorwort']
    """
    first = title.split(maxsplit=1)[0] if title.split() else title
    if re.fullmatch(rf"{_ROMAN}|{_ARABIC}|{_LETTER}", first):
        return first
    return title
