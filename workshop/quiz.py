"""Quiz questions from a workshop's quotes, without a language model, and their Moodle XML.

Four kinds of multiple-choice question; each answer stands word for word in the quoted
sentence the question cites:

- ``cloze``: a quoted sentence with a key term replaced by a gap. The term is a noun
  that is rare in general German (``wordfreq``); the three distractors are nouns from
  *other* sections of the same document with exactly the answer's grammatical readings
  (gender, case, number: :mod:`workshop.morphology`), so article, adjective ending and
  verb fit every option; next to a hyphenated continuation („_____, -bereitsteller“)
  only compounds are offered.
- ``in_section``: which of four sentences stands in a given section? The wrong ones come
  from other sections of the document and are alike in length and mood.
- ``true_false``: a sentence as the section has it, or with its key term swapped for a
  same-form noun from elsewhere in the document; does the section say so?
- ``section``: a quoted sentence; which section is it from? At most one question in four.

Everything is deterministic: the choices are seeded from the kit, so the same kit gives
the same quiz.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache

import Stemmer

from answer.cite import FOREWORD, citation, section_label
from index.search import Searcher
from ingest.structure import heading_label
from text.analysis import GERMAN_STOPWORDS
from workshop.kit import heading_text
from workshop.model import Kit, QuizQuestion, Workshop, WorkshopItem
from workshop.morphology import is_compound, readings

CLOZE, IN_SECTION, TRUE_FALSE, SECTION = "cloze", "in_section", "true_false", "section"
CONTENT_KINDS = (CLOZE, IN_SECTION, TRUE_FALSE)
GAP = "_____"
OPTIONS = 4
TRUE, FALSE = "stimmt", "stimmt nicht"
# What to ask; a question's ``prompt`` holds only the sentence (with its gap), the
# statement, or (``in_section``) the section.
QUESTION_LEAD = {
    CLOZE: "Welcher Begriff fehlt in diesem Satz?",
    IN_SECTION: "Welcher dieser Sätze steht in diesem Abschnitt?",
    TRUE_FALSE: "Steht das so im Text?",
    SECTION: "Aus welchem Abschnitt stammt dieser Satz?",
}
# A gap next to a hyphenated continuation („_____, -bereitsteller“, „Informations- und
# _____“) is the head or modifier of a compound: only compounds fit it.
_CONTINUED_AFTER = re.compile(r"^,?\s*-[^\W\d_]|^\s+(und|oder|bzw\.)\s+-[^\W\d_]")
_CONTINUED_BEFORE = re.compile(r"[^\W\d_]-\s+(und|oder|bzw\.)\s+$")
# A sentence that asks someone to do something: its wrong options should ask as well.
_RECOMMENDS = re.compile(r"\b(sollte|sollten|sollen|soll|müssen|muss|brauchen|braucht|gilt es|empfiehlt)\b")
RARE_ZIPF = 4.5  # a word more frequent than this in general German is no key term
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_stemmer = Stemmer.Stemmer("german")


@dataclass(frozen=True)
class Term:
    """A candidate noun with what makes two terms look alike."""

    word: str
    zipf: float

    @property
    def stem(self) -> str:
        return _stem(self.word)


@lru_cache(maxsize=65536)
def _zipf(word: str, lang: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, lang))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word.casefold().split("-")[-1])


def nouns(sentence: str) -> list[Term]:
    """The capitalised content words of a sentence that could be key terms: not its first
    word (capitalised anyway), no stop word, no acronym, no English word, at least four
    letters, rare in general German.

    >>> [t.word for t in nouns("Kommunen sollten die Hoheit über ihre Daten behalten und Geodaten teilen.")]
    ['Hoheit', 'Geodaten']
    >>> [t.word for t in nouns("Es gelten Informationsfreiheits- und Transparenzgesetze, sagt Eltges.")]
    ['Transparenzgesetze']
    """
    out = []
    for n, m in enumerate(_WORD.finditer(sentence)):
        word = m.group(0)
        if n == 0 or not word[0].isupper() or len(word) < 4 or word.isupper():
            continue
        if sentence[m.end() : m.end() + 1] == "-":  # „Informationsfreiheits- und …“: half a word
            continue
        if word.casefold() in GERMAN_STOPWORDS or sum(c.isupper() for c in word) > word.count("-") + 1:
            continue
        zipf = _zipf(word, "de")
        if zipf > RARE_ZIPF or _zipf(word, "en") > zipf + 1.0:
            continue
        if zipf == 0.0 and len(word) < 9 and "-" not in word:  # unknown and short: a name, most likely
            continue
        out.append(Term(word, zipf))
    return out


def _key_score(term: Term) -> tuple[bool, float, int]:
    # Terms of six letters or more first, then the rarer, then the longer.
    return (len(term.word) < 6, term.zipf, -len(term.word))


def _likeness(a: Term, b: Term) -> float:
    """How far ``b`` is from looking like ``a`` (0 = alike): frequency, length, and the
    ending, which in German gives away number and gender."""
    return (
        abs(a.zipf - b.zipf)
        + 0.15 * abs(len(a.word) - len(b.word))
        + (0.5 if ("-" in a.word) != ("-" in b.word) else 0.0)
        + (0.4 if a.word[-2:] != b.word[-2:] else 0.0)
    )


def _related(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a in b or b in a or _stem(a) == _stem(b)


def cloze_gap(sentence: str, term: str) -> str:
    """``sentence`` with every occurrence of ``term`` (as a whole word) replaced by the gap.

    >>> cloze_gap("Geodaten sind Grundlagen; Geodaten sollten interoperabel sein.", "Geodaten")
    '_____ sind Grundlagen; _____ sollten interoperabel sein.'
    """
    return re.sub(rf"(?<![\w-]){re.escape(term)}(?![\w-])", GAP, sentence)


# The index: sections and their sentences ------------------------------------------------


@dataclass
class _Section:
    idx: int
    path: list[str]
    option: str  # "3.2 Daten verantwortungsvoll generieren, Datenhoheit behalten"
    rows: list[int]  # rows of its sentences in searcher.sentences


class _Document:
    """A document's sections with their sentences, and its nouns by section."""

    def __init__(self, searcher: Searcher, doc_id: str) -> None:
        doc = searcher.documents[doc_id]
        title = str(doc.get("title", doc_id))
        by_idx: dict[int, list[int]] = {}
        for r in range(int(doc["sentence_row_start"]), int(doc["sentence_row_end"])):
            s = searcher.sentences[r]
            if s.doc_id == doc_id:
                by_idx.setdefault(s.section_idx, []).append(r)
        self.sections: list[_Section] = []
        for entry in searcher.stored.documents.get(doc_id, {}).get("sections", []):
            path = list(entry["path"])
            label = section_label(path, title)
            heading = heading_text(path[-1])
            if label in (FOREWORD, heading):
                option = label
            elif heading_label(path[-1]).endswith("."):  # "I. Präambel", "1. Digitale Transformation …"
                option = path[-1]
            else:  # "3.2 Daten …", "III.f) Smart-City-Lösungen pilotieren"
                option = f"{label} {heading}"
            self.sections.append(_Section(int(entry["idx"]), path, option, by_idx.get(int(entry["idx"]), [])))
        self.searcher = searcher
        # How often each sentence stands in the document: a section question needs one
        # that stands in its own section only.
        self.counts = Counter(searcher.sentences[r].text for sec in self.sections for r in sec.rows)
        self._nouns: dict[int, list[Term]] = {}

    def section_of(self, item: WorkshopItem) -> _Section | None:
        return next((s for s in self.sections if s.path == item.section_path), None)

    def nouns_of(self, section: _Section) -> list[Term]:
        if section.idx not in self._nouns:
            self._nouns[section.idx] = [t for r in section.rows for t in nouns(self.searcher.sentences[r].text)]
        return self._nouns[section.idx]


