"""``python -m ingest [PATH ...]``: parse PDFs and build or update the index.

Exit codes: 0 all documents indexed, 1 some failed (the rest indexed), 2 usage error
(or nothing could be done: bad settings, locked or unreadable index).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ingest.errors import ChartaError
from ingest.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Index PDFs for Charta-Lotse. PATH is a PDF or a folder (default: the "
                    "corpus folder). The index then holds exactly these documents.")
    parser.add_argument("paths", nargs="*", metavar="PATH")
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    parser.add_argument("--corpus", help="corpus folder (CHARTA_CORPUS_DIR)")
    parser.add_argument("--model", help="embedding model: hub name or local path (CHARTA_MODEL)")
    parser.add_argument("--rebuild", action="store_true",
                        help="re-parse and re-embed everything (e.g. after a model change)")
    parser.add_argument("--dry-run", action="store_true", help="only show what would change")
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long for another running ingest to finish")
    parser.add_argument("-q", "--quiet", action="store_true", help="only the summary")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for ours in ("index", "ingest"):
        logging.getLogger(ours).setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        settings = load_settings(index_dir=args.index_dir, corpus_dir=args.corpus,
                                 model=args.model)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.paths] or [settings.corpus_dir]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2

    from index.build import build_index

    say = (lambda _line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        report = build_index(paths, settings, rebuild=args.rebuild, progress=say,
                             dry_run=args.dry_run, lock_wait_s=args.wait)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    prefix = "dry run: " if args.dry_run else ""
    print(f"{prefix}{report.summary()} → {settings.index_dir}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
