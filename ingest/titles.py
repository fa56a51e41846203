"""Document titles: tell a real title from a producer's placeholder, read the title
printed on the first page, and make a file name readable.

Office programs write whatever they have into a PDF's title: „PowerPoint-Präsentation“,
„Microsoft Word - Strategie_final.docx“, „Präsentation1“, the file name. None of that
may name a document in a citation; :func:`is_generic_title` recognises it, and
:func:`ingest.catalog.resolve_meta` then falls back to the first page's title
(:func:`page_title`) and last to the file name (:func:`title_from_file_name`).
"""

from __future__ import annotations

import re
import unicodedata

# Placeholders, after :func:`_generic_key` (case-folded, "-"/"_" as spaces, a trailing
# counter removed: „Präsentation1“, „Folie 1“, „Untitled-1“, „Layout 1“ → the bare word).
_GENERIC = {
    # PowerPoint, Keynote, Impress, Google Slides
    "powerpoint präsentation",
    "powerpoint presentation",
    "powerpoint",
    "präsentation",
    "presentation",
    "neue präsentation",
    "new presentation",
    "unbenannte präsentation",
    "untitled presentation",
    "präsentationstitel",
    "presentation title",
    "titel der präsentation",
    "folie",
    "slide",
    "folientitel",
    "slide title",
    "titelmasterformat durch klicken bearbeiten",
    "click to edit master title style",
    "klicken sie, um einen titel hinzuzufügen",
    "click to add title",
    # Word, Writer, Google Docs, Pages
    "dokument",
    "document",
    "neues dokument",
    "new document",
    "unbenanntes dokument",
    "untitled document",
    "dokumenttitel",
    "document title",
    "titel der arbeit",
    "microsoft word",
    "word",
    # a part of a document, not its name: page 1 is no title page
    "inhalt",
    "inhaltsverzeichnis",
    "contents",
    "table of contents",
    "abstract",
    "zusammenfassung",
    "vorwort",
    "einleitung",
    "introduction",
    "impressum",
    "agenda",
    "tagesordnung",
    "gliederung",
    "kapitel",
    "chapter",
    # anything unnamed
    "unbenannt",
    "untitled",
    "ohne titel",
    "kein titel",
    "no title",
    "titel",
    "title",
    "none",
    "null",
    "unknown",
    "unbekannt",
    "default",
    "entwurf",
    "draft",
    "vorlage",
    "template",
    "test",
    "pdf",
    # InDesign and Quark („Layout 1“), spreadsheets, scanners
    "layout",
    "seite",
    "page",
    "mappe",
    "arbeitsmappe",
    "book",
    "workbook",
    "tabelle",
    "sheet",
    "scan",
    "scanned document",
    "image",
    "img",
}
# „Microsoft Word - Leitfaden.docx“: Acrobat's PDFMaker names the program, then the file.
_PROGRAM_PREFIX = re.compile(r"^(?:microsoft\s*)?(?:word|powerpoint|excel|visio|publisher)\s+-\s", re.IGNORECASE)
_FILE_SUFFIX = re.compile(
    r"\.(?:docx?|dotx?|docm|pptx?|potx?|ppsx?|xlsx?|od[tpsg]|rtf|pdf|tex|dvi|ps|eps|indd|qxp|txt|md|html?"
    r"|pages|key|numbers|ai|psd|jpe?g|png|tiff?|pub|vsdx?)$",
    re.IGNORECASE,
)
_PATH_OR_URL = re.compile(r"^[a-z]:\\|\\|^/|^~/|^(?:file|https?)://", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")


def _generic_key(title: str) -> str:
    key = title.casefold().strip(" \"'„“”»«‚‘’")
    key = re.sub(r"[-_\s]+", " ", key)
    key = re.sub(r"[\s(]*\d+\)?$", "", key)  # „Präsentation1“, „Folie 1“, „Mappe (2)“
    return key.strip()


def is_generic_title(title: str, file_name: str = "") -> bool:
    """True for a title that says nothing about the document: empty, a producer's
    placeholder, a file name or path.

    >>> [is_generic_title(t) for t in ["PowerPoint-Präsentation", "Präsentation1", "Folie 1",
    ...     "Microsoft Word - Leitfaden.docx", "Untitled", "Unbenannt-1", "Layout 1", "Dokument1",
    ...     "", "  ", "Strategie_final_v3", "C:\\\\Users\\\\amt\\\\brief.doc", "2021"]]
    [True, True, True, True, True, True, True, True, True, True, True, True, True]
    >>> [is_generic_title(t) for t in ["Smart City Charta", "Open Data Handbuch",
    ...     "E-Government-Gesetz", "Präsentation der Ergebnisse", "Leitfaden Bürgerbeteiligung 2021"]]
    [False, False, False, False, False]

    With the file's name, a title that only repeats it is generic too:

    >>> is_generic_title("ulm4clevercity-ueberblick", "ulm4clevercity-ueberblick.pdf")
    True
    >>> is_generic_title("Smart City Charta", "Smart City Charta.pdf")
    False
    """
    text = " ".join(title.split())
    if len(_LETTER.findall(text)) < 3:
        return True
    if _generic_key(text) in _GENERIC:
        return True
    if _PROGRAM_PREFIX.match(text) or _FILE_SUFFIX.search(text) or _PATH_OR_URL.search(text):
        return True
    if "_" in text:  # no title is set with underscores; file names are
        return True
    if file_name and " " not in text:
        stem = re.sub(r"\.pdf$", "", file_name, flags=re.IGNORECASE)
        return _slug(text) == _slug(stem)
    return False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", text.casefold()))


# --- the first page -------------------------------------------------------------------

_TITLE_MAX_LINES = 3
_TITLE_MAX_CHARS = 200
_SAME_SIZE = 0.95  # lines within 5 % of the largest size belong to the title


def page_title(lines: list[tuple[str, float]]) -> str:
    """The title printed on a first page: the first lines set in its largest type.

    ``lines`` are the page's lines with their font size in points (0 when unknown). The
    largest size is taken over lines with at least three letters (a big page number or
    year is no title); its first run of consecutive lines is the title when it is short
    (up to three lines) and the page has smaller text too. A page set in one size has a
    title only when it is a cover: up to three lines and no sentence (so a plain letter
    is not titled by its first sentence). Without any size, the first line is the title
    when it looks like one: short, and no sentence.

    >>> page_title([("Ulm4CleverCity – Smart City", 48.0), ("Modellstadt", 48.0),
    ...             ("Clever. Offen. Für alle. Nachhaltig.", 20.1)])
    'Ulm4CleverCity – Smart City Modellstadt'
    >>> page_title([("13", 40.0), ("Smart City Charta", 30.0), ("Digitale Transformation", 16.0)])
    'Smart City Charta'
    >>> page_title([("Die Stadt plant neue Radwege.", 11.0), ("Alle reden mit.", 11.0)])
    ''
    >>> page_title([("Smart City Strategie der Stadt", 24.0), ("Ulm", 24.0)])
    'Smart City Strategie der Stadt Ulm'
    >>> page_title([("Leitfaden Radverkehr", 0.0), ("Die Stadt plant neue Radwege.", 0.0)])
    'Leitfaden Radverkehr'
    """
    lines = [(" ".join(text.split()), size) for text, size in lines if text.strip()]
    worded = [size for text, size in lines if len(_LETTER.findall(text)) >= 3]
    if not worded:
        return ""
    top = max(worded)
    if top <= 0:
        return _plain_first_line(lines[0][0])
    if not any(size < _SAME_SIZE * top for _, size in lines):
        return _cover_text([text for text, _ in lines])
    run: list[str] = []
    for text, size in lines:
        if size > top / _SAME_SIZE:
            continue  # larger still, but no words: a page number, a year, an initial
        if size >= _SAME_SIZE * top:
            run.append(text)
        elif run:
            break
    title = " ".join(run)
    if len(run) > _TITLE_MAX_LINES or len(title) > _TITLE_MAX_CHARS or is_generic_title(title):
        return ""
    return title


def _plain_first_line(line: str) -> str:
    if len(line) > 100 or re.search(r"[.!?;:,]\s|[,;:\-]$", line) or is_generic_title(line):
        return ""
    return line


def _cover_text(lines: list[str]) -> str:
    """All of a page set in one size, when it is only a few lines and no sentence: a
    cover that carries nothing but its title."""
    title = " ".join(lines)
    if len(lines) > _TITLE_MAX_LINES or len(title) > _TITLE_MAX_CHARS or is_generic_title(title):
        return ""
    if any(re.search(r"[.,;:]$", line) for line in lines):
        return ""
    return title


# --- the file name --------------------------------------------------------------------

# Not capitalised inside a title made from a lowercase file name.
_SMALL_WORDS = {
    "der",
    "die",
    "das",
    "des",
    "den",
    "dem",
    "und",
    "oder",
    "in",
    "im",
    "zu",
    "zur",
    "zum",
    "für",
    "von",
    "vom",
    "mit",
    "auf",
    "an",
    "am",
    "bei",
    "aus",
    "the",
    "of",
    "and",
    "for",
    "to",
}


def title_from_file_name(name: str) -> str:
    """A readable title from a file name, for documents nothing else names.

    Separators become spaces; a lowercase name gets capitals (not on small words), and
    umlauts spelled out as ae, oe, ue come back where the word is then a known German
    word (``ueberblick`` → ``Überblick``, but ``aktuelle`` stays).

    >>> title_from_file_name("ulm4clevercity-ueberblick.pdf")
    'Ulm4clevercity Überblick'
    >>> title_from_file_name("leitfaden_fuer_die_buergerbeteiligung.pdf")
    'Leitfaden für die Bürgerbeteiligung'
    >>> title_from_file_name("aktuelle-neue-massnahmen.pdf")
    'Aktuelle Neue Massnahmen'
    >>> title_from_file_name("Smart City Charta (2021).pdf")
    'Smart City Charta (2021)'
    """
    stem = re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE)
    words = [w for w in re.split(r"[\s_\-]+", stem) if w]
    if not words:
        return name
    if stem == stem.lower():
        words = [_umlauts(w) for w in words]
        words = [w if k and w in _SMALL_WORDS else w[:1].upper() + w[1:] for k, w in enumerate(words)]
    return " ".join(words)


def _umlauts(word: str) -> str:
    if not re.search(r"[aou]e", word):
        return word
    from text.analysis import zipf  # the German word list; only loaded when a name needs it

    candidate = word.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü")
    # Far more common with umlauts: „fuer“ occurs in German text too, „für“ a thousand times more.
    return candidate if zipf(candidate) > zipf(word) + 1 else word
