"""Synonym expansion (OpenThesaurus): the text functions with German examples, and what
they change in search over the real charter."""

from __future__ import annotations

import numpy as np

from index.query import analyse
from text.synonyms import synonyms_of


def test_inflected_words_find_their_synonyms():
    assert "Sensor" in synonyms_of("Messfühlern")
    assert "Bibliothek" in synonyms_of("Bücherei")
    assert "Abfall" in synonyms_of("Müll")


def test_synonyms_follow_the_word_not_its_stem():
    # "Bürger" and "Burg" share the Snowball stem "burg"; a castle is no citizen.
    assert "Einwohner" in synonyms_of("Bürger")
    assert "Festung" not in synonyms_of("Bürger")
    assert "Festung" in synonyms_of("Burg")


def test_expansion_keeps_question_terms_first_and_only_known_synonyms():
    query = analyse("Wann öffnet die Bücherei?")
    vocab = {"bucherei", "bibliothek", "offn", "lesesaal"}
    assert query.bm25_terms(vocab, 0.75) == {"offn": 1.0, "bucherei": 1.0, "bibliothek": 0.75}
    assert query.bm25_terms(vocab, 0.0) == {"offn": 1.0, "bucherei": 1.0}
    # Terms the index does not know are left out, the question's own too.
    assert query.bm25_terms({"bibliothek"}, 0.75) == {"bibliothek": 0.75}


def test_english_questions_get_no_german_synonyms():
    assert analyse("Which library opens on Sundays?").synonyms == {}


def test_synonyms_bridge_an_everyday_word_the_charter_never_uses(charter_searcher):
    query = analyse("Messfühler")
    assert "Messfühler" not in " ".join(p.text for p in charter_searcher.passages)
    bm25, vocab = charter_searcher.bm25, charter_searcher.vocab
    assert not bm25.scores(query.bm25_terms(vocab, 0.0)).any()  # nothing to go on
    scores = bm25.scores(query.bm25_terms(vocab, 0.75))
    top = charter_searcher.passages[int(np.argmax(scores))]
    assert "Sensor" in top.text


def test_the_shipped_tables_are_what_the_analysis_derives():
    """The word frequencies and synonym stems ship in text/data so that a fresh process
    need not derive them; stale ones would be ignored (slow, not wrong). After a change
    of text/analysis.py, wordfreq or PyStemmer: python -m text.synonyms."""
    from text import analysis, synonyms

    hint = "the cached tables are stale: run python -m text.synonyms"
    zipf = analysis.read_cache(analysis.ZIPF_CACHE)
    stems = analysis.read_cache(synonyms.STEMS)
    assert zipf is not None and stems is not None, hint
    assert {w: float(v) for w, v in (line.split("\t") for line in zipf)} == analysis.build_zipf_table()
    assert [line.split("|") for line in stems] == synonyms.set_stems(synonyms.read_sets())
