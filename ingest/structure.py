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


# „11. Februar“, „1. Halbjahr“: a date in a timeline, not a chapter.
_DATE = re.compile(
    r"^\d{1,2}\.\s+(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November"
    r"|Dezember|Halbjahr|Quartal)\b"
)


def heading_number(line: str) -> str | None:
    """The numbering of a heading-like line, else None.

    >>> [heading_number(s) for s in ["3.2 Daten verantwortungsvoll generieren",
    ...     "a) Smart-City-Strategien aufsetzen", "II. Leitlinien für Smart Cities",
    ...     "Die Kommunen sollten 3 Dinge tun.", "2020 Neue Leipzig Charta.", "11. Februar"]]
    ['3.2', 'a)', 'II.', None, None, None]
    """
    m = HEADING_RE.match(line.strip())
    if not m or len(line) > 140 or line.rstrip().endswith((".", ",", ";")) or _DATE.match(line.strip()):
        return None
    num = m.group("num")
    if re.fullmatch(r"\d{3,}\.?", num):
        return None
    return num


def detect_numbered(pages: list[list[str]]) -> list[Heading]:
    """Headings for PDFs without an outline: ``3.2 …``, ``a) …``, ``II. …`` lines.

    A heading must start a paragraph (first line of a page, or after a line that ends
    a sentence or is itself a heading) and must not be an item of a numbered list
    (:func:`list_items`); lowercase continuation lines, lines after a dangling
    ``und``/``der``/``,``, and the rest of a wrapped question are merged into it.
    """
    found: list[tuple[str, int, int, str]] = []  # (num, page, line, title)
    for p, lines in enumerate(pages):
        listed = list_items(lines)
        spans: list[tuple[int, int, str]] = []  # (first line, last line, num) of each heading
        i = 0
        while i < len(lines):
            num = None if i in listed else heading_number(lines[i]) or _wrapped_heading_number(lines, i)
            prev = lines[i - 1] if i > 0 else ""
            starts_par = i == 0 or prev.rstrip().endswith((".", "!", "?", ":")) or bool(spans and spans[-1][1] == i - 1)
            if not (num and starts_par):
                i += 1
                continue
            j = i
            while j + 1 < len(lines) and j + 1 not in listed and j - i < 3:
                head, nxt = " ".join(lines[i : j + 1]), lines[j + 1]
                if not (_continues(lines[j], nxt) or _finishes_question(head, nxt)):
                    break
                j += 1
            spans.append((i, j, num))
            i = j + 1
        shift = 0
        for i, j, num in spans:
            at = i - shift
            lines[at : at + j - i + 1] = [" ".join(lines[at : at + j - i + 1])]
            found.append((num, p, at, lines[at]))
            shift += j - i
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


