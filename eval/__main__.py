"""``python -m eval``: retrieval and answer quality on the gold questions.

    python -m eval                    # retrieval: BM25, dense, hybrid per language
    python -m eval --answers          # answers: correct / honest / wrong, declined
    python -m eval --answers --fit    # refit the answer decision on both development sets first
    python -m eval --answers --spans  # where answers are lost: passage, sentence, span
    python -m eval --sweep [--lang en]  # fusion weights for this index's model
    python -m eval --misses           # German questions hybrid misses in the top 5
    python -m eval --dump hits.jsonl  # every hit of every mode and filter, to diff refactors
    python -m eval --questions eval/questions_heldout.jsonl   # the held-out set
    python -m eval --questions eval/questions_fresh.jsonl     # fresh everyday questions, reported too

Uses the index in CHARTA_INDEX_DIR (building it from the corpus first if there is none).
The held-out set is for reporting only: nothing is chosen on it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from common.errors import ChartaError, IndexNotFoundError
from common.settings import Settings, load_settings
from eval.metrics import (
    MULTI_CORPUS,
    MULTI_INDEX,
    MULTI_QUESTIONS,
    QUESTIONS,
    aggregate,
    load_questions,
    score_question,
)
from index.search import MODES, Searcher

METRICS = ("hit@1", "hit@5", "mrr@10", "contains@1", "contains@3", "contains@5", "doc@1")


def open_searcher(settings: Settings) -> Searcher:
    from index.build import build_index

    try:
        return Searcher.open(settings)
    except IndexNotFoundError:
        print(f"no index in {settings.index_dir}; building it from {settings.corpus_dir} …", file=sys.stderr)
        build_index([settings.corpus_dir], settings)
        return Searcher.open(settings)


def evaluate(searcher: Searcher, questions, modes=MODES) -> dict[str, Any]:
    """Retrieval metrics per language and mode over the answerable questions."""
    results: dict[str, Any] = {}
    groups = [(lang, [q for q in questions if q.lang == lang]) for lang in sorted({q.lang for q in questions})]
    # Questions whose topic is in several documents and only one answers them, apart.
    groups += [(f"{lang}, needs_doc", [q for q in qs if q.needs_doc]) for lang, qs in groups]
    for lang, group in groups:
        qs = [q for q in group if q.kind == "answerable"]
        if not qs:
            continue
        results[lang] = {"n": len(qs)}
        analysed = [searcher.analyse(q.question) for q in qs]
        for mode in modes:
            rows = [
                score_question(q, [h.to_json() for h in searcher.search(a, 10, mode)]) for q, a in zip(qs, analysed)
            ]
            results[lang][mode] = aggregate(rows)
    return results


def table(results: dict[str, Any]) -> str:
    modes = [m for m in MODES if any(m in per for per in results.values())]
    lines = ["| lang | n | metric | " + " | ".join(modes) + " |", "|" + "---|" * (3 + len(modes))]
    for lang, per in results.items():
        for metric in [m for m in METRICS if all(m in per[mode] for mode in modes)]:
            vals = " | ".join(f"{per[m][metric]:.3f}" for m in modes)
            lines.append(f"| {lang} | {per['n']} | {metric} | {vals} |")
    return "\n".join(lines)


def sweep_grid(lang: str) -> list[dict[str, Any]]:
    """Fusion profiles to try for questions in ``lang``."""
    grid: list[dict[str, Any]] = []
    for k in (10, 30, 60):
        for b in (0.0, 0.25, 0.5, 1.0):
            for d in (0.5, 1.0, 1.5, 2.0):
                if lang == "en":
                    grid.append({"rrf_k": k, "bm25_en": b, "dense_en": d})
                else:
                    for syn in (0.0, 0.25, 0.5, 0.75, 1.0):
                        grid.append({"rrf_k": k, "bm25": b, "dense": d, "synonyms": syn})
    return grid


def sweep(searcher: Searcher, questions, lang: str = "de") -> list[tuple[str, float, float]]:
    qs = [q for q in questions if q.lang == lang and q.kind == "answerable"]
    analysed = [searcher.analyse(q.question) for q in qs]
    out = []
    for change in sweep_grid(lang):
        searcher.fusion = replace(searcher.stored.manifest.fusion, **change)
        agg = aggregate(
            [score_question(q, [h.to_json() for h in searcher.search(a, 10)]) for q, a in zip(qs, analysed)]
        )
        out.append((" ".join(f"{k}={v}" for k, v in change.items()), agg["hit@5"], agg["mrr@10"]))
    searcher.fusion = searcher.stored.manifest.fusion
    return sorted(out, key=lambda r: (-r[2], -r[1]))


def dump(searcher: Searcher, questions, path: Path) -> int:
    """Write the top 10 of each question in each mode, unfiltered and with three filters
    (the first document; the top-level section of the middle passage; superseded documents
    included), one JSON line per search: two runs of a change that should not alter
    rankings must give identical files. Returns the number of searches."""
    middle = searcher.passages[len(searcher.passages) // 2] if searcher.passages else None
    filters: list[dict[str, Any]] = [
        {},
        {"doc_ids": sorted(searcher.documents)[:1]},
        {"section": middle.section_path[0] if middle and middle.section_path else ""},
        {"include_superseded": True},
    ]
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for q in questions:
            for mode in MODES:
                for where in filters:
                    hits = searcher.search(q.question, k=10, mode=mode, **where)
                    fields = [[h.row, h.score, h.bm25_score, h.dense_score, sorted(h.ranks.items())] for h in hits]
                    out.write(json.dumps({"id": q.id, "mode": mode, "where": where, "hits": fields}) + "\n")
                    n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--answers", action="store_true", help="evaluate the answers an official sees, not the rankings"
    )
    parser.add_argument(
        "--fit", action="store_true", help="with --answers: refit the answer decision on these questions"
    )
    parser.add_argument(
        "--spans",
        action="store_true",
        help="with --answers: where a gold phrase is lost (passage, candidates, best sentence, span)",
    )
    parser.add_argument("--sweep", action="store_true", help="grid over fusion weights")
    parser.add_argument(
        "--lang", default="de", choices=("de", "en"), help="language of the questions --sweep tunes for"
    )
    parser.add_argument("--misses", action="store_true", help="list hybrid misses (German)")
    parser.add_argument("--dump", type=Path, help="write every search's hits here (JSONL), to compare two commits")
    parser.add_argument("--index-dir")
    parser.add_argument(
        "--questions",
        type=Path,
        default=QUESTIONS,
        help="gold questions (JSONL); eval/questions_heldout.jsonl is the held-out set that nothing is tuned on",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.fit and (not args.answers or args.questions.resolve() != QUESTIONS):
        parser.error("--fit needs --answers and the development questions")
    try:
        settings = load_settings(index_dir=args.index_dir)
        questions = load_questions(args.questions)
        searcher = open_searcher(settings)
        model = searcher.stored.model_id
        if args.sweep:
            for label, h5, mrr in sweep(searcher, questions, args.lang):
                print(f"hit@5={h5:.3f} mrr@10={mrr:.3f}  {label}")
            return 0
        if args.dump:
            print(f"{dump(searcher, questions, args.dump)} searches written to {args.dump}")
            return 0
        if args.misses:
            for q in questions:
                if q.lang == "de" and q.kind == "answerable":
                    hits = [h.to_json() for h in searcher.search(q.question, 10)]
                    if not score_question(q, hits)["hit@5"]:
                        got = [h["section_path"][-1][:40] for h in hits[:3]]
                        print(f"{q.id} {q.gold_sections} {q.question}\n    got {got}")
            return 0
        if args.answers:
            from eval import answers

            if args.spans:
                report = answers.span_report(searcher, questions)
                print(
                    json.dumps(report, indent=1)
                    if args.json
                    else "\n".join(
                        f"{lang} (n={r['n']}): gold phrase in the top passage {r['top_passage']:.1%}, "
                        f"among the candidate sentences {r['candidates']:.1%}, in the best "
                        f"sentence {r['best_sentence']:.1%}, in the span {r['span']:.1%}"
                        for lang, r in report.items()
                    )
                )
                return 0
            decision = None
            if args.fit:
                multi = open_searcher(load_settings(index_dir=MULTI_INDEX, corpus_dir=MULTI_CORPUS))
                decision = answers.fit(
                    [
                        (searcher, questions, args.questions.name),
                        (multi, load_questions(MULTI_QUESTIONS), MULTI_QUESTIONS.name),
                    ]
                )
                print(f"decision refitted: {json.dumps(decision.fitted, ensure_ascii=False)}", file=sys.stderr)
            rows = answers.run(searcher, questions, decision)
            summary = answers.summarize(rows)
            if args.json:
                print(
                    json.dumps(
                        {"model": model, "summary": summary, "rows": [r.__dict__ for r in rows]},
                        ensure_ascii=False,
                        indent=1,
                    )
                )
            else:
                print(f"model: {model}; questions: {args.questions.name}")
                print(answers.table(summary))
            return 0
        results = evaluate(searcher, questions)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"model": model, **results}, ensure_ascii=False, indent=2))
    else:
        print(f"model: {model}; index: {settings.index_dir}; questions: {args.questions.name}")
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
