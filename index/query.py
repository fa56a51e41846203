"""A question, analysed once: the value that search, sentence scoring, the answer
decision and follow-ups all take.

>>> q = analyse("Muss jeder Bürger Online-Dienste nutzen?")
>>> q.english, q.content, q.terms
(False, ('Bürger', 'Online-Dienste', 'nutzen'), ('burg', 'online-dien', 'onlin', 'dien', 'nutz'))
>>> "sensor" in analyse("Messfühler").synonyms["Messfühler"]
True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.mentions import DocumentNames
from text.analysis import analyze, content_words, looks_english
from text.synonyms import synonym_stems


@dataclass(frozen=True)
class Query:
    text: str  # the question, whitespace normalised
    english: bool
    content: tuple[str, ...]  # content words, as written
    terms: tuple[str, ...]  # BM25 terms (stems, compound parts)
    synonyms: Mapping[str, frozenset[str]] = field(default_factory=dict)  # word → stems
    vector: np.ndarray | None = None  # the model's query vector, when a model was given
    documents: tuple[str, ...] = ()  # ids of the documents the question names (index.mentions)

    def __bool__(self) -> bool:
        return bool(self.text)

    def bm25_terms(self, vocab: Container[str], synonym_weight: float) -> dict[str, float]:
        """BM25 query terms with weights: the question's own terms weigh 1 per occurrence;
        each word's synonyms that the index uses (and that are not already terms) share
        ``synonym_weight``, each getting ``synonym_weight / sqrt(n)``, so a word with many
        synonyms does not drown the others.

        >>> q = analyse("Messfühler")
        >>> q.bm25_terms({"messfuhl", "sensor"}, 0.5)
        {'messfuhl': 1.0, 'sensor': 0.5}
        >>> q.bm25_terms({"sensor"}, 0.0)
        {}
        """
        weights = {t: float(n) for t, n in Counter(self.terms).items() if t in vocab}
        if synonym_weight <= 0:
            return weights
        for stems in self.synonyms.values():
            extra = sorted(t for t in stems if t in vocab and t not in weights)
            for t in extra:
                weights[t] = max(weights.get(t, 0.0), synonym_weight / len(extra) ** 0.5)
        return weights


def analyse(
    text: str, embedder: Embedder | None = None, english: bool | None = None, names: DocumentNames | None = None
) -> Query:
    """Analyse ``text`` once; with an ``embedder`` the query vector is computed too, with
    the ``names`` of an index's documents the documents it names.

    ``english`` overrides the language guess (a follow-up searched together with the
    question before it keeps its own language).
    """
    text = " ".join(text.split())
    english = looks_english(text) if english is None else english
    content = tuple(content_words(text))
    synonyms: dict[str, frozenset[str]] = {}
    if not english:
        # "Online-Dienste": the word list has no entry for the whole word, but for its
        # parts (as the analyser indexes them). Parts of closed compounds are not
        # expanded: measured, they add noise.
        for word in content:
            parts = [p for p in word.split("-") if p] if "-" in word else []
            stems = synonym_stems(word).union(*(synonym_stems(p) for p in parts))
            if stems:
                synonyms[word] = frozenset(stems)
    vector = embedder.query_vector(text) if embedder is not None and text else None
    documents = names.named(text) if names is not None else ()
    return Query(text, english, content, tuple(analyze(text)), synonyms, vector, documents)