def _seed(kit: Kit) -> str:
    """The quiz's seed: the kit's title and items (not its notes, which may change)."""
    ids = "\n".join(f"{i.doc_id}|{i.passage_id}|{i.section}" for i in kit.items)
    return hashlib.sha256(f"{kit.title}\n{ids}".encode()).hexdigest()[:16]


def form_class(word: str) -> tuple[int, bool]:
    """What a cloze option must share with the answer: its grammatical readings (gender,
    case, number) and its capitalisation."""
    return readings(word), word[:1].isupper()


def continued(prompt: str) -> bool:
    """Whether a cloze gap stands next to a hyphenated continuation („_____, -bereitsteller“)."""
    before, _, after = prompt.partition(GAP)
    return bool(_CONTINUED_AFTER.match(after) or _CONTINUED_BEFORE.search(before))


def make_quiz(workshop: Workshop, searcher: Searcher, per_item: int = 2) -> list[QuizQuestion]:
    """Up to ``per_item`` questions for each found item, each on another of its sentences.

    The kinds take turns across the kit (cloze, which sentence is in the section,
    true or false), starting one further for each item; a question on which section a
    sentence comes from fills in only where the others find nothing, and at most one
    question in four is one. An item gets fewer where its sentences offer no key term
    and its document too few other sections."""
    if per_item < 0:
        raise ValueError(f"per_item={per_item} must be 0 or more")
    seed = _seed(workshop.kit)
    documents: dict[str, _Document] = {}
    content: list[tuple[int, QuizQuestion]] = []
    fallback: list[tuple[int, QuizQuestion]] = []
    used: set[str] = set()
    turn = 0
    for n, item in enumerate(workshop.found):
        if item.item.doc_id not in searcher.documents:
            continue
        doc = documents.setdefault(item.item.doc_id, _Document(searcher, item.item.doc_id))
        section = doc.section_of(item)
        if section is None:
            continue
        made = 0
        for k in range(len(CONTENT_KINDS) * per_item):
            if made == per_item:
                break
            rng = random.Random(f"{seed}:{n}:{k}")
            kind = CONTENT_KINDS[(turn + k) % len(CONTENT_KINDS)]
            q = _MAKERS[kind](item, doc, section, used, rng)
            if q is not None:
                used.add(q.quote)
                content.append((n, q))
                made += 1
        turn += 1
        for k in range(per_item - made):
            q = _section_question(item, doc, section, used, random.Random(f"{seed}:{n}:s{k}"))
            if q is None:
                break
            used.add(q.quote)
            fallback.append((n, q))
    # At most one question in four asks for the section: 3 × sections ≤ the others.
    fallback = fallback[: len(content) // 3]
    return [q for _, q in sorted(content + fallback, key=lambda nq: nq[0])]


def _citation(doc: _Document, section: _Section, item: WorkshopItem, sentence: str) -> str:
    """The citation of one sentence: its section and its own printed page (the item's
    citation for a sentence the index does not hold)."""
    searcher = doc.searcher
    row = next((r for r in section.rows if searcher.sentences[r].text == sentence), None)
    passage = next(
        (r for r in searcher.passages_of(item.item.doc_id) if searcher.passages[r].section_idx == section.idx), None
    )
    if row is None or passage is None:
        return item.citation
    s = searcher.sentences[row]
    hit = replace(
        searcher.passage_hit(passage),
        page=s.page,
        page_end=s.page_end,
        pdf_page=s.pdf_page,
        pdf_page_end=s.pdf_page_end,
    )
    return citation(hit)


def _distractors(
    doc: _Document, section: _Section, sentence: str, term: Term, compound: bool, count: int
) -> list[Term]:
    """Up to ``count`` nouns from other sections with exactly ``term``'s form, most alike
    first, none occurring in ``sentence`` or in ``term``'s own section, none related to
    ``term`` or to each other."""
    form = form_class(term.word)
    own = {t.word.casefold() for t in doc.nouns_of(section)}
    lowered = sentence.casefold()
    pool: dict[str, Term] = {}
    for other in doc.sections:
        if other.idx == section.idx:
            continue
        for t in doc.nouns_of(other):
            key = t.stem
            if key in pool or t.word.casefold() in own or t.word.casefold() in lowered or _related(t.word, term.word):
                continue
            if form_class(t.word) != form or (compound and not is_compound(t.word)):
                continue
            pool[key] = t
    chosen: list[Term] = []
    for t in sorted(pool.values(), key=lambda t: (_likeness(term, t), t.word)):
        if not any(_related(t.word, c.word) for c in chosen):
            chosen.append(t)
        if len(chosen) == count * 3:
            break
    return chosen


def _key_terms(
    item: WorkshopItem, doc: _Document, section: _Section, used: set[str], lo: int = 40, hi: int = 400
) -> list[tuple[str, Term, list[Term]]]:
    """(sentence, key term, its distractors) for the item's unused sentences, best term
    first; only terms the noun table knows and that have enough same-form distractors."""
    candidates = []
    for sentence in item.sentences:
        if sentence in used or not lo <= len(sentence) <= hi:
            continue
        for term in nouns(sentence):
            if readings(term.word) and sentence.count(term.word) == 1:
                candidates.append((_key_score(term), sentence, term))
    out = []
    for _, sentence, term in sorted(candidates, key=lambda c: (c[0], c[1], c[2].word)):
        compound = continued(cloze_gap(sentence, term.word))
        pool = _distractors(doc, section, sentence, term, compound, OPTIONS - 1)
        if len(pool) >= OPTIONS - 1:
            out.append((sentence, term, pool))
            if len(out) == 3:
                break
    return out


def _cloze(
    item: WorkshopItem, doc: _Document, section: _Section, used: set[str], rng: random.Random
) -> QuizQuestion | None:
    found = _key_terms(item, doc, section, used)
    if not found:
        return None
    sentence, term, pool = found[0]
    distractors = rng.sample(pool[:6], OPTIONS - 1)
    options = [term.word] + [t.word for t in distractors]
    rng.shuffle(options)
    return QuizQuestion(
        kind=CLOZE,
        prompt=cloze_gap(sentence, term.word),
        options=options,
        answer=options.index(term.word),
        citation=_citation(doc, section, item, sentence),
        quote=sentence,
    )


def _true_false(
    item: WorkshopItem, doc: _Document, section: _Section, used: set[str], rng: random.Random
) -> QuizQuestion | None:
    found = _key_terms(item, doc, section, used, lo=40, hi=260)
    if not found:
        return None
    sentence, term, pool = found[0]
    true = rng.random() < 0.5
    swapped = pool[0].word
    statement = sentence if true else re.sub(rf"(?<![\w-]){re.escape(term.word)}(?![\w-])", swapped, sentence)
    return QuizQuestion(
        kind=TRUE_FALSE,
        prompt=statement,
        options=[TRUE, FALSE],
        answer=0 if true else 1,
        citation=_citation(doc, section, item, sentence),
        quote=sentence,
    )


def _in_section(
    item: WorkshopItem, doc: _Document, section: _Section, used: set[str], rng: random.Random
) -> QuizQuestion | None:
    own = {doc.searcher.sentences[r].text for r in section.rows}
    candidates = [s for s in item.sentences if s not in used and doc.counts[s] == 1 and 50 <= len(s) <= 170]
    if not candidates:
        return None
    # A recommendation if there is one, of a length that reads well as an option.
    sentence = min(candidates, key=lambda s: (not _RECOMMENDS.search(s), abs(len(s) - 110), s))
    mood = bool(_RECOMMENDS.search(sentence))
    others: dict[str, None] = {}
    for other in doc.sections:
        if other.idx == section.idx:
            continue
        for r in other.rows:
            text = doc.searcher.sentences[r].text
            if text not in own and 0.6 * len(sentence) <= len(text) <= min(170, 1.5 * len(sentence)):
                if bool(_RECOMMENDS.search(text)) == mood and text[:1].isupper():
                    others[text] = None
    if len(others) < OPTIONS - 1:
        return None
    ranked = sorted(others, key=lambda t: (abs(len(t) - len(sentence)), t))[:12]
    options = [sentence] + rng.sample(ranked, OPTIONS - 1)
    rng.shuffle(options)
    return QuizQuestion(
        kind=IN_SECTION,
        prompt=section.option,
        options=options,
        answer=options.index(sentence),
        citation=_citation(doc, section, item, sentence),
        quote=sentence,
    )


def _section_question(
    item: WorkshopItem, doc: _Document, section: _Section, used: set[str], rng: random.Random
) -> QuizQuestion | None:
    # A sentence that stands in no other section, long enough to recognise.
    own = Counter(doc.searcher.sentences[r].text for r in section.rows)
    candidates = [s for s in item.sentences if s not in used and doc.counts[s] == own[s] and 50 <= len(s) <= 400]
    if not candidates:
        return None
    sentence = max(candidates, key=lambda s: (len(nouns(s)), -abs(len(s) - 160)))
    others = [s for s in doc.sections if s.idx != section.idx and s.rows and s.option != section.option]
    depth, parent = len(section.path), section.path[:-1]

    def order(s: _Section) -> tuple[int, int]:
        sibling = len(s.path) == depth and s.path[:-1] == parent
        return (0 if sibling else 1 if len(s.path) == depth else 2, abs(s.idx - section.idx))

    wrong = sorted(others, key=order)[: OPTIONS - 1]
    if len(wrong) < OPTIONS - 1:
        return None
    options = [section.option] + [s.option for s in wrong]
    rng.shuffle(options)
    return QuizQuestion(
        kind=SECTION,
        prompt=sentence,
        options=options,
        answer=options.index(section.option),
        citation=_citation(doc, section, item, sentence),
        quote=sentence,
    )


_MAKERS = {CLOZE: _cloze, IN_SECTION: _in_section, TRUE_FALSE: _true_false}


# Moodle XML -----------------------------------------------------------------------------


def moodle_xml(questions: list[QuizQuestion], category: str) -> str:
    """The questions as a Moodle XML question bank file, in question category
    ``category``: single-answer multiple choice, with the citation as general feedback.

    Every text from a document goes through :func:`html.escape` before it becomes HTML,
    and the XML is built with ElementTree, which escapes it once more as XML: a
    ``<script>`` in a PDF reaches Moodle as visible text, never as markup.

    >>> q = QuizQuestion("cloze", "Die <b>_____</b> gilt.", ["Regel", "Norm", "Sitte", "Pflicht"], 0, "S. 1", "")
    >>> xml = moodle_xml([q], "Workshop")
    >>> "&amp;lt;b&amp;gt;_____&amp;lt;/b&amp;gt;" in xml, xml.count('<question type="multichoice">')
    (True, 1)
    """
    quiz = ET.Element("quiz")
    cat = ET.SubElement(ET.SubElement(quiz, "question", type="category"), "category")
    # Moodle reads "/" in a category path as a separator; "//" is a literal slash.
    # Moodle shows category and question names as HTML as well.
    name = html.escape(" ".join(category.split()).replace("/", "//")) or "Charta-Lotse"
    ET.SubElement(cat, "text").text = f"$course$/top/{name}"
    for n, q in enumerate(questions, start=1):
        if not 0 <= q.answer < len(q.options):
            raise ValueError(f"question {n}: answer={q.answer} is not an index of its {len(q.options)} options")
        node = ET.SubElement(quiz, "question", type="multichoice")
        lead = QUESTION_LEAD.get(q.kind, "")
        _text(node, "name", html.escape(f"{n:02d} {_short(q.prompt)}"), fmt=None)
        body = (
            f"<p>{html.escape(lead)}</p>" if lead else ""
        ) + f"<blockquote><p>{html.escape(q.prompt)}</p></blockquote>"
        _text(node, "questiontext", body)
        feedback = f"<p>Fundstelle: {html.escape(q.citation)}</p>"
        if q.kind in (CLOZE, TRUE_FALSE) and q.quote:
            feedback = f"<p>„{html.escape(q.quote)}“</p>" + feedback
        _text(node, "generalfeedback", feedback)
        ET.SubElement(node, "defaultgrade").text = "1"
        ET.SubElement(node, "penalty").text = "0.3333333"
        ET.SubElement(node, "hidden").text = "0"
        ET.SubElement(node, "single").text = "true"
        ET.SubElement(node, "shuffleanswers").text = "true"
        ET.SubElement(node, "answernumbering").text = "abc"
        for i, option in enumerate(q.options):
            answer = ET.SubElement(node, "answer", fraction="100" if i == q.answer else "0", format="html")
            ET.SubElement(answer, "text").text = html.escape(option)
            _text(answer, "feedback", "<p>Richtig.</p>" if i == q.answer else "<p>Leider nicht.</p>")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = "html") -> None:
    node = ET.SubElement(parent, tag, format=fmt) if fmt else ET.SubElement(parent, tag)
    ET.SubElement(node, "text").text = text


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
