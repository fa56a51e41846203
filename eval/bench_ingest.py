"""``python -m eval.bench_ingest PDF``: what indexing one large PDF costs beyond the model,
and how good the time left shown while it runs was.

Indexes the PDF alone into a temporary corpus and index in a fresh process (what
``python -m ingest`` runs: start, parse, cut, embed, write; the build's progress is
recorded on the side), then, in another fresh process, times the embedding model alone
on exactly the texts that build embedded (its passages and sentences, as
``index.build`` words them): once as one call per kind, the model's best, and once in
the build's batches. Wall and CPU time of each (CPU: all threads, child processes
included) are reported; the overhead is what the whole ingest took on top of the model
alone. The time left the build estimated at 10, 25, 50 and 75 % of its embedding is
set against the time it then really took. On a busy machine run it when nothing else
runs, or compare the CPU times, which suffer less from other work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.settings import PROJECT_ROOT

# Run in a fresh interpreter: the build of ``python -m ingest CORPUS``, with each progress
# report written to a file (seconds since the start, share embedded, time left).
_INGEST = """
import json, sys, time
from pathlib import Path
from common.settings import load_settings
from index.build import build_index
from index.progress import BuildProgress

started = time.perf_counter()
corpus, index_dir, events = Path(sys.argv[1]), Path(sys.argv[2]), open(sys.argv[3], "w")

def heard(event):
    if isinstance(event, BuildProgress) and event.stage == "embed":
        events.write(json.dumps([time.perf_counter() - started, event.embedded, event.seconds_left]) + "\\n")

settings = load_settings(corpus_dir=corpus, index_dir=index_dir)
report = build_index([corpus], settings, on_event=heard, bar=False)
events.close()
print(report.summary())
"""

# Run in a fresh interpreter: embeds the index's texts as the build does, prints JSON.
_EMBED_ALONE = """
import json, resource, sys, time
from pathlib import Path
from index import store
from index.build import _Budget, embed_text, sentence_embed_text
from index.embed import get_embedder

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

stored = store.load_stored(Path(sys.argv[1]))
kinds = {
    "passages": [embed_text(p) for p in stored.passages],
    "sentences": [sentence_embed_text(s) for s in stored.sentences],
}
model = get_embedder(None)
model.encode_passages(["Aufwärmen"])  # the weights paged in, as the build's first batch has them
out = {"passages": len(kinds["passages"]), "sentences": len(kinds["sentences"])}
for how in ("one_call", "batches"):
    wall = cpu_s = 0.0
    for name, texts in kinds.items():
        t0, c0 = time.perf_counter(), cpu()
        if how == "one_call":
            model.encode_passages(texts)
        else:
            first = _Budget.FIRST_BATCH if name == "passages" else _Budget.BATCH
            i = 0
            while i < len(texts):
                size = first if i == 0 else _Budget.BATCH
                model.encode_passages(texts[i : i + size])
                i += size
        wall += time.perf_counter() - t0
        cpu_s += cpu() - c0
    out[how] = {"wall_s": wall, "cpu_s": cpu_s}
print(json.dumps(out))
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(args: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """A fresh process's output, wall time and CPU time (its children's included)."""
    c0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed: {proc.stderr.strip()[-400:]}")
    return proc.stdout, wall, cpu


def bench(pdf: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="charta-bench-ingest-"))
    try:
        corpus, index_dir = tmp / "corpus", tmp / "index"
        corpus.mkdir()
        shutil.copy(pdf, corpus / pdf.name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTA_")} | {"HF_HUB_OFFLINE": "1"}
        events = tmp / "progress.jsonl"
        out, ingest_wall, ingest_cpu = _run(
            [sys.executable, "-c", _INGEST, str(corpus), str(index_dir), str(events)], env
        )
        summary = out.strip().splitlines()[-1]
        pages = int(re.search(r"(\d+) pages", summary)[1])  # type: ignore[index]
        share = int(re.search(r"embedding (\d+) %", summary)[1])  # type: ignore[index]
        alone_out, _, _ = _run([sys.executable, "-c", _EMBED_ALONE, str(index_dir)], env)
        alone = json.loads(alone_out)
        best = alone["one_call"]
        return {
            "pdf": pdf.name,
            "pages": pages,
            "passages": alone["passages"],
            "sentences": alone["sentences"],
            "ingest_wall_s": ingest_wall,
            "ingest_cpu_s": ingest_cpu,
            "pages_per_s": pages / ingest_wall,
            "embedding_share_in_build": share,
            "embed_alone_wall_s": best["wall_s"],
            "embed_alone_cpu_s": best["cpu_s"],
            "embed_in_batches_wall_s": alone["batches"]["wall_s"],
            "embed_in_batches_cpu_s": alone["batches"]["cpu_s"],
            "overhead_wall": ingest_wall / best["wall_s"] - 1,
            "overhead_cpu": ingest_cpu / best["cpu_s"] - 1,
            "load_average": os.getloadavg()[0],
            "summary": summary,
            "time_left": estimates([json.loads(line) for line in events.read_text().splitlines()]),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def estimates(events: list[list]) -> dict[str, dict[str, float]]:
    """The time left the build showed when it had embedded 10, 25, 50 and 75 % of the
    document, and how long the embedding then really took (to its last batch).

    >>> estimates([[10.0, 0.0, None], [20.0, 0.1, 90.0], [30.0, 0.5, 50.0], [110.0, 1.0, 0.0]])["10 %"]
    {'shown_s': 90.0, 'took_s': 90.0}
    """
    end = events[-1][0]
    out = {}
    for share in (0.10, 0.25, 0.50, 0.75):
        at = next((e for e in events if e[1] >= share and e[2] is not None), None)
        if at is not None:
            out[f"{share:.0%}".replace("%", " %")] = {"shown_s": at[2], "took_s": end - at[0]}
    return out


def table(r: dict) -> str:
    rows = [
        ("document", f"{r['pdf']}: {r['pages']} pages, {r['passages']} passages, {r['sentences']} sentences"),
        ("`python -m ingest` (fresh process)", f"{r['ingest_wall_s']:.1f} s wall, {r['ingest_cpu_s']:.1f} s CPU"),
        ("pages/s", f"{r['pages_per_s']:.2f}"),
        ("embedding share the build measured", f"{r['embedding_share_in_build']} %"),
        (
            "the model alone, same texts, one call per kind",
            f"{r['embed_alone_wall_s']:.1f} s wall, {r['embed_alone_cpu_s']:.1f} s CPU",
        ),
        (
            "the model alone, in the build's batches",
            f"{r['embed_in_batches_wall_s']:.1f} s wall, {r['embed_in_batches_cpu_s']:.1f} s CPU",
        ),
        (
            "everything but the model, on top",
            f"{100 * r['overhead_wall']:+.0f} % wall, {100 * r['overhead_cpu']:+.0f} % CPU",
        ),
        ("load average at the end", f"{r['load_average']:.1f}"),
    ]
    for share, e in r["time_left"].items():
        rows.append(
            (f"time left shown at {share} embedded / then taken", f"{e['shown_s']:.0f} s / {e['took_s']:.0f} s")
        )
    return "\n".join(["| measure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_ingest", description=__doc__.split("\n")[0])
    parser.add_argument("pdf", type=Path, help="the PDF to index (e.g. ../shared/pdf-samples/GeoTopo-komprimiert.pdf)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.pdf.is_file():
        print(f"error: no such file: {args.pdf}", file=sys.stderr)
        return 2
    result = bench(args.pdf)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
