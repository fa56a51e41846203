"""Interface texts of the app: German by default, English switchable.

>>> t("ask_button", "de"), t("ask_button", "en")
('Fragen', 'Ask')
"""

from __future__ import annotations

from answer.answer import LACKS_NOTE
from answer.cite import OCR_NOTE

LANGS = ("de", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("Charta-Lotse", "Charta-Lotse"),
    "intro": (
        ("Fragen Sie in Alltagssprache – die Antworten bestehen nur aus Sätzen der Dokumente, jeder mit Quelle."),
        ("Ask in plain language – answers consist only of sentences from the documents, each with its source."),
    ),
    "language": ("Sprache / Language", "Sprache / Language"),
    "tab_ask": ("Fragen", "Ask"),
    "tab_search": ("Suchen", "Search"),
    "tab_browse": ("Blättern", "Browse"),
    "tab_collection": ("Sammlung", "Collection"),
    "question": ("Ihre Frage", "Your question"),
    "question_placeholder": (
        "z. B. Muss jeder Bürger Online-Dienste nutzen?",
        "e.g. Must every citizen use online services?",
    ),
    "ask_button": ("Fragen", "Ask"),
    "ask_docs": (
        "Nur in diesen Dokumenten fragen (leer lassen: in allen)",
        "Ask only these documents (leave empty: all of them)",
    ),
    "named_docs": (
        "Gesucht nur in: {docs} (in der Frage genannt).",
        "Searched only in: {docs} (named in the question).",
    ),
    "unknown_docs": ("Diese Dokumente gibt es im Index nicht: {docs}", "These documents are not in the index: {docs}"),
    "new_conversation": ("Neue Unterhaltung", "New conversation"),
    "answer": ("Antwort", "Answer"),
    "thread": ("Bisherige Unterhaltung", "Conversation so far"),
    "subsections": ("Unterabschnitte", "Subsections"),
    "note": ("Notiz", "Note"),
    "feedback_comment": ("Ihre Rückmeldung zu dieser Antwort (freiwillig)", "Your comment on this answer (optional)"),
    "feedback_up": ("👍 Hilfreich", "👍 Helpful"),
    "feedback_down": ("👎 Nicht hilfreich", "👎 Not helpful"),
    "feedback_thanks": ("Danke! Ihre Rückmeldung ist gespeichert.", "Thank you! Your feedback is stored."),
    "feedback_off": ("Rückmeldungen werden hier nicht gespeichert.", "Feedback is not stored here."),
    "feedback_failed": (
        "Ihre Rückmeldung konnte nicht gespeichert werden. Der Fehler ist für den Betrieb protokolliert.",
        "Your feedback could not be stored. The error has been logged for the operators.",
    ),
    "tab_collection_n": ("Sammlung ({n})", "Collection ({n})"),
    "added": ("{n} Textstelle(n) zur Sammlung hinzugefügt.", "{n} passage(s) added to the collection."),
    "added_none": (
        "Nichts hinzugefügt: bitte Textstellen auswählen (oder sie sind schon gesammelt).",
        "Nothing added: choose passages first (or they are collected already).",
    ),
    "collection_item": ("Textstelle", "Passage"),
    "move_up": ("Nach oben", "Move up"),
    "move_down": ("Nach unten", "Move down"),
    "remove_item": ("Entfernen", "Remove"),
    "save_note": ("Notiz speichern", "Save note"),
    "skip_to_question": ("Zur Frage springen", "Skip to the question"),
    "error_title": ("Hinweis", "Note"),
    "sources": ("Belegstellen", "Sources"),
    "citations": ("Zitiervorschläge zum Kopieren", "Citations to copy"),
    "collect_label": ("Textstellen für die Sammlung auswählen", "Choose passages for the collection"),
    "collect_button": ("Zur Sammlung hinzufügen", "Add to collection"),
    "export_answer": ("Antwort als Markdown exportieren", "Export answer as Markdown"),
    "download": ("Download", "Download"),
    "query": ("Suchbegriffe oder Frage", "Search terms or question"),
    "filter_docs": ("Nur in diesen Dokumenten", "Only in these documents"),
    "filter_section": ("Nur in diesem Kapitel/Abschnitt", "Only in this chapter/section"),
    "k": ("Anzahl Treffer", "Number of results"),
    "search_button": ("Suchen", "Search"),
    "document": ("Dokument", "Document"),
    "toc": ("Inhaltsverzeichnis", "Table of contents"),
    "examples": ("Beispielfragen zu diesem Abschnitt", "Example questions for this section"),
    "collection_empty": (
        ("Noch keine Textstellen gesammelt. Wählen Sie unter einer Antwort oder in der Suche Textstellen aus."),
        ("No passages collected yet. Choose passages below an answer or in the search."),
    ),
    "export_collection": ("Sammlung als Handout (Markdown) exportieren", "Export collection as handout (Markdown)"),
    "clear_collection": ("Sammlung leeren", "Clear collection"),
    "open_pdf": ("PDF auf Seite {page} öffnen", "Open PDF at page {page}"),
    "show_in_pdf": ("Stelle im PDF zeigen", "Show in the PDF"),
    "source_title": ("Stelle im PDF", "Passage in the PDF"),
    "source_marked": ("Markierte Stelle", "Marked passage"),
    "pdf_page": ("PDF-Seite", "PDF page"),
    "source_alt": (
        "{page} von „{title}“, markiert: „{text}“",
        "{page} of “{title}”, marked: “{text}”",
    ),
    "source_alt_unmarked": (
        "{page} von „{title}“, ohne Markierung; die Stelle lautet: „{text}“",
        "{page} of “{title}”, not marked; the passage reads: “{text}”",
    ),
    "source_not_found": (
        "Die Stelle ließ sich auf dieser Seite nicht sicher finden; die Seite wird ohne Markierung gezeigt.",
        "The passage could not be found on this page with certainty; the page is shown without a mark.",
    ),
    "source_no_page": (
        "Die Seite dieser Stelle ist im PDF nicht vorhanden.",
        "The page of this passage is not in the PDF.",
    ),
    "source_partly_found": (
        "Ein Teil der Stelle ließ sich auf dieser Seite nicht sicher finden und ist nicht markiert.",
        "Part of the passage could not be found on this page with certainty and is not marked.",
    ),
    "citation": ("Zitiervorschlag", "Citation"),
    "not_covered": ("Die Dokumente beantworten diese Frage nicht.", "The documents do not answer this question."),
    "not_covered_next": (
        (
            "Formulieren Sie die Frage anders, suchen Sie im Reiter „Suchen“ "
            "nach Stichworten oder blättern Sie im Reiter „Blättern“ durch das "
            "Inhaltsverzeichnis."
        ),
        (
            "Try other words, search for keywords in the “Search” tab, or browse "
            "the table of contents in the “Browse” tab."
        ),
    ),
    "passages_intro": ("Diese Stellen passen am ehesten.", "These passages fit best."),
    "passages_note": (
        (
            "Eine sichere Antwort aus einem Satz gibt es hier nicht. Lesen Sie die "
            "markierten Sätze in ihrem Zusammenhang."
        ),
        ("There is no answer we can give with confidence. Read the marked sentences in their context."),
    ),
    **{f"lacks_{what}": note for what, note in LACKS_NOTE.items()},
    "closest": ("Passende Stellen", "Fitting passages"),
    "followup_note": (
        ("Anschlussfrage: gesucht wurde im Zusammenhang mit der vorigen Frage („{query}“)."),
        ("Follow-up question: searched together with the previous question (“{query}”)."),
    ),
    "extractive_note": (
        ("Die Antwort besteht aus wörtlichen Sätzen der Dokumente; die Nummern verweisen auf die Belegstellen."),
        ("The answer consists of verbatim sentences from the documents; the numbers refer to the sources."),
    ),
    "llm_label": (
        "Vom Sprachmodell {model} formuliert – maßgeblich sind die zitierten Textstellen",
        "Worded by the language model {model} – the cited passages are what counts",
    ),
    "llm_dropped_one": (
        "1 Satz ohne Beleg in den Textstellen wurde entfernt.",
        "1 sentence not backed by the passages was removed.",
    ),
    "llm_dropped": (
        "{n} Sätze ohne Beleg in den Textstellen wurden entfernt.",
        "{n} sentences not backed by the passages were removed.",
    ),
    "llm_fallback": (
        (
            "Das Sprachmodell war nicht nutzbar ({reason}); angezeigt wird die "
            "Antwort aus wörtlichen Sätzen der Dokumente."
        ),
        (
            "The language model could not be used ({reason}); showing the answer "
            "made of verbatim sentences from the documents."
        ),
    ),
    "llm_removed": (
        "Nicht belegte Quellennummern entfernt: {markers}.",
        "Citation numbers without a source were removed: {markers}.",
    ),
    "llm_unquoted": (
        ("Als Zitat ausgegebener Text, der so in keiner Textstelle steht, wird nicht als Zitat gezeigt."),
        "Text given as a quote that is in no passage is not shown as a quote.",
    ),
    "empty_question": ("Bitte geben Sie eine Frage ein.", "Please enter a question."),
    "upload_missing": ("nicht gefunden", "not found"),
    "upload_empty": ("leere Datei (0 Bytes)", "empty file (0 bytes)"),
    "upload_too_large": (
        "zu groß ({mb} MB; erlaubt sind höchstens {limit} MB)",
        "too large ({mb} MB; at most {limit} MB allowed)",
    ),
    "upload_not_pdf": (
        "keine PDF-Datei (die PDF-Kennung %PDF fehlt am Dateianfang)",
        "not a PDF (the %PDF marker is missing at the start of the file)",
    ),
    "question_too_long": (
        "Die Frage ist zu lang (höchstens {limit} Zeichen).",
        "The question is too long (at most {limit} characters).",
    ),
    "empty_query": ("Bitte geben Sie Suchbegriffe ein.", "Please enter search terms."),
    "invalid_text": (
        "Die Eingabe enthält ungültige Zeichen (kein gültiges Unicode).",
        "The input contains invalid characters (not valid Unicode).",
    ),
    "bad_k": (
        "Die Anzahl Treffer muss eine ganze Zahl von 1 bis {limit} sein, nicht „{value}“.",
        "The number of results must be a whole number from 1 to {limit}, not “{value}”.",
    ),
    "too_many_requests": (
        "Von Ihrem Rechner laufen gerade zu viele Anfragen gleichzeitig. Bitte einen Moment warten.",
        "Too many requests from your computer are running at once. Please wait a moment.",
    ),
    "no_results": ("Keine passenden Textstellen gefunden.", "No matching passages found."),
    "page": ("S.", "p."),
    "ocr_note": OCR_NOTE,  # after the page of a passage read by OCR (answer/cite.py)
    "section": ("Abschnitt", "Section"),
    "handout_title": ("Handout", "Handout"),
    "answer_title": ("Antwort mit Belegstellen", "Answer with sources"),
    "collected": ("{n} Textstellen in der Sammlung", "{n} passages in the collection"),
    "choose_section": ("Wählen Sie links einen Abschnitt.", "Choose a section on the left."),
    "example_what": ("Was sagt die {title} zu „{heading}“?", "What does the {title} say about “{heading}”?"),
    "example_small": (
        "Was bedeutet „{heading}“ für kleine Gemeinden?",
        "What does “{heading}” mean for small municipalities?",
    ),
    "example_who": (
        "Wer ist nach {label} gefordert, und was soll getan werden?",
        "Who is called upon in {label}, and what should be done?",
    ),
    "whole_document": ("ganzes Dokument", "whole document"),
    "tab_workshop": ("Workshop", "Workshop"),
    "workshop_intro": (
        (
            "Stellen Sie aus Abschnitten und gesammelten Textstellen Material für eine Schulung zusammen: "
            "Handout (PDF, Word), Folien (PowerPoint) und Quiz (Moodle-XML), jede Zeile mit Quelle."
        ),
        (
            "Put together material for a training session from sections and collected passages: handout "
            "(PDF, Word), slides (PowerPoint) and a quiz (Moodle XML), every line cited."
        ),
    ),
    "kit_title": ("Titel der Schulung", "Title of the session"),
    "kit_title_default": ("Workshop Smart City Charta", "Workshop Smart City Charta"),
    "kit_audience": (
        "Zielgruppe (z. B. Verwaltungsmitarbeitende, Einstieg)",
        "Audience (e.g. administration staff, beginners)",
    ),
    "kit_minutes": ("Dauer in Minuten", "Length in minutes"),
    "kit_sections": ("Abschnitte auswählen", "Choose sections"),
    "kit_add_sections": ("Abschnitte hinzufügen", "Add sections"),
    "kit_add_collection": ("Gesammelte Textstellen übernehmen", "Add collected passages"),
    "kit_items": ("Inhalt des Kits", "Contents of the kit"),
    "kit_empty": (
        "Das Kit ist leer. Fügen Sie Abschnitte oder gesammelte Textstellen hinzu.",
        "The kit is empty. Add sections or collected passages.",
    ),
    "kit_item": ("Eintrag", "Item"),
    "kit_kind_section": ("Ganzer Abschnitt", "Whole section"),
    "kit_kind_passage": ("Textstelle", "Passage"),
    "kit_make": ("Material erstellen", "Make the material"),
    "kit_files": ("Material zum Herunterladen", "Material to download"),
    "kit_clear": ("Kit leeren", "Clear the kit"),
    "kit_load_label": (
        "Gespeicherte Kit-Datei (JSON) hier einfügen oder unten wählen",
        "Paste a saved kit file (JSON) here or choose it below",
    ),
    "kit_choose_file": ("Kit-Datei wählen", "Choose a kit file"),
    "kit_load": ("Kit laden", "Load the kit"),
    "kit_added": ("{n} Eintrag/Einträge hinzugefügt.", "{n} item(s) added."),
    "kit_added_none": (
        "Nichts hinzugefügt: bitte erst auswählen (oder es ist schon im Kit).",
        "Nothing added: choose something first (or it is in the kit already).",
    ),
    "kit_loaded": ("Kit „{title}“ geladen: {n} Einträge.", "Kit “{title}” loaded: {n} items."),
    "kit_missing": ("Nicht mehr im Index", "No longer in the index"),
    "kit_missing_n": (
        "{n} Eintrag/Einträge gibt es im aktuellen Index nicht mehr; sie sind markiert und kommen nicht ins Material.",
        "{n} item(s) no longer exist in the current index; they are marked and left out of the material.",
    ),
    "kit_made": ("Material erstellt: {files}.", "Material made: {files}."),
    "kit_bad": ("Die Kit-Datei lässt sich nicht laden: {reason}", "The kit file cannot be loaded: {reason}"),
    "kit_count": ("{n} Einträge im Kit", "{n} items in the kit"),
    "kit_prompt": ("Diskussionsimpuls (kein Zitat)", "Discussion prompt (not a quote)"),
    "kit_err_too_large": ("größer als 1 MB", "larger than 1 MB"),
    "kit_err_encoding": ("keine UTF-8-Textdatei", "not a UTF-8 text file"),
    "kit_err_not_json": ("kein gültiges JSON", "not valid JSON"),
    "kit_err_format": ("keine Kit-Datei von Charta-Lotse", "not a Charta-Lotse kit file"),
    "kit_err_version": (
        "eine Kit-Version, die diese Fassung nicht lesen kann",
        "a kit version this version cannot read",
    ),
    "kit_err_missing_field": ("es fehlt das Feld „{field}“", "the field “{field}” is missing"),
    "kit_err_extra_field": ("unbekanntes Feld „{field}“", "unknown field “{field}”"),
    "kit_err_type": ("das Feld „{field}“ hat den falschen Typ", "the field “{field}” has the wrong type"),
    "kit_err_too_long": (
        "der Text in „{field}“ ist länger als {limit} Zeichen",
        "the text in “{field}” is longer than {limit} characters",
    ),
    "kit_err_too_many_items": ("mehr als {limit} Einträge", "more than {limit} items"),
    "kit_err_bad_id": ("„{field}“ ist keine gültige Kennung", "“{field}” is not a valid id"),
    "kit_err_minutes": (
        "die Dauer muss eine ganze Zahl von 0 bis 1440 Minuten sein",
        "the length must be a whole number from 0 to 1440 minutes",
    ),
    "kit_err_item_ids": (
        "ein Eintrag braucht entweder passage_id oder section",
        "an item needs either passage_id or section",
    ),
}


def t(key: str, lang: str = "de", **values: object) -> str:
    """The text for ``key`` in ``lang`` ("de" or "en"), formatted with ``values``."""
    de, en = STRINGS[key]
    text = en if lang == "en" else de
    return text.format(**values) if values else text
