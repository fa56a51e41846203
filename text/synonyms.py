"""German synonyms for BM25 queries, from OpenThesaurus (``index/data/de_synonyms.txt.gz``).

Officials ask in everyday words ("Messfühler", "Bücherei", "Müll"); the documents use
others ("Sensoren", "Bibliotheken", "Abfall"). A query word's synonyms are added to the
BM25 query as extra terms, but only those the index actually uses, and with a small
weight shared among them, so an exact word of the question still counts most.

Measured with ``python -m eval`` (German set, hybrid): see docs/QUALITY.md.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from text.analysis import read_cache, stem, write_cache

DATA = Path(__file__).resolve().parent / "data" / "de_synonyms.txt.gz"
# The stems of each set's words, one set per line as in DATA: stemming 100,000 words
# cost a fresh process ~1 s.
STEMS = DATA.with_name("de_synonym_stems.txt.gz")

_ENDINGS = ("n", "en", "e", "s", "es", "er", "ern")


@dataclass(frozen=True)
class SynonymTable:
    """The synonym sets, and for each lowercased word and each stem the sets it is in.

    Keyed by word first, not by stem: stems conflate ("Bürger" and "Burg" both stem to
    ``burg``), and a castle's synonyms have no place in a question about citizens. The
    stem index only serves words the list does not hold in any inflection.
    """

    sets: tuple[tuple[str, ...], ...]
    by_word: dict[str, tuple[int, ...]]
    by_stem: dict[str, tuple[int, ...]]


def set_stems(sets: list[tuple[str, ...]]) -> list[list[str]]:
    """The distinct stems of each set's words, in a fixed order."""
    return [sorted({stem(w) for w in words}) for words in sets]


def write_stems() -> None:
    """Cache the stems beside the list (``python -m text.synonyms``)."""
    write_cache(STEMS, ["|".join(stems) for stems in set_stems(read_sets())])


def read_sets() -> list[tuple[str, ...]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        return [tuple(line.rstrip("\n").split("|")) for line in fh]


@lru_cache(maxsize=1)
def synonym_table() -> SynonymTable:
    sets = read_sets()
    cached = read_cache(STEMS)
    stems = [line.split("|") for line in cached] if cached is not None else None
    if stems is None or len(stems) != len(sets):
        stems = set_stems(sets)
    by_word: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    for i, (words, their_stems) in enumerate(zip(sets, stems)):
        for w in words:
            by_word.setdefault(w.casefold(), []).append(i)
        for st in their_stems:
            by_stem.setdefault(st, []).append(i)
    return SynonymTable(
        tuple(sets), {w: tuple(ids) for w, ids in by_word.items()}, {st: tuple(ids) for st, ids in by_stem.items()}
    )


def synonyms_of(word: str) -> frozenset[str]:
    """Synonyms of ``word``, also when it is inflected ("Messfühlern" → "Messfühler").

    >>> sorted(synonyms_of("Messfühlern"))[:3]
    ['Abstandssensor', 'Accelerometer', 'Annäherungsschalter']
    """
    table = synonym_table()
    key = word.casefold()
    ids = table.by_word.get(key)
    for ending in _ENDINGS:
        if ids:
            break
        if key.endswith(ending):
            ids = table.by_word.get(key[: -len(ending)])
    if not ids:
        ids = table.by_stem.get(stem(key), ())
    return frozenset(w for i in ids for w in table.sets[i] if w.casefold() != key)


@lru_cache(maxsize=50_000)
def synonym_stems(word: str) -> frozenset[str]:
    """The BM25 stems of ``word``'s synonyms (what the index would hold for them).

    >>> "sensor" in synonym_stems("Messfühler")
    True
    """
    return frozenset(stem(w) for w in synonyms_of(word))


if __name__ == "__main__":
    # Regenerate the cached tables after a change of the analysis, wordfreq or PyStemmer.
    from text.analysis import ZIPF_CACHE, build_zipf_table

    write_stems()
    write_cache(ZIPF_CACHE, [f"{word}\t{value!r}" for word, value in sorted(build_zipf_table().items())])
