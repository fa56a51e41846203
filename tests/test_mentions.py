"""Which documents a question names, found from the documents' own metadata.

The corpora here are catalog entries as maintainers write them, of documents that no
code in the project knows by name: the detection must work from title, publisher and id
alone, and must not let an everyday title word narrow the search.
"""

from __future__ import annotations

import pytest

from index.mentions import DocumentNames, within

# The multi-document evaluation corpus (eval/corpus/catalog.toml) as the manifest has it.
EVAL_CORPUS = [
    {"doc_id": "smart-city-charta-2021", "title": "Smart City Charta", "publisher": "BBSR"},
    {"doc_id": "ulm-smart-city-strategie", "title": "Smart City Strategie der Stadt Ulm", "publisher": "Stadt Ulm"},
    {
        "doc_id": "ulm4clevercity-ueberblick",
        "title": "Ulm4CleverCity – Smart City Modellstadt",
        "publisher": "Stadt Ulm, Geschäftsstelle Digitale Agenda",
    },
    {
        "doc_id": "berlin-open-data-handbuch",
        "title": "Open Data Handbuch – Handreichung für die Berliner Verwaltung",
        "publisher": "Land Berlin, Senatsverwaltung für Inneres, Digitalisierung und Sport",
    },
    {"doc_id": "ozg", "title": "Onlinezugangsgesetz (OZG)", "publisher": "Bund"},
    {"doc_id": "egovg", "title": "E-Government-Gesetz (EGovG)", "publisher": "Bund"},
    {"doc_id": "bgg", "title": "Behindertengleichstellungsgesetz (BGG)", "publisher": "Bund"},
    {"doc_id": "ifg", "title": "Informationsfreiheitsgesetz (IFG)", "publisher": "Bund"},
]

# Documents nobody on the project has seen (invented entries of the kind municipalities
# keep): other cities, another Land, a district, a guide without a place.
UNSEEN = [
    {"doc_id": "digitalstrategie-fr", "title": "Digitalstrategie der Stadt Freiburg im Breisgau", "publisher": ""},
    {
        "doc_id": "mobilitaet-muenchen",
        "title": "Smart City Strategie: Mobilität",
        "publisher": "Landeshauptstadt München, Mobilitätsreferat",
    },
    {
        "doc_id": "hmbtg",
        "title": "Hamburgisches Transparenzgesetz (HmbTG)",
        "publisher": "Freie und Hansestadt Hamburg",
    },
    {"doc_id": "leitfaden-beteiligung", "title": "Leitfaden Bürgerbeteiligung", "publisher": "Landkreis Dieburg"},
    {"doc_id": "wir-programm", "title": "Förderprogramm (WIR) Wandel in der Region", "publisher": "Bund"},
]


@pytest.fixture(scope="module")
def corpus():
    return DocumentNames.of(EVAL_CORPUS)


@pytest.fixture(scope="module")
def unseen():
    return DocumentNames.of(UNSEEN)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Welche Finanzierungsinstrumente sollen Kommunen laut Charta prüfen?", ["smart-city-charta-2021"]),
        ("Was sagt die Smart City Charta zu Open Data?", ["smart-city-charta-2021"]),
        ("Was steht im OZG zum Nutzerkonto?", ["ozg"]),
        ("was steht im ozg zum nutzerkonto?", ["ozg"]),  # typed in lower case
        ("Muss ich für eine Auskunft nach dem IFG zahlen?", ["ifg"]),
        ("Mein IFG-Antrag wurde abgelehnt – was nun?", ["ifg"]),  # part of a hyphenated word
        ("Kostet das Schlichtungsverfahren nach dem Behindertengleichstellungsgesetz etwas?", ["bgg"]),
        ("Wie definiert das E-Government-Gesetz maschinenlesbar?", ["egovg"]),
        ("Welche Pflichten nennt das Onlinezugangsgesetzes-Kapitel?", ["ozg"]),
        ("Welche Lizenzen gibt es im Berliner Datenportal?", ["berlin-open-data-handbuch"]),
        ("Was steht im Berliner Handbuch zu Lizenzen?", ["berlin-open-data-handbuch"]),
        ("Welche Ziele verfolgt das Land Berlin mit offenen Daten?", ["berlin-open-data-handbuch"]),
        # One place, two documents: the title's other words choose ("Strategie" is
        # everyday and names nothing alone, but it tells the strategy from the deck).
        ("Was sagt die Ulmer Strategie zu Bildung?", ["ulm-smart-city-strategie"]),
        ("Was sagt die Ulmer Smart-City-Strategie zum Selbstzweck?", ["ulm-smart-city-strategie"]),
        ("Was versteht Ulm unter dem Fünfklang?", ["ulm-smart-city-strategie", "ulm4clevercity-ueberblick"]),
        ("Was ist das zentrale Ziel von Ulm4CleverCity?", ["ulm4clevercity-ueberblick"]),
        ("Wie viel Fördergeld bekommt Ulm als Smart-City-Modellstadt?", ["ulm4clevercity-ueberblick"]),
        # Two names, two documents.
        ("Was sagen die Charta und das OZG zu Online-Diensten?", ["ozg", "smart-city-charta-2021"]),
    ],
)
def test_a_named_document_is_found(corpus, question, named):
    assert list(corpus.named(question)) == named


