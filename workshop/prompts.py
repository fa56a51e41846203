"""Discussion prompts for a workshop item, made from whom the text speaks to and what it
asks them to do. They are questions for the group, not quotes: the exports label them
„Diskussionsimpuls“."""

from __future__ import annotations

import re

from answer.cite import FOREWORD
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
# A heading that asks for something ends in an infinitive: „Smart-City-Lösungen pilotieren“,
# „Daten verantwortungsvoll generieren, Datenhoheit behalten“; „Präambel“ does not.
_ACTION = re.compile(r"\b[a-zäöüß]+(en|ern|eln)$")


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


def discussion_prompts(item: WorkshopItem) -> list[str]:
    """Two prompts for the group: one from the addressee and the action the text asks
    for, one on who else to involve (or what stands in the way).

    >>> from workshop.model import KitItem
    >>> item = WorkshopItem(KitItem("charta", section="III.f)"), heading="Smart-City-Lösungen pilotieren",
    ...     quote="Kommunen, Wirtschaft, Forschung und Zivilgesellschaft probieren gemeinsam aus.")
    >>> for p in discussion_prompts(item): print(p)
    Wie geht Ihre Kommune damit um: Smart-City-Lösungen pilotieren? Wer ist bei Ihnen dafür zuständig?
    Die Charta nennt dafür auch Wirtschaft, Wissenschaft und Zivilgesellschaft: Wen davon würden Sie einbinden, \
und in welcher Rolle?
    >>> item = WorkshopItem(KitItem("charta", section="I"), heading="Präambel", quote="Die Charta …")
    >>> discussion_prompts(item)[0]
    'Was bedeutet der Abschnitt „Präambel“ für die Arbeit in Ihrer Kommune? Wo sehen Sie Handlungsbedarf?'
    """
    heading = item.label if item.label == FOREWORD else item.heading or item.label or "dieser Abschnitt"
    heading = " ".join(heading.split())
    speaker = "Die Charta" if item.source is None or "charta" in item.source.title.casefold() else "Der Text"
    named = addressees(f"{heading} {item.quote}")
    main = named[0] if named else "Kommunen"
    others = [n for n in named if n != main and not (main in _LOCAL and n in _LOCAL)]
    if not _ACTION.search(heading):
        return [
            f"Was bedeutet der Abschnitt „{heading}“ für die Arbeit in Ihrer Kommune? Wo sehen Sie Handlungsbedarf?",
            "Welche Aussage dieses Abschnitts ist für Ihre Arbeit neu oder strittig – und warum?",
        ]
    if main in _STATE:
        states = [n for n in named if n in _STATE]
        others = [n for n in others if n not in _STATE]
        first = (
            f"{speaker} sieht hier {_join(states)} in der Pflicht: {heading}. "
            "Was erwarten Sie davon – und was kann Ihre Kommune selbst beitragen?"
        )
    elif main == "Politik":
        first = f"{speaker} spricht hier die Politik an: {heading}. Wie bringen Sie das Thema in Ihre Gremien ein?"
    elif main in _LOCAL:
        first = f"Wie geht Ihre Kommune damit um: {heading}? Wer ist bei Ihnen dafür zuständig?"
    else:
        first = (
            f"{speaker} nennt hier {main}: {heading}. "
            "Mit wem aus diesem Kreis arbeitet Ihre Kommune schon zusammen, und wie?"
        )
    if others:
        second = f"{speaker} nennt dafür auch {_join(others)}: Wen davon würden Sie einbinden, und in welcher Rolle?"
    else:
        second = "Was bräuchte Ihre Organisation, um das umzusetzen – und was steht dem heute im Weg?"
    return [first, second]
