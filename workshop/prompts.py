"""Discussion prompts for a workshop item: a sentence of the text, quoted word for word,
then a question to the group that fits whom the sentence speaks to and what it asks for.
The exports label them „Diskussionsimpuls“: the question is the trainer's, not the text's.
"""

from __future__ import annotations

import re

from workshop.model import WorkshopItem

# Who a recommendation speaks to, as the charter names them; the first pattern that
# matches names the addressee. Capitalised nouns only: „kommunal“ as an adjective
# describes a thing, it does not address anyone.
ADDRESSEES: tuple[tuple[str, str], ...] = (
    ("Kommunen", r"\b(Kommunen?|Kommunalverwaltung(en)?|Städte[nr]?|Gemeinden)\b"),
    ("Verwaltung", r"\b(Verwaltung(en)?|Behörden?)\b"),
    ("Bund", r"\b(Bund|Bundes(regierung|ebene|politik))\b"),
    ("Länder", r"\b(Ländern?|Landesebene)\b"),
    ("Politik", r"\b(Politik|Kommunalpolitik|Gremien)\b"),
    ("Zivilgesellschaft", r"\b(Zivilgesellschaft|Stadtgesellschaft|Bürgerinnen und Bürger|Bürgerschaft)\b"),
    ("Wirtschaft", r"\b(Wirtschaft|Unternehmen)\b"),
    ("Wissenschaft", r"\b(Wissenschaft|Forschung|Hochschulen)\b"),
)
_LOCAL = {"Kommunen", "Verwaltung"}
_STATE = {"Bund", "Länder"}
# A sentence that asks someone to do something makes the best prompt.
_RECOMMENDS = re.compile(
    r"\b(sollte|sollten|sollen|soll|müssen|muss|brauchen|braucht|gilt es|empfiehlt|ist zu|sind zu)\b"
)
# Questions to the group, by what the quoted sentence is about; each is asked once per kit
# (while there are unused ones), in this order.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "state": (
        "Was erwarten Sie hier von {state} – und was kann Ihre Kommune selbst beitragen?",
        "Welche Unterstützung von {state} fehlt Ihnen dafür heute am meisten?",
    ),
    "partners": (
        "Wen der Genannten würden Sie in Ihrer Kommune dafür einbinden, und in welcher Rolle?",
        "Mit wem der Genannten arbeitet Ihre Kommune hier schon zusammen – und wie gut gelingt das?",
    ),
    "partner": (
        "Wie arbeitet Ihre Kommune hier schon mit der {partner} zusammen – und was ließe sich verbessern?",
        "Welche Rolle sollte die {partner} dabei in Ihrer Kommune spielen?",
    ),
    "recommendation": (
        "Was tut Ihre Kommune hierzu schon, und wer ist bei Ihnen dafür zuständig?",
        "Welcher erste Schritt wäre dafür in Ihrem Bereich realistisch – und was steht ihm heute im Weg?",
        "Woran würden Sie merken, dass Ihre Kommune das erreicht hat?",
        "Was bräuchte Ihre Organisation, um das umzusetzen: Personal, Geld, Wissen oder Befugnisse?",
    ),
    "statement": (
        "Stimmen Sie dem zu? Welches Beispiel aus Ihrer Kommune spricht dafür, welches dagegen?",
        "Wo begegnet Ihnen das in Ihrer täglichen Arbeit – an welchem Beispiel?",
        "Was folgt daraus für Ihre Verwaltung, und wer müsste es wissen?",
    ),
}
PER_ITEM = 2


def addressees(text: str) -> list[str]:
    """The addressees ``text`` names, in order of first mention.

    >>> addressees("Kommunen, Wirtschaft, Forschung und Zivilgesellschaft probieren gemeinsam aus.")
    ['Kommunen', 'Wirtschaft', 'Wissenschaft', 'Zivilgesellschaft']
    """
    found = []
    for name, pattern in ADDRESSEES:
        m = re.search(pattern, text)
        if m:
            found.append((m.start(), name))
    return [name for _, name in sorted(found)]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " und " + names[-1]


def discussion_prompts(item: WorkshopItem, asked: set[str] | None = None) -> list[str]:
    """Up to two prompts for the group, each a sentence of the item quoted word for word
    and a question that fits it. ``asked`` holds the questions other items of the kit
    already ask; it is updated, so a kit repeats no question while others are left, and
    never a prompt (the quotes differ).

    >>> from workshop.model import KitItem
    >>> item = WorkshopItem(KitItem("charta", section="III.f)"), heading="Smart-City-Lösungen pilotieren",
    ...     sentences=["Kommunen, Wirtschaft, Forschung und Zivilgesellschaft probieren gemeinsam aus.",
    ...                "Kommunen sollten die Ergebnisse offen zugänglich machen und auswerten lassen."])
    >>> for p in discussion_prompts(item): print(p)
    „Kommunen sollten die Ergebnisse offen zugänglich machen und auswerten lassen.“ Was tut Ihre Kommune \
hierzu schon, und wer ist bei Ihnen dafür zuständig?
    „Kommunen, Wirtschaft, Forschung und Zivilgesellschaft probieren gemeinsam aus.“ Wen der Genannten würden Sie \
in Ihrer Kommune dafür einbinden, und in welcher Rolle?
    """
    asked = set() if asked is None else asked
    prompts: list[str] = []
    # A sentence another item of the kit already quotes is not quoted again.
    for sentence in [s for s in _prompt_sentences(item) if s not in asked][:PER_ITEM]:
        named = addressees(sentence)
        state = [n for n in named if n in _STATE]
        others = [n for n in named if n not in _LOCAL and n not in _STATE]
        if state:
            kind = "state"
        elif len(others) > 1:
            kind = "partners"
        elif others:
            kind = "partner"
        elif _RECOMMENDS.search(sentence):
            kind = "recommendation"
        else:
            kind = "statement"
        partner = others[0] if others else ""
        choices = [q.format(state=_join(state or ["Bund"]), partner=partner) for q in QUESTIONS[kind]]
        question = next((q for q in choices if q not in asked), choices[len(prompts) % len(choices)])
        asked.update((question, sentence))
        prompts.append(f"„{sentence}“ {question}")
    return prompts


def _prompt_sentences(item: WorkshopItem) -> list[str]:
    """The item's sentences that make a prompt, best first: recommendations, then those
    naming an addressee, then the rest; of a length to read out (50 to 260 characters)."""
    candidates = [s.strip() for s in item.sentences if 50 <= len(s.strip()) <= 260 and s.strip()[:1].isupper()]
    if not candidates:
        candidates = [s.strip() for s in item.sentences if len(s.strip()) >= 20][:1]

    def rank(pair: tuple[int, str]) -> tuple[int, int]:
        n, s = pair
        return (0 if _RECOMMENDS.search(s) else 1 if addressees(s) else 2, n)

    ordered = [s for _, s in sorted(enumerate(candidates), key=rank)]
    # Two prompts on different things: the second one from another kind of sentence where there is one.
    if len(ordered) > 2 and set(addressees(ordered[0])) == set(addressees(ordered[1])):
        rest = [s for s in ordered[1:] if set(addressees(s)) != set(addressees(ordered[0]))]
        if rest:
            ordered = [ordered[0], rest[0], *[s for s in ordered[1:] if s != rest[0]]]
    return list(dict.fromkeys(ordered))
