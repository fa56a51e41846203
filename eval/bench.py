"""``python -m eval.bench``: ingest and query speed, memory. Numbers go in docs/SPEED.md (headlines in the README).

Measures, on a temporary copy of the corpus and a temporary index folder:

* full ingest (a fresh ``python -m ingest`` process, model load included) and an
  unchanged rerun, wall time and peak memory of the process;
* seconds per page and per passage of the full ingest;
* warm query latency p50/p95 per retriever, in-process, over the gold questions
  (each question embedded afresh: the query cache is cleared per mode);
* warm answer latency p50/p95 (``answer.pipeline.ask``, question embedded afresh);
* peak memory of the searching process;
* startup: ``python -m index.search`` for one question (wall time and peak memory of the
  process) and ``python app.py`` until its page answers (time and peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.settings import PROJECT_ROOT, load_settings
from eval.metrics import load_questions, percentile

# The child's own peak: VmHWM starts afresh with the new program, while ru_maxrss keeps
# the parent's peak across fork and exec.
_PEAK = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"


def _run_ingest(corpus: Path, index_dir: Path) -> tuple[float, float, str]:
    env = dict(os.environ, CHARTA_INDEX_DIR=str(index_dir), HF_HUB_OFFLINE="1")
    # /usr/bin/time is not everywhere; ask the child for its own peak RSS instead.
    code = (
        "import resource, runpy, sys; sys.argv=['ingest', '-q', sys.argv[1]];\n"
        "try:\n    runpy.run_module('ingest', run_name='__main__')\n"
        "except SystemExit as e:\n    rc = e.code\n"
        f"print('PEAK_KB', {_PEAK})"
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(corpus)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    peak = next((int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("PEAK_KB")), 0)
    summary = next((line for line in proc.stdout.splitlines() if "passages" in line), "")
    if proc.returncode not in (0, None):
        raise SystemExit(f"ingest failed: {proc.stderr.strip()[-300:]}")
    return seconds, peak / 1024, summary


def _startup(index_dir: Path) -> dict[str, float]:
    """Fresh processes over ``index_dir``: one CLI question, and the app until it serves."""
    env = dict(os.environ, CHARTA_INDEX_DIR=str(index_dir), HF_HUB_OFFLINE="1")
    code = (
        "import resource, runpy, sys\n"
        "sys.argv = ['index.search', 'Muss jeder Bürger Online-Dienste nutzen?', '--k', '3']\n"
        "try:\n    runpy.run_module('index.search', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print('PEAK_KB', {_PEAK})"
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    cli_s = time.perf_counter() - started
    cli_mb = next((int(line.split()[1]) / 1024 for line in proc.stdout.splitlines() if line.startswith("PEAK_KB")), 0.0)
    from eval.bench_app import free_port, start_app

    started = time.perf_counter()
    app = start_app(str(index_dir), free_port())
    try:
        app_s = time.perf_counter() - started
        status = Path(f"/proc/{app.pid}/status").read_text()
        app_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    finally:
        app.terminate()
        app.wait(timeout=30)
    return {"cli_startup_s": cli_s, "cli_peak_mb": cli_mb, "app_ready_s": app_s, "app_peak_mb": app_mb}


def bench(corpus: Path, repeats: int = 3) -> dict:
    from index.search import MODES, Searcher

    tmp = Path(tempfile.mkdtemp(prefix="charta-bench-"))
    try:
        index_dir = tmp / "index"
        full_s, full_mb, summary = _run_ingest(corpus, index_dir)
        unchanged = [_run_ingest(corpus, index_dir)[0] for _ in range(repeats)]
        settings = load_settings(index_dir=index_dir)
        searcher = Searcher.open(settings)
        manifest = searcher.stored.manifest
        pages = sum(d["pages"] for d in manifest.documents)
        passages = manifest.passages
        questions = [q.question for q in load_questions()]
        latency: dict[str, dict[str, float]] = {}
        searcher.search("Aufwärmen der Modelle", 5)  # first-call costs are not "warm"
        for mode in MODES:
            times = []
            for _ in range(repeats):
                searcher.embedder.forget_queries()
                for q in questions:
                    t0 = time.perf_counter()
                    searcher.search(q, 10, mode)
                    times.append((time.perf_counter() - t0) * 1000)
            latency[mode] = {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "n": len(times)}
        from answer.pipeline import ask

        ask(searcher, "Aufwärmen der Entscheidung")
        times = []
        for _ in range(repeats):
            searcher.embedder.forget_queries()
            for q in questions:
                t0 = time.perf_counter()
                ask(searcher, q)
                times.append((time.perf_counter() - t0) * 1000)
        latency["answer"] = {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "n": len(times)}
        startup = _startup(index_dir)
        return {
            "model": searcher.stored.model_id,
            "documents": len(manifest.documents),
            "pages": pages,
            "passages": passages,
            "ingest_full_s": full_s,
            "ingest_s_per_page": full_s / pages,
            "ingest_s_per_passage": full_s / passages,
            "ingest_peak_mb": full_mb,
            "ingest_unchanged_s": statistics.median(unchanged),
            "query_latency": latency,
            "search_process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cpus": os.cpu_count(),
            "ingest_summary": summary,
            **startup,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table(r: dict) -> str:
    rows = [
        ("corpus", f"{r['documents']} document(s), {r['pages']} pages, {r['passages']} passages"),
        ("model", r["model"]),
        ("full ingest incl. embeddings (new process)", f"{r['ingest_full_s']:.1f} s"),
        ("  per page / per passage", f"{r['ingest_s_per_page']:.2f} s / {r['ingest_s_per_passage']:.3f} s"),
        ("  peak memory of the ingest process", f"{r['ingest_peak_mb']:.0f} MB"),
        ("unchanged re-ingest (new process, median)", f"{r['ingest_unchanged_s']:.2f} s"),
    ]
    for mode, lat in r["query_latency"].items():
        rows.append(
            (f"warm query latency, {mode}", f"p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms (n={lat['n']})")
        )
    rows.append(("peak memory of the searching process", f"{r['search_process_peak_mb']:.0f} MB"))
    rows.append(
        (
            "`python -m index.search` for one question (new process)",
            f"{r['cli_startup_s']:.1f} s, peak {r['cli_peak_mb']:.0f} MB",
        )
    )
    rows.append(("`python app.py` until the page answers", f"{r['app_ready_s']:.1f} s, peak {r['app_peak_mb']:.0f} MB"))
    out = ["| measure | value |", "|---|---|"]
    out += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="default: the corpus folder")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    corpus = args.corpus or load_settings().corpus_dir
    result = bench(corpus, args.repeats)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
