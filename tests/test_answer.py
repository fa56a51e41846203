"""Extractive answers over the real charter index: verbatim sentences, right citations,
an honest "not covered"."""

from __future__ import annotations

import pytest

from answer.compose import (
    NO_ANSWER_THRESHOLD,
    citation,
    compose,
    followup_query,
    handout_markdown,
    split_sentences,
    unknown_terms,
)

ANSWERABLE = [
    "Darf jemand gezwungen werden, digitale Angebote zu nutzen?",
    "Wie sollen Kommunen mit Daten umgehen und die Datenhoheit behalten?",
    "Welche Rolle spielt Open Data für Kommunen?",
    "Wie sollen digitale und analoge Beteiligungsprozesse verzahnt werden?",
]


def answer_for(searcher, question: str, **kwargs):
    hits = searcher.search(question, k=6)
    return compose(question, hits, searcher.embedder, vocab=searcher.bm25.vocab,
                   english_vocab=searcher.english_vocab, **kwargs)


def test_sentence_spans_are_verbatim_and_cover_every_passage(charter_searcher):
    for p in charter_searcher.passages:
        spans = split_sentences(p["text"])
        assert spans, p["id"]
        pieces = [p["text"][a:b] for a, b in spans]
        assert all(piece == piece.strip() and piece for piece in pieces)
        # Nothing but whitespace is lost between sentences.
        assert "".join(pieces).replace(" ", "").replace("\n", "") == \
            p["text"].replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("question", ANSWERABLE)
def test_answer_sentences_are_copied_from_the_cited_passages(charter_searcher, question):
    answer = answer_for(charter_searcher, question)
    assert answer.covered, (question, answer.support)
    assert 2 <= len(answer.sentences) <= 4
    by_marker = {p.marker: p for p in answer.passages}
    assert sorted(by_marker) == list(range(1, len(by_marker) + 1))
    for s in answer.sentences:
        cited = by_marker[s.marker]
        assert cited.hit.text[s.start:s.end] == s.text
        assert (s.start, s.end) in cited.highlights
        assert f"{' '.join(s.text.split())} [{s.marker}]" in answer.text
    # Nothing else is in the answer text: only the sentences and their markers.
    rebuilt = " ".join(f"{' '.join(s.text.split())} [{s.marker}]" for s in answer.sentences)
    assert answer.text == rebuilt


def test_answer_cites_section_2_2_on_page_8(charter_searcher):
    answer = answer_for(charter_searcher, ANSWERABLE[0])
    assert "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden." in answer.text
    cites = [p.citation for p in answer.passages]
    assert "Smart City Charta (BBSR, Fassung 2021), Abschnitt 2.2, S. 8" in cites


def test_citations_name_edition_section_and_printed_pages(charter_searcher):
    hits = charter_searcher.search("Datenhoheit behalten", k=20)
    h32 = next(h for h in hits if h.section_path[-1].startswith("3.2 "))
    assert citation(h32) == "Smart City Charta (BBSR, Fassung 2021), Abschnitt 3.2, S. 10"
    spanning = [p for p in charter_searcher.passages if p["page"] != p["page_end"]]
    assert spanning, "the charter has passages across a page break"
    p = spanning[0]
    hit = next(h for h in charter_searcher.search(p["text"][:200], k=20)
               if h.passage_id == p["id"])
    assert citation(hit).endswith(f"S. {p['page']}–{p['page_end']}")
    lettered = next(h for h in charter_searcher.search("Open Data abwägen", k=20)
                    if h.section_path[-1].startswith("g) "))
    assert ", Abschnitt g), S. 16" in citation(lettered)


def test_english_question_is_answered_with_the_german_sentence(charter_searcher):
    answer = answer_for(charter_searcher, "Should anyone be forced to use digital services?")
    assert answer.covered
    assert answer.sentences[0].text == "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden."
    assert answer.passages[0].citation == (
        "Smart City Charta (BBSR, Fassung 2021), Abschnitt 2.2, S. 8")


def test_a_synonym_counts_as_a_known_word(charter_searcher):
    vocab = charter_searcher.bm25.vocab
    # "Messfühler" never occurs in the charter, its synonym "Sensoren" does.
    assert unknown_terms("Wozu dienen Messfühler?", vocab)[1] == ["wozu"]
    assert unknown_terms("Wozu dienen Fühlhörner?", vocab)[1] == ["wozu", "fühlhörner"]


@pytest.mark.parametrize("question", [
    "Wie hoch ist die Hundesteuer in Leipzig?",
    "In welche Entgeltgruppe des TVöD wird ein Digitalisierungsbeauftragter eingruppiert?",
    "Welche Open-Data-Software, zum Beispiel CKAN, sollen wir für unser Datenportal einsetzen?",
    "How much does a LoRaWAN sensor network cost for a mid-sized town?",
])
def test_questions_the_charter_does_not_cover_are_declined(charter_searcher, question):
    answer = answer_for(charter_searcher, question)
    assert not answer.covered and answer.support < NO_ANSWER_THRESHOLD
    assert answer.sentences == [] and answer.text == ""
    assert len(answer.passages) == 3  # the closest passages, shown as such


def test_unknown_terms_are_words_the_index_never_uses(charter_searcher):
    rarity, missing = unknown_terms("Wie hoch ist die Hundesteuer in Leipzig?",
                                    charter_searcher.bm25.vocab)
    assert missing == ["hundesteuer"] and rarity == 1.0
    assert unknown_terms("Datenhoheit der Kommunen", charter_searcher.bm25.vocab) == (0.0, [])


def test_follow_up_question_is_searched_with_its_context(charter_searcher):
    first = ANSWERABLE[1]
    query, followup = followup_query("Und was heißt das für kleine Gemeinden?", [first])
    assert followup and query.startswith(first)
    answer = answer_for(charter_searcher, "Und was heißt das für kleine Gemeinden?",
                        query=query, followup=True)
    assert answer.followup and answer.query == query
    assert any("3.2" in p.citation for p in answer.passages) or answer.covered


def test_handout_has_question_answer_and_full_citations(charter_searcher):
    answer = answer_for(charter_searcher, ANSWERABLE[0])
    md = handout_markdown("Antwort", answer.passages, answer,
                          pdf_url=lambda h: f"/dokumente/{h.file}#page={h.pdf_page}")
    assert f"**Frage:** {ANSWERABLE[0]}" in md and answer.text in md
    for p in answer.passages:
        assert f"Zitiervorschlag: {p.citation} – /dokumente/{p.hit.file}#page={p.hit.pdf_page}" \
            in md
