"""The search and answer command line, ``python -m index.search``.

    python -m index.search "FRAGE" [--k N] [--json] [--mode hybrid|bm25|dense]
    python -m index.search --queries FILE --json       # one JSON object per line
    python -m index.search --answer [--json] [--doc ID ...] "FRAGE"
    python -m index.search --answer --json --queries FILE

``--answer`` runs the same function the app calls (:func:`answer.pipeline.ask`), in the
documents ``--doc`` names (all when none), and in those the question names; each
JSON object then holds ``question``, ``status`` (answered | passages | not_covered),
``answer`` (the text exactly as shown), ``sentences`` and ``hits``. Lines of a
queries file are separate questions, not a conversation; a line may also be a JSON
object with ``question`` and an optional ``history`` (the earlier questions of its
conversation, oldest first), so that follow-ups can be asked from the command line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from answer.cite import document_name
from common.errors import ChartaError
from common.settings import add_help_settings, load_settings
from index.search import MODES, Hit, Searcher

NOT_COVERED_TEXT = "Die Dokumente beantworten diese Frage nicht."
PASSAGES_TEXT = "Diese Stellen passen am ehesten:"
CLOSEST_TEXT = "Am nächsten kommt diese Stelle – keine geprüfte Antwort:"


def _format_hit(hit: Hit) -> str:
    pages = hit.page if hit.page == hit.page_end else f"{hit.page}–{hit.page_end}"
    text = hit.text if len(hit.text) <= 300 else hit.text[:297].rstrip() + "…"
    return (
        f"{hit.rank}. {document_name(hit)} › {hit.section}, S. {pages} "
        f"[{hit.file}#page={hit.pdf_page}] (score {hit.score:.4f})\n   {text}"
    )


def _format_answer(answer) -> str:
    from answer.answer import ANSWERED, LACKS_NOTE, PASSAGES

    if answer.status == ANSWERED:
        lines = [answer.text, ""] + [f"[{p.marker}] {p.citation}" for p in answer.passages]
    elif answer.status == PASSAGES:
        lines = [PASSAGES_TEXT] + [f"[{p.marker}] {p.citation}\n   {p.hit.text[:300]}" for p in answer.passages]
        if answer.closest:
            # The span judge's pick first, quoted and cited, as the app shows it.
            lines[:0] = [CLOSEST_TEXT, answer.closest_text, f"({answer.closest_citation})", ""]
        if answer.lacks:
            lines.insert(0, LACKS_NOTE[answer.lacks][0])
    else:
        lines = [NOT_COVERED_TEXT]
    if answer.named:
        lines.insert(0, f"Gesucht nur in: {'; '.join(answer.named)} (in der Frage genannt).")
    return "\n".join(lines)


def parse_query_line(line: str) -> tuple[str, list[str]]:
    """A queries-file line: plain text, or JSON with ``question`` and ``history``.

    >>> parse_query_line('{"question": "Und warum?", "history": ["Sollen Schnittstellen offen sein?"]}')
    ('Und warum?', ['Sollen Schnittstellen offen sein?'])
    >>> parse_query_line("Wer steuert das?")
    ('Wer steuert das?', [])
    """
    if not line.startswith("{"):
        return line, []
    try:
        d = json.loads(line)
        question, history = d["question"], d.get("history") or []
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a question object ({exc!r}): {line[:80]}") from None
    if not isinstance(question, str) or not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise ValueError(f"'question' must be text and 'history' a list of texts: {line[:80]}")
    return question, history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.search", description="Search or ask the Charta-Lotse index.")
    parser.add_argument("question", nargs="?", help="the question (German or English)")
    parser.add_argument("--queries", metavar="FILE", help="a file with one question per line ('-' for stdin)")
    parser.add_argument(
        "--answer", action="store_true", help="answer the question as the app does, instead of listing passages"
    )
    parser.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON, one object per question")
    parser.add_argument("--mode", choices=MODES, default="hybrid")
    parser.add_argument("--doc", action="append", dest="docs", metavar="DOC_ID", help="only this document (repeatable)")
    parser.add_argument("--section", help="only this section (heading path prefix)")
    parser.add_argument(
        "--include-superseded", action="store_true", help="also search documents superseded by a newer edition"
    )
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    parser.add_argument("--model", help="expected embedding model (CHARTA_MODEL)")
    add_help_settings(parser)
    args = parser.parse_args(argv)
    if bool(args.question) == bool(args.queries):
        parser.error("give either a QUESTION or --queries FILE")
    if args.k < 1:
        parser.error(f"--k must be at least 1, got {args.k}")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = load_settings(index_dir=args.index_dir, model=args.model)
        if args.queries:
            fh = sys.stdin if args.queries == "-" else open(args.queries, encoding="utf-8")
            with fh:
                asked = [parse_query_line(line.strip()) for line in fh if line.strip()]
        else:
            asked = [(args.question, [])]
        questions = [q for q, _ in asked]
        searcher = Searcher.open(settings)
        unknown = sorted(set(args.docs or ()) - set(searcher.documents))
        if unknown:
            print(
                f"error: no document {', '.join(unknown)} in {settings.index_dir}; "
                f"the index has: {', '.join(sorted(searcher.documents))}",
                file=sys.stderr,
            )
            return 2
        for q, history in asked:
            if args.answer:
                from answer.pipeline import ask

                answer = ask(searcher, q, history, doc_ids=args.docs)
                print(
                    json.dumps(answer.to_json(), ensure_ascii=False) if args.json else _format_answer(answer),
                    flush=True,
                )
                continue
            hits = searcher.search(
                q,
                k=args.k,
                mode=args.mode,
                doc_ids=args.docs,
                section=args.section,
                include_superseded=args.include_superseded,
            )
            if args.json:
                print(json.dumps({"query": q, "hits": [h.to_json() for h in hits]}, ensure_ascii=False), flush=True)
            else:
                if len(questions) > 1:
                    print(f"## {q}")
                print("\n".join(_format_hit(h) for h in hits) if hits else "Keine passenden Textstellen gefunden.")
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except (ChartaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
