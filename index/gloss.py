"""A word-by-word English gloss of German text, for the English-trained bundled model.

all-MiniLM-L6-v2 knows English: on German text its vectors mostly follow shared word
pieces, so "Muss jeder Bürger Online-Dienste nutzen?" and "Niemand soll zur Nutzung
digitaler Strukturen gezwungen werden" look unrelated to it. Glossed, both become plain
English words, and there the model does see that "forced" answers "must". The index
keeps a second set of vectors over the glossed passages; search compares the glossed
question with them and fuses that ranking with BM25 and the plain dense one.

The word list (``index/data/de_en_gloss.tsv.gz``) is derived from Ding's German–English
dictionary by ``scripts/make_lexicons.py``: each German word with its most common English
translation. Words not in the list are tried without an inflection ending, then as
compounds (``Mobilitätsdienstleistungen`` → "mobility services"), then kept as they
are (names). German function words are dropped except those that carry
meaning for a question (negation, modal verbs).

>>> gloss("Niemand soll zur Nutzung digitaler Strukturen gezwungen werden.")
'nobody should use digital structures forced'
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import Stemmer

from text.analysis import ENGLISH_STOPWORDS, STOPWORDS, WORD, split_compound

DATA = Path(__file__).resolve().parent / "data" / "de_en_gloss.tsv.gz"
GLOSS_NAME = "ding-gloss-v1"

# Function words the analyser drops but a question turns on ("Muss …?", "… nicht …"),
# glossed by hand: the dictionary's first sense of "Muss" is a noun.
FUNCTION_WORDS = {
    "nicht": "not", "kein": "no", "keine": "no", "keinem": "no", "keinen": "no",
    "keiner": "no one", "keines": "none", "niemand": "nobody", "muss": "must",
    "müssen": "must", "musste": "had to", "soll": "should", "sollen": "should",
    "sollte": "should", "sollten": "should", "kann": "can", "können": "can",
    "könnte": "could", "darf": "may", "dürfen": "may", "wer": "who", "warum": "why",
    "wie": "how", "wann": "when", "wo": "where", "was": "what", "ohne": "without",
}
_ENDINGS = ("en", "e", "er", "es", "em", "n", "s", "ern")
_english = Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def gloss_table() -> dict[str, str]:
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        return dict(line.rstrip("\n").split("\t", 1) for line in fh)


def _lookup(word: str) -> str | None:
    table = gloss_table()
    for form in (word, word.lower(), word.capitalize()):
        if form in table:
            return table[form]
    for ending in _ENDINGS:
        if word.lower().endswith(ending) and len(word) - len(ending) >= 3:
            base = word[: -len(ending)]
            for form in (base, base.lower(), base.capitalize()):
                if form in table:
                    return table[form]
    return None


@lru_cache(maxsize=100_000)
def gloss_word(word: str) -> str:
    """English for one German word; the word itself when nothing fits.

    >>> gloss_word("Bürger"), gloss_word("Mobilitätsdienstleistungen"), gloss_word("Leipzig")
    ('citizens', 'mobility services', 'Leipzig')
    """
    found = FUNCTION_WORDS.get(word.casefold()) or _lookup(word)
    if found:
        return found
    if "-" in word:
        return " ".join(gloss_word(part) for part in word.split("-") if part)
    parts = split_compound(word.lower())
    if parts:
        return " ".join(_lookup(p) or p for p in parts)
    return word


def gloss(text: str) -> str:
    """The English gloss of German ``text``: content words in order, one gloss each."""
    words = (m.group(0) for m in WORD.finditer(text))
    return " ".join(gloss_word(w) for w in words
                    if w.casefold() not in STOPWORDS or w.casefold() in FUNCTION_WORDS)


def english_terms(text: str) -> list[str]:
    """English Snowball stems of the content words of ``text``, to compare an English
    question with glossed sentences.

    >>> english_terms("Should anyone be forced to use digital services?")
    ['anyon', 'forc', 'use', 'digit', 'servic']
    """
    words = (m.group(0).casefold() for m in WORD.finditer(text))
    return [_english.stemWord(w) for w in words if len(w) > 1 and w not in ENGLISH_STOPWORDS]


def english_vocab(texts: Iterable[str]) -> frozenset[str]:
    """English stems of the texts' gloss and of their own words ("Open Data", "Smart City").

    >>> sorted(english_vocab(["Niemand soll gezwungen werden."]))
    ['forc', 'gezwungen', 'niemand', 'nobodi', 'soll', 'werden']
    """
    return frozenset(t for text in texts for t in english_terms(gloss(text) + " " + text))
