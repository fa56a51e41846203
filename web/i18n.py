"""Interface texts of the app: German by default, English switchable.

>>> t("ask_button", "de"), t("ask_button", "en")
('Fragen', 'Ask')
"""

from __future__ import annotations

from answer.answer import LACKS_NOTE

LANGS = ("de", "en")

# The tab "Verwaltung" (web/admin.py).
ADMIN: dict[str, tuple[str, str]] = {
    "tab_admin": ("Verwaltung", "Administration"),
    "admin_intro": (
        (
            "### Dokumente verwalten\nPDF-Dateien (höchstens {mb} MB, {files} je Anmeldung) werden in den "
            "Korpus kopiert und indexiert. Durchsuchbar sind sie erst, wenn die Indexierung vollständig "
            "abgeschlossen ist. Dateien mit gleichem Inhalt werden nicht doppelt aufgenommen."
        ),
        (
            "### Manage documents\nPDF files (at most {mb} MB, {files} per login) are copied into the corpus "
            "and indexed. They can be searched once indexing has finished completely. Files with the same "
            "content are not taken twice."
        ),
    ),
    "admin_token": ("Admin-Token", "Admin token"),
    "admin_login": ("Anmelden", "Log in"),
    "admin_show_status": ("Status anzeigen", "Show status"),
    "admin_logged_in": (
        "Angemeldet. Sie können jetzt PDF-Dateien hochladen.",
        "Logged in. You can upload PDF files now.",
    ),
    "admin_wrong_token": ("Falsches oder fehlendes Admin-Token.", "Wrong or missing admin token."),
    "admin_wait": (
        "Zu viele falsche Anmeldungen. Bitte in {seconds} s erneut versuchen.",
        "Too many wrong logins. Please try again in {seconds} s.",
    ),
    "admin_files": ("PDF-Dateien", "PDF files"),
    "admin_replace": (
        "Gleichnamige Datei ersetzen (die alte wird nach corpus/.removed/ verschoben)",
        "Replace a file of the same name (the old one is moved to corpus/.removed/)",
    ),
    "admin_start": ("Hochladen und indexieren", "Upload and index"),
    "admin_log": ("Protokoll", "Log"),
    "admin_table": ("Dokumente im Index", "Documents in the index"),
    "admin_choose_files": ("Bitte zuerst PDF-Dateien auswählen.", "Please choose PDF files first."),
    "admin_indexing": ("Indexiere {n} Datei(en) …", "Indexing {n} file(s) …"),
    "admin_locked": (
        "Der Index wird gerade aufgebaut; bitte später erneut versuchen ({detail}).",
        "The index is being built right now; please try again later ({detail}).",
    ),
    "admin_failed": (
        "✗ Fehler: {detail} Der bisherige Index bleibt in Betrieb.",
        "✗ Error: {detail} The previous index stays in service.",
    ),
    "admin_unexpected": ("unerwarteter Fehler: {detail}", "unexpected error: {detail}"),
    "admin_not_loaded": (
        "✗ Der neue Index lässt sich nicht laden: {detail}",
        "✗ The new index cannot be loaded: {detail}",
    ),
    "admin_not_serving": (
        "✗ Der neue Index ist nicht in Betrieb: {detail}",
        "✗ The new index is not in service: {detail}",
    ),
    "admin_searchable": (
        "Fertig: die neuen Dokumente sind jetzt durchsuchbar.",
        "Done: the new documents can be searched now.",
    ),
    "admin_unchanged": ("Fertig: der Index ist unverändert.", "Done: the index is unchanged."),
    # Lines of the log: a file taken (or not), a document indexed (or not), the summary.
    "admin_added": ("+ {file}: hinzugefügt", "+ {file}: added"),
    "admin_added_as": ("+ {source} → {file}: hinzugefügt", "+ {source} → {file}: added"),
    "admin_replaced": ("+ {file}: ersetzt ({reason})", "+ {file}: replaced ({reason})"),
    "admin_duplicate": ("= {file}: {reason}", "= {file}: {reason}"),
    "admin_rejected": ("✗ {file}: abgelehnt – {reason}", "✗ {file}: refused – {reason}"),
    "admin_doc_new": (
        "✓ {file}: {pages} Seiten, {passages} Passagen, {seconds} s (neu)",
        "✓ {file}: {pages} pages, {passages} passages, {seconds} s (new)",
    ),
    "admin_doc_changed": (
        "✓ {file}: {pages} Seiten, {passages} Passagen, {seconds} s (geändert)",
        "✓ {file}: {pages} pages, {passages} passages, {seconds} s (changed)",
    ),
    "admin_doc_lost_pages": (
        "! {file}: {pages} Seiten ({unreadable} davon nicht lesbar), {passages} Passagen, {seconds} s",
        "! {file}: {pages} pages ({unreadable} of them unreadable), {passages} passages, {seconds} s",
    ),
    "admin_doc_unchanged_lost_pages": (
        "! {file}: {pages} Seiten ({unreadable} davon nicht lesbar), {passages} Passagen (unverändert)",
        "! {file}: {pages} pages ({unreadable} of them unreadable), {passages} passages (unchanged)",
    ),
    "admin_doc_unchanged": (
        "= {file}: {pages} Seiten, {passages} Passagen (unverändert)",
        "= {file}: {pages} pages, {passages} passages (unchanged)",
    ),
    "admin_doc_failed": ("✗ {file}: {reason}", "✗ {file}: {reason}"),
    "admin_doc_kept": (
        "✗ {file}: {reason} (die bisherige Fassung bleibt im Index)",
        "✗ {file}: {reason} (the previous version stays in the index)",
    ),
    "admin_doc_removed": ("- {file}: aus dem Index genommen", "- {file}: removed from the index"),
    "admin_summary": (
        "Im Index: {documents} Dokument(e), {pages} Seiten, {passages} Passagen; {state}; {seconds}",
        "In the index: {documents} document(s), {pages} pages, {passages} passages; {state}; {seconds}",
    ),
    "admin_speed": (
        " ({pages_s} Seiten/s, {passages_s} Passagen/s, davon {share} % Einbetten)",
        " ({pages_s} pages/s, {passages_s} passages/s, {share} % of it embedding)",
    ),
    "admin_index_updated": ("Index aktualisiert", "index updated"),
    "admin_index_unchanged": ("Index unverändert", "index unchanged"),
    # The progress of a running indexing.
    "progress_doc": ("{file} – Dokument {doc} von {docs}", "{file} – document {doc} of {docs}"),
    "progress_opening": ("Das PDF wird geöffnet …", "Opening the PDF …"),
    "progress_pages": ("Seiten gelesen: {done} von {total}", "Pages read: {done} of {total}"),
    "progress_passages": ("Passagen eingebettet: {done} von {total}", "Passages embedded: {done} of {total}"),
    "progress_sentences": ("Sätze eingebettet: {done} von {total}", "Sentences embedded: {done} of {total}"),
    "progress_measuring": ("Restzeit: wird gemessen …", "Time left: being measured …"),
    "progress_left_s": ("Restzeit: noch etwa {s} s", "Time left: about {s} s"),
    "progress_left_min": ("Restzeit: noch etwa {m} min", "Time left: about {m} min"),
    "progress_left_h": ("Restzeit: noch etwa {h} h {m} min", "Time left: about {h} h {m} min"),
    "progress_more_docs": ("Danach: {n} weitere(s) Dokument(e).", "Then: {n} more document(s)."),
    "progress_writing": ("Der neue Index wird geschrieben …", "Writing the new index …"),
    "progress_done": (
        "Fertig nach {seconds}: {pages} Seiten und {passages} Passagen indexiert.",
        "Done after {seconds}: {pages} pages and {passages} passages indexed.",
    ),
    "progress_nothing": ("Fertig: nichts neu zu indexieren.", "Done: nothing new to index."),
    # The status table.
    "col_state": ("Zustand", "State"),
    "col_doc": ("Dokument", "Document"),
    "col_title": ("Titel", "Title"),
    "col_edition": ("Ausgabe", "Edition"),
    "col_pages": ("Seiten", "Pages"),
    "col_passages": ("Passagen", "Passages"),
    "col_sha": ("SHA-256", "SHA-256"),
    "col_indexed": ("Indexiert", "Indexed"),
    "col_note": ("Hinweis", "Note"),
    "state_ok": ("aktuell", "ok"),
    "state_new": ("neu", "new"),
    "state_changed": ("geändert", "changed"),
    "state_missing": ("fehlt", "missing"),
    "state_duplicate": ("Duplikat", "duplicate"),
    "state_invalid": ("ungültig", "invalid"),
    "superseded_by": ("ersetzt durch {doc_id}", "superseded by {doc_id}"),
}

