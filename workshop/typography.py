"""Wording and text handling the three exports share: labels, German quotation marks and
dates, and quotes cut into slide-sized parts at sentence boundaries."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from text.sentences import split_sentences
from workshop.model import Workshop, WorkshopItem

FONTS = Path(__file__).resolve().parent / "fonts"

NOTE_LABEL = "Notiz der Kursleitung"
PROMPT_LABEL = "Diskussionsimpuls (Zitat, dann eine Frage der Kursleitung)"
MISSING_LABEL = "Nicht mehr im Index"
FULL_TEXT_LABEL = "Vollständiger Text"
CONTEXT_LABEL = "Kontext der Stelle (Text um das Zitat)"
LINK_LABEL = "Quelle online"
PUBLISHER_LINK_LABEL = (
    "Quelle online (nur die Website des Herausgebers; ein Link zum Dokument selbst ist nicht hinterlegt)"
)
SOURCES_HEADING = "Quellen"
LICENSE_LABEL = "Nutzungsbedingungen"
QUIZ_HEADING = "Quiz"
ANSWERS_HEADING = "Lösungen zum Quiz"
OPTION_LETTERS = "abcdefgh"
PARTICIPANT_LABEL = "Handout für Teilnehmende"
TRAINER_LABEL = "Handout für die Kursleitung – mit Lösungen, nicht austeilen"
PARTICIPANT_SUBJECT = "Handout zur Smart City Charta (Teilnehmende)"
TRAINER_SUBJECT = "Handout zur Smart City Charta (Kursleitung, mit Lösungen)"
TIMING_HEADING = "Ablauf"
SPEAKER_LABEL = "Für die Kursleitung"
QUOTE_NOTICE = (
    "Die Zitate sind wörtlich dem indexierten Text entnommen; maßgeblich ist das Original. "
    "Ein Diskussionsimpuls zitiert einen Satz und stellt dazu eine Frage der Kursleitung; die Frage ist kein Zitat."
)

SLIDE_CHARS = 350  # at most this many characters of a quote on one slide

# A sentence that asks someone to do something: what a slide shows first.
_RECOMMENDS = re.compile(r"\b(sollte|sollten|sollen|soll|müssen|muss|brauchen|braucht|gilt es|empfiehlt)\b")
_MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
# Characters XML 1.0 (DOCX, PPTX) cannot hold and no font draws.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def german_quote(text: str) -> str:
    """``text`` in German quotation marks, unchanged inside.

    >>> german_quote("Daten sind ein Gemeingut.")
    '„Daten sind ein Gemeingut.“'
    """
    return f"„{text}“"


def german_date(iso: str) -> str:
    """An ISO date as Germans write it; anything else as given.

    >>> german_date("2026-12-02"), german_date("2026-03-01T10:00:00"), german_date("morgen")
    ('2. Dezember 2026', '1. März 2026', 'morgen')
    """
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{d.day}. {_MONTHS[d.month - 1]} {d.year}"


def minutes_text(minutes: int) -> str:
    """The length of a session, as a heading says it.

    >>> minutes_text(90), minutes_text(1), minutes_text(0)
    ('90 Minuten', '1 Minute', '')
    """
    if minutes <= 0:
        return ""
    return f"{minutes} Minute" if minutes == 1 else f"{minutes} Minuten"


def kit_facts(workshop: Workshop) -> list[str]:
    """The lines under a handout's or title slide's title: the date, and the audience and
    length where the kit gives them.

    >>> from workshop.model import Kit
    >>> kit_facts(Workshop(Kit("T", audience="Verwaltung", minutes=90), [], "2026-12-02"))
    ['Datum: 2. Dezember 2026', 'Zielgruppe: Verwaltung', 'Dauer: 90 Minuten']
    """
    kit = workshop.kit
    facts = [f"Datum: {german_date(workshop.date)}"]
    if kit.audience:
        facts.append(f"Zielgruppe: {clean(kit.audience)}")
    if kit.minutes:
        facts.append(f"Dauer: {minutes_text(kit.minutes)}")
    return facts


def clean(text: str) -> str:
    """``text`` without control characters (XML cannot hold them and no font has them);
    everything else, markup included, stays as it is.

    >>> clean("a\\x00b <b>**c**</b>\\n")
    'ab <b>**c**</b>\\n'
    """
    return _CONTROL.sub("", text)


def is_web_link(url: str) -> bool:
    """Only absolute http(s) addresses become clickable links in the exports.

    >>> is_web_link("https://www.bbsr.bund.de/x.pdf#page=3"), is_web_link("javascript:x")
    (True, False)
    """
    return bool(re.match(r"https?://[^\s/]+", url, re.IGNORECASE))


def slide_parts(quote: str, sentences: list[str] | None = None, limit: int = SLIDE_CHARS) -> list[str]:
    """``quote`` cut into parts of at most ``limit`` characters, at sentence boundaries.

    ``sentences`` are the quote's sentences as the index has them (found in ``quote`` in
    order); without them, or where they do not match, the quote is split here. A sentence
    longer than ``limit`` is cut at a clause boundary (``;`` ``:`` ``,`` ``–``), else
    between words. Joined with single spaces, the parts give the quote back.

    >>> q = "Erster Satz ist hier. Zweiter Satz folgt hier. Dritter."
    >>> slide_parts(q, limit=46)
    ['Erster Satz ist hier. Zweiter Satz folgt hier.', 'Dritter.']
    >>> slide_parts(q, limit=30)
    ['Erster Satz ist hier.', 'Zweiter Satz folgt hier.', 'Dritter.']
    >>> slide_parts("Lang, sehr lang, zu lang für eine Folie.", limit=20)
    ['Lang, sehr lang,', 'zu lang für eine', 'Folie.']
    """
    quote = quote.strip()
    if len(quote) <= limit:
        return [quote] if quote else []
    units: list[str] = []
    for start, end in _sentence_spans(quote, sentences or []):
        units.extend(_cut(quote[start:end], limit))
    parts: list[str] = []
    for unit in units:
        if parts and len(parts[-1]) + 1 + len(unit) <= limit:
            parts[-1] = f"{parts[-1]} {unit}"
        else:
            parts.append(unit)
    return parts


def _sentence_spans(quote: str, sentences: list[str]) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for sentence in sentences:
        at = quote.find(sentence.strip(), pos)
        if at < 0 or quote[pos:at].strip():
            return split_sentences(quote)  # the given sentences are not this quote's
        spans.append((at, at + len(sentence.strip())))
        pos = spans[-1][1]
    if not spans or quote[pos:].strip():
        return split_sentences(quote)
    return spans


def _cut(sentence: str, limit: int) -> list[str]:
    """A sentence in pieces of at most ``limit`` characters, cut at the last clause
    boundary that fits, else at the last space (a single word longer than ``limit`` stays
    whole: words are never broken)."""
    pieces: list[str] = []
    rest = " ".join(sentence.split())
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max((m.end() for m in re.finditer(r"[;:,]\s|\s[–-]\s", window) if m.end() - 1 <= limit), default=0)
        if cut < limit // 3:
            cut = window.rfind(" ") + 1
        if cut <= 0:
            cut = rest.find(" ") + 1 or len(rest)
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, as tests compare extracted text.

    >>> normalise(" a\\n b\\t c ")
    'a b c'
    """
    return " ".join(text.split())


