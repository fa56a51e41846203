"""The ``charta`` command: every task of Charta-Lotse behind one name.

Each command hands its arguments to the module that declares its options (so they are
declared once, and ``charta COMMAND --help`` shows them); the ``python -m …`` forms stay
as aliases. Modules are imported only for the command run, so ``charta --help`` is quick.

>>> sorted(COMMANDS)[:4]
['add', 'ask', 'bench', 'bench-app']
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    module: str  # the module whose ``main(argv)`` runs it
    help: str
    prefix: tuple[str, ...] = field(default=())  # arguments put before the user's


COMMANDS: dict[str, Command] = {
    "serve": Command("app", "run the app (Fragen, Suchen, Blättern, Sammlung, Workshop, Verwaltung)"),
    "ask": Command("answer.cli", "answer a question as the app does, with citations", ("--answer",)),
    "search": Command("answer.cli", "list the passages that match a query"),
    "ingest": Command("ingest.__main__", "index the PDFs of the corpus folder (or the given files)"),
    "status": Command("ingest.__main__", "what the index holds, and what changed in the corpus", ("status",)),
    "add": Command("ingest.__main__", "add or replace PDFs in the corpus and index them", ("add",)),
    "remove": Command("ingest.__main__", "take documents out of the corpus and the index", ("remove",)),
    "rebuild": Command("ingest.__main__", "re-parse and re-embed every document", ("rebuild",)),
    "workshop": Command("workshop.__main__", "handouts, slides and quiz from a workshop kit file"),
    "feedback": Command("web.feedback", "list or export the feedback visitors gave"),
    "eval": Command("eval.__main__", "measure retrieval and answers on the question sets"),
    "train-judge": Command("eval.train_judge", "train the span judge on the team's pairs"),
    "bench": Command("eval.bench", "measure ingest and answer speed and memory"),
    "bench-app": Command("eval.bench_app", "measure the app under simultaneous users"),
    "scale": Command("eval.scale", "measure search on a synthetic large corpus"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: charta COMMAND [options]   (charta COMMAND --help for its options)", "", "commands:"]
    lines += [f"  {name:<{width}}  {c.help}" for name, c in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    command = COMMANDS.get(name)
    if command is None:
        print(f"error: no command {name!r}; one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    run: Callable[[list[str]], int | None] = importlib.import_module(command.module).main
    return run([*command.prefix, *rest]) or 0


if __name__ == "__main__":
    raise SystemExit(main())
