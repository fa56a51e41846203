"""Synonym expansion (OpenThesaurus) and the English gloss (Ding): the text functions with
German examples, and what they change in search over the real charter."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from index import store
from index.build import build_index
from index.gloss import gloss, gloss_word
from index.search import Searcher
from text.synonyms import expand_query, synonyms_of

# --- synonyms ----------------------------------------------------------------------------

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
    vocab = {"bucherei", "bibliothek", "offn", "lesesaal"}
    terms = expand_query("Wann öffnet die Bücherei?", vocab, 0.75)
    assert terms == {"offn": 1.0, "bucherei": 1.0, "bibliothek": 0.75}
    assert expand_query("Wann öffnet die Bücherei?", vocab, 0.0) == {"offn": 1.0,
                                                                     "bucherei": 1.0}
    # Terms the index does not know are left out, the question's own too.
    assert expand_query("Wann öffnet die Bücherei?", {"bibliothek"}, 0.75) == {
        "bibliothek": 0.75}


def test_synonyms_bridge_an_everyday_word_the_charter_never_uses(charter_searcher):
    question = "Messfühler"
    assert "Messfühler" not in " ".join(p["text"] for p in charter_searcher.passages)
    bm25 = charter_searcher.bm25
    assert not bm25.scores(question, 0.0).any()  # plain BM25 has nothing to go on
    scores = bm25.scores(question, 0.75)
    top = charter_searcher.passages[int(np.argmax(scores))]
    assert "Sensor" in top["text"]


# --- gloss -------------------------------------------------------------------------------

def test_gloss_keeps_negation_and_modal_verbs():
    assert " must not " in gloss("Kommunen müssen nicht alles digitalisieren.")
    assert gloss("Niemand soll gezwungen werden.") == "nobody should forced"


def test_gloss_splits_compounds_and_hyphenated_words():
    assert gloss_word("Trinkwasserversorgung") == "drinking water supply"
    assert gloss_word("Datensouveränität") == "data sovereignty"
    assert gloss_word("Smart-City-Strategie") == " ".join(
        gloss_word(w) for w in ("Smart", "City", "Strategie"))


def test_gloss_keeps_names_and_drops_function_words():
    assert gloss("die Stadt Leipzig und der Landkreis Görlitz") == (
        f"{gloss_word('Stadt')} Leipzig {gloss_word('Landkreis')} Görlitz")
    assert gloss("und oder aber") == ""


def test_english_question_finds_the_german_passage(charter_searcher):
    hits = charter_searcher.search("Should anyone be forced to use digital services?", k=3)
    assert hits[0].section_path[-1].startswith("2.2 ")
    assert hits[0].page == "8"
    assert "gezwungen" in " ".join(h.text for h in hits)


def test_gloss_mode_ranks_by_the_glossed_vectors(charter_searcher, embedder):
    question = "Wie schützt die Stadt persönliche Daten?"
    hits = charter_searcher.search(question, k=5, mode="gloss")
    q = embedder.query_vector(gloss(question))
    expected = np.argsort(-(charter_searcher.stored.gloss_embeddings @ q))[:5]
    assert [h.passage_id for h in hits] == [charter_searcher.passages[i]["id"] for i in expected]
    assert hits[0].gloss_score == pytest.approx(
        float(charter_searcher.stored.gloss_embeddings[expected[0]] @ q), abs=1e-4)


def test_fusion_uses_the_gloss_ranking(charter_searcher):
    question = "Wie schützt die Stadt persönliche Daten?"
    base = charter_searcher.settings

    def top(**weights):
        settings = dataclasses.replace(base, fusion=dataclasses.replace(base.fusion, **weights))
        s = Searcher(charter_searcher.stored, charter_searcher.embedder, settings)
        return [h.passage_id for h in s.search(question, k=5)]

    only_gloss = top(bm25_weight=0.0, dense_weight=0.0, gloss_weight=1.0)
    assert only_gloss == [h.passage_id for h in charter_searcher.search(question, 5, "gloss")]
    assert top(gloss_weight=0.0) != top(gloss_weight=5.0)


def test_hybrid_skips_a_retriever_weighted_zero(charter_searcher):
    base = charter_searcher.settings
    settings = dataclasses.replace(base, fusion=dataclasses.replace(base.fusion, gloss_weight=0.0))
    s = Searcher(charter_searcher.stored, charter_searcher.embedder, settings)
    hits = s.search("Wie schützt die Stadt persönliche Daten?", k=5)
    assert hits and all(h.gloss_score == 0.0 for h in hits)
    assert all(h.gloss_score != 0.0 for h in charter_searcher.search(
        "Wie schützt die Stadt persönliche Daten?", k=5))


# --- the index records its lexicon ---------------------------------------------------------

def test_index_with_another_gloss_lexicon_is_rebuilt(workspace):
    gen = store.current_generation(workspace.index_dir)
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["gloss"]["lexicon"] = "ding-gloss-v0"
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = build_index([workspace.corpus_dir], workspace)
    assert report.written
    assert {r.status for r in report.results} == {"new"}
    assert store.load_stored(workspace.index_dir).manifest["gloss"]["lexicon"] != "ding-gloss-v0"
