"""The page's HTML, without Gradio: escaping, links, and how each outcome looks."""

from __future__ import annotations

from answer.answer import ANSWERED, NOT_COVERED, PASSAGES, Answer, AnswerSentence, CitedPassage
from index.search import Hit
from web.render import pdf_url, render_answer, render_card, render_cards, render_section


def _hit(file: str = "charta.pdf", text: str = "Niemand soll gezwungen werden.") -> Hit:
    return Hit(1, 0.1, "d", "Charta", file, "8", "8", 8, 8, "2.2 Teilhabe", text, "p1", section_path=["2.2 Teilhabe"])


def test_every_pdf_link_is_encoded_the_same_way():
    # File names with #, ? or % broke the Browse tab's hand-made links.
    name = "Leitfaden #2 (100%)?.pdf"
    url = pdf_url(name, 3)
    assert url == "/dokumente/Leitfaden%20%232%20%28100%25%29%3F.pdf#page=3"
    card = render_card(CitedPassage(1, _hit(file=name), "Charta, S. 8"), "de")
    section = render_section("2.2 Teilhabe", [{"pdf_page": 3, "label": "3", "text": "x"}], name, "de")
    assert f'href="{url}"' in section and f'href="{pdf_url(name, 8)}"' in card


def test_document_text_is_escaped_everywhere():
    evil = '<script>alert(1)</script> <img src="https://evil.example/x.png">'
    item = CitedPassage(1, _hit(text=evil), evil, [(0, 8)])
    html = render_card(item, "de") + render_section(evil, [{"pdf_page": 1, "label": evil, "text": evil}], "a.pdf", "de")
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_each_outcome_looks_different():
    hit = _hit()
    answered = Answer(
        "Frage?",
        ANSWERED,
        sentences=[AnswerSentence("Niemand soll gezwungen werden.", 1, "p1", "8", "8", "2.2", 0, 30)],
        passages=[CitedPassage(1, hit, "Charta, Abschnitt 2.2, S. 8", [(0, 30)])],
    )
    passages = Answer("Frage?", PASSAGES, passages=[CitedPassage(1, hit, "Charta, S. 8")])
    declined = Answer("Frage?", NOT_COVERED)
    a, p, n = (render_answer(x, "de") for x in (answered, passages, declined))
    assert 'class="lotse-answer"' in a and "Niemand soll gezwungen werden." in a and "[1]" in a
    assert "Diese Stellen passen am ehesten." in p and "lotse-answer" not in p
    assert "Die Dokumente beantworten diese Frage nicht." in n
    assert all("Ihre Frage: Frage?" in x for x in (a, p, n))  # each answer under its question
    assert "Belegstellen" in render_cards(answered, "de")
    assert "Passende Stellen" in render_cards(passages, "de")
    assert render_cards(declined, "de") == ""
    assert "The documents do not answer this question." in render_answer(declined, "en")
    for lacking, de, en in (
        ("names", "nennen keine.", "name none."),
        ("new", "Über die vorige Antwort hinaus", "beyond the previous answer"),
    ):
        passages.lacks = lacking
        assert de in render_answer(passages, "de") and en in render_answer(passages, "en")


def test_a_generated_answer_is_labelled_as_generated_and_says_what_was_dropped():
    generated = Answer(
        "Frage?",
        ANSWERED,
        passages=[CitedPassage(1, _hit(), "Charta, S. 8")],
        mode="llm",
        generated_text="Niemand soll gezwungen werden [1].",
        llm_model="qwen2.5",
        llm_dropped=2,
    )
    de, en = render_answer(generated, "de"), render_answer(generated, "en")
    label = "Vom Sprachmodell qwen2.5 formuliert – maßgeblich sind die zitierten Textstellen"
    # The label comes before the text, as a heading and as the name of its region.
    assert f'aria-label="{label}"><h2 class="lotse-note">{label}</h2>' in de
    assert de.index(label) < de.index("Niemand soll gezwungen werden")
    assert "2 Sätze ohne Beleg in den Textstellen wurden entfernt." in de
    assert "Worded by the language model qwen2.5" in en and "2 sentences not backed by the passages were removed." in en
    generated.llm_dropped = 0
    assert "ohne Beleg" not in render_answer(generated, "de")


def test_each_card_links_to_its_sentences_marked_in_the_pdf():
    quoted = CitedPassage(1, _hit(), "Charta, S. 8", [(0, 30)])
    de, en = render_card(quoted, "de"), render_card(quoted, "en")
    assert '<a href="/stelle/p1?hl=0-30" target="_blank" rel="noopener">Stelle im PDF zeigen</a>' in de
    assert '<a href="/stelle/p1?hl=0-30&amp;lang=en" target="_blank" rel="noopener">Show in the PDF</a>' in en
    # A search result marks nothing: the view shows the whole passage.
    assert 'href="/stelle/p1"' in render_card(CitedPassage(1, _hit(), "Charta, S. 8"), "de")


def test_passages_lead_with_the_closest_sentence_quoted_and_cited_never_as_an_answer():
    hit = _hit(text="Vorweg. Niemand soll gezwungen werden. Danach.")
    closest = [AnswerSentence("Niemand soll gezwungen werden.", 1, "p1", "8", "8", "2.2", 8, 38)]
    answer = Answer(
        "Muss man?",
        PASSAGES,
        passages=[CitedPassage(1, hit, "Charta, S. 8", [(8, 38)])],
        closest=closest,
        closest_citation="Charta, Abschnitt 2.2, S. 8",
    )
    html = render_answer(answer, "de")
    label = "Am nächsten kommt diese Stelle – keine geprüfte Antwort:"
    assert html.index(label) < html.index("Niemand soll gezwungen werden.") < html.index("Abschnitt 2.2, S. 8")
    assert "lotse-answer" not in html and 'class="lotse-closest"' in html and 'href="#quelle-1"' in html
    assert "The closest passage – not a confirmed answer:" in render_answer(answer, "en")
    # The quote is what the card marks, verbatim.
    assert hit.text[8:38] == closest[0].text and "<mark>Niemand soll gezwungen werden.</mark>" in render_card(
        answer.passages[0], "de"
    )
    # It survives the JSON the app keeps for exports and the thread.
    again = Answer.from_json(answer.to_json())
    assert again.closest == closest and again.closest_citation == answer.closest_citation
    assert answer.text == ""  # never the confirmed answer text


def test_not_covered_offers_a_search_with_the_questions_words_and_the_nearest_chapters():
    answer = Answer(
        "Wie wird das Wetter morgen in Bonn?",
        NOT_COVERED,
        search_words="Wetter morgen Bonn",
        chapters=[
            {"doc_id": "d", "idx": 32, "title": "IV. Der Dialogprozess", "page": "19", "pdf_page": 19, "file": "c.pdf"}
        ],
    )
    html = render_answer(answer, "de")
    assert 'data-goto="search" data-words="Wetter morgen Bonn"' in html
    assert "Mit den Wörtern der Frage suchen: Wetter morgen Bonn" in html
    assert 'href="/dokumente/c.pdf#page=19" data-goto="browse" data-doc="d" data-idx="32"' in html
    assert "IV. Der Dialogprozess (S. 19) im Reiter „Blättern“ lesen" in html
    assert "Read IV. Der Dialogprozess (p. 19) in the “Browse” tab" in render_answer(answer, "en")
