"""``python -m eval``: retrieval quality of BM25, dense and hybrid on the gold questions.

    python -m eval            # table per language
    python -m eval --json     # the same as JSON
    python -m eval --sweep    # try fusion methods and weights on the German set
    python -m eval --misses   # list the German questions hybrid misses in the top 5

Uses the index in CHARTA_INDEX_DIR (building it from the corpus first if there is none).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from eval.metrics import QUESTIONS, aggregate, load_questions, score_question
from common.errors import ChartaError, IndexNotFoundError
from common.settings import Settings, load_settings

MODES = ("bm25", "dense", "gloss", "hybrid")
METRICS = ("hit@1", "hit@5", "mrr@10", "contains@5")


def open_searcher(settings: Settings):
    from index.build import build_index
    from index.search import Searcher

    try:
        return Searcher.open(settings)
    except IndexNotFoundError:
        print(f"no index in {settings.index_dir}; building it from {settings.corpus_dir} …",
              file=sys.stderr)
        build_index([settings.corpus_dir], settings)
        return Searcher.open(settings)


def evaluate(searcher, questions, modes=MODES) -> dict[str, Any]:
    """Metrics per language and mode, plus top scores of the unanswerable questions."""
    results: dict[str, Any] = {"answerable": {}, "unanswerable": {}}
    for lang in sorted({q.lang for q in questions}):
        qs = [q for q in questions if q.lang == lang and q.kind == "answerable"]
        results["answerable"][lang] = {"n": len(qs)}
        for mode in modes:
            rows = [score_question(q, [h.to_json() for h in searcher.search(q.question, 10, mode)])
                    for q in qs]
            results["answerable"][lang][mode] = aggregate(rows)
    for kind in ("answerable", "unanswerable"):
        tops = []
        for q in questions:
            if q.kind == kind:
                hits = searcher.search(q.question, 1, "hybrid")
                tops.append({"id": q.id, "dense": hits[0].dense_score if hits else 0.0,
                             "bm25": hits[0].bm25_score if hits else 0.0})
        results["unanswerable" if kind == "unanswerable" else "answerable"]["top_scores"] = tops
    return results


def table(results: dict[str, Any]) -> str:
    lines = []
    head = "| lang | n | metric | " + " | ".join(MODES) + " |"
    lines += [head, "|" + "---|" * (3 + len(MODES))]
    for lang, per in results["answerable"].items():
        if lang == "top_scores":
            continue
        for metric in METRICS:
            vals = " | ".join(f"{per[m][metric]:.3f}" for m in MODES if m in per)
            lines.append(f"| {lang} | {per['n']} | {metric} | {vals} |")
    return "\n".join(lines)


def sweep_grid(lang: str) -> list[dict[str, Any]]:
    """Fusion settings to try: the weights that apply to questions in ``lang``."""
    grid: list[dict[str, Any]] = []
    if lang == "en":
        for d in (0.0, 0.25, 0.5, 1.0):
            for g in (0.5, 1.0, 1.5, 2.0):
                grid.append({"method": "rrf", "dense_weight_en": d, "gloss_weight_en": g})
        return grid
    for method in ("rrf", "score"):
        for d in (0.0, 0.25, 0.5):
            for g in (0.25, 0.5, 0.75, 1.0):
                for syn in (0.0, 0.25, 0.5, 0.75):
                    for k in ((10, 30, 60) if method == "rrf" else (30,)):
                        grid.append({"method": method, "dense_weight": d, "gloss_weight": g,
                                     "synonym_weight": syn, "rrf_k": k})
    return grid


def sweep(settings: Settings, questions, lang: str = "de") -> list[tuple[str, float, float]]:
    from index.search import Searcher

    base = open_searcher(settings)
    qs = [q for q in questions if q.lang == lang and q.kind == "answerable"]
    out = []
    for change in sweep_grid(lang):
        fusion = replace(settings.fusion, **change)
        s = Searcher(base.stored, base.embedder, replace(settings, fusion=fusion))
        agg = aggregate([score_question(q, [h.to_json() for h in s.search(q.question, 10)])
                         for q in qs])
        label = " ".join(f"{k}={v}" for k, v in change.items())
        out.append((label, agg["hit@5"], agg["mrr@10"]))
    return sorted(out, key=lambda r: (-r[2], -r[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="grid over fusion settings")
    parser.add_argument("--lang", default="de", choices=("de", "en"),
                        help="language of the questions --sweep tunes for")
    parser.add_argument("--misses", action="store_true", help="list hybrid misses (German)")
    parser.add_argument("--index-dir")
    parser.add_argument("--questions", type=Path, default=QUESTIONS,
                        help="gold questions (JSONL); eval/questions_heldout.jsonl is the "
                             "held-out set that no setting was tuned on")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = load_settings(index_dir=args.index_dir)
        questions = load_questions(args.questions)
        if args.sweep:
            for label, h5, mrr in sweep(settings, questions, args.lang):
                print(f"hit@5={h5:.3f} mrr@10={mrr:.3f}  {label}")
            return 0
        searcher = open_searcher(settings)
        if args.misses:
            for q in questions:
                if q.lang == "de" and q.kind == "answerable":
                    hits = [h.to_json() for h in searcher.search(q.question, 10)]
                    if not score_question(q, hits)["hit@5"]:
                        got = [h["section_path"][-1][:40] for h in hits[:3]]
                        print(f"{q.id} {q.gold_sections} {q.question}\n    got {got}")
            return 0
        results = evaluate(searcher, questions)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"model": searcher.stored.model_id, **results}, ensure_ascii=False,
                         indent=2))
    else:
        print(f"model: {searcher.stored.model_id}; index: {settings.index_dir}")
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