_ITEM = re.compile(
    r"^(?:(?P<arabic>\d{1,2}(?:\.\d{1,2}){0,3})(?P<end>[.)]?)|(?P<letter>[a-z])\)|(?P<roman>[IVX]{1,5})\.)\s+\S"
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
_LIST_MIN_ITEMS = 3
_LIST_MAX_GAP = 4  # lines of item text (a wrapped item) between two items of one list


def _item_number(line: str) -> tuple[tuple[str, ...], int] | None:
    """The style and the value of a line's leading number; None when it has none.

    >>> _item_number("3.2. Daten"), _item_number("c) Pilotieren"), _item_number("IV. Dialog")
    ((('arabic', '3', '.'), 2), (('letter',), 3), (('roman',), 4))
    """
    m = _ITEM.match(line)
    if not m:
        return None
    if m["arabic"]:
        *prefix, last = m["arabic"].split(".")
        return ("arabic", ".".join(prefix), m["end"]), int(last)
    if m["letter"]:
        return ("letter",), ord(m["letter"]) - ord("a") + 1
    values = [_ROMAN_VALUES[c] for c in m["roman"]]
    value = sum(-v if k + 1 < len(values) and v < values[k + 1] else v for k, v in enumerate(values))
    return ("roman",), value


def list_items(lines: list[str]) -> set[int]:
    """Indices of the lines of one page that are items of a numbered list, not headings.

    A list is a run of at least three lines numbered n, n+1, n+2 … in one style, each
    within a few lines of the one before (a wrapped item, no body text between). A line
    that only counts the list right above its first item („17 Prämissen und Leitplanken“
    over items 1 to 17) belongs to it too.

    >>> sorted(list_items(["Prämissen:", "1. Nutzerorientierung", "2. Daten sind Grundwasser",
    ...     "3. Dezentrale Stärken entfalten – kreative Lösungen in jeder", "Fachabteilung", "4. Open Data"]))
    [1, 2, 3, 5]
    >>> sorted(list_items(["17 Prämissen und Leitplanken"] + [f"{n}. Leitlinie" for n in range(1, 18)]))[:3]
    [0, 1, 2]

    Headings with their text between them are no list:

    >>> list_items(["2.1 Transparenz stärken", "Text.", "Text.", "Text.", "Text.", "Text.",
    ...             "2.2 Teilhabe sichern", "Text.", "Text.", "Text.", "Text.", "Text.", "2.3 Mitgestaltung fördern"])
    set()
    """
    runs: list[list[tuple[int, int]]] = []  # (line, value) of each run
    last: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # the open run of each style
    for i, line in enumerate(lines):
        item = _item_number(line)
        if item is None:
            continue
        style, value = item
        run = last.get(style)
        if run and value == run[-1][1] + 1 and i - run[-1][0] <= _LIST_MAX_GAP + 1:
            run.append((i, value))
        else:
            last[style] = [(i, value)]
            runs.append(last[style])
    out: set[int] = set()
    for run in runs:
        if len(run) < _LIST_MIN_ITEMS:
            continue
        out.update(i for i, _ in run)
        first = run[0][0]
        caption = _item_number(lines[first - 1]) if first > 0 else None
        if run[0][1] == 1 and caption and caption[0] == ("arabic", "", "") and caption[1] == len(run):
            out.add(first - 1)
    return out


def _wrapped_heading_number(lines: list[str], i: int) -> str | None:
    """The numbering of a heading wrapped after a comma (``3.2 Daten generieren,`` /
    ``Datenhoheit behalten``), which :func:`heading_number` alone rejects."""
    line = lines[i]
    if not line.rstrip().endswith(",") or i + 1 >= len(lines) or not _continues(line, lines[i + 1]):
        return None
    return heading_number(line + " " + lines[i + 1])


# A heading that asks („Worauf basiert …“, „Was ist …“) goes on to its question mark.
_ASKS = re.compile(
    r"^(?:W(?:as|er|ie|o|ann|arum|eshalb|ieso|ozu|orauf|omit|odurch|ofür|oran|orin|orüber|ovon|oher|ohin"
    r"|elche[mnrs]?)|Ist|Sind|Gibt|Kann|Können|Soll|Sollen|Muss|Müssen|Darf|Dürfen|Braucht|Brauchen|Hat|Haben"
    r"|Wird|Werden)\b"
)


def _finishes_question(head: str, nxt: str) -> bool:
    """True when ``nxt`` is the rest of a question that ``head`` opens: a slide title
    wrapped before its last word (``6. Worauf basiert die Ulmer Smart City`` /
    ``Strategie?``).

    >>> _finishes_question("6. Worauf basiert die Ulmer Smart City", "Strategie?")
    True
    >>> _finishes_question("3. Ziele", "Was wollen wir?"), _finishes_question("1. Was ist X?", "Wer?")
    (False, False)
    """
    title = head.split(maxsplit=1)[1] if len(head.split()) > 1 else ""
    if not _ASKS.match(title) or "?" in head or head.rstrip().endswith((".", "!", ":")):
        return False
    return nxt.rstrip().endswith("?") and len(nxt.split()) <= 6 and not re.search(r"[.!?]\s", nxt)


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
