"""HTML of the page's dynamic parts: answers, passage cards, sections, the collection.

Pure functions of library values, testable without Gradio. Every text that comes from
a document, a question or a language model is escaped here.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from answer.answer import ANSWERED, NOT_COVERED, PASSAGES, Answer, CitedPassage
from answer.cite import citation_in, document_name, page_label
from web.i18n import t

PDF_ROUTE = "/dokumente"


def esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def pdf_url(file: str, page: int) -> str:
    """The one way to link a served PDF at a page; the name is fully URL-encoded.

    >>> pdf_url("Leitfaden #2 (100%).pdf", 7)
    '/dokumente/Leitfaden%20%232%20%28100%25%29.pdf#page=7'
    """
    return f"{PDF_ROUTE}/{quote(file, safe='')}#page={int(page)}"


def highlighted(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> str:
    """``text`` escaped, with ``<mark>`` around each span.

    >>> highlighted("a <b> c", [(2, 5)])
    'a <mark>&lt;b&gt;</mark> c'
    """
    out, pos = [], 0
    for start, end in sorted((int(a), int(b)) for a, b in spans):
        if start < pos or start < 0:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def render_card(item: CitedPassage, lang: str, numbered: bool = True) -> str:
    # Imported here: web.sourceview builds on this module (esc, pdf_url).
    from web.sourceview import source_url

    hit = item.hit
    head = f"[{item.marker}] " if numbered else ""
    section = " › ".join(hit.section_path) if hit.section_path else hit.section
    link = t("open_pdf", lang, page=hit.page)
    view = source_url(hit.passage_id, item.highlights, lang)
    return (
        f'<article class="lotse-card" id="quelle-{item.marker}" lang="de">'
        f"<h3>{esc(head + document_name(hit))}</h3>"
        f'<p class="meta">{esc(section)} · {esc(page_label(hit, lang))}</p>'
        f"<blockquote>{highlighted(hit.text, item.highlights)}</blockquote>"
        f'<p><a href="{esc(pdf_url(hit.file, hit.pdf_page))}" target="_blank" '
        f'rel="noopener">{esc(link)}</a> · <a href="{esc(view)}" target="_blank" '
        f'rel="noopener">{esc(t("show_in_pdf", lang))}</a></p>'
        f"<p>{esc(t('citation', lang))}: <code>{esc(citation_in(item.citation, lang))}</code></p>"
        "</article>"
    )


def render_answer(answer: Answer, lang: str) -> str:
    """The answer box: the answer, or why there is none; each outcome looks different."""
    # The question stays above its answer, as in the thread of earlier turns.
    parts = [f'<h2 class="lotse-asked">{esc(t("question", lang))}: {esc(answer.question)}</h2>']
    if answer.followup:
        parts.append(f'<p class="lotse-note">{esc(t("followup_note", lang, query=answer.query))}</p>')
    if answer.named:
        # Said first: an outcome found in one document is not one of all of them.
        names = "; ".join(f'<span lang="de">{esc(n)}</span>' for n in answer.named)
        parts.append(f'<p class="lotse-note">{esc(t("named_docs", lang, docs="{docs}")).format(docs=names)}</p>')
    if answer.status == NOT_COVERED:
        parts.append(
            f'<div class="lotse-notice" role="status"><p><strong>'
            f"{esc(t('not_covered', lang))}</strong></p>"
            f"<p>{esc(t('not_covered_next', lang))}</p>{_elsewhere(answer, lang)}</div>"
        )
        return "".join(parts)
    if answer.status == PASSAGES:
        # Asked how much or which ones, and the passages do not say: said first.
        lacking = f"<p>{esc(t('lacks_' + answer.lacks, lang))}</p>" if answer.lacks else ""
        if answer.closest:
            # The span judge's pick leads, verbatim with its citation, under a label that
            # says what it is: the closest passage, not a confirmed answer.
            quote = " ".join(esc(" ".join(s.text.split())) for s in answer.closest)
            marker = _marker(answer.closest[0].marker, answer, lang)
            lead = (
                f"<p><strong>{esc(t('closest_label', lang))}</strong></p>"
                f'<blockquote class="lotse-closest" lang="de"><p>{quote} {marker}</p></blockquote>'
                f'<p class="lotse-closest-cite">{esc(citation_in(answer.closest_citation, lang))}</p>'
            )
        else:
            lead = f"<p><strong>{esc(t('passages_intro', lang))}</strong></p>"
        parts.append(
            f'<div class="lotse-passages" role="status">{lead}{lacking}<p>{esc(t("passages_note", lang))}</p></div>'
        )
        return "".join(parts)
    if answer.mode == "llm":
        text = esc(answer.generated_text)
        text = re.sub(
            r"\[(\d+(?:, \d+)*)\]",
            lambda m: " ".join(_marker(int(n), answer, lang) for n in m.group(1).split(", ")),
            text,
        )
        # Said before the text and as the region's name, so that neither a reader nor a
        # screen reader takes the model's wording for a quotation from the documents.
        label = esc(t("llm_label", lang, model=answer.llm_model))
        parts.append(
            f'<section class="lotse-generated" aria-label="{label}"><h2 class="lotse-note">{label}</h2>'
            f'<div class="lotse-answer" lang="de"><p>{text}</p></div></section>'
        )
        notes = []
        if answer.llm_dropped:
            key = "llm_dropped_one" if answer.llm_dropped == 1 else "llm_dropped"
            notes.append(t(key, lang, n=answer.llm_dropped))
        if answer.llm_removed:
            notes.append(t("llm_removed", lang, markers=", ".join(answer.llm_removed)))
        if answer.llm_unquoted:
            notes.append(t("llm_unquoted", lang))
        if notes:
            parts.append(f'<p class="lotse-note" role="status">{esc(" ".join(notes))}</p>')
        return "".join(parts)
    sentences = " ".join(f"{esc(' '.join(s.text.split()))} {_marker(s.marker, answer, lang)}" for s in answer.sentences)
    parts.append(f'<div class="lotse-answer" lang="de"><p>{sentences}</p></div>')
    parts.append(f'<p class="lotse-note">{esc(t("extractive_note", lang))}</p>')
    if answer.llm_error:
        parts.append(f'<p class="lotse-note" role="status">{esc(t("llm_fallback", lang, reason=answer.llm_error))}</p>')
    return "".join(parts)


def _elsewhere(answer: Answer, lang: str) -> str:
    """Where to look when the documents do not answer: a search with the question's
    words, and the nearest chapters; the links are followed in the page (web/static/app.js),
    and a chapter link without script opens the PDF at its page."""
    out = []
    if answer.search_words:
        out.append(
            f'<p><a class="lotse-goto" href="#suche" data-goto="search" data-words="{esc(answer.search_words)}">'
            f"{esc(t('search_words', lang, words=answer.search_words))}</a></p>"
        )
    if answer.chapters:
        items = "".join(
            f'<li><a class="lotse-goto" href="{esc(pdf_url(c["file"], c["pdf_page"]))}" data-goto="browse" '
            f'data-doc="{esc(c["doc_id"])}" data-idx="{int(c["idx"])}">'
            f"{esc(t('open_in_browse', lang, chapter=c['title'], page=t('page', lang) + ' ' + str(c['page'])))}"
            "</a></li>"
            for c in answer.chapters
        )
        out.append(f"<p>{esc(t('nearest_chapters', lang))}</p><ul>{items}</ul>")
    return "".join(out)


def _marker(n: int, answer: Answer, lang: str = "de") -> str:
    """``[n]`` as a link to its card, with the citation as a preview on hover and focus
    (and as part of the link's name for a screen reader).

    >>> from answer.answer import Answer
    >>> _marker(2, Answer("Frage", "answered"))
    '<a class="marker" href="#quelle-2">[2]</a>'
    """
    item = next((p for p in answer.passages if p.marker == n), None)
    cited = citation_in(item.citation, lang) if item else ""
    preview = f'<span class="lotse-preview" role="tooltip"> {esc(cited)}</span>' if item else ""
    return f'<a class="marker" href="#quelle-{n}">[{n}]{preview}</a>'


_MARKERS = re.compile(r" ?\[\d+(?:, \d+)*\]")


def render_thread(answers: list[Answer], lang: str) -> str:
    """Earlier questions and answers of the conversation, oldest first. Their markers
    would point at cards no longer shown, so each sentence names its source in full.

    >>> from answer.answer import Answer
    >>> print(render_thread([Answer("Wer zahlt?", "not_covered")], "de"))  # doctest: +ELLIPSIS
    <section class="lotse-thread" aria-label="Bisherige Unterhaltung"><h2>Bisherige Unterhaltung</h2><article ...
    """
    if not answers:
        return ""
    title = esc(t("thread", lang))
    turns = []
    for a in answers:
        if a.status == ANSWERED and a.mode == "llm":
            body = f"<p>{esc(_MARKERS.sub('', a.generated_text))}</p>"
        elif a.status == ANSWERED:
            cites = {p.marker: citation_in(p.citation, lang) for p in a.passages}
            body = "".join(
                f'<p lang="de">{esc(" ".join(s.text.split()))} '
                f'<span class="lotse-source">({esc(cites.get(s.marker, ""))})</span></p>'
                for s in a.sentences
            )
        elif a.status == PASSAGES and a.closest:
            quote = " ".join(" ".join(s.text.split()) for s in a.closest)
            body = (
                f"<p>{esc(t('closest_label', lang))}</p>"
                f'<blockquote lang="de"><p>{esc(quote)} '
                f'<span class="lotse-source">({esc(citation_in(a.closest_citation, lang))})</span></p></blockquote>'
            )
        elif a.status == PASSAGES:
            body = f"<p>{esc(t('passages_intro', lang))}</p>"
        else:
            body = f"<p>{esc(t('not_covered', lang))}</p>"
        turns.append(
            f'<article class="lotse-turn"><h3>{esc(t("question", lang))}: {esc(a.question)}</h3>{body}</article>'
        )
    return f'<section class="lotse-thread" aria-label="{title}"><h2>{title}</h2>{"".join(turns)}</section>'


def render_cards(answer: Answer, lang: str) -> str:
    if not answer.passages:
        return ""
    title = t("sources", lang) if answer.status == ANSWERED else t("closest", lang)
    cards = "".join(render_card(p, lang) for p in answer.passages)
    return f'<section aria-label="{esc(title)}"><h2>{esc(title)}</h2>{cards}</section>'


def render_collection(items: list[CitedPassage], lang: str, notes: list[str] | None = None) -> str:
    """The collected passages in their order, each with the trainer's note.

    >>> render_collection([], "de")
    '<p>Noch keine Textstellen gesammelt. Wählen Sie unter einer Antwort oder in der Suche Textstellen aus.</p>'
    """
    if not items:
        return f"<p>{esc(t('collection_empty', lang))}</p>"
    notes = notes or [""] * len(items)
    cards = "".join(
        render_card(i, lang)
        + (f'<p class="lotse-note"><strong>{esc(t("note", lang))}:</strong> {esc(note)}</p>' if note else "")
        for i, note in zip(items, notes, strict=False)
    )
    return f"<p>{esc(t('collected', lang, n=len(items)))}</p>" + cards


def render_section(
    title: str,
    pieces: list[dict[str, Any]],
    file: str,
    lang: str,
    subsections: list[dict[str, Any]] | None = None,
) -> str:
    """A section's text, page by page, each page linked to the PDF; a chapter also lists
    its subsections, so that its entry shows more than a title.

    ``pieces``: ``{"pdf_page", "label", "text"}`` in reading order; ``subsections``:
    ``{"title", "page", "pdf_page"}``.

    >>> print(render_section("3. Digitale Transformation", [], "c.pdf", "de",
    ...                      [{"title": "3.1 Ziele", "page": "9", "pdf_page": 9}]))  # doctest: +ELLIPSIS
    <h2>3. Digitale Transformation</h2><h3>Unterabschnitte</h3><ul><li>3.1 Ziele – <a ...#page=9" ...>S. 9</a></li></ul>
    """
    parts = [f"<h2>{esc(title)}</h2>"]
    for piece in pieces:
        parts.append(
            f'<p><a class="pageref" href="{esc(pdf_url(file, piece["pdf_page"]))}" '
            f'target="_blank" rel="noopener">{esc(t("page", lang))} '
            f"{esc(piece['label'])}</a></p>"
            f'<div class="lotse-section" lang="de">{esc(piece["text"].strip())}</div>'
        )
    if subsections:
        items = "".join(
            f'<li>{esc(s["title"])} – <a class="pageref" href="{esc(pdf_url(file, s["pdf_page"]))}" '
            f'target="_blank" rel="noopener">{esc(t("page", lang))} {esc(s["page"])}</a></li>'
            for s in subsections
        )
        parts.append(f"<h3>{esc(t('subsections', lang))}</h3><ul>{items}</ul>")
    return "".join(parts)
