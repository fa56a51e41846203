"""``python -m eval.calibrate``: choose the no-answer threshold of the extractive answers.

For every question of eval/questions.jsonl it searches (hybrid, k=10), composes the
answer and records ``support`` (the best sentence score, see index/answer.py). The
threshold is the midpoint of the widest interval of support values that gives the
highest balanced accuracy: the mean of the share of answerable questions that get an
answer and the share of unanswerable questions that are declined. It also reports how
often the composed answer contains the gold phrase (``answer_contains``).

    python -m eval.calibrate [--index-dir DIR] [--json]
    python -m eval.calibrate --questions eval/questions_heldout.jsonl   # check, not choose

With ``--questions`` it also reports how the threshold in force
(``answer.compose.NO_ANSWER_THRESHOLD``) does on that file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from pathlib import Path
from typing import Any

from eval.metrics import QUESTIONS, load_questions, normalize
from answer.compose import NO_ANSWER_THRESHOLD
from common.errors import ChartaError
from common.settings import load_settings


def supports(searcher, questions) -> list[dict[str, Any]]:
    from answer.compose import compose

    rows = []
    for q in questions:
        hits = searcher.search(q.question, k=10)
        ans = compose(q.question, hits, searcher.embedder, vocab=searcher.bm25.vocab,
                      english_vocab=searcher.english_vocab, threshold=float("-inf"))
        phrase = normalize(q.answer_contains or "")
        rows.append({"id": q.id, "lang": q.lang, "kind": q.kind, "support": ans.support,
                     "contains": bool(phrase) and phrase in normalize(ans.text)})
    return rows


def choose_threshold(rows: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    """(threshold, balanced accuracy, answered share, declined share).

    >>> rows = [{"kind": "answerable", "support": s} for s in (0.5, 0.6, 0.7)] + \\
    ...        [{"kind": "unanswerable", "support": s} for s in (0.2, 0.3)]
    >>> choose_threshold(rows)
    (0.4, 1.0, 1.0, 1.0)
    """
    pos = sorted(r["support"] for r in rows if r["kind"] == "answerable")
    neg = sorted(r["support"] for r in rows if r["kind"] == "unanswerable")
    values = sorted(set(pos + neg))
    cuts = [values[0] - 0.01] + [(a + b) / 2 for a, b in itertools.pairwise(values)] \
        + [values[-1] + 0.01]

    def quality(t: float) -> tuple[float, float, float]:
        answered = sum(s >= t for s in pos) / len(pos)
        declined = sum(s < t for s in neg) / len(neg)
        return (answered + declined) / 2, answered, declined

    best = max(quality(t)[0] for t in cuts)
    good = [t for t in cuts if quality(t)[0] == best]
    # The widest run of equally good cuts: take its middle, as far from both classes as possible.
    runs: list[list[float]] = [[good[0]]]
    for t in good[1:]:
        if cuts.index(t) == cuts.index(runs[-1][-1]) + 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    run = max(runs, key=lambda r: r[-1] - r[0])
    lo = max([s for s in neg if s < run[0]], default=run[0])
    hi = min([s for s in pos if s >= run[-1]], default=run[-1])
    t = round((lo + hi) / 2, 3) if lo < hi else round(run[0], 3)
    return (t, *(round(x, 3) for x in quality(t)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from eval.__main__ import open_searcher

    try:
        settings = load_settings(index_dir=args.index_dir)
        searcher = open_searcher(settings)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = supports(searcher, load_questions(args.questions))
    t, bal, answered, declined = choose_threshold(rows)
    in_force = {lang: rates(rows, NO_ANSWER_THRESHOLD, lang) for lang in ("de", "en", None)}
    ans = [r for r in rows if r["kind"] == "answerable"]
    contains = sum(r["contains"] for r in ans) / len(ans)
    if args.json:
        print(json.dumps({"model": searcher.stored.model_id, "threshold": t,
                          "balanced_accuracy": bal, "answered": answered,
                          "declined": declined, "answer_contains": round(contains, 3),
                          "in_force": {"threshold": NO_ANSWER_THRESHOLD,
                                       **{lang or "all": r for lang, r in in_force.items()}},
                          "rows": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"model: {searcher.stored.model_id}")
    for kind in ("answerable", "unanswerable"):
        vals = sorted(r["support"] for r in rows if r["kind"] == kind)
        q = [vals[int(p * (len(vals) - 1))] for p in (0, 0.1, 0.5, 0.9, 1)]
        print(f"{kind:13s} n={len(vals):3d} support min/p10/p50/p90/max = "
              + " / ".join(f"{v:.3f}" for v in q))
    print(f"threshold {t}: balanced accuracy {bal}, answerable answered {answered}, "
          f"unanswerable declined {declined}")
    print(f"answer contains the gold phrase: {contains:.3f} of {len(ans)} answerable")
    for lang, r in in_force.items():
        print(f"threshold in force {NO_ANSWER_THRESHOLD} ({lang or 'all'}): answered "
              f"{r['answered']} of answerable, declined {r['declined']} of unanswerable")
    return 0


def rates(rows: list[dict[str, Any]], threshold: float, lang: str | None = None) -> dict:
    """Shares of answerable questions answered and of unanswerable ones declined.

    >>> rates([{"kind": "answerable", "support": 0.5, "lang": "de"},
    ...        {"kind": "unanswerable", "support": 0.1, "lang": "de"}], 0.3)
    {'answered': 1.0, 'declined': 1.0}
    """
    rows = [r for r in rows if lang is None or r["lang"] == lang]
    pos = [r["support"] for r in rows if r["kind"] == "answerable"]
    neg = [r["support"] for r in rows if r["kind"] == "unanswerable"]
    return {"answered": round(sum(s >= threshold for s in pos) / len(pos), 3) if pos else None,
            "declined": round(sum(s < threshold for s in neg) / len(neg), 3) if neg else None}


if __name__ == "__main__":
    sys.exit(main())
