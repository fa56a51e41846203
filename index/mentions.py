"""Which documents a question names: „laut Charta …“, „Was steht im OZG zu …“, „Was sagt
die Ulmer Strategie zu …“.

The names come from each document's own metadata, so a document nobody on the project
has seen is found by its name too:

* abbreviations: a short form in brackets in the title or publisher („Onlinezugangsgesetz
  (OZG)“), or a publisher written as one („BBSR“);
* places: the word after „Stadt“, „Land“, „Landkreis“ … in the title or publisher („Stadt
  Ulm“), also as its adjective („Ulmer“, „Berliner“, „Münchner“);
* distinctive title words: a word of the title that no other document's title has and
  that is rare in German (``wordfreq``'s Zipf frequency below 3.5: „Charta“,
  „Onlinezugangsgesetz“, „E-Government-Gesetz“, „Ulm4CleverCity“; not „Strategie“,
  „Handbuch“, „Daten“, „Open“, nor a rare word for a kind of document, „Handreichung“);
* the document's id as a whole word („ozg“).

An everyday title word („Strategie“, „Smart City“) never names a document on its own.
It only chooses among the documents one name points to: „die Ulmer Strategie“ is the
city's strategy, not its slide deck, which has the same publisher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from text.analysis import STOPWORDS, WORD, fold, stem

# Below this Zipf frequency (about 3 uses in a million words) a word is not everyday
# German: „Charta“ 3.4, „Leitlinien“ 3.4; „Leitfaden“ 3.7, „Handbuch“ 4.2, „Strategie“ 4.4.
EVERYDAY_ZIPF = 3.5
MIN_NAME = 4  # letters of a title word that can name a document
# Words for a kind of document, rare in general German but said of any guide: „Gibt es
# eine Handreichung zu …?“ asks about all of them, not the one whose title has the word.
DOCUMENT_KINDS = frozenset(
    stem(w)
    for w in (
        "Handreichung Arbeitshilfe Leitfaden Handbuch Broschüre Merkblatt Positionspapier Eckpunktepapier "
        "Präsentation Foliensatz Überblick Bericht Studie Gutachten Leitlinien Richtlinie Empfehlungen "
        "Konzept Strategie Auszug Langfassung Kurzfassung"
    ).split()
)

# Words before a place name in a title or a publisher: „Stadt Ulm“, „Land Berlin“,
# „Freie und Hansestadt Hamburg“, „Landeshauptstadt München“.
_PLACE = re.compile(
    r"\b(?:Stadt|Großstadt|Kreisstadt|Hansestadt|Landeshauptstadt|Bundesstadt|Universitätsstadt|"
    r"Stadtverwaltung|Gemeinde|Samtgemeinde|Verbandsgemeinde|Markt|Landkreis|Kreis|Bezirk|"
    r"Region|Land|Bundesland|Freistaat)\s+([A-ZÄÖÜ][^\W\d_]{2,})"
)
# A short form in brackets, with at least two capitals: „(OZG)“, „(EGovG)“, „(BBSR)“.
_BRACKETED = re.compile(r"\(([A-ZÄÖÜ][A-Za-zÄÖÜäöü]{1,9})\)")


def _abbreviation(word: str) -> bool:
    """
    >>> _abbreviation("OZG"), _abbreviation("EGovG"), _abbreviation("Bund"), _abbreviation("X")
    (True, True, False, False)
    """
    return 2 <= len(word) <= 10 and word.isalpha() and sum(c.isupper() for c in word) >= 2


@lru_cache(maxsize=4096)
def everyday(word: str) -> bool:
    """A word common in German text (a hyphenated word is judged as a whole).

    >>> everyday("Strategie"), everyday("Handbuch"), everyday("Charta"), everyday("Onlinezugangsgesetz")
    (True, True, False, False)
    """
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "de") >= EVERYDAY_ZIPF


def place_forms(place: str) -> set[str]:
    """The folded forms a question may use for a place: the name, its genitive and its
    adjective.

    >>> sorted(place_forms("Ulm"))
    ['ulm', 'ulmer', 'ulms']
    >>> {"munchner", "bremer"} <= place_forms("München") | place_forms("Bremen")
    True
    """
    p = fold(place)
    forms = {p, p + "s", p + "er"}
    if p.endswith("en"):  # Bremen → Bremer, München → Münchner, Dresden → Dresdner
        forms |= {p[:-2] + "er", p[:-2] + "ner"}
    return forms


def _words(text: str) -> list[str]:
    """Words and, for a hyphenated word, also its parts („IFG-Antrag“: IFG, Antrag)."""
    out = []
    for word in WORD.findall(text):
        out.append(word)
        if "-" in word:
            out += [p for p in word.split("-") if p]
    return out


def _title_stems(title: str) -> set[str]:
    """Stems of a title's words, stopwords left out (what narrows a choice)."""
    return {stem(w) for w in _words(title) if len(w) >= 3 and not w.isdigit() and w.casefold() not in STOPWORDS}