@pytest.mark.parametrize(
    "question",
    [
        "Was ist eine Smart-City-Strategie?",  # „Strategie“, „Smart City“: in titles, but everyday
        "Wie gehen Kommunen mit Daten um?",
        "Was ist Open Data?",  # title words of the handbook, but everyday
        "Welche Strategie empfiehlt das Handbuch?",  # everyday document words
        "Was muss der Bund regeln?",  # the laws' publisher, an everyday word
        "Welches Gesetz regelt die Verwaltung?",
        "Muss jeder Bürger Online-Dienste nutzen?",
        "Welche Städte haben eine Digitalstrategie?",  # in no title of this corpus
        "Was sagt die Strategie der Stadt zu Bildung?",  # „Stadt“ without a place names none
        "Was plant die Stadt für Bildung?",
        "Gibt es eine Handreichung zu Open Data?",  # rare, in one title, but a kind of document
        "",
    ],
)
def test_everyday_words_name_no_document(corpus, question):
    assert corpus.named(question) == ()


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Was plant Freiburg bei der Digitalisierung?", ["digitalstrategie-fr"]),  # the place in the title
        ("Was sagt die Freiburger Digitalstrategie zu WLAN?", ["digitalstrategie-fr"]),
        ("Was plant die Münchner Verwaltung für Radwege?", ["mobilitaet-muenchen"]),  # München → Münchner
        ("Was steht im HmbTG zu Verträgen?", ["hmbtg"]),
        ("Gilt das Hamburgische Transparenzgesetz für Bezirke?", ["hmbtg"]),
        ("Was gilt in Hamburg für Verträge?", ["hmbtg"]),  # „Freie und Hansestadt Hamburg“
        ("Wie beteiligt der Landkreis Dieburg die Bürger?", ["leitfaden-beteiligung"]),
        ("Wer kann beim WIR-Programm Anträge stellen?", ["wir-programm"]),  # as written
    ],
)
def test_documents_nobody_has_seen_are_named_from_their_metadata(unseen, question, named):
    assert list(unseen.named(question)) == named


@pytest.mark.parametrize(
    "question",
    [
        "Wir wollen die Strategie für Mobilität erneuern",  # everyday title words of two documents
        "Was steht im Leitfaden?",  # an everyday word for a document type
        "Wie erreichen wir, dass wir alle beteiligt werden?",  # „wir“ is not the programme „(WIR)“
        "Was ist Transparenz?",
    ],
)
def test_unseen_documents_are_not_named_by_everyday_words(unseen, question):
    assert unseen.named(question) == ()


def test_one_document_is_never_narrowed_to():
    names = DocumentNames.of(EVAL_CORPUS[:1])
    assert names.named("Was sagt die Charta zur Datenhoheit?") == ()


def test_naming_every_document_limits_nothing():
    names = DocumentNames.of(EVAL_CORPUS[4:6])
    assert names.named("Was regeln OZG und EGovG gemeinsam?") == ()


def test_a_word_in_two_titles_names_neither():
    """Two editions of one charter: „Charta“ no longer tells them apart."""
    names = DocumentNames.of(
        [*EVAL_CORPUS[:1], {"doc_id": "charta-2024", "title": "Smart City Charta", "publisher": "BBSR"}, EVAL_CORPUS[4]]
    )
    assert names.named("Was sagt die Charta zu Daten?") == ()
    # The publisher names both; their titles are the same, so neither is preferred.
    assert names.named("Was sagt das BBSR zu Daten?") == ("charta-2024", "smart-city-charta-2021")
    assert names.named("Was sagt das OZG zu Daten?") == ("ozg",)


def test_the_users_choice_still_applies():
    assert within(("ozg",), None) == ["ozg"]
    assert within(("ozg", "ifg"), ["ifg", "bgg"]) == ["ifg"]  # named and chosen
    assert within(("ozg",), ["bgg"]) == ["bgg"]  # named outside the choice: the choice stands
    assert within((), ["bgg"]) == ["bgg"]
    assert within((), []) is None


def test_a_superseded_edition_is_not_named():
    old = {**EVAL_CORPUS[0], "superseded_by": "charta-2024"}
    new = {"doc_id": "charta-2024", "title": "Smart City Charta", "publisher": "BBSR"}
    names = DocumentNames.of([old, new, EVAL_CORPUS[4]])
    assert names.named("Was sagt die Charta zu Daten?") == ("charta-2024",)