EXCERPT_CHARS = 900  # a quote longer than this is shown as an excerpt in the handouts
EXCERPT_TARGET = 650


def paragraphs(quote: str) -> list[str]:
    """The quote's paragraphs, as the document breaks them.

    >>> paragraphs("Erster Absatz.\\nZweiter Absatz. \\n\\n")
    ['Erster Absatz.', 'Zweiter Absatz.']
    """
    return [p.strip() for p in quote.split("\n") if p.strip()]


def pages_text(first: str, last: str) -> str:
    """Printed pages as a citation writes them.

    >>> pages_text("10", "10"), pages_text("10", "12"), pages_text("", "")
    ('S. 10', 'S. 10–12', '')
    """
    if not first:
        return ""
    return f"S. {first}" if not last or last == first else f"S. {first}–{last}"


def excerpt(item: WorkshopItem) -> tuple[list[str], str]:
    """The paragraphs a handout prints for ``item`` and, where that is an excerpt, the
    pointer to the full text („vollständiger Text: S. 10–11“; else "").

    A long quote is cut after whole paragraphs (or, where the first paragraph alone is
    too long, after whole sentences) once :data:`EXCERPT_TARGET` characters are reached;
    the cut is marked „[…]“."""
    paras = paragraphs(item.quote)
    if len(item.quote) <= EXCERPT_CHARS:
        return paras, ""
    kept: list[str] = []
    for para in paras:
        if kept and sum(len(k) for k in kept) + len(para) > EXCERPT_CHARS:
            break
        kept.append(para)
        if sum(len(k) for k in kept) >= EXCERPT_TARGET:
            break
    if sum(len(k) for k in kept) > EXCERPT_CHARS:  # one long paragraph: whole sentences of it
        parts = slide_parts(kept[0], [s for s in item.sentences if s in kept[0]], EXCERPT_TARGET)
        kept = [parts[0]]
    kept[-1] = f"{kept[-1]} […]"
    where = pages_text(item.page, item.page_end)
    return kept, f"vollständiger Text: {where}" if where else "vollständiger Text im Original"


