"""Kit files: reading and writing them, and resolving a kit against an open index.

A kit file is JSON::

    {"format": "charta-lotse-kit", "version": 1, "title": "…", "audience": "…",
     "minutes": 90, "generation": "gen-…",
     "items": [{"doc_id": "smart-city-charta-2021", "section": "3.2", "note": "…"},
               {"doc_id": "smart-city-charta-2021",
                "passage_id": "smart-city-charta-2021:0e3fbe5b:025:000", "note": ""}]}

:func:`load_kit` refuses a file it cannot trust with a :class:`~common.errors.KitError`
whose ``code`` is one of:

``too_large``       over 1 MB (``details``: size, limit)
``encoding``        not UTF-8
``not_json``        not parseable JSON (or nested absurdly deep)
``format``          not a Charta-Lotse kit (``format`` missing or different)
``version``         a kit version this code does not read
``missing_field``   a required field is absent (``details``: field, item)
``extra_field``     a field this version does not know (``details``: field, item)
``type``            a field has the wrong JSON type (``details``: field, item, expected)
``too_long``        a text over its limit (``details``: field, item, limit)
``too_many_items``  over 200 items (``details``: count, limit)
``bad_id``          a doc_id or passage_id that is not a plain id (``details``: field, item, value)
``minutes``         minutes not a whole number from 0 to 1440 (``details``: value)
``item_ids``        an item with both or neither of passage_id and section (``details``: item)

``details["item"]`` is the 1-based item number (0 for the kit's own fields). Control
characters (except line breaks and tabs in notes), bidirectional overrides and lone
surrogates are removed from the texts before the limits are checked.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from answer.cite import citation, section_label
from common.errors import KitError
from index.search import Hit, Searcher
from ingest.structure import heading_label
from workshop.model import KIT_FORMAT, KIT_VERSION, Kit, KitItem, Source, Workshop, WorkshopItem
from workshop.prompts import discussion_prompts

MAX_BYTES = 1_000_000
MAX_ITEMS = 200
MAX_FIELDS = 64  # per object: a kit has 7 fields, an item 4
LIMITS = {"title": 200, "audience": 200, "note": 2000, "generation": 200, "section": 300}
MAX_MINUTES = 1440

DOC_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
# As ingest.passages makes them: doc id, first 8 hex digits of the PDF's SHA-256, section
# and position numbers (zero-padded to 3 digits, longer in very long documents).
PASSAGE_ID = re.compile(r"(?P<doc>[a-z0-9][a-z0-9._-]{0,99}):(?P<sha>[0-9a-f]{8}):[0-9]{3,6}:[0-9]{3,6}")

_KIT_FIELDS = {"format", "version", "title", "audience", "minutes", "generation", "items"}
_REQUIRED = ("format", "version", "title", "items")
_ITEM_FIELDS = {"doc_id", "passage_id", "section", "note"}
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^]+", re.IGNORECASE)

CHARTER_ID = "smart-city-charta-2021"


def kit_to_json(kit: Kit) -> str:
    """The kit as a kit file (pretty JSON). A kit that :func:`load_kit` would refuse
    raises :class:`KitError` here, so no file is saved that cannot be read back."""
    data = {
        "format": KIT_FORMAT,
        "version": KIT_VERSION,
        "title": kit.title,
        "audience": kit.audience,
        "minutes": kit.minutes,
        "generation": kit.generation,
        "items": [_item_json(item) for item in kit.items],
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    load_kit(text, name="kit")
    return text


def _item_json(item: KitItem) -> dict[str, str]:
    out = {"doc_id": item.doc_id}
    if item.passage_id:
        out["passage_id"] = item.passage_id
    if item.section:
        out["section"] = item.section
    out["note"] = item.note
    return out


def load_kit(text: str | bytes, name: str = "kit") -> Kit:
    """Read a kit file; raises :class:`KitError` (one line naming ``name``) if it is not
    one this version can use.

    >>> kit = load_kit('{"format": "charta-lotse-kit", "version": 1, "title": "Daten", '
    ...                '"items": [{"doc_id": "charta", "section": "3.2"}]}')
    >>> kit.title, kit.items[0].kind, kit.minutes
    ('Daten', 'section', 0)
    >>> load_kit('{"format": "charta-lotse-kit", "version": 1, "title": "x", '
    ...          '"items": [{"doc_id": "../etc", "section": "1"}]}', "a.json")
    Traceback (most recent call last):
    common.errors.KitError: a.json: item 1: doc_id '../etc' is not a plain id (allowed: a-z, 0-9, '.', '_', '-'; ...
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise KitError(
            name, f"the file has {size} bytes, more than {MAX_BYTES}", "too_large", size=size, limit=MAX_BYTES
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise KitError(name, f"not UTF-8 text (byte {exc.start})", "encoding") from None
    try:
        data = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=_no_duplicates)
    except _TooManyFields as exc:
        raise KitError(name, str(exc), "too_many_fields", limit=MAX_FIELDS) from None
    except (ValueError, RecursionError) as exc:
        raise KitError(name, f"not a kit file: not valid JSON ({_short(exc)})", "not_json") from None
    if not isinstance(data, dict) or data.get("format") != KIT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise KitError(name, f"not a kit file: format is {found!r}, expected {KIT_FORMAT!r}", "format")
    if data.get("version") != KIT_VERSION or isinstance(data.get("version"), bool):
        raise KitError(
            name,
            f"kit version {data.get('version')!r} cannot be read; this version reads {KIT_VERSION}",
            "version",
            version=data.get("version"),
        )
    _check_fields(name, data, _KIT_FIELDS, _REQUIRED, 0)
    minutes = data.get("minutes", 0)
    if type(minutes) is not int or not 0 <= minutes <= MAX_MINUTES:
        raise KitError(
            name, f"minutes {minutes!r} is not a whole number from 0 to {MAX_MINUTES}", "minutes", value=minutes
        )
    items = data["items"]
    if not isinstance(items, list):
        raise KitError(name, "items must be a list", "type", field="items", item=0, expected="list")
    if len(items) > MAX_ITEMS:
        raise KitError(
            name,
            f"{len(items)} items, at most {MAX_ITEMS} allowed",
            "too_many_items",
            count=len(items),
            limit=MAX_ITEMS,
        )
    return Kit(
        title=_text(name, data, "title", 0),
        audience=_text(name, data, "audience", 0),
        minutes=minutes,
        generation=_text(name, data, "generation", 0),
        items=[_load_item(name, raw, n) for n, raw in enumerate(items, start=1)],
    )


def _load_item(name: str, raw: Any, n: int) -> KitItem:
    if not isinstance(raw, dict):
        raise KitError(name, f"item {n} must be an object", "type", field="item", item=n, expected="object")
    _check_fields(name, raw, _ITEM_FIELDS, ("doc_id",), n)
    doc_id = raw["doc_id"]
    if not isinstance(doc_id, str):
        raise KitError(name, f"item {n}: doc_id must be text", "type", field="doc_id", item=n, expected="string")
    if not DOC_ID.fullmatch(doc_id) or ".." in doc_id:
        raise KitError(
            name,
            f"item {n}: doc_id {_shown(doc_id)} is not a plain id (allowed: a-z, 0-9, '.', '_', '-'; "
            "up to 100 characters, no '..')",
            "bad_id",
            field="doc_id",
            item=n,
            value=doc_id,
        )
    has_passage, has_section = "passage_id" in raw, "section" in raw
    if has_passage == has_section:
        which = "both" if has_passage else "neither"
        raise KitError(name, f"item {n} has {which} of passage_id and section; give exactly one", "item_ids", item=n)
    passage_id = section = ""
    if has_passage:
        passage_id = raw["passage_id"]
        if not isinstance(passage_id, str):
            raise KitError(
                name, f"item {n}: passage_id must be text", "type", field="passage_id", item=n, expected="string"
            )
        m = PASSAGE_ID.fullmatch(passage_id)
        if not m or ".." in passage_id:
            raise KitError(
                name,
                f"item {n}: passage_id {_shown(passage_id)} is not a passage id "
                "(DOC_ID:HASH:SECTION:POSITION, e.g. smart-city-charta-2021:0e3fbe5b:025:000)",
                "bad_id",
                field="passage_id",
                item=n,
                value=passage_id,
            )
        if m.group("doc") != doc_id:
            raise KitError(
                name,
                f"item {n}: passage_id {passage_id!r} belongs to document {m.group('doc')!r}, not {doc_id!r}",
                "bad_id",
                field="passage_id",
                item=n,
                value=passage_id,
            )
    else:
        section = " ".join(_text(name, raw, "section", n).split())
        if not section:
            raise KitError(name, f"item {n}: section is empty", "item_ids", item=n)
    return KitItem(doc_id=doc_id, passage_id=passage_id, section=section, note=_text(name, raw, "note", n))


def _check_fields(name: str, data: dict[str, Any], allowed: set[str], required: Sequence[str], n: int) -> None:
    where = f"item {n}" if n else "the kit"
    for key in required:
        if key not in data:
            raise KitError(name, f"{where} lacks the field {key!r}", "missing_field", field=key, item=n)
    extra = sorted(set(data) - allowed)
    if extra:
        raise KitError(
            name,
            f"{where} has the unknown field {_shown(extra[0])}; allowed: {sorted(allowed)}",
            "extra_field",
            field=extra[0],
            item=n,
        )


def _text(name: str, data: dict[str, Any], key: str, n: int) -> str:
    value = data.get(key, "")
    where = f"item {n}: " if n else ""
    if not isinstance(value, str):
        raise KitError(name, f"{where}{key} must be text", "type", field=key, item=n, expected="string")
    value = clean_text(value, keep_lines=key == "note")
    if len(value) > LIMITS[key]:
        raise KitError(
            name,
            f"{where}{key} has {len(value)} characters, at most {LIMITS[key]} allowed",
            "too_long",
            field=key,
            item=n,
            limit=LIMITS[key],
        )
    return value


def clean_text(text: str, keep_lines: bool = False) -> str:
    """``text`` without control characters, bidirectional overrides and lone surrogates;
    line breaks and tabs stay where ``keep_lines``.

    >>> clean_text("Daten\\x00 \\u202eschutz\\ud800"), clean_text("a\\nb", keep_lines=True)
    ('Daten schutz', 'a\\nb')
    """
    keep = "\n\t" if keep_lines else ""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in keep:
            out.append(ch)
        elif cat == "Cs" or ch in _BIDI:
            continue
        elif cat == "Cc":
            out.append(" " if ch in "\n\r\t" else "")
        else:
            out.append(ch)
    return "".join(out).replace("\r\n", "\n").strip()


class _TooManyFields(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object of ``pairs``; a ValueError for a field given twice or too many fields.
    Linear: a file of 100,000 fields must not cost minutes of CPU.

    >>> _no_duplicates([("a", 1), ("b", 2), ("a", 3)])
    Traceback (most recent call last):
    ValueError: the field 'a' appears twice
    """
    if len(pairs) > MAX_FIELDS:
        raise _TooManyFields(f"an object has {len(pairs)} fields, at most {MAX_FIELDS} allowed")
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the field {_shown(dup)} appears twice")
    return data


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


# Resolving ------------------------------------------------------------------------------


def resolve(kit: Kit, searcher: Searcher, today: date | None = None) -> Workshop:
    """Look every item of ``kit`` up in the index. An item that cannot be found (an
    unknown document, a passage id of an older version of a document, a section label
    the document does not have) stays in the list, flagged with ``missing``."""
    items = []
    asked: set[str] = set()  # the prompts' questions so far: none twice while others are left
    for entry in kit.items:
        item = _resolve_item(entry, searcher)
        if item.found:
            item.prompts = discussion_prompts(item, asked)
        items.append(item)
    return Workshop(kit=kit, items=items, date=(today or date.today()).isoformat(), generation=searcher.generation)


def source_of(searcher: Searcher, doc_id: str) -> Source | None:
    """The catalog's description of a document in the index (``None`` if not indexed)."""
    doc = searcher.documents.get(doc_id)
    if doc is None:
        return None
    text = str(doc.get("source", ""))
    direct = first_url(str(doc.get("url", "")))
    return Source(
        doc_id=doc_id,
        title=str(doc.get("title", doc_id)),
        publisher=str(doc.get("publisher", "")),
        edition=str(doc.get("edition", "")),
        year=str(doc.get("year", "")),
        source=text,
        url=direct or first_url(text),
        direct=bool(direct),
        license=str(doc.get("license", "")),
    )


def first_url(text: str) -> str:
    """The first http(s) URL in a catalog ``source`` text, without trailing punctuation.

    >>> first_url("BBSR, Bonn 2021; https://www.bbsr.bund.de/charta.pdf."), first_url("BBSR, Bonn")
    ('https://www.bbsr.bund.de/charta.pdf', '')
    """
    m = _URL.search(text)
    return m.group(0).rstrip(".,;:!?)]") if m else ""


def page_link(url: str, pdf_page: int) -> str:
    """``url`` with ``#page=N`` where it names a PDF file; other pages have no page anchor.

    >>> page_link("https://x.de/charta.PDF", 10), page_link("https://www.bbsr.bund.de", 10)
    ('https://x.de/charta.PDF#page=10', 'https://www.bbsr.bund.de')
    """
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.path.lower().endswith(".pdf") and pdf_page > 0 and not parts.fragment:
        return f"{url}#page={pdf_page}"
    return url


def heading_text(title: str) -> str:
    """A heading without its number.

    >>> heading_text("3.2 Daten verantwortungsvoll generieren"), heading_text("f) Pilotieren"), heading_text("Vorwort")
    ('Daten verantwortungsvoll generieren', 'Pilotieren', 'Vorwort')
    """
    label = heading_label(title)
    return title if label == title else title[len(label) :].strip()


def _norm_label(label: str) -> str:
    """Section labels compared the way a reader writes them: ``Abschnitt 3.2.``, ``iii.f)``
    and ``III.f)`` are the same."""
    label = re.sub(r"^\s*(abschnitt|kapitel|section)\s+", "", label, flags=re.IGNORECASE)
    return re.sub(r"\s+", "", label).rstrip(".").casefold()


def _resolve_item(entry: KitItem, searcher: Searcher) -> WorkshopItem:
    source = source_of(searcher, entry.doc_id)
    if source is None:
        return WorkshopItem(item=entry, missing=f"Das Dokument „{entry.doc_id}“ ist nicht (mehr) im Index.")
    if entry.passage_id:
        row = searcher.row_of(entry.passage_id)
        if row is None:
            sha = str(searcher.documents[entry.doc_id].get("sha256", ""))
            changed = bool(sha) and entry.passage_id.split(":")[1] != sha[:8]
            why = " Das Dokument wurde seitdem neu eingelesen." if changed else ""
            return WorkshopItem(
                item=entry,
                source=source,
                missing=f"Die Textstelle {entry.passage_id} gibt es im Index nicht mehr.{why}",
            )
        return _passage_item(entry, searcher, row, source)
    return _section_item(entry, searcher, source)


def _section_text(searcher: Searcher, sentence_rows: Sequence[int]) -> str:
    parts = []
    for n, r in enumerate(sentence_rows):
        s = searcher.sentences[r]
        parts.append(s.text if n == len(sentence_rows) - 1 else s.text + s.sep)
    return "".join(parts)


def _passage_item(entry: KitItem, searcher: Searcher, row: int, source: Source) -> WorkshopItem:
    hit = searcher.passage_hit(row)
    sentence_rows = searcher.sentence_rows(hit)
    section_rows = searcher.section_sentence_rows(sentence_rows[0])
    return _found(
        entry,
        hit,
        source,
        quote=hit.text,
        sentences=[searcher.sentences[r].text for r in sentence_rows],
        context=_section_text(searcher, section_rows),
    )


def section_items(searcher: Searcher, doc_id: str, label: str, note: str = "") -> list[KitItem]:
    """Kit items for section ``label`` and everything under it, in reading order: what a
    trainer means by choosing a whole chapter („III“: its introduction, if it has one, and
    the recommendations III.a)–l)). Headings without text of their own are left out; a
    label the document does not have comes back as one item, which :func:`resolve` flags.
    The note goes with the first item.
    """
    sections = searcher.stored.documents.get(doc_id, {}).get("sections", [])
    title = searcher.documents.get(doc_id, {}).get("title", "")
    match = _by_label(sections, label, title)
    if match is None:
        return [KitItem(doc_id=doc_id, section=label, note=note)]
    path = list(match["path"])
    labels = [
        section_label(s["path"], title)
        for s in sections
        if list(s["path"][: len(path)]) == path and len(searcher.section_rows(doc_id, s["idx"])[1])
    ]
    items = [KitItem(doc_id=doc_id, section=x) for x in dict.fromkeys(labels) if x]
    if not items:
        return [KitItem(doc_id=doc_id, section=label, note=note)]
    items[0].note = note
    return items


def _by_label(sections: list[dict[str, Any]], label: str, title: str) -> dict[str, Any] | None:
    """The section a reader's label names (``3.2``, ``III.f)``, ``Vorwort``), or None."""
    wanted = _norm_label(label)
    return next((s for s in sections if _norm_label(section_label(s["path"], title)) == wanted), None)


def _section_item(entry: KitItem, searcher: Searcher, source: Source) -> WorkshopItem:
    sections = searcher.stored.documents.get(entry.doc_id, {}).get("sections", [])
    labels = [section_label(s["path"], source.title) for s in sections]
    match = _by_label(sections, entry.section, source.title)
    if match is None:
        known = ", ".join(label for label in labels if label)
        return WorkshopItem(
            item=entry,
            source=source,
            missing=f"Abschnitt „{entry.section}“ gibt es in „{source.title}“ nicht (vorhanden: {known}).",
        )
    passage_rows, sentence_rows = searcher.section_rows(entry.doc_id, match["idx"])
    if not sentence_rows or not passage_rows:
        path = list(match["path"])
        subs = [
            label
            for s, label in zip(sections, labels)
            if len(s["path"]) > len(path) and list(s["path"][: len(path)]) == path
        ]
        hint = f"; seine Unterabschnitte: {', '.join(subs)}" if subs else ""
        return WorkshopItem(
            item=entry,
            source=source,
            missing=f"Abschnitt „{entry.section}“ hat keinen eigenen Text{hint}.",
        )
    head, tail = searcher.sentences[sentence_rows[0]], searcher.sentences[sentence_rows[-1]]
    quote = _section_text(searcher, sentence_rows)
    hit = dataclasses.replace(
        searcher.passage_hit(passage_rows[0]),
        page=head.page,
        page_end=tail.page_end,
        pdf_page=head.pdf_page,
        pdf_page_end=tail.pdf_page_end,
        text=quote,
    )
    return _found(
        entry,
        hit,
        source,
        quote=quote,
        sentences=[searcher.sentences[r].text for r in sentence_rows],
        context=quote,
    )


def _found(entry: KitItem, hit: Hit, source: Source, quote: str, sentences: list[str], context: str) -> WorkshopItem:
    path = list(hit.section_path)
    return WorkshopItem(
        item=entry,
        source=source,
        section_path=path,
        label=section_label(path, source.title),
        heading=heading_text(path[-1]) if path else "",
        quote=quote,
        sentences=sentences,
        page=hit.page,
        page_end=hit.page_end,
        pdf_page=hit.pdf_page,
        pdf_page_end=hit.pdf_page_end,
        citation=citation(hit),
        link=page_link(source.url, hit.pdf_page),
        context=context,
    )


# The example kit ------------------------------------------------------------------------

EXAMPLE_TITLE = "Daten verantwortungsvoll nutzen – Einstieg"
EXAMPLE_AUDIENCE = "Verwaltungsmitarbeitende, Einstieg"
_NOTE_DATA = (
    "Einstieg: Welche Daten erhebt die eigene Verwaltung, welche liegen bei Dienstleistern? "
    "An einem Beispiel aus dem Haus besprechen, was Datenhoheit praktisch heißt."
)
_NOTE_PILOT = (
    "Pilotprojekte als Lernraum: Was darf im Reallabor scheitern, und wer entscheidet, ob ein Pilot in den "
    "Regelbetrieb geht?"
)


def example_kit(searcher: Searcher | None = None) -> Kit:
    """A sample kit on the charter: section 3.2 and, with an index holding the charter,
    the first passage of III.f) (so both kinds of item show); without one, III.f) as a
    whole section."""
    items = [KitItem(doc_id=CHARTER_ID, section="3.2", note=_NOTE_DATA)]
    passage = _first_passage(searcher, CHARTER_ID, "III.f)") if searcher is not None else ""
    if passage:
        items.append(KitItem(doc_id=CHARTER_ID, passage_id=passage, note=_NOTE_PILOT))
    else:
        items.append(KitItem(doc_id=CHARTER_ID, section="III.f)", note=_NOTE_PILOT))
    return Kit(
        title=EXAMPLE_TITLE,
        audience=EXAMPLE_AUDIENCE,
        minutes=90,
        generation=searcher.generation if searcher is not None else "",
        items=items,
    )


def _first_passage(searcher: Searcher, doc_id: str, label: str) -> str:
    if doc_id not in searcher.documents:
        return ""
    title = str(searcher.documents[doc_id].get("title", ""))
    for r in searcher.passages_of(doc_id):
        p = searcher.passages[r]
        if _norm_label(section_label(p.section_path, title)) == _norm_label(label):
            return p.id
    return ""