# Why a file or document was refused, or what the status table notes about it: the
# library's reason codes (common.errors.Reason), worded here; the English follows the
# command line's words. ``{cause}`` is a reason quoted inside another.
REASONS: dict[str, tuple[str, str]] = {
    "reason_missing": ("nicht gefunden", "not found"),
    "reason_empty": ("leere Datei (0 Bytes)", "empty file (0 bytes)"),
    "reason_too_large": (
        "zu groß ({mb} MB; erlaubt sind höchstens {limit} MB)",
        "too large ({mb} MB; at most {limit} MB allowed)",
    ),
    "reason_not_pdf": (
        "keine PDF-Datei (die PDF-Kennung %PDF fehlt am Dateianfang)",
        "not a PDF (the %PDF marker is missing at the start of the file)",
    ),
    "reason_unreadable": ("nicht lesbar ({detail})", "unreadable ({detail})"),
    "reason_outside_corpus": (
        "ein Link auf eine Datei außerhalb des Korpus-Ordners, nicht verfolgt (die Datei bitte in den Korpus kopieren)",
        "a link to a file outside the corpus folder, not followed (copy the file into the corpus instead)",
    ),
    "reason_parse_timeout": (
        "das Lesen dauerte länger als {seconds} s (CHARTA_PARSE_TIMEOUT)",
        "parsing took longer than {seconds} s (CHARTA_PARSE_TIMEOUT)",
    ),
    "reason_parser_crashed": (
        "das Leseprogramm für PDFs ist abgestürzt (Code {exit}: {detail})",
        "the PDF parser crashed (exit {exit}: {detail})",
    ),
    "reason_parser_not_started": (
        "das Leseprogramm für PDFs ließ sich nicht starten ({detail})",
        "the PDF parser could not be started ({detail})",
    ),
    "reason_too_much_page_text": (
        "zu viel Text auf Seite {page} (mehr als {limit} Zeichen, Grenze CHARTA_MAX_PAGE_CHARS)",
        "too much text on page {page} (more than {limit} characters, limit CHARTA_MAX_PAGE_CHARS)",
    ),
    "reason_too_much_text": (
        "zu viel Text (mehr als {limit} Zeichen bis Seite {page}, Grenze CHARTA_MAX_DOC_CHARS)",
        "too much text (more than {limit} characters by page {page}, limit CHARTA_MAX_DOC_CHARS)",
    ),
    "reason_encrypted": (
        "verschlüsselt, und kein bekanntes Passwort öffnet es (Passwort im Katalog als 'password' eintragen)",
        "encrypted and no known password opens it (add 'password' to its catalog entry)",
    ),
    "reason_no_pages": ("das PDF hat keine Seiten", "the PDF has no pages"),
    "reason_too_many_pages": (
        "zu viele Seiten ({pages}, Grenze {limit}, CHARTA_MAX_PAGES)",
        "too many pages ({pages} > limit {limit}, CHARTA_MAX_PAGES)",
    ),
    "reason_corrupt_loop": (
        "beschädigtes PDF (seine Objekte verweisen im Kreis oder sind zu tief verschachtelt)",
        "corrupt PDF (object graph loops or nests too deeply)",
    ),
    "reason_too_much_memory": (
        "das PDF braucht zum Lesen zu viel Speicher",
        "PDF needs too much memory to parse",
    ),
    "reason_unreadable_pdf": ("beschädigtes oder unlesbares PDF ({detail})", "corrupt or unreadable PDF ({detail})"),
    "reason_corrupt": (
        "beschädigtes PDF: {failed} von {pages} Seiten nicht lesbar ({detail})",
        "corrupt PDF: {failed} of {pages} pages unreadable ({detail})",
    ),
    "reason_no_text": (
        "kein lesbarer Text auf {pages} Seite(n): keine Textebene, und nichts darauf, was die Texterkennung (OCR) "
        "lesen könnte",
        "no extractable text in {pages} page(s): no text layer, and nothing on them for OCR to read",
    ),
    "reason_no_text_ocr": (
        "kein lesbarer Text auf {pages} Seite(n): keine Textebene, und die Texterkennung (OCR) fand in ihren "
        "Bildern keinen",
        "no extractable text in {pages} page(s): no text layer, and OCR found none in their images",
    ),
    "reason_no_text_layer": (
        "{pages} Seite(n) ohne Textebene; {problem}",
        "{pages} page(s) without text layer; {problem}",
    ),
    "reason_ocr_timeout": (
        "die Texterkennung (OCR) von {pages} Seiten ohne Textebene wurde nicht in {seconds} s fertig "
        "({done} gelesen); CHARTA_PARSE_TIMEOUT erhöhen",
        "OCR of {pages} pages without text layer did not finish within {seconds} s ({done} read); "
        "raise CHARTA_PARSE_TIMEOUT",
    ),
    "reason_no_passages": (
        "aus seinem Text ließen sich keine Passagen bilden",
        "no passages could be made from its text",
    ),
    "reason_too_many_passages": (
        "zu viele Passagen ({passages}, Grenze {limit}, CHARTA_MAX_PASSAGES)",
        "too many passages ({passages} > limit {limit}, CHARTA_MAX_PASSAGES)",
    ),
    "reason_too_slow": (
        "die Indexierung dauerte länger als {seconds} s (CHARTA_DOC_TIMEOUT); Grenze erhöhen oder PDF teilen",
        "indexing took longer than {seconds} s (CHARTA_DOC_TIMEOUT); raise it or split the PDF",
    ),
    "reason_duplicate": (
        "gleicher Inhalt wie {other}, wird nicht doppelt indexiert",
        "same content as {other}, not indexed twice",
    ),
    "reason_id_in_catalog": (
        "die Dokument-ID „{doc_id}“ hat schon {other}; einem der beiden in catalog.toml eine andere 'id' geben",
        "document id '{doc_id}' is already used by {other}; give one of them another 'id' in catalog.toml",
    ),
    "reason_in_corpus": (
        "gleicher Inhalt wie {other} (schon im Korpus); nicht hinzugefügt",
        "same content as {other} (already in the corpus); not added",
    ),
    "reason_indexed": (
        "gleicher Inhalt wie das indexierte {other}; nicht hinzugefügt",
        "same content as the indexed {other}; not added",
    ),
    "reason_outside": ("der Dateiname führt aus dem Korpusordner heraus", "file name leaves the corpus folder"),
    "reason_name_taken": (
        "im Korpus liegt schon eine andere Datei {name}; zum Ersetzen das Häkchen „Gleichnamige Datei ersetzen“ "
        "setzen (die alte kommt nach .removed/) oder die Datei umbenennen",
        "the corpus already has a different {name}; tick “Replace a file of the same name” to replace it "
        "(the old file is kept in .removed/) or give the file another name",
    ),
    "reason_id_taken": (
        "die Dokument-ID „{doc_id}“ hat schon {other}; bitte die Datei umbenennen",
        "document id '{doc_id}' is already used by {other}; rename the file",
    ),
    "reason_copy_failed": (
        "ließ sich nicht nach {folder} kopieren: {detail}",
        "could not copy into {folder}: {detail}",
    ),
    "reason_old_moved": ("die alte Fassung liegt jetzt in {path}", "old version moved to {path}"),
    "reason_not_indexed": (
        "ließ sich nicht indexieren (siehe oben); wieder aus dem Korpus genommen",
        "could not be indexed (see above); taken back out of the corpus",
    ),
    "reason_not_indexed_old_back": (
        "ließ sich nicht indexieren (siehe oben); wieder aus dem Korpus genommen, die vorige Fassung ist zurück",
        "could not be indexed (see above); taken back out of the corpus; the previous version is back",
    ),
    "reason_unknown_document": (
        "kein solches Dokument im Korpus oder im Index; bekannt sind: {known}",
        "no such document in the corpus or the index; known: {known}",
    ),
    "reason_ambiguous": (
        "meint mehrere Dateien: {files}; bitte die Dokument-ID angeben",
        "names several files: {files}; give the document id",
    ),
    "reason_not_this_login": ("nicht mit dieser Anmeldung hochgeladen", "not uploaded with this login"),
    "reason_moved_away": ("verschoben nach {path}", "moved to {path}"),
    "reason_gone": ("war indexiert, liegt aber nicht mehr im Korpus", "was indexed but no longer in the corpus"),
    "reason_not_in_corpus": (
        "nicht im Korpusordner; die nächste Indexierung nimmt es heraus",
        "not in the corpus folder; the next build drops it",
    ),
    "reason_file_changed": (
        "die Datei im Korpus unterscheidet sich von der indexierten Fassung",
        "file on disk differs from the indexed version",
    ),
    "reason_catalog_changed": (
        "der Katalogeintrag unterscheidet sich von den indexierten Angaben",
        "catalog entry differs from the indexed metadata",
    ),
    "reason_moved": (
        "indexiert aus {path}; die nächste Indexierung vermerkt den neuen Ort (ohne neu einzubetten)",
        "indexed from {path}; the next build records where it is now (nothing is re-embedded)",
    ),
    "reason_unindexable_kept": (
        "die Datei im Korpus lässt sich nicht indexieren: {cause} (die indexierte Fassung bleibt)",
        "file on disk cannot be indexed: {cause} (indexed version stays)",
    ),
    "reason_file_changed_unindexable": (
        "die Datei im Korpus unterscheidet sich von der indexierten Fassung ({cause})",
        "file on disk differs from the indexed version ({cause})",
    ),
    "reason_pages_unreadable": (
        "{unreadable} von {pages} Seiten nicht lesbar (ihr Text ist nicht durchsuchbar)",
        "{unreadable} of {pages} pages unreadable (their text is not searchable)",
    ),
    "reason_pages_unreadable_why": (
        "{unreadable} von {pages} Seiten nicht lesbar: {problem} (ihr Text ist nicht durchsuchbar)",
        "{unreadable} of {pages} pages unreadable: {problem} (their text is not searchable)",
    ),
    "reason_ocr_now": (
        "Seiten ohne Textebene lassen sich jetzt per Texterkennung (OCR) lesen",
        "pages without text layer can be read by OCR now",
    ),
    "reason_superseded_by_unknown": (
        "ersetzt durch das unbekannte Dokument „{doc_id}“",
        "superseded by unknown document '{doc_id}'",
    ),
}

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
    "feedback_share": (
        "Von Ihrem Rechner sind heute schon viele Rückmeldungen gespeichert; weitere erst morgen wieder. Danke!",
        "Your computer has given a lot of feedback today; more is stored again tomorrow. Thank you!",
    ),
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
            "Formulieren Sie die Frage anders, suchen Sie nach ihren Wörtern in den "
            "Textstellen, oder lesen Sie in den Kapiteln, die ihr am nächsten kommen."
        ),
        ("Try other words, search the passages for the question's words, or read the chapters closest to it."),
    ),
    "passages_intro": ("Diese Stellen passen am ehesten.", "These passages fit best."),
    # Said above the span judge's pick when the decision did not confirm it as the answer.
    "closest_label": (
        "Am nächsten kommt diese Stelle – keine geprüfte Antwort:",
        "The closest passage – not a confirmed answer:",
    ),
    "search_words": ("Mit den Wörtern der Frage suchen: {words}", "Search with the question's words: {words}"),
    "nearest_chapters": ("Kapitel, die der Frage am nächsten kommen:", "Chapters closest to the question:"),
    "open_in_browse": ("{chapter} ({page}) im Reiter „Blättern“ lesen", "Read {chapter} ({page}) in the “Browse” tab"),
    "toc_intro": (
        "Wählen Sie einen Abschnitt aus dem Inhaltsverzeichnis:",
        "Choose a section from the table of contents:",
    ),
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
            "ein Handout für Teilnehmende (ohne Lösungen) und eines für die Kursleitung (mit Ablauf, Hinweisen "
            "und Lösungen), je als PDF und Word, Folien (PowerPoint) und Quiz (Moodle-XML), jede Zeile mit Quelle."
        ),
        (
            "Put together material for a training session from sections and collected passages: a handout "
            "for participants (no solutions) and one for the trainer (timing, notes and solutions), each as "
            "PDF and Word, slides (PowerPoint) and a quiz (Moodle XML), every line cited."
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
    "kit_err_too_many_fields": (
        "ein Objekt hat mehr als {limit} Felder",
        "an object has more than {limit} fields",
    ),
    "kit_err_bad_id": ("„{field}“ ist keine gültige Kennung", "“{field}” is not a valid id"),
    "kit_err_minutes": (
        "die Dauer muss eine ganze Zahl von 0 bis 1440 Minuten sein",
        "the length must be a whole number from 0 to 1440 minutes",
    ),
    "kit_err_item_ids": (
        "ein Eintrag braucht entweder passage_id oder section",
        "an item needs either passage_id or section",
    ),
    # The page served while the first start builds the index (web/starting.py).
    "starting_title": ("Charta-Lotse wird vorbereitet", "Charta-Lotse is getting ready"),
    "starting_intro": (
        (
            "Beim ersten Start werden die Dokumente einmal indexiert. Diese Seite zeigt den Stand "
            "und wechselt von selbst zur App, sobald sie bereit ist."
        ),
        (
            "On the first start the documents are indexed once. This page shows how far it is and "
            "switches to the app by itself as soon as it is ready."
        ),
    ),
    "starting_noscript": (
        "Laden Sie die Seite in einer Minute neu, um die App zu öffnen.",
        "Reload the page in a minute to open the app.",
    ),
    "starting_begin": ("Die Indexierung beginnt …", "Indexing is starting …"),
    "starting_read": (
        "Dokument {doc} von {docs} ({file}): Seite {read} von {pages} gelesen.",
        "Document {doc} of {docs} ({file}): page {read} of {pages} read.",
    ),
    "starting_embed": (
        "Dokument {doc} von {docs} ({file}): {pages} Seiten gelesen, {share} % des Textes indexiert",
        "Document {doc} of {docs} ({file}): {pages} pages read, {share} % of the text indexed",
    ),
    "starting_write": ("Der Index wird gespeichert …", "Saving the index …"),
    "starting_ready": (
        "Der Index ist fertig; die App startet gleich.",
        "The index is ready; the app starts in a moment.",
    ),
    # Gradio's own announcements for screen readers, in the interface language (its
    # "common.complete" has no text of its own and would be read out as the key).
    "sr_complete": ("Fertig.", "Done."),
    "sr_loading": ("Wird geladen …", "Loading …"),
    "sr_error": ("Hinweis", "Note"),
    "sr_queue": ("In der Warteschlange: {position} von {size}", "In the queue: {position} of {size}"),
    **ADMIN,
    **REASONS,
}


def t(key: str, lang: str = "de", **values: object) -> str:
    """The text for ``key`` in ``lang`` ("de" or "en"), formatted with ``values``."""
    de, en = STRINGS[key]
    text = en if lang == "en" else de
    return text.format(**values) if values else text
