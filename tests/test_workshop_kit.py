"""Kit files (reading, writing, every refusal) and resolving a kit against the charter index."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from common.errors import KitError
from workshop.kit import CHARTER_ID, example_kit, kit_to_json, load_kit, resolve, section_items
from workshop.model import Kit, KitItem

GOOD = {
    "format": "charta-lotse-kit",
    "version": 1,
    "title": "Daten im Rathaus",
    "audience": "Verwaltung",
    "minutes": 90,
    "generation": "gen-1",
    "items": [
        {"doc_id": CHARTER_ID, "section": "3.2", "note": "Einstieg"},
        {"doc_id": CHARTER_ID, "passage_id": f"{CHARTER_ID}:0e3fbe5b:025:000", "note": ""},
    ],
}


def kit_text(**changes) -> str:
    data = json.loads(json.dumps(GOOD))
    items = changes.pop("items", None)
    if items is not None:
        data["items"] = items
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data, ensure_ascii=False)


def refused(text: str | bytes) -> KitError:
    with pytest.raises(KitError) as info:
        load_kit(text, name="meine-kit.json")
    exc = info.value
    message = str(exc)
    assert message.startswith("meine-kit.json: ") and "\n" not in message, message
    return exc


def test_kit_file_round_trip():
    kit = load_kit(kit_text())
    assert kit.title == "Daten im Rathaus" and kit.minutes == 90 and kit.generation == "gen-1"
    assert [i.kind for i in kit.items] == ["section", "passage"]
    text = kit_to_json(kit)
    assert load_kit(text) == kit
    assert load_kit(text.encode("utf-8")) == kit
    assert load_kit("\ufeff" + text) == load_kit(b"\xef\xbb\xbf" + text.encode()) == kit  # saved by Notepad
    data = json.loads(text)
    assert data["format"] == "charta-lotse-kit" and data["version"] == 1
    assert "passage_id" not in data["items"][0] and "section" not in data["items"][1]


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        ("{kein json", "not_json", "not valid JSON"),
        ("[]", "format", "charta-lotse-kit"),
        (kit_text(format="other-kit"), "format", "'other-kit'"),
        (kit_text(version=2), "version", "version 2"),
        (kit_text(title=...), "missing_field", "'title'"),
        (kit_text(owner="x"), "extra_field", "'owner'"),
        (kit_text(title=5), "type", "title must be text"),
        (kit_text(title="x" * 201), "too_long", "201 characters, at most 200"),
        (kit_text(items=[{"doc_id": CHARTER_ID, "section": "1", "note": "n" * 2001}]), "too_long", "item 1: note"),
        (kit_text(items=[{"doc_id": CHARTER_ID, "section": "1"}] * 201), "too_many_items", "201 items, at most 200"),
        (kit_text(minutes="90"), "minutes", "'90'"),
        (kit_text(minutes=True), "minutes", "True"),
        (kit_text(minutes=1441), "minutes", "0 to 1440"),
        (kit_text(minutes=-5), "minutes", "-5"),
        (kit_text(items=[{"doc_id": "../../etc/passwd", "section": "1"}]), "bad_id", "'../../etc/passwd'"),
        (kit_text(items=[{"doc_id": "charta..x", "section": "1"}]), "bad_id", "no '..'"),
        (kit_text(items=[{"doc_id": "C:\\charta", "section": "1"}]), "bad_id", "not a plain id"),
        (kit_text(items=[{"doc_id": "charta\u0000", "section": "1"}]), "bad_id", "not a plain id"),
        (
            kit_text(items=[{"doc_id": CHARTER_ID, "passage_id": f"{CHARTER_ID}/../0e3fbe5b:025:000"}]),
            "bad_id",
            "not a passage id",
        ),
        (
            kit_text(items=[{"doc_id": CHARTER_ID, "passage_id": "andere-doc:0e3fbe5b:025:000"}]),
            "bad_id",
            "belongs to document 'andere-doc'",
        ),
        (
            kit_text(items=[{"doc_id": CHARTER_ID, "passage_id": f"{CHARTER_ID}:0e3fbe5b:025:000", "section": "3"}]),
            "item_ids",
            "item 1 has both",
        ),
        (kit_text(items=[{"doc_id": CHARTER_ID, "note": "x"}]), "item_ids", "item 1 has neither"),
        (kit_text(items=[{"section": "3.2"}]), "missing_field", "item 1 lacks the field 'doc_id'"),
        (kit_text(items="3.2"), "type", "items must be a list"),
        ('{"format": "charta-lotse-kit", "format": "x"}', "not_json", "appears twice"),
        ("[" * 100_000, "not_json", "not valid JSON"),
    ],
)
def test_each_refusal_names_the_file_the_reason_and_a_code(text, code, says):
    exc = refused(text)
    assert exc.code == code, str(exc)
    assert says in str(exc)


def test_oversized_and_undecodable_files_are_refused_before_parsing():
    exc = refused(b"{" + b" " * 1_000_000 + b"}")
    assert exc.code == "too_large" and exc.details["limit"] == 1_000_000
    assert "1000002 bytes" in str(exc)
    assert refused(b'{"title": "\xff"}').code == "encoding"


def test_control_characters_and_lone_surrogates_are_removed():
    # As a file holds them: JSON escapes of NUL, BEL, a right-to-left override, a lone surrogate.
    raw = r'"Daten\u0000schutz \u202eim\u0007 Rathaus\ud800"'
    kit = load_kit(kit_text(audience="a\nb").replace('"Daten im Rathaus"', raw))
    assert kit.title == "Datenschutz im Rathaus"
    assert kit.audience == "a b"
    kit = load_kit(kit_text(items=[{"doc_id": CHARTER_ID, "section": "3.2", "note": "Zeile 1\nZeile 2\u0000"}]))
    assert kit.items[0].note == "Zeile 1\nZeile 2"


def test_kit_to_json_refuses_a_kit_it_could_not_read_back():
    with pytest.raises(KitError) as info:
        kit_to_json(Kit(title="x", items=[KitItem(doc_id="../x", section="1")]))
    assert info.value.code == "bad_id"


def test_example_kit_without_an_index_names_sections_only():
    kit = example_kit(None)
    assert kit.title == "Daten verantwortungsvoll nutzen – Einstieg" and kit.minutes == 90
    assert [(i.section, i.passage_id) for i in kit.items] == [("3.2", ""), ("III.f)", "")]
    assert all(i.note for i in kit.items)
    assert load_kit(kit_to_json(kit)) == kit


def _page_text(searcher, doc_id: str) -> str:
    pages = searcher.stored.documents[doc_id]["pages"]
    return " ".join(" ".join(p["text"].split()) for p in pages)


def test_resolve_quotes_verbatim_cites_and_flags_what_is_gone(charter_searcher):
    s = charter_searcher
    kit = example_kit(s)
    assert [i.kind for i in kit.items] == ["section", "passage"]
    gone = f"{CHARTER_ID}:00000000:025:000"  # a passage of an older version of the charter
    kit.items += [
        KitItem(doc_id=CHARTER_ID, passage_id=gone, note="alt"),
        KitItem(doc_id="leitfaden-2019", section="1"),
        KitItem(doc_id=CHARTER_ID, section="9.9"),
        KitItem(doc_id=CHARTER_ID, section="III"),  # a heading without text of its own
        KitItem(doc_id=CHARTER_ID, section="abschnitt 3.3."),
        KitItem(doc_id=CHARTER_ID, section="Vorwort"),
    ]
    ws = resolve(kit, s, today=date(2026, 5, 4))
    assert ws.date == "2026-05-04" and ws.generation == s.generation
    assert [w.item for w in ws.items] == kit.items  # nothing dropped, order kept
    assert [w.found for w in ws.items] == [True, True, False, False, False, False, True, True]
    missing = [w.missing for w in ws.missing]
    assert gone in missing[0] and "neu eingelesen" in missing[0]
    assert "leitfaden-2019" in missing[1]
    assert "9.9" in missing[2] and "3.2" in missing[2]  # names the sections there are
    assert "III.a)" in missing[3]
    assert ws.items[2].item.note == "alt"

    section, passage, sec33, foreword = ws.found
    pages = _page_text(s, CHARTER_ID)
    # A passage item quotes the indexed passage; a section item the whole section.
    row = next(i for i, p in enumerate(s.passages) if p.id == kit.items[1].passage_id)
    assert passage.quote == s.passages[row].text
    assert passage.label == "III.f)" and passage.heading == "Smart-City-Lösungen pilotieren"
    assert passage.quote in passage.context and len(passage.context) > len(passage.quote)
    for item in (section, sec33, foreword):
        own = [p.text for p in s.passages if p.section_path == item.section_path]
        assert own and all(text in item.quote for text in own)
        assert item.quote.startswith(own[0][:40]) and item.quote.endswith(own[-1][-40:])
    for item in ws.found:
        assert re.sub(r"\s", "", "".join(item.sentences)) == re.sub(r"\s", "", item.quote)
        for sentence in item.sentences:
            assert sentence in item.quote
            assert " ".join(sentence.split()) in pages  # the PDF's own page text
        assert item.source is not None and item.source.license
        assert len(item.prompts) == 2 and all(p not in item.quote for p in item.prompts)
        link = urlsplit(item.link)
        assert link.scheme == "https" and link.netloc == "www.bbsr.bund.de"
    assert section.citation == "Smart City Charta (BBSR, Fassung 2021), Abschnitt 3.2, S. 10"
    assert passage.citation == "Smart City Charta (BBSR, Fassung 2021), Abschnitt III.f), S. 16"
    # 3.3 runs over a page break: the citation spans both printed pages.
    assert sec33.label == "3.3" and (sec33.page, sec33.page_end) == ("10", "11")
    assert sec33.citation.endswith("Abschnitt 3.3, S. 10–11")
    assert foreword.label == "Vorwort" and foreword.citation.endswith("Vorwort, S. 2–3")
    printed = {p["pdf_page"]: p["label"] for p in s.stored.documents[CHARTER_ID]["pages"]}
    for item in ws.found:
        assert printed[item.pdf_page] == item.page and printed[item.pdf_page_end] == item.page_end
    assert [src.doc_id for src in ws.sources] == [CHARTER_ID]


def test_prompts_quote_a_recommendation_then_ask_the_group(charter_searcher):
    ws = resolve(example_kit(charter_searcher), charter_searcher)
    section, passage = ws.items
    assert section.prompts[0] == (
        "„Kommunen sollten sich den Zugang zu Daten sichern, die für ihre Aufgabenerfüllung relevant sind, "
        "und die Hoheit über diese Daten behalten.“ Was tut Ihre Kommune hierzu schon, und wer ist bei Ihnen "
        "dafür zuständig?"
    )
    # The passage names Wirtschaft, Forschung and Zivilgesellschaft besides the Kommunen.
    assert any(p.endswith("Wen der Genannten würden Sie in Ihrer Kommune dafür einbinden, und in welcher Rolle?")
               and "Wirtschaft, Forschung und Zivilgesellschaft" in p for p in passage.prompts)  # fmt: skip
    prompts = section.prompts + passage.prompts
    assert len(set(prompts)) == len(prompts) == 4
    assert not any("Daten verantwortungsvoll generieren" in p for p in prompts)  # no heading pasted in


def test_links_get_a_page_anchor_only_for_pdf_urls():
    from workshop.kit import first_url, page_link

    source = "BBSR, Bonn 2021 (https://www.bbsr.bund.de/SharedDocs/charta.pdf?__blob=x), auch http://x.de"
    url = first_url(source)
    assert url == "https://www.bbsr.bund.de/SharedDocs/charta.pdf?__blob=x"
    assert page_link(url, 10) == url + "#page=10"
    assert page_link("https://www.bbsr.bund.de", 10) == "https://www.bbsr.bund.de"
    assert first_url("javascript:alert(1) /static/charta.pdf") == ""


def test_a_whole_chapter_brings_its_subsections(charter_searcher):
    # „III“ has no text of its own; a trainer choosing it means the recommendations a)–l).
    items = section_items(charter_searcher, CHARTER_ID, "III", note="Empfehlungen im Überblick")
    assert [i.section for i in items] == [f"III.{c})" for c in "abcdefghijkl"]
    assert items[0].note == "Empfehlungen im Überblick" and not any(i.note for i in items[1:])
    ws = resolve(Kit("Empfehlungen", items), charter_searcher)
    assert ws.missing == [] and [w.label for w in ws.items] == [i.section for i in items]
    assert [i.section for i in section_items(charter_searcher, CHARTER_ID, "3.2")] == ["3.2"]
    # An unknown label stays one item, which resolve flags instead of dropping.
    unknown = section_items(charter_searcher, CHARTER_ID, "9.9")
    assert [i.section for i in unknown] == ["9.9"]
    assert resolve(Kit("x", unknown), charter_searcher).items[0].missing


def test_a_kit_of_many_fields_is_refused_for_their_number_and_a_repeated_one_named():
    """The duplicate-field check was quadratic (a 430 kB kit of 40,000 fields: 40 s of
    CPU): fields are now counted before anything else, and a repeat found in one pass."""
    fields = ", ".join(f'"k{i}": 0' for i in range(5_000))
    exc = refused('{"format": "charta-lotse-kit", "version": 1, ' + fields + "}")
    assert exc.code == "too_many_fields" and exc.details["limit"] == 64, str(exc)
    assert "5002 fields, at most 64 allowed" in str(exc)
    items = ", ".join(f'{{"doc_id": "d{i}", "section": "1", "section": "2"}}' for i in range(150))
    exc = refused(kit_text().replace('"items": [', '"items": [' + items + ", ", 1))
    assert exc.code == "not_json" and "the field 'section' appears twice" in str(exc)
