"""German analysis for BM25: folding, stemming, stopwords, compounds."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from index.query import analyse
from index.retrievers import BM25
from text.analysis import analyze, fold, split_compound, stem


def test_fold_umlauts_and_sharp_s():
    assert fold("Straße") == "strasse"
    assert fold("BÜRGERBETEILIGUNG") == "burgerbeteiligung"
    assert fold("Öffentlichkeit") == "offentlichkeit"


@pytest.mark.parametrize(
    "words",
    [
        ("Bürger", "Buerger", "buerger", "Burger"),
        ("Straße", "Strasse", "STRASSE"),
        ("Kommune", "Kommunen", "KOMMUNEN"),
        ("Daten", "Daten"),
        ("Versorgung", "Versorgungen"),
        ("Digitalisierung", "digitalisierung"),
    ],
)
def test_inflected_and_spelled_variants_share_a_stem(words):
    assert len({stem(w) for w in words}) == 1, [stem(w) for w in words]


def test_different_words_keep_different_stems():
    assert stem("Daten") != stem("Dateien")
    assert stem("Stadt") != stem("Staat")


def test_stopwords_are_dropped():
    terms = analyze("Die Stadt und der Bund sollen mit den Ländern über die Daten reden")
    for word in ("die", "und", "der", "mit", "den", "über"):
        assert word not in terms and stem(word) not in terms
    assert stem("Stadt") in terms and stem("Bund") in terms and stem("Ländern") in terms


def test_english_stopwords_are_dropped_too():
    assert analyze("the city and its data") == [stem("city"), stem("data")]


@pytest.mark.parametrize(
    "word, parts",
    [
        ("Trinkwasserversorgung", ("trinkwasser", "versorgung")),
        ("Versorgungsdienste", ("versorgung", "dienste")),
        ("Datenhoheit", ("daten", "hoheit")),
    ],
)
def test_split_compound(word, parts):
    assert split_compound(word.casefold()) == parts


@pytest.mark.parametrize("word", ["verwaltung", "kommune", "daten", "digital"])
def test_plain_words_are_not_split(word):
    assert split_compound(word) == ()


def test_analyze_compound_yields_whole_word_and_parts():
    terms = analyze("Trinkwasserversorgung")
    assert terms[0] == stem("Trinkwasserversorgung")
    for part in ("Trinkwasser", "Versorgung", "Wasser"):
        assert stem(part) in terms


def test_analyze_hyphenated_compound_yields_its_parts():
    terms = analyze("Smart-City-Strategien")
    assert stem("smart-city-strategien") in terms
    assert {stem("Smart"), stem("City"), stem("Strategien")} <= set(terms)


PASSAGES = [
    "Für die Trinkwasserversorgung sind analoge Redundanzen vorzuhalten.",
    "Die Versorgung mit Breitband ist ein Standortfaktor.",
    "Die Bürgerbeteiligung an der Stadtentwicklung wächst.",
    "Geodaten sollten interoperabel bereitgestellt werden.",
    "Kommunen sollten die Hoheit über ihre Daten behalten.",
]


def _scores(index: BM25, text: str) -> np.ndarray:
    return index.scores(analyse(text).bm25_terms(index.vocab, 0.0))


@pytest.fixture(scope="module")
def bm25():
    return BM25.build([SimpleNamespace(title="", section="", text=t) for t in PASSAGES])


@pytest.mark.parametrize("query", ["Trinkwasser", "Wasserversorgung", "trinkwasser versorgung"])
def test_compound_is_found_by_its_parts(bm25, query):
    scores = _scores(bm25, query)
    assert scores[0] > 0
    assert int(np.argmax(scores)) == 0


def test_parts_find_the_compound_and_the_plain_word(bm25):
    scores = _scores(bm25, "Versorgung")
    assert scores[0] > 0 and scores[1] > 0


def test_compound_query_finds_its_parts_in_the_text(bm25):
    # "Datenhoheit" is not in passage 4, but "Daten" and "Hoheit" are.
    scores = _scores(bm25, "Datenhoheit")
    assert int(np.argmax(scores)) == 4


@pytest.mark.parametrize("query", ["Buergerbeteiligung", "Burgerbeteiligung", "Buerger"])
def test_umlaut_free_spelling_finds_umlaut_text(bm25, query):
    scores = _scores(bm25, query)
    assert int(np.argmax(scores)) == 2 and scores[2] > 0


def test_stopword_only_query_scores_nothing(bm25):
    assert not _scores(bm25, "und die der").any()


def test_heading_path_is_indexed_with_the_text():
    index = BM25.build(
        [
            SimpleNamespace(title="", section="3.2 Datenhoheit behalten", text="Kommunen prüfen ihre Rolle."),
            SimpleNamespace(title="", section="2.1 Transparenz stärken", text="Kommunen informieren offen."),
        ]
    )
    scores = _scores(index, "Datenhoheit")
    assert scores[0] > 0 and scores[1] == 0


def test_charter_bm25_finds_trinkwasser_in_the_compound(charter_searcher):
    hits = charter_searcher.search("Trinkwasser Versorgung", k=3, mode="bm25")
    assert "Trinkwasserversorgung" in hits[0].text
    assert hits[0].section_path[-1].startswith("3.3 ")


def test_pasted_junk_words_cost_no_compound_splitting():
    """A 300,000-character "word" once took 30 s and long compounds hit RecursionError."""
    from text.analysis import analyze, split_compound

    assert split_compound("x" * 300_000) == ()
    assert split_compound("versorgungs" * 40) == ()  # 440 characters: not a German compound
    assert len(analyze("Daten" + "schutz" * 50_000)) <= 1  # the whole junk word at most, no parts
    assert split_compound("trinkwasserversorgung") == ("trinkwasser", "versorgung")  # real ones still split