def key_sentences(item: WorkshopItem, limit: int = SLIDE_CHARS) -> list[str]:
    """What a slide shows of ``item``: the whole quote when it fits ``limit``, else its
    recommendations („sollten“, „müssen“ …) and then its other sentences, as many as fit,
    in the order of the text."""
    sentences = [s.strip() for s in item.sentences if s.strip()]
    if len(item.quote.strip()) <= limit or not sentences:
        return paragraphs(item.quote) if len(item.quote.strip()) <= limit else slide_parts(item.quote)[:1]
    ranked = sorted(range(len(sentences)), key=lambda n: (not _RECOMMENDS.search(sentences[n]), n))
    chosen: list[int] = []
    for n in ranked:
        if sum(len(sentences[c]) + 1 for c in chosen) + len(sentences[n]) <= limit:
            chosen.append(n)
    if not chosen:
        return slide_parts(sentences[0], limit=limit)[:1]
    return [sentences[n] for n in sorted(chosen)]


def timing(workshop: Workshop, questions: int) -> list[tuple[str, int]]:
    """A schedule for the session: opening, each item, the quiz and the close, in minutes,
    adding up to the kit's length (90 minutes when it gives none)."""
    total = workshop.kit.minutes or 90
    items = workshop.found
    opening, closing = max(5, total // 12), max(5, total // 18)
    quiz = min(max(5, 2 * questions), total // 4) if questions else 0
    left = max(len(items) * 5, total - opening - closing - quiz)
    each = [left // len(items) + (1 if n < left % len(items) else 0) for n in range(len(items))] if items else []
    plan = [("Einstieg und Vorstellung", opening)]
    plan += [(" ".join(x for x in (i.label, i.heading) if x) or i.citation, m) for i, m in zip(items, each)]
    if quiz:
        plan.append(("Quiz und Auflösung", quiz))
    plan.append(("Abschluss und Ausblick", closing))
    return plan


def speaker_notes(item: WorkshopItem, minutes: int) -> list[str]:
    """What the trainer's handout adds to an item: the time, what its slide shows, and
    where the full text stands."""
    shown = key_sentences(item)
    lines = [f"Zeit: etwa {minutes_text(minutes)}." if minutes > 0 else "Zeit: nach Bedarf."]
    whole = len(shown) == len(item.sentences) or len(item.quote.strip()) <= SLIDE_CHARS
    lines.append(
        "Die Folie zeigt das ganze Zitat." if whole else
        f"Die Folie zeigt {len(shown)} von {len(item.sentences)} Sätzen; der ganze Text steht in den Notizen der Folie."
    )  # fmt: skip
    lines.append("Erst die Kernsätze lesen lassen, dann die Impulse in Kleingruppen besprechen.")
    if item.item.passage_id:
        lines.append(f"Die Stelle steht im Abschnitt „{' › '.join(item.section_path)}“; Kontext in den Folien-Notizen.")
    return lines


def link_label(item: WorkshopItem) -> str:
    """How an item's link is labelled: the document itself, or only its publisher's site."""
    return LINK_LABEL if item.source is not None and item.source.direct else PUBLISHER_LINK_LABEL
