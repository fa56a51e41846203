"""German text analysis for BM25: words → lowercase, umlaut-folded Snowball stems, with
stopwords removed and compounds split, so ``Trinkwasserversorgung`` meets ``Trinkwasser``
and ``Versorgung``.

Compound splitting follows Koehn & Knight (2003): try every split point (with linking
elements ``s``, ``es``, ``n``, ``en``, ``e``), keep the split whose parts are frequent
German words, judged by the word frequencies of the ``wordfreq`` package. The whole
word is indexed too, so an exact compound match still scores best.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import Stemmer

GERMAN_STOPWORDS = frozenset(
    """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
anderm andern anderr anders auch auf aus bei beim bin bis bist da damit dann das dass daß dasselbe
dazu dein deine deinem deinen deiner deines dem demselben den denn denselben der derer derselbe
derselben des desselben dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses
dir doch dort du durch ein eine einem einen einer eines einig einige einigem einigen einiger
einiges einmal er es etwas euch euer eure eurem euren eurer eures für gegen gewesen hab habe haben
hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins
ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen
keiner keines können könnte machen man manche manchem manchen mancher manches mein meine meinem
meinen meiner meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein
seine seinem seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll
sollte sondern sonst über um und uns unser unsere unserem unseren unserer unseres unter viel vom von
vor während war waren warst was weg weil weiter welche welchem welchen welcher welches wenn werde
werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen
gibt geht wer wem wen wieso warum weshalb welcher sagt steht etwa bzw z b u a d h
""".split()
)

ENGLISH_STOPWORDS = frozenset(
    """
a an and are as at be by do does for from has have how i if in into is it its of on or our should
so that the their there these they this to was we what when where which who why will with would
can must my me you your about does
""".split()
)

STOPWORDS = GERMAN_STOPWORDS | ENGLISH_STOPWORDS

WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_LINKERS = ("", "s", "es", "n", "en", "e")
_MIN_PART = 4
_MIN_ZIPF = 3.0
_MAX_COMPOUND = 48
_stemmer = Stemmer.Stemmer("german")


ZIPF_CACHE = Path(__file__).resolve().parent / "data" / "de_zipf.tsv.gz"


@lru_cache(maxsize=1)
def _zipf_table() -> dict[str, float]:
    """Zipf frequencies (log10 per billion words) of common German words: from the
    table shipped in ``text/data`` when it was made by this analysis (a fresh process
    would spend ~0.5 s deriving it from wordfreq), else derived."""
    cached = read_cache(ZIPF_CACHE)
    if cached is not None:
        return {word: float(value) for word, value in (line.split("\t") for line in cached)}
    return build_zipf_table()


def build_zipf_table() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    table = {}
    for word, freq in get_frequency_dict("de").items():
        if freq >= 10 ** (_MIN_ZIPF - 9) and word.isalpha():
            table[word] = math.log10(freq) + 9
    return table


def read_cache(path: Path) -> list[str] | None:
    """The lines of a table cached by ``write_cache``, or None when it is missing or was
    made by another analysis (``analyzer_version``): then the caller derives it."""
    import gzip

    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except OSError:
        return None
    if not lines or lines[0] != f"# analyzer {analyzer_version()}":
        return None
    return [line for line in lines[1:] if line]


def write_cache(path: Path, lines: list[str]) -> None:
    """Write a derived table as plain text, headed by the analysis that made it (no
    timestamp in the gzip header, so the file only changes when its content does)."""
    import gzip

    body = "\n".join([f"# analyzer {analyzer_version()}", *lines, ""]).encode("utf-8")
    path.write_bytes(gzip.compress(body, mtime=0))


def looks_english(text: str) -> bool:
    """A cheap language guess from function words, enough to weight the retrievers.

    >>> looks_english("What does the charter say about open data?"), looks_english("Was sagt die Charta?")
    (True, False)
    """
    words = [w.casefold() for w in WORD.findall(text)]
    en = sum(w in ENGLISH_STOPWORDS and w not in GERMAN_STOPWORDS for w in words)
    de = sum(w in GERMAN_STOPWORDS and w not in ENGLISH_STOPWORDS for w in words)
    return en > de


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its topic: not stopwords, not numbers, 3+ letters.

    >>> content_words("Muss jeder Bürger Online-Dienste nutzen?")
    ['Bürger', 'Online-Dienste', 'nutzen']
    """
    return [w for w in WORD.findall(text) if len(w) >= 3 and not w.isdigit() and w.casefold() not in STOPWORDS]


