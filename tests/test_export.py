"""Handouts opened in a Markdown viewer that renders HTML: no script, no remote image,
no ``javascript:`` link, whatever the documents, the question or a language model say."""

from __future__ import annotations

import re
import time

from markdown_it import MarkdownIt

from answer.answer import ANSWERED, Answer, AnswerSentence, CitedPassage
from index.search import Hit
from web.export import ExportFolder, handout_markdown
from web.render import pdf_url

HOSTILE = (
    "<script>alert(1)</script> Die Kommune <img src=http://evil.example/p.png onerror=alert(2)> "
    "![Logo](http://evil.example/logo.png) [hier anmelden](javascript:alert(3)) "
    "<a href='javascript:alert(4)'>Link</a> <http://evil.example/auto> & `code` *fett*"
)


def hostile_hit(text: str = HOSTILE) -> Hit:
    return Hit(
        rank=1,
        score=1.0,
        doc_id="x",
        title="Leitfaden <b onmouseover=alert(5)>",
        file="leitfaden [1].pdf",
        page="3",
        page_end="3",
        pdf_page=3,
        pdf_page_end=3,
        section="![s](http://evil.example/s.png)",
        text=text,
        passage_id="x-1",
        section_path=["1. Einleitung <iframe src=http://evil.example>"],
    )


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def assert_inert(html: str) -> None:
    """Only the handout's own structure is markup; everything else is text."""
    tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= {"p", "h1", "h2", "h3", "blockquote", "strong", "em"}, (tags, html)


def test_passage_text_title_and_section_are_inert_in_a_handout():
    item = CitedPassage(1, hostile_hit(), "Leitfaden <b>, S. 3")
    markdown = handout_markdown("Handout <script>x</script>", [item], pdf_url=lambda h: pdf_url(h.file, h.pdf_page))
    html = rendered(markdown)
    assert_inert(html)
    # The reader still sees the words, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Die Kommune" in html
    assert "[hier anmelden](javascript:alert(3))" in html
    assert "/dokumente/leitfaden%20%5B1%5D.pdf#page=3" in markdown


def test_a_generated_answer_is_inert_and_marked_as_generated():
    item = CitedPassage(1, hostile_hit("Niemand soll gezwungen werden."), "Leitfaden, S. 3")
    answer = Answer(
        question="Frage <img src=http://evil.example/q.png>",
        status=ANSWERED,
        sentences=[AnswerSentence("Niemand soll gezwungen werden.", 1, "x-1", "3", "3", "1.")],
        passages=[item],
        mode="llm",
        generated_text="Siehe ![x](http://evil.example/x.png) und [Login](javascript:alert(1)) [1].",
        llm_model="<script>m</script>",
    )
    markdown = handout_markdown("Antwort", [item], answer)
    html = rendered(markdown)
    assert_inert(html)
    assert "Vom Sprachmodell" in html and "formuliert" in html


def test_exports_share_one_folder_and_old_ones_are_pruned():
    folder = ExportFolder(keep_s=60)
    try:
        first = folder.write("# A\n", "antwort")
        second = folder.write("# B\n", "antwort")
        assert first != second and len(list(folder.path.glob("*.md"))) == 2
        folder.prune(now=time.time() + 120)
        assert not list(folder.path.glob("*.md"))
    finally:
        folder.remove()
    assert not folder.path.exists()


def test_a_passages_export_quotes_the_closest_sentence_and_links_absolutely():
    from answer.answer import PASSAGES
    from web.export import document_link

    hit = Hit(
        1, 0.1, "charta", "Charta", "Charta 2021.pdf", "10", "10", 10, 10, "3.1 Zugang", "Vorweg. Bund zahlt.", "p"
    )
    closest = [AnswerSentence("Bund zahlt.", 1, "p", "10", "10", "3.1 Zugang", 8, 19)]
    answer = Answer(
        "Zahlt der Staat?",
        PASSAGES,
        passages=[CitedPassage(1, hit, "Charta, S. 10", [(8, 19)])],
        closest=closest,
        closest_citation="Charta, Abschnitt 3.1, S. 10",
    )
    catalog = {"charta": {}}
    text = handout_markdown(
        "Antwort",
        answer.passages,
        answer,
        pdf_url=lambda h: document_link(catalog[h.doc_id], h.file, h.pdf_page, "https://lotse.stadt.de"),
    )
    assert "Keine geprüfte Antwort – am nächsten kommt diese Stelle:\n\n> Bund zahlt. \\[1\\]" in text
    assert "(Charta, Abschnitt 3.1, S. 10)" in text
    assert "– https://lotse.stadt.de/dokumente/Charta%202021.pdf#page=10" in text
    catalog["charta"] = {"url": "https://www.bbsr.bund.de/charta.pdf"}
    text = handout_markdown(
        "Antwort",
        answer.passages,
        answer,
        pdf_url=lambda h: document_link(catalog[h.doc_id], h.file, h.pdf_page, "https://lotse.stadt.de"),
    )
    assert "– https://www.bbsr.bund.de/charta.pdf#page=10" in text
