"""Per-document metadata: ``corpus/catalog.toml``, else PDF metadata, else the first
page's title (for the title), else the file name.

Example entry::

    [[document]]
    file = "smart-city-charta-2021.pdf"
    id = "smart-city-charta-2021"
    title = "Smart City Charta"
    publisher = "BBSR"
    year = 2021
    edition = "Fassung 2021"
    source = "https://www.bbsr.bund.de/…"
    url = "https://…/charta.pdf"  # the document itself, if it is online (optional)
    license = "…"
    superseded_by = ""        # id of a newer edition, if any
    password = ""             # for encrypted PDFs
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from common.errors import ConfigError
from ingest.titles import is_generic_title, title_from_file_name

CATALOG_NAME = "catalog.toml"
_FIELDS = ("id", "title", "publisher", "year", "edition", "source", "url", "license", "superseded_by", "password")


@dataclass
class DocMeta:
    doc_id: str
    title: str
    publisher: str = ""
    year: str = ""
    edition: str = ""
    source: str = ""
    url: str = ""  # where the document itself is online ("" if not known)
    license: str = ""
    superseded_by: str = ""
    password: str = ""

    def public(self) -> dict[str, str]:
        """Everything but the password, for the index manifest."""
        return {
            k: getattr(self, k)
            for k in ("title", "publisher", "year", "edition", "source", "url", "license", "superseded_by")
        }


def slugify(text: str) -> str:
    """A stable ASCII id from a file name.

    >>> slugify("Smart City Charta (2021) – Kurzfassung.pdf")
    'smart-city-charta-2021-kurzfassung'
    """
    text = re.sub(r"\.pdf$", "", text, flags=re.IGNORECASE)
    text = text.replace("ß", "ss")
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "ae"), ("Ö", "oe"), ("Ü", "ue")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def load_catalog(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """Catalog entries by file name; an absent catalog is an empty one."""
    path = corpus_dir / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    entries: dict[str, dict[str, str]] = {}
    for i, entry in enumerate(data.get("document", [])):
        if not isinstance(entry, dict) or not entry.get("file"):
            raise ConfigError(f"{path}: [[document]] #{i + 1} has no 'file'")
        unknown = set(entry) - set(_FIELDS) - {"file"}
        if unknown:
            raise ConfigError(
                f"{path}: [[document]] {entry['file']!r} has unknown keys "
                f"{sorted(unknown)}; allowed: {['file', *_FIELDS]}"
            )
        entries[str(entry["file"])] = {k: str(v) for k, v in entry.items()}
    return entries


def resolve_meta(file: Path, catalog: dict[str, dict[str, str]], pdf_meta: dict[str, str] | None = None) -> DocMeta:
    """Metadata for one file: catalog first, then PDF metadata, then the file name.

    The title: the catalog's, else the PDF's unless it is a producer's placeholder, else
    the title printed on the first page (``pdf_meta["page_title"]``), else the file name.
    """
    entry = catalog.get(file.name, {})
    pdf_meta = pdf_meta or {}
    title = entry.get("title") or _document_title(file, pdf_meta)
    year = entry.get("year") or _year(pdf_meta.get("creationdate", ""))
    return DocMeta(
        doc_id=entry.get("id") or slugify(file.name),
        title=title,
        publisher=entry.get("publisher") or _clean(pdf_meta.get("author", "")),
        year=year,
        edition=entry.get("edition", ""),
        source=entry.get("source", ""),
        url=entry.get("url", ""),
        license=entry.get("license", ""),
        superseded_by=entry.get("superseded_by", ""),
        password=entry.get("password", ""),
    )


def _clean(value: str) -> str:
    value = "".join(ch for ch in value if ch.isprintable())
    return " ".join(value.split())


def _document_title(file: Path, pdf_meta: dict[str, str]) -> str:
    """The PDF's title unless a producer's placeholder, else the first page's printed
    title (``page_title``, found by the parser), else the file name made readable."""
    for key in ("title", "page_title"):
        title = _clean(pdf_meta.get(key, ""))
        if not is_generic_title(title, file.name):
            return title
    return title_from_file_name(file.name)


def _year(pdf_date: str) -> str:
    m = re.match(r"D:(\d{4})", pdf_date)
    # PDF producers that write 2000-01-01 as a placeholder tell us nothing.
    return m.group(1) if m and m.group(1) not in ("2000", "1970") else ""
