"""What the page's controls do, called without Gradio (web/handlers.py)."""

from __future__ import annotations

import pytest

from web import handlers as h
from web.handlers import Refused
from web.i18n import t


def test_a_refusal_speaks_the_pages_language():
    with pytest.raises(Refused) as de:
        h.clean_text("   ", "de", "empty_question")
    with pytest.raises(Refused) as en:
        h.entry([{"passage_id": "a"}], None, "en")
    assert de.value.lang == "de" and "Frage" in str(de.value)
    assert en.value.lang == "en" and str(en.value).endswith("?")
    with pytest.raises(Refused) as off:
        h.record_feedback(None, 1, {"question": "x"}, "", 1, "en", "127.0.0.1")
    assert str(off.value) == t("feedback_off", "en") and off.value.lang == "en"


def test_the_thread_keeps_the_last_answers_of_one_conversation():
    earlier = [{"n": i} for i in range(h.MAX_THREAD)]
    assert h.thread_after(earlier, {"n": "new"}, ["q"])[-1] == {"n": "new"}
    assert len(h.thread_after(earlier, {"n": "new"}, ["q"])) == h.MAX_THREAD
    assert h.thread_after(earlier, {"n": "new"}, []) == []  # a new conversation
    assert h.goto_target('{"goto": "browse", "doc": "d", "idx": 3}') == {"goto": "browse", "doc": "d", "idx": 3}
    assert h.goto_target("") == {} and h.goto_target("[]") is None


@pytest.fixture(scope="module")
def lotse(charter_index):
    from index.live import LiveSearcher

    return h.Lotse(charter_index, LiveSearcher(charter_index))


def test_search_results_are_collected_once_each(lotse):
    hits = lotse.search("Wer schützt die Daten der Bürger?", None, None, 5, "de")
    body, data, choices = h.search_view(hits, "de")
    assert body.count('class="lotse-card"') == 5 and len(data) == 5
    assert [c[1] for c in choices] == [d["passage_id"] for d in data]
    chosen = [data[0]["passage_id"], data[2]["passage_id"]]
    coll, status = h.collect(chosen, data, [], "de")
    assert [c["passage_id"] for c in coll] == chosen and all(c["note"] == "" for c in coll)
    assert 'role="status"' in status and "2" in status
    again, status = h.collect(chosen, data, coll, "en")
    assert again == coll
    assert "no" in status.lower()
    labels = [label for label, _ in h.collection_choices(coll, "de")]
    assert labels[0].startswith("[1] ") and labels[1].startswith("[2] ") and "S." in labels[0]


def test_a_wrong_number_of_results_is_refused_in_english(lotse):
    with pytest.raises(Refused) as exc:
        lotse.search("Daten", None, None, "viele", "en")
    assert exc.value.lang == "en" and "viele" in str(exc.value)
    with pytest.raises(Refused):
        lotse.search("Daten", None, None, h.MAX_K + 1, "de")
    with pytest.raises(Refused):
        lotse.answer("Daten?", [], "de", doc_ids=["kein-solches-dokument"])


def test_the_table_of_contents_links_each_section(lotse):
    doc_id = lotse.doc_choices()[0][1]
    sections = lotse.sections(doc_id)
    html = h.toc_html(lotse, doc_id, "en")
    assert html.count('data-goto="browse"') == len(sections) > 5
    assert h.browsed(lotse, doc_id, None, "en") == html
    body, examples = lotse.section_text(doc_id, sections[3]["idx"], "de")
    assert h.browsed(lotse, doc_id, sections[3]["idx"], "de") == body
    assert len(examples) >= 2 and all(e.endswith("?") for e in examples)
    assert [idx for _, idx in h.toc_choices(lotse, doc_id)] == [s["idx"] for s in sections]
