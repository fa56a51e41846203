"""What a generated sentence must keep from the passage it paraphrases: its negation, its
direction words („mehr“/„weniger“, „steigt“/„sinkt“ …) and its numbers, also when
they are written as words.

A content-word check alone passes „Digitalisierung darf zum Ausschluss führen“ for a
passage that says „darf nicht zum Ausschluss führen“: every content word is there.
So each clause of a generated sentence is matched with the passage sentence or clause
that shares most of its content words, and must carry as many negations, and no
direction word whose opposite that passage uses instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text.analysis import analyze
from text.sentences import split_sentences

# „nicht nur … sondern auch“ adds, it does not negate; „nicht-digital“ is one word.
_NEGATORS = frozenset(
    "nicht nie niemals niemand niemandem niemanden nichts nirgends nirgendwo weder ohne "
    "kein keine keinen keinem keiner keines".split()
)
_TOKEN = re.compile(r"[\w-]+")
_CLAUSE = re.compile(r"[,;:–()]")

# Pairs of opposite direction words, as patterns on lower-case words.
_ENDING = r"(?:e|em|en|er|es)?"
_OPPOSITES: tuple[tuple[str, str], ...] = (
    (r"mehr", rf"weniger{_ENDING}"),
    (rf"höher{_ENDING}", rf"(?:niedriger|geringer|tiefer){_ENDING}"),
    (rf"größer{_ENDING}", rf"kleiner{_ENDING}"),
    (rf"(?:besser|verbesser\w*){_ENDING}", rf"(?:schlechter|verschlechter\w*){_ENDING}"),
    (r"mindestens", r"höchstens|maximal|allenfalls"),
    (r"früher|eher", r"später"),
    (
        r"steig\w*|gestiegen\w*|anstieg\w*|erhöh\w*|zunahme|zunehm\w*|zugenommen|wachs\w*|wächst",
        r"sink\w*|gesunken\w*|rückgang\w*|senk\w*|verringer\w*|abnahme|abnehm\w*|abgenommen|schrumpf\w*",
    ),
    (r"vorteil\w*", r"nachteil\w*"),
    (r"erlaubt\w*|erlauben|zulässig\w*", r"verboten\w*|verbieten|unzulässig\w*"),
)
_DIRECTIONS = tuple(
    (re.compile(rf"^(?:{a})$"), re.compile(rf"^(?:{b})$")) for pair in _OPPOSITES for a, b in (pair, pair[::-1])
)

_UNITS = {"zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9}
_TEENS = {"zehn": 10, "elf": 11, "zwölf": 12, "sechzehn": 16, "siebzehn": 17}
_TENS = {"zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80}
_TENS |= {"neunzig": 90}


def _below_hundred(word: str) -> int | None:
    if word in _UNITS:
        return _UNITS[word]
    if word in _TEENS:
        return _TEENS[word]
    if word.endswith("zehn") and word[:-4] in _UNITS:
        return 10 + _UNITS[word[:-4]]
    if word in _TENS:
        return _TENS[word]
    unit, und, tens = word.partition("und")
    if und and tens in _TENS and (unit in _UNITS or unit == "ein"):
        return _TENS[tens] + _UNITS.get(unit, 1)
    return None


def number_word(word: str) -> int | None:
    """The value of a German number word up to 999,999 („eins“, „fünfundzwanzig“,
    „zweitausend“), else None; „ein“, „eine“ … are articles, not numbers.

    >>> [number_word(w) for w in ["drei", "Dreizehn", "fünfundzwanzig", "zweihundertelf", "tausend", "eine", "achten"]]
    [3, 13, 25, 211, 1000, None, None]
    """
    word = word.casefold()
    if word == "eins":
        return 1
    thousands, sep, rest = word.partition("tausend")
    if sep:
        high = 1 if thousands in ("", "ein") else _below_thousand(thousands)
        low = _below_thousand(rest) if rest else 0
        return None if high is None or low is None else high * 1000 + low
    return _below_thousand(word)


def _below_thousand(word: str) -> int | None:
    hundreds, sep, rest = word.partition("hundert")
    if not sep:
        return _below_hundred(word)
    high = 1 if hundreds in ("", "ein") else _UNITS.get(hundreds)
    low = (_below_hundred(rest) or (1 if rest == "eins" else None)) if rest else 0
    return None if high is None or low is None else high * 100 + low


def negations(text: str) -> int:
    """How many negations ``text`` has.

    >>> negations("Niemand soll nicht nur digital, sondern auch auf nicht-digitalem Wege kommunizieren.")
    1
    """
    words = _TOKEN.findall(text.casefold())
    return sum(w in _NEGATORS and not (w == "nicht" and words[i + 1 : i + 2] == ["nur"]) for i, w in enumerate(words))


def _clauses(text: str) -> list[str]:
    return [c for c in (c.strip() for c in _CLAUSE.split(text)) if c]


def _sentences(passages: Sequence[str]) -> list[str]:
    return [passage[start:end] for passage in passages for start, end in split_sentences(passage)]


def _cover_negations(stems: set[str], sentences: list[tuple[set[str], int]]) -> int:
    """The negations of the passage sentences (or clauses) that, taken greedily, hold most
    of ``stems``: a generated clause may join two of them without a comma."""
    left, total = set(stems), 0
    while left:
        best = max(sentences, key=lambda s: len(s[0] & left), default=None)
        if best is None or not best[0] & left:
            break
        left -= best[0]
        total += best[1]
    return total


def _direction(word: str) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    return next(((own, other) for own, other in _DIRECTIONS if own.match(word)), None)


def polarity_problem(sentence: str, cited: Sequence[str]) -> str:
    """Why ``sentence`` turns round what the ``cited`` passages say; ``""`` when it does not.

    >>> p = ["Digitalisierung darf nicht zum Ausschluss Einzelner führen. Die Kosten steigen."]
    >>> polarity_problem("Digitalisierung darf zum Ausschluss Einzelner führen.", p)
    '0 negation(s) where the passage has 1'
    >>> polarity_problem("Die Kosten sinken.", p)
    '„sinken“ where the passage says „steigen“'
    >>> polarity_problem("Einzelne dürfen nicht ausgeschlossen werden, und die Kosten steigen.", p)
    ''
    """
    whole = _sentences(cited)
    parts = [c for s in whole for c in _clauses(s)]
    candidates = [(c, set(analyze(c)), negations(c)) for c in whole + parts]
    sentences = [(stems, neg) for _, stems, neg in candidates[: len(whole)]]
    clauses = [(stems, neg) for _, stems, neg in candidates[len(whole) :]]
    cited_words = _TOKEN.findall(" ".join(cited).casefold())
    for clause in _clauses(sentence):
        stems = set(analyze(clause))
        top = max((len(stems & s) for _, s, _ in candidates), default=0)
        if not top:
            continue
        best = [(c, neg) for c, s, neg in candidates if len(stems & s) == top]
        own = negations(clause)
        if all(neg != own for _, neg in best) and own not in (
            _cover_negations(stems, sentences),
            _cover_negations(stems, clauses),
        ):
            theirs = best[0][1]
            return f"{own} negation(s) where the passage has {theirs}"
        best_words = {w for c, _ in best for w in _TOKEN.findall(c.casefold())}
        for word in _TOKEN.findall(clause.casefold()):
            pair = _direction(word)
            if pair is None:
                continue
            own_pattern, other = pair
            if not any(own_pattern.match(w) for w in best_words):
                opposite = next((w for w in best_words if other.match(w)), None)
                if opposite:
                    return f"„{word}“ where the passage says „{opposite}“"
            if not any(own_pattern.match(w) for w in cited_words):
                return f"„{word}“ is not in the cited passages"
    return ""