@dataclass(frozen=True)
class DocumentNames:
    """The names of the documents of one index, looked up per question word."""

    by_form: Mapping[str, frozenset[str]] = field(default_factory=dict)  # folded word → doc ids
    by_case: Mapping[str, frozenset[str]] = field(default_factory=dict)  # an abbreviation that is also a word
    by_stem: Mapping[str, frozenset[str]] = field(default_factory=dict)  # distinctive title word
    title_stems: Mapping[str, frozenset[str]] = field(default_factory=dict)  # doc id → its title's stems

    @classmethod
    def of(cls, documents: Iterable[Mapping[str, Any]]) -> DocumentNames:
        """The names of ``documents`` (manifest entries: ``doc_id``, ``title``,
        ``publisher``). A document superseded by a newer edition is searched only when
        chosen, never because a question names its title."""
        docs = [d for d in documents if d.get("doc_id") and not d.get("superseded_by")]
        if len(docs) < 2:
            return cls()  # one document: naming it changes nothing
        by_form: dict[str, set[str]] = {}
        by_case: dict[str, set[str]] = {}
        by_stem: dict[str, set[str]] = {}
        titles = {str(d["doc_id"]): str(d.get("title") or "") for d in docs}
        stems = {doc_id: frozenset(_title_stems(title)) for doc_id, title in titles.items()}
        for d in docs:
            doc_id, title, publisher = str(d["doc_id"]), titles[str(d["doc_id"])], str(d.get("publisher") or "")
            shorts = _BRACKETED.findall(f"{title} {publisher}")
            shorts += [w for w in publisher.replace(",", " ").split() if _abbreviation(w)]
            for short in filter(_abbreviation, shorts):
                if everyday(short):  # „(WIR)“ names a document only as written
                    by_case.setdefault(short, set()).add(doc_id)
                else:  # „ozg“ as well as „OZG“
                    by_form.setdefault(fold(short), set()).add(doc_id)
            for place in _PLACE.findall(f"{title}, {publisher}"):
                if place.casefold() not in STOPWORDS:
                    for form in place_forms(place):
                        by_form.setdefault(form, set()).add(doc_id)
            if len(doc_id) >= 3 and not doc_id.isdigit() and not everyday(doc_id):
                by_form.setdefault(fold(doc_id), set()).add(doc_id)
            others = set().union(*(s for other, s in stems.items() if other != doc_id))
            for word in WORD.findall(title):
                key = stem(word)
                if (
                    len(word) >= MIN_NAME
                    and not word.isdigit()
                    and word.casefold() not in STOPWORDS
                    and key not in others
                    and key not in DOCUMENT_KINDS
                    and not everyday(word)
                ):
                    by_stem.setdefault(key, set()).add(doc_id)
        return cls(
            {k: frozenset(v) for k, v in by_form.items()},
            {k: frozenset(v) for k, v in by_case.items()},
            {k: frozenset(v) for k, v in by_stem.items()},
            stems,
        )

    def named(self, text: str) -> tuple[str, ...]:
        """The ids of the documents ``text`` names, sorted; empty when it names none.

        Each name found points to its documents; when one name fits several (two
        documents of one city), the ones whose titles share most words with the text
        are kept.
        """
        if not self.title_stems:
            return ()
        words = _words(text)
        question = {stem(w) for w in words}
        found: set[str] = set()
        for word in words:
            for docs in (self.by_case.get(word), self.by_form.get(fold(word)), self.by_stem.get(stem(word))):
                if docs:
                    # The name itself does not choose among the documents it names.
                    found |= self._narrowed(docs, question - {stem(word)})
        return tuple(sorted(found)) if found != set(self.title_stems) else ()

    def _narrowed(self, docs: frozenset[str], question: set[str]) -> set[str]:
        if len(docs) == 1:
            return set(docs)
        shared = {d: len(self.title_stems.get(d, frozenset()) & question) for d in docs}
        best = max(shared.values())
        return {d for d, n in shared.items() if n == best}


def within(named: Sequence[str], chosen: Sequence[str] | None) -> list[str] | None:
    """The documents to search: those the question names, among the ones the user chose
    (the user's choice alone when the question names none of them); None for all.

    >>> within(["ozg"], None), within(["ozg"], ["ozg", "ifg"]), within(["ozg"], ["ifg"]), within([], None)
    (['ozg'], ['ozg'], ['ifg'], None)
    """
    if not named:
        return list(chosen) if chosen else None
    if not chosen:
        return list(named)
    return [d for d in named if d in chosen] or list(chosen)
