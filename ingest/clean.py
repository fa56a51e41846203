"""Generic text cleaning for extracted PDF lines: glyphs, running heads, hyphenation.

Everything here is a small pure function over strings and lists of lines, so it can
be tested with German examples and nothing is specific to one publication.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

BULLET = "•"
# Bullet glyphs seen in real PDFs: Symbol/Wingdings private-use code points, dashes and
# geometric shapes that typesetters use at the start of list items.
_BULLET_CHARS = "\uf0a7\uf0b7\uf06c\uf0d8\uf0fc\uf076\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2043\u2219\u00b7\u25ba\u27a2"
# Symbol-font bullets also arrive as a control character (U+007F) or any other
# private-use code point; at the start of a line they are bullets, elsewhere noise.
_BULLET_START = re.compile(rf"^\s*[{_BULLET_CHARS}\x7f\ue000-\uf8ff]\s*(?=\S)")
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Words after which a line-end hyphen is a real, "suspended" hyphen: "Wissens- und Wertschöpfung".
_CONJUNCTIONS = {
    "und",
    "oder",
    "sowie",
    "bzw",
    "bzw.",
    "beziehungsweise",
    "bis",
    "als",
    "wie",
    "noch",
    "and",
    "or",
    "to",
}
_LINE_END_HYPHEN = re.compile(r"(\S*?)([^\W\d_])-$")
_FIRST_WORD = re.compile(r"^([^\W_]\S*)\s*(.*)$", re.DOTALL)
_WORDISH = re.compile(r"[^\W_]+(?:-[^\W_]+)+", re.UNICODE)


def normalize_line(line: str) -> str:
    """Normalise glyphs and spacing of one extracted line.

    Bullet glyphs become ``•``, ligatures are expanded, soft hyphens and zero-width
    characters are removed, and runs of spaces collapse to one.

    >>> normalize_line("\\uf0a7  der Leipzig\\u00a0Charta")
    '• der Leipzig Charta'
    >>> normalize_line("ofﬁzielle Stra\\u00adße")
    'offizielle Straße'
    """
    line = unicodedata.normalize("NFC", line)
    for lig, rep in _LIGATURES.items():
        line = line.replace(lig, rep)
    line = _INVISIBLE.sub("", line)
    m = _BULLET_START.match(line)
    if m:
        line = BULLET + " " + line[m.end() :]
    line = _PRIVATE_USE.sub(" ", line)
    return _SPACES.sub(" ", line).strip()


def is_page_number(line: str) -> bool:
    """True for lines that are only a page number: ``12``, ``- 12 -``, ``Seite 3``, ``iv``.

    >>> [is_page_number(s) for s in ["12", "– 3 –", "Seite 4 von 20", "3.2", "Bund"]]
    [True, True, True, False, False]
    """
    s = line.strip().lower()
    s = re.sub(r"^(seite|page|s\.)\s*", "", s)
    s = s.strip("-–— |")
    return bool(re.fullmatch(r"\d{1,4}(\s*(/|von|of)\s*\d{1,4})?", s) or re.fullmatch(r"[ivxlc]{1,6}", s))


_CREDIT = re.compile(
    r"^(fotos?|bild(er|nachweis)?|abb(ildung|\.)?|grafik|illustration|photos?|image|"
    r"credits?)\b[^:]{0,40}:|©",
    re.IGNORECASE,
)


def is_credit_line(line: str) -> bool:
    """True for a photo or image credit: ``Foto: BMI``, ``Foto: © Schafgans DGPh``.

    Credits carry no content a reader would ask about, and quoted in an answer they
    read as nonsense.

    >>> [is_credit_line(s) for s in ["Foto: BMI", "Abb. 3: © BBSR", "Fotos: Stadt Ulm",
    ...                              "Die Fotos zeigen die Stadt."]]
    [True, True, True, False]
    """
    return len(line) <= 120 and bool(_CREDIT.search(line.strip()))


_DOT_LEADER = re.compile(r"(\.\s?){4,}\s*\d{1,4}$|…{2,}\s*\d{1,4}$")


def is_toc_page(lines: Sequence[str]) -> bool:
    """True when a page is a table of contents: many lines end in dot leaders and a page
    number. Indexed, such a page matches every question about every chapter.

    >>> is_toc_page(["Inhalt", "1 Einleitung ........ 3", "2 Daten .......... 7",
    ...              "2.1 Datenhoheit ....... 8", "3 Fazit ........... 12"])
    True
    >>> is_toc_page(["Die Kommune plant.", "Sie baut ... 3 Häuser."])
    False
    """
    leaders = sum(bool(_DOT_LEADER.search(s.strip())) for s in lines)
    return leaders >= 3 and leaders >= 0.3 * len([s for s in lines if s.strip()])


def furniture_key(line: str) -> str:
    """Key under which running heads/footers repeat: case-folded, digits masked.

    >>> furniture_key("Smart City Charta  12") == furniture_key("smart city charta 7")
    True
    """
    return re.sub(r"\d+", "#", _SPACES.sub(" ", line.strip().casefold()))


def repeated_edge_lines(
    pages: Sequence[Sequence[str]], edge: int = 2, min_pages: int = 3, min_share: float = 0.3
) -> set[str]:
    """Furniture keys of lines that repeat at the top or bottom of many pages.

    A line counts when its :func:`furniture_key` appears within the first or last
    ``edge`` lines of at least ``max(min_pages, min_share * len(pages))`` pages.
    """
    counts: Counter[str] = Counter()
    for lines in pages:
        zone = list(lines[:edge]) + list(lines[-edge:])
        counts.update({furniture_key(s) for s in zone if s.strip()})
    need = max(min_pages, min_share * len(pages))
    return {key for key, n in counts.items() if n >= need and len(key) > 1}


def strip_furniture(lines: Sequence[str], keys: set[str], edge: int = 3) -> list[str]:
    """Drop running heads (by key) and page numbers from the edges of one page."""
    out = list(lines)

    def junk(s: str) -> bool:
        return not s.strip() or is_page_number(s) or furniture_key(s) in keys

    # Peel from both ends only, so a body line that happens to equal a head survives.
    for _ in range(edge):
        if out and junk(out[0]):
            out.pop(0)
    for _ in range(edge):
        if out and junk(out[-1]):
            out.pop()
    return [s for s in out if s.strip()]


def hyphenated_words(texts: Iterable[str]) -> set[str]:
    """Case-folded words that carry a real hyphen somewhere inside a line.

    Used by :func:`dehyphenate` to keep ``Sektor-übergreifend`` when the document spells
    it that way elsewhere.

    >>> sorted(hyphenated_words(["Die Smart-City-Strategien der E-Government-Gesetze"]))
    ['e-government-gesetze', 'smart-city-strategien']
    """
    found: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            body = line[:-1] if line.endswith("-") else line
            found.update(m.group(0).casefold() for m in _WORDISH.finditer(body))
    return found


def join_hyphenated(left: str, right: str, known_hyphenated: set[str] | None = None) -> tuple[str, str]:
    """Join a line ending in a hyphen with the next line.

    Returns the new ``(left, right)``: the continuation word moves to the left line.

    >>> join_hyphenated("zu berück-", "sichtigt (Privacy by Design).")
    ('zu berücksichtigt', '(Privacy by Design).')
    >>> join_hyphenated("Ressourcenknappheit um-", "setzen. Dennoch ist es")
    ('Ressourcenknappheit umsetzen.', 'Dennoch ist es')
    >>> join_hyphenated("sektorale Smart-City-", "Strategien und")
    ('sektorale Smart-City-Strategien', 'und')
    >>> join_hyphenated("lokale Wissens-", "und Wertschöpfung")
    ('lokale Wissens- und', 'Wertschöpfung')
    >>> join_hyphenated("Räumliche und Sektor-", "übergreifende Wirkungen", {"sektor-übergreifende"})
    ('Räumliche und Sektor-übergreifende', 'Wirkungen')
    """
    m = _LINE_END_HYPHEN.search(left)
    nxt = _FIRST_WORD.match(right.lstrip())
    if not m or not nxt:
        return left, right
    word, rest = nxt.group(1), nxt.group(2)
    bare = re.sub(r"[^\w\-]+$", "", word)
    if bare.casefold() in _CONJUNCTIONS:
        # Suspended hyphen: keep "Wissens-" and continue with the conjunction.
        return left + " " + word, rest
    stem = left[: m.start()] + m.group(1) + m.group(2)
    head = stem.split()[-1] if stem.split() else stem
    if word[0].isupper() or word[0].isdigit():
        # A capitalised continuation means the hyphen is part of the compound.
        return stem + "-" + word, rest
    hyphen_form = (head + "-" + bare).casefold()
    if known_hyphenated and hyphen_form.strip("„“\"'(") in known_hyphenated:
        return stem + "-" + word, rest
    return stem + word, rest


def dehyphenate(lines: Sequence[str], known_hyphenated: set[str] | None = None) -> list[str]:
    """Apply :func:`join_hyphenated` to every line that ends in a word hyphen.

    >>> dehyphenate(["Die Daten-", "sicherheit", "E-Government-", "Gesetze"])
    ['Die Datensicherheit', 'E-Government-Gesetze']
    """
    out = [s for s in lines]
    i = 0
    while i < len(out) - 1:
        if out[i].endswith("-") and not out[i].endswith(" -"):
            left, right = join_hyphenated(out[i], out[i + 1], known_hyphenated)
            if left != out[i]:
                out[i] = left
                if right:
                    out[i + 1] = right
                else:
                    del out[i + 1]
                    continue  # the joined line may end in a hyphen again
        i += 1
    return out


_SENTENCE_END = re.compile(r"[.!?:;]$")


def join_lines(lines: Sequence[str]) -> str:
    """Re-flow the lines of one page into paragraphs separated by ``\\n``.

    A line ends a paragraph when it ends a sentence and is clearly shorter than the
    page's typical line, or when the next line starts a bullet item.

    >>> join_lines(["Die Charta richtet sich an alle", "Kommunen.", "• erster Punkt", "• zweiter"])
    'Die Charta richtet sich an alle Kommunen.\\n• erster Punkt\\n• zweiter'
    """
    lines = [s for s in lines if s.strip()]
    if not lines:
        return ""
    lengths = sorted(len(s) for s in lines)
    typical = lengths[int(len(lengths) * 0.75)] if len(lengths) > 3 else max(lengths)
    paragraphs: list[str] = [lines[0]]
    for prev, line in zip(lines, lines[1:]):
        new_par = line.startswith(BULLET) or (_SENTENCE_END.search(prev) is not None and len(prev) < 0.8 * typical)
        if new_par:
            paragraphs.append(line)
        else:
            paragraphs[-1] += " " + line
    return "\n".join(paragraphs)


def normalize_for_match(text: str) -> tuple[str, list[int]]:
    """Letters and digits only, case-folded, with a map back to ``text`` offsets.

    Used to find headings in page text regardless of hyphenation, line breaks and
    punctuation.

    >>> normalize_for_match("3.2 Daten-\\nhoheit")
    ('32datenhoheit', [0, 2, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16])
    """
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isalnum():
            for c in ch.casefold():
                chars.append(c)
                index.append(i)
    return "".join(chars), index
