"""Follow-up questions: when a question needs the one before it.

A follow-up is first searched as its own question. Only a question without content
of its own ("Und warum?", "Und wie heißt die dritte?") is searched together with the
previous one from the start; a question that leans back ("Und …", "… das …") but has
content of its own is searched with the previous one too when alone it finds no
answer, and the better outcome is kept.
"""

from __future__ import annotations

import re

from index.query import Query

# Words that carry no topic in a follow-up: they ask about the topic already on the table.
FILLERS = frozenset(
    """
heißt heisst bedeutet bedeuten meint meinen eigentlich genau bitte denn mal wieso weshalb
warum wozu konkret beispiel beispiele etwa sonst noch erste ersten zweite zweiten dritte
dritten vierte vierten letzte letzten nächste nächsten andere anderen sieht siehts aus
gemeint gilt gelten steht stehen dazu darüber davon daran damit dabei dafür was wer wie
wann womit woher wohin why how what about else there more which
""".split()
)

_LEANS_BACK = re.compile(
    r"^(und|aber|also|oder|sowie|dann|auch|and|but|so|or|what about)\b|"
    r"\b(das|dies|diese[rsmn]?|dafür|dazu|davon|darüber|damit|dabei|daran|hierzu|"
    r"solche[rsmn]?|this|that|these|those|it|they)\b",
    re.IGNORECASE,
)
MAX_CONTEXT_WORDS = 60


def own_content(query: Query) -> list[str]:
    """The content words of a question that are not follow-up fillers.

    >>> from index.query import analyse
    >>> own_content(analyse("Und wie heißt die dritte?")), own_content(analyse("Und München?"))
    ([], ['München'])
    """
    return [w for w in query.content if w.casefold() not in FILLERS]


def leans_back(text: str) -> bool:
    """True when a question opens like a continuation or points back.

    >>> leans_back("Und was heißt das für kleine Gemeinden?"), leans_back("Wer bezahlt?")
    (True, False)
    """
    return bool(_LEANS_BACK.search(text))


def with_context(question: str, previous: str) -> str:
    """The previous question and this one, as one text to search (bounded in length).

    >>> with_context("Und warum?", "Sollen Schnittstellen offen sein?")
    'Sollen Schnittstellen offen sein? Und warum?'
    """
    context = previous.split()
    budget = max(0, MAX_CONTEXT_WORDS - len(question.split()))
    return " ".join(context[-budget:] + [question]) if budget else question
