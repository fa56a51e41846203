"""Training pairs for the span judge: questions written by the team over the documents of
``eval/corpus/``, each pointing at the sentence(s) that answer it.

One JSON object per line in ``eval/judge/pairs/*.jsonl``::

    {"id": "ulm-0001", "doc": "ulm-smart-city-strategie", "kind": "answerable",
     "question": "Was macht Ulm gegen die digitale Spaltung?",
     "answer_contains": ["verbatim words of the answering sentence"],
     "style": "everyday", "section": "Bildung"}

``answer_contains`` holds verbatim pieces of the sentences that answer (one per sentence
when several do); an ``unanswerable`` question (near the document's topics, answered by
none of its sentences) has none. ``python -m eval.judge.data INDEX_DIR FILE …`` checks
every piece against the document's indexed sentences.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import normalize

PAIRS = Path(__file__).resolve().parent / "pairs"
STYLES = (
    "everyday",  # plain words of an official, not the document's terms
    "colloquial",  # colloquial names ("Bürgeramt", "Handy", "WLAN")
    "indirect",  # "Ich frage mich, ob …", "Mich würde interessieren …"
    "yesno",  # "Muss …?", "Darf …?", "Gibt es …?"
    "list",  # "Welche …?" whose answer is a list or an enumeration
    "leadin",  # the answer follows a lead-in with a colon
    "named",  # names the document ("Was sagt die Ulmer Strategie zu …?")
    "trainer",  # how a trainer asks ("Wie definiert …", "Was versteht … unter …")
    "fact",  # who, when, how much, how long, which paragraph
)
KINDS = ("answerable", "unanswerable")


@dataclass(frozen=True)
class Pair:
    id: str
    doc: str
    kind: str
    question: str
    answer_contains: tuple[str, ...]
    style: str
    section: str = ""

    @property
    def answerable(self) -> bool:
        return self.kind == "answerable"


def pairs_version(paths: Iterable[Path] | None = None) -> str:
    """A fingerprint of the pairs files (names and contents): a judge records the one it was
    trained on, and a test fails when the pairs have changed since (retrain)."""
    h = hashlib.sha256()
    for path in sorted(paths) if paths is not None else sorted(PAIRS.glob("*.jsonl")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def load_pairs(paths: Iterable[Path] | None = None) -> list[Pair]:
    """Every pair of the given files (default: all of ``eval/judge/pairs/``)."""
    out = []
    for path in sorted(paths) if paths is not None else sorted(PAIRS.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                out.append(
                    Pair(
                        str(d["id"]),
                        str(d["doc"]),
                        str(d["kind"]),
                        " ".join(str(d["question"]).split()),
                        tuple(d.get("answer_contains") or ()),
                        str(d.get("style", "")),
                        str(d.get("section", "")),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a pair ({exc!r})") from None
    return out


def problems(pairs: Sequence[Pair], sentences: dict[str, list[str]]) -> list[str]:
    """What is wrong with the pairs, one line each: unknown document, kind or style, a
    duplicate id or question, or a piece of answer that is not verbatim in one of the
    document's sentences."""
    found = []
    normalized = {doc: [normalize(s) for s in texts] for doc, texts in sentences.items()}
    ids = Counter(p.id for p in pairs)
    questions = Counter(normalize(p.question) for p in pairs)
    for p in pairs:
        where = f"{p.id}: "
        if ids[p.id] > 1:
            found.append(where + "duplicate id")
        if questions[normalize(p.question)] > 1:
            found.append(where + f"duplicate question {p.question!r}")
        if p.kind not in KINDS:
            found.append(where + f"kind {p.kind!r} not in {KINDS}")
        if p.style not in STYLES:
            found.append(where + f"style {p.style!r} not in {STYLES}")
        if p.doc not in normalized:
            found.append(where + f"unknown document {p.doc!r}; known: {sorted(normalized)}")
            continue
        if p.answerable and not p.answer_contains:
            found.append(where + "answerable without answer_contains")
        if not p.answerable and p.answer_contains:
            found.append(where + "unanswerable with answer_contains")
        for piece in p.answer_contains:
            want = normalize(piece)
            if len(want) < 12:
                found.append(where + f"piece too short to point at one sentence: {piece!r}")
            elif not any(want in s for s in normalized[p.doc]):
                found.append(where + f"not verbatim in any sentence of {p.doc}: {piece!r}")
    return found


def index_sentences(index_dir: Path) -> dict[str, list[str]]:
    """The sentences of each document of the index's live generation."""
    gen = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    out: dict[str, list[str]] = {}
    with (gen / "sentences.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.setdefault(d["doc_id"], []).append(d["text"])
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m eval.judge.data INDEX_DIR PAIRS.jsonl …", file=sys.stderr)
        return 2
    pairs = load_pairs([Path(a) for a in argv[1:]])
    found = problems(pairs, index_sentences(Path(argv[0])))
    for line in found:
        print(line)
    styles = Counter(p.style for p in pairs)
    kinds = Counter(p.kind for p in pairs)
    print(f"{len(pairs)} pairs ({dict(kinds)}); styles {dict(styles)}; {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
