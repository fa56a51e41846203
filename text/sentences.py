"""German (and English) sentences: where they start and end, and how they open.

Passages and answers cut text with the same splitter, so a quoted sentence is always a
whole sentence of the passage it comes from.
"""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a German (or English) sentence.
_ABBREV = {
    "z",
    "b",
    "u",
    "a",
    "d",
    "h",
    "e",
    "v",
    "o",
    "g",
    "s",
    "bzw",
    "ca",
    "vgl",
    "nr",
    "abs",
    "dr",
    "prof",
    "usw",
    "etc",
    "ggf",
    "inkl",
    "insb",
    "evtl",
    "sog",
    "bspw",
    "mio",
    "mrd",
    "jh",
    "st",
    "tel",
    "ff",
    "art",
    "bzgl",
    "zzgl",
    "max",
    "min",
    "dt",
    "gem",
    "i",
    "e.v",
    "mr",
    "mrs",
    "ms",
    "vs",
    "e.g",
    "i.e",
    "no",
    "fig",
    "abb",
    "kap",
    "hrsg",
    "ebd",
    "f",
    "rd",
    "tab",
    "ä",
    "u.a",
    "z.b",
    "d.h",
    "i.d.r",
    "cf",
    "approx",
}
_BOUNDARY = re.compile(r"[.!?…][\"“”»)\]]*\s+(?=[\"„“»(\[]?[A-ZÄÖÜ0-9•])|\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``, German-aware.

    Abbreviations (``z. B.``, ``u. a.``, ``bzw.``) and ordinals (``am 1. Mai``) do not
    end a sentence; a line break always does.

    >>> t = "Kommunen sollten z. B. Daten teilen. Am 1. Mai 2021 beginnt es. Gut!"
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Kommunen sollten z. B. Daten teilen.', 'Am 1. Mai 2021 beginnt es.', 'Gut!']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(0) != "\n" and text[m.start()] == ".":
            word = re.search(r"([\w.]+)$", text[start : m.start()])
            token = word.group(1).casefold() if word else ""
            if token in _ABBREV or re.fullmatch(r"\d{1,2}", token):
                continue
        end = m.start() + len(m.group(0).rstrip())
        if text[start:end].strip():
            spans.append(trim_span(text, start, end))
        start = m.end()
    if text[start:].strip():
        spans.append(trim_span(text, start, len(text)))
    return spans


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
