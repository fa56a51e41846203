"""Workshop material from the command line.

    python -m workshop --example > kit.json     # a sample kit (section 3.2 of the charter)
    python -m workshop kit.json --out material/ # handout.pdf/.docx (participants), kursleitung.pdf/.docx
                                                # (trainer, with solutions), slides.pptx, quiz.xml

Exit codes: 0 done (items not found are listed as "flagged: …" and left out), 1 the kit
cannot be used (unreadable, invalid, empty, no item found), 2 usage errors or no index.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from common.errors import ConfigError, IndexError_, KitError
from common.settings import add_help_settings, load_settings
from index.search import Searcher
from workshop.kit import MAX_BYTES, example_kit, kit_to_json, load_kit, resolve
from workshop.model import KitItem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workshop", description="Workshop material (handout, slides, quiz) from a kit file."
    )
    parser.add_argument("kit", nargs="?", help="the kit file (JSON), as saved in the app or made with --example")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the handouts (handout.*: participants, kursleitung.*: trainer), slides.pptx, quiz.xml",
    )
    parser.add_argument("--example", action="store_true", help="print a sample kit file and exit")
    parser.add_argument("--per-item", type=int, default=2, help="quiz questions per item (default 2)")
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    add_help_settings(parser)
    args = parser.parse_args(argv)
    if args.example == bool(args.kit):
        parser.error("give either KIT.json --out DIR or --example")
    if args.kit and not args.out:
        parser.error("--out DIR is required with a kit file")
    if args.per_item < 0:
        parser.error(f"--per-item must be 0 or more, got {args.per_item}")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.example:
        return _example(args.index_dir)

    path = Path(args.kit)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:  # not read at all
            raise KitError(path.name, f"the file has {size} bytes, more than {MAX_BYTES}", "too_large")
        kit = load_kit(path.read_bytes(), name=path.name)
    except OSError as exc:
        print(f"error: {path}: cannot read the kit ({exc.strerror or exc})", file=sys.stderr)
        return 1
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        searcher = Searcher.open(load_settings(index_dir=args.index_dir))
    except (IndexError_, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    workshop = resolve(kit, searcher)
    if not workshop.found:
        reason = f"none of its {len(kit.items)} items was found in the index" if kit.items else "it has no items"
        print(f"error: {path.name}: nothing to make: {reason}", file=sys.stderr)
        for item in workshop.missing:
            print(f"flagged: {_describe(item.item)}: {item.missing}", file=sys.stderr)
        return 1
    from workshop.exports import write_all
    from workshop.quiz import make_quiz

    quiz = make_quiz(workshop, searcher, per_item=args.per_item)
    try:
        paths = write_all(workshop, quiz, Path(args.out))
    except OSError as exc:
        print(f"error: {exc.filename or args.out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 2
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for kind, where in paths.items():
        extra = f" ({len(quiz)} questions)" if kind == "xml" else ""
        print(f"wrote {where}{extra}")
    for item in workshop.missing:
        print(f"flagged: {_describe(item.item)}: {item.missing}")
    return 0


def _describe(item: KitItem) -> str:
    where = f"passage {item.passage_id}" if item.passage_id else f"section {item.section}"
    return f"{item.doc_id}, {where}"


def _example(index_dir: str | None) -> int:
    """Print the sample kit; with an index, its III.f) item is a passage of that index."""
    try:
        settings = load_settings(index_dir=index_dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        searcher: Searcher | None = Searcher.open(settings)
    except IndexError_ as exc:
        print(f"note: no usable index ({exc}); the example names sections only", file=sys.stderr)
        searcher = None
    kit = example_kit(searcher)
    kinds = ", ".join(f"{i.section or i.passage_id}" for i in kit.items)
    print(f"note: example kit with {kinds}", file=sys.stderr)
    sys.stdout.write(kit_to_json(kit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
