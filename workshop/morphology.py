"""What form a German noun has: its readings as gender, case and number, from the
Wiktionary noun table in ``data/`` (see ``scripts/make_noun_forms.py``).

A cloze gap's distractors must read like the answer: „von der _____“ wants a feminine
singular, „in den _____“ a dative plural, „als _____, -bereitsteller“ a compound. Suffix
rules cannot tell „Zentrale“ (feminine singular) from „Konzepte“ (plural); the table can.
A compound the table does not hold („Verkehrsleitzentrale“) reads as its head, the longest
known noun it ends with („Zentrale“).
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "de_noun_forms.tsv.gz"
CASES = ("Nom.", "Gen.", "Dat.", "Akk.")
GENDERS = ("m.", "f.", "n.", "Pl.")
MIN_HEAD = 4  # a compound's head has at least this many letters
MIN_MODIFIER = 3
# Adjective endings: a capitalised „Interministeriellen“ (in a name) is no compound of
# „Ellen“; a head that starts inside such an ending is no head.
_ADJECTIVE = re.compile(r"(isch|lich|ig|ell|al|iv|bar|los|sam|haft|ern)(e|en|er|es|em)?$")


@lru_cache(maxsize=1)
def _table() -> dict[str, int]:
    with gzip.open(TABLE, "rt", encoding="utf-8") as f:
        return {form: int(bits, 16) for form, _, bits in (line.rstrip("\n").partition("\t") for line in f)}


@lru_cache(maxsize=65536)
def analyse(word: str) -> tuple[int, str]:
    """The readings of ``word`` (a bit mask, 0 when unknown) and the known noun they come
    from: the word itself or the head of a compound.

    >>> describe(analyse("Verkehrsleitzentrale")[0]), analyse("Verkehrsleitzentrale")[1]
    ('Nom./Gen./Dat./Akk. f.', 'zentrale')
    >>> describe(analyse("Entwicklungskonzepten")[0]), describe(analyse("Datenproduzent")[0])
    ('Dat. Pl.', 'Nom. m.')
    >>> analyse("Xyzzq"), analyse("Interministeriellen")
    ((0, ''), (0, ''))
    """
    table = _table()
    low = word.casefold().rsplit("-", 1)[-1]
    if low in table:
        return table[low], low
    adjective = _ADJECTIVE.search(low)
    for i in range(MIN_MODIFIER, len(low) - MIN_HEAD + 1):
        head = low[i:]
        if head in table:
            if adjective and adjective.start() <= i:  # the head cuts through an adjective ending
                return 0, ""
            return table[head], head
    return 0, ""


def readings(word: str) -> int:
    """``word``'s readings as a bit mask (bit ``4 * case + gender``; 0 when unknown)."""
    return analyse(word)[0]


def is_compound(word: str) -> bool:
    """Whether ``word`` is a compound whose head is a known noun (a hyphen counts).

    >>> is_compound("Datenproduzent"), is_compound("Produzent"), is_compound("Smart-City-Lösungen")
    (True, False, True)
    """
    bits, head = analyse(word)
    return bool(bits) and ("-" in word or len(head) < len(word))


def describe(bits: int) -> str:
    """The readings in words, grouped by gender (for tests and error messages).

    >>> describe(0b1000_1000_1000_1000)
    'Nom./Gen./Dat./Akk. Pl.'
    """
    out = []
    for g, gender in enumerate(GENDERS):
        cases = [CASES[c] for c in range(4) if bits >> (4 * c + g) & 1]
        if cases:
            out.append(f"{'/'.join(cases)} {gender}")
    return ", ".join(out) or "unbekannt"
