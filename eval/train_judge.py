"""``python -m eval.train_judge``: train the span judge on the team's pairs, measure it on the
development sets, and write it to ``answer/judge.json``.

    python -m eval.train_judge                 # train, measure, write answer/judge.json
    python -m eval.train_judge --curve         # learning curve: 500, 1000, 2000 and all questions
    python -m eval.train_judge --cross-doc     # train without each document, test on it
    python -m eval.train_judge --no-export     # measure only
    python -m eval.train_judge --report eval/questions_heldout.jsonl   # the written judge on other charter questions

Candidates come from the project's own search (eval/judge/mine.py): the training pairs over
the multi-document index of ``eval/corpus/`` (``data/multi-index``, built when missing), the
charter's development questions over the charter index (``data/index``) and the
multi-document development questions over the multi-document index. Mined candidates and
question vectors are cached in ``data/judge/`` by the content of the pairs and the index
generation. Nothing of ``eval/questions*.jsonl`` is trained on; the development sets are
only reported (and chose the judge's size); the held-out and fresh sets are read only by
``--report``, which fits nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import MULTI_CORPUS, MULTI_INDEX, MULTI_QUESTIONS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "judge"
CHARTER_INDEX = ROOT / "data" / "index"
RUNS = ROOT / "eval" / "runs"


def _searcher(index_dir: Path, corpus_dir: Path):
    from common.errors import IndexNotFoundError
    from common.settings import load_settings
    from index.build import build_index
    from index.search import Searcher

    settings = load_settings(index_dir=index_dir, corpus_dir=corpus_dir)
    try:
        return Searcher.open(settings)
    except IndexNotFoundError:
        print(f"building the index of {corpus_dir} in {index_dir} …", file=sys.stderr)
        build_index([corpus_dir], settings)
        return Searcher.open(settings)


@dataclass
class Set:
    """Mined candidates of some questions, with their question and sentence vectors."""

    mined: list
    qvecs: np.ndarray
    svecs: list[np.ndarray]

    def subset(self, keep: Sequence[int]) -> Set:
        return Set([self.mined[i] for i in keep], self.qvecs[list(keep)], [self.svecs[i] for i in keep])


def _cached(name: str, searcher, files: Sequence[Path], make) -> Set:
    from answer.judge_features import FEATURES
    from eval.judge.mine import load, save

    h = hashlib.sha256(searcher.generation.encode())
    for f in files:
        h.update(f.read_bytes())
    h.update(json.dumps(FEATURES).encode())
    path = DATA / f"{name}-{h.hexdigest()[:12]}.jsonl.gz"
    qpath = path.with_suffix(".qvec.npy")
    if path.exists() and qpath.exists():
        mined = load(path)
        qvecs = np.load(qpath, allow_pickle=False)
    else:
        t = time.time()
        mined = make()
        save(mined, path)
        texts = [" ".join(m.question.split()) for m in mined]
        qvecs = np.concatenate([searcher.embedder.encode_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])
        np.save(qpath, qvecs, allow_pickle=False)
        print(f"mined {len(mined)} questions for {name} in {time.time() - t:.0f} s", file=sys.stderr)
    emb = searcher.stored.sentence_embeddings
    return Set(mined, qvecs, [np.asarray(emb[m.rows]) if m.rows else np.zeros((0, qvecs.shape[1])) for m in mined])


def question_items(path: Path) -> list:
    """The answerable and unanswerable questions of a gold question file, to mine for
    (grouped by the document that answers them, else by language)."""
    from eval.judge.mine import Item
    from eval.metrics import load_questions

    return [
        Item(q.id, q.question, q.answer_contains if q.answerable else (), q.gold_doc, q.gold_doc or q.lang)
        for q in load_questions(path)
        if q.kind in ("answerable", "unanswerable")
    ]


def mined_sets() -> dict[str, Set]:
    """Training candidates and the two development sets' candidates."""
    from eval.judge.data import PAIRS, load_pairs
    from eval.judge.mine import Item, mine
    from eval.metrics import QUESTIONS

    multi = _searcher(MULTI_INDEX, MULTI_CORPUS)
    files = sorted(PAIRS.glob("*.jsonl"))
    # One cache per pairs file: a new round of pairs mines only its own questions.
    parts = [
        _cached(
            f"train-{f.stem}",
            multi,
            [f],
            lambda f=f: mine(
                multi, [Item(p.id, p.question, p.answer_contains, p.doc, p.doc, p.style) for p in load_pairs([f])]
            ),
        )
        for f in files
    ]
    train = Set(
        [m for part in parts for m in part.mined],
        np.concatenate([part.qvecs for part in parts]),
        [v for part in parts for v in part.svecs],
    )

    dev_multi = _cached("dev-multi", multi, [MULTI_QUESTIONS], lambda: mine(multi, question_items(MULTI_QUESTIONS)))
    charter = _searcher(CHARTER_INDEX, ROOT / "corpus")
    dev = _cached("dev-charter", charter, [QUESTIONS], lambda: mine(charter, question_items(QUESTIONS)))
    return {"train": train, "dev": dev, "dev-multi": dev_multi}


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (ties count half).

    >>> auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True]))
    0.75
    """
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def report(data: Set, logits: np.ndarray) -> dict[str, float]:
    """How the judge does on mined questions: AUC over all candidates, and the share of
    answerable questions whose best-judged candidate holds a gold piece ("first", and
    "first_prior" with the pipeline's rank prior, answer.judge.with_rank_prior), next to the
    pipeline's own first candidate and the best possible (a gold piece among them)."""
    from answer.judge import with_rank_prior
    from eval.judge.mine import arrays

    _, y, q = arrays(data.mined)
    first = prior = own = reach = n = 0
    for i, m in enumerate(data.mined):
        if not m.answerable:
            continue
        n += 1
        idx = np.flatnonzero(q == i)
        if len(idx):
            first += m.labels[int(np.argmax(logits[idx]))]
            prior += m.labels[int(np.argmax(with_rank_prior(logits[idx])))]
            own += m.labels[0]
            reach += any(m.labels)
    return {
        "auc": round(auc(logits, y), 4),
        "first": round(first / max(1, n), 4),
        "first_prior": round(prior / max(1, n), 4),
        "pipeline_first": round(own / max(1, n), 4),
        "reachable": round(reach / max(1, n), 4),
        "n": n,
    }


def fit_and_measure(train: Set, evals: dict[str, Set], **config: Any) -> tuple[Any, dict[str, dict[str, float]]]:
    from eval.judge.train import fit, predict

    model = fit(train.mined, train.qvecs, train.svecs, **config)
    judge = model.to_judge({})
    return model, {name: report(d, predict(judge, d.mined, d.qvecs, d.svecs)) for name, d in evals.items()}


def subset(data: Set, n: int, seed: int = 0) -> Set:
    order = list(range(len(data.mined)))
    random.Random(seed).shuffle(order)
    return data.subset(sorted(order[:n]))


CONFIGS = {"features only": {"rank": 0}, "rank 16": {"rank": 16}, "rank 64": {"rank": 64}}


def report_only(files: Sequence[Path]) -> int:
    """The written judge on question files over the charter index; nothing is fitted."""
    from answer.judge import load_judge
    from eval.judge.mine import mine
    from eval.judge.train import predict

    charter = _searcher(CHARTER_INDEX, ROOT / "corpus")
    judge = load_judge()
    for path in files:
        items = question_items(path)
        data = _cached(path.stem, charter, [path], lambda: mine(charter, items))
        cosine = report(data, np.array([f[0] for m in data.mined for f in m.features]))
        print(f"{path.name}: judge {json.dumps(report(data, predict(judge, data.mined, data.qvecs, data.svecs)))}")
        print(f"{path.name}: cosine {json.dumps(cosine)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_judge", description=__doc__.split("\n")[0])
    parser.add_argument("--rank", type=int, default=64, help="rank of the bilinear form (0: features only)")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--compare", action="store_true", help="compare sizes on the development sets")
    parser.add_argument("--curve", action="store_true", help="learning curve at 500, 1000, 2000 and all questions")
    parser.add_argument("--cross-doc", action="store_true", help="train without each document, test on it")
    parser.add_argument("--no-export", action="store_true", help="measure, do not write answer/judge.json")
    parser.add_argument("--report", nargs="+", type=Path, metavar="QUESTIONS", help="only report the written judge")
    args = parser.parse_args(argv)
    if args.report:
        return report_only(args.report)
    import torch

    from answer.judge import JUDGE_FILE
    from eval.judge.data import pairs_version

    torch.set_num_threads(2)
    config = {"rank": args.rank, "hidden": args.hidden, "epochs": args.epochs}
    sets = mined_sets()
    train, evals = sets["train"], {"dev": sets["dev"], "dev-multi": sets["dev-multi"]}
    record: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "config": config}
    baseline = {name: report(d, np.array([f[0] for m in d.mined for f in m.features])) for name, d in evals.items()}
    record["cosine"] = baseline
    print(f"cosine alone: {json.dumps(baseline)}", flush=True)
    if args.compare:
        record["compare"] = {}
        for name, change in CONFIGS.items():
            _, results = fit_and_measure(train, evals, **{**config, **change})
            record["compare"][name] = results
            print(f"{name}: {json.dumps(results)}", flush=True)
    if args.curve:
        record["curve"] = {}
        for n in (500, 1000, 2000, len(train.mined)):
            _, results = fit_and_measure(subset(train, n), evals, **config)
            record["curve"][n] = results
            print(f"{n} questions: {json.dumps(results)}", flush=True)
    if args.cross_doc:
        record["cross_doc"] = {}
        groups = [m.group for m in train.mined]
        for doc in sorted(set(groups)):
            rest = train.subset([i for i, g in enumerate(groups) if g != doc])
            held = train.subset([i for i, g in enumerate(groups) if g == doc])
            _, results = fit_and_measure(rest, {doc: held}, **config)
            record["cross_doc"][doc] = results[doc]
            print(f"without {doc}: {json.dumps(results[doc])}", flush=True)
    if not args.no_export:
        t = time.time()
        model, results = fit_and_measure(train, evals, **config)
        record.update(
            {
                "pairs": len(train.mined),
                "pairs_version": pairs_version(),
                "candidates": sum(len(m.labels) for m in train.mined),
                "documents": sorted({m.group for m in train.mined}),
                "seconds": round(time.time() - t, 1),
                "results": results,
            }
        )
        print(json.dumps(results))
        judge = model.to_judge(record)
        JUDGE_FILE.write_text(json.dumps(judge.to_json(), ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"judge written to {JUDGE_FILE}", file=sys.stderr)
    RUNS.mkdir(exist_ok=True)
    name = f"judge-{record['at'][:10]}" + ("-measured" if args.no_export else "")
    (RUNS / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