def analyzer_version() -> str:
    """A hash of everything BM25 analysis depends on: this module's source (stopwords,
    rules) and the word frequencies used to split compounds. An index built with another
    analysis is rebuilt instead of silently mixing two.

    >>> len(analyzer_version())
    12
    """
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(version("wordfreq").encode())
    digest.update(version("PyStemmer").encode())
    return digest.hexdigest()[:12]


def fold(word: str) -> str:
    """Lowercase and fold umlauts, so ``Bürger``, ``Buerger`` and ``burger`` stem alike.

    >>> fold("Straße"), fold("Bürger")
    ('strasse', 'burger')
    """
    return word.casefold().translate(_FOLD)


def zipf(word: str) -> float:
    return _zipf_table().get(word.casefold(), 0.0)


@lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Split a German compound into frequent words; ``()`` when it is not one.

    >>> split_compound("trinkwasserversorgung")
    ('trinkwasser', 'versorgung')
    >>> split_compound("versorgungsdienste")
    ('versorgung', 'dienste')
    >>> split_compound("verwaltung")
    ()
    """
    word = word.casefold()
    # Longer "words" are not German compounds but pasted junk; splitting them would cost
    # time that grows with the square of their length.
    if len(word) < 2 * _MIN_PART or len(word) > _MAX_COMPOUND:
        return ()
    best: tuple[float, tuple[str, ...]] = (zipf(word), ())
    for i in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, tail = word[:i], word[i:]
        for link in _LINKERS:
            if link and not head.endswith(link):
                continue
            left = head[: len(head) - len(link)] if link else head
            if len(left) < _MIN_PART or zipf(left) < _MIN_ZIPF:
                continue
            if zipf(tail) >= _MIN_ZIPF:
                score = (zipf(left) + zipf(tail)) / 2
                parts: tuple[str, ...] = (left, tail)
            else:
                sub = split_compound(tail)
                if not sub:
                    continue
                score = (zipf(left) + sum(zipf(p) for p in sub)) / (1 + len(sub))
                parts = (left, *sub)
            if score > best[0]:
                best = (score, parts)
    return best[1]


def stem(word: str) -> str:
    """Snowball stem of the folded word, with a final ``-ung`` removed as well.

    Snowball keeps ``Nutzung`` and ``Haftung`` apart from ``nutzen`` and ``haften``
    when the suffix falls outside its R2 region; dropping it lets a question's verb meet
    the text's noun (measured with ``python -m eval``: hybrid MRR@10 +0.005, hit@5 +0.009).

    >>> stem("Nutzung"), stem("nutzen"), stem("Haftung"), stem("haftet"), stem("Versorgung")
    ('nutz', 'nutz', 'haft', 'haft', 'versorg')
    """
    s = _stemmer.stemWord(fold(word))
    return s[:-3] if s.endswith("ung") and len(s) >= 6 else s


def analyze(text: str) -> list[str]:
    """BM25 terms for ``text``.

    Each word yields its stem; hyphenated words also yield their parts, and compounds
    the stems of their parts (and of sub-compounds, one level down).

    >>> analyze("Die Trinkwasserversorgung der Kommunen")
    ['trinkwasserversorg', 'trinkwass', 'trink', 'wass', 'versorg', 'kommun']
    >>> analyze("Smart-City-Strategien")
    ['smart-city-strategi', 'smart', 'city', 'strategi']
    """
    return [term for word in WORD.findall(text) for term in word_terms(word)]


@lru_cache(maxsize=1 << 20)
def word_terms(word: str) -> tuple[str, ...]:
    """The BM25 terms of one word as it stands in the text, cached: a corpus repeats its
    words, so a build analyses each distinct word once (at 100 k passages: 5.3 M words,
    a few ten thousand distinct ones), and equal terms are one string in memory.

    >>> word_terms("Bürgerbeteiligung"), word_terms("und")
    (('burgerbeteil', 'burg', 'beteil'), ())
    """
    word = word.casefold()
    if word in STOPWORDS:
        return ()
    terms: list[str] = []
    pieces = [word] + (word.split("-") if "-" in word else [])
    for i, piece in enumerate(pieces):
        if piece in STOPWORDS or len(piece) < 2:
            continue
        terms.append(stem(piece))
        if i == 0 and "-" in piece:
            continue
        for part in split_compound(piece):
            terms.append(stem(part))
            for sub in split_compound(part):
                terms.append(stem(sub))
    return tuple(terms)
