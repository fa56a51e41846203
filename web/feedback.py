"""Answer feedback: a visitor's 👍/👎 on an answer, with an optional comment, kept locally.

Nothing is stored unless the operator sets ``CHARTA_FEEDBACK=1``. The file is
``feedback.jsonl`` in the folder that holds the index folder (``data/feedback.jsonl``
by default), one JSON object per line; it lives beside the index, not in it, so a
rebuild never touches it, and no extra setting is needed to move both together.

The page calls::

    store = FeedbackStore.for_settings(settings)      # None while CHARTA_FEEDBACK is off
    if store is not None:
        store.add(feedback_from(answer, +1, comment, searcher.generation, lang))

The command for operators turns the file into a table or into draft eval questions::

    python -m web.feedback list [--limit N]
    python -m web.feedback export --format jsonl|eval [--only up|down] [--out FILE]

Exit codes: 0 done, 2 bad settings or usage, no feedback file, or an --out file that exists.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import sys
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from answer.answer import ANSWERED, NOT_COVERED, OUTCOMES, Answer
from common.errors import ChartaError, FeedbackFullError, FeedbackWriteError
from common.settings import Settings, add_help_settings, load_settings
from ingest.structure import heading_label

log = logging.getLogger(__name__)

FILE_NAME = "feedback.jsonl"
UP, DOWN = 1, -1
RATINGS = (UP, DOWN)
LANGS = ("de", "en")
MAX_COMMENT_CHARS = 2_000
# A visitor who clicks all day must not fill the disk: past this size further feedback
# is refused until the operator exports and moves the file away.
MAX_BYTES = 50 * 1024 * 1024
# One client may fill at most this part of the file per day (UTC): a single visitor
# clicking 👍 for 19 minutes filled all of it, and nobody's feedback was stored after.
CLIENT_SHARE = 50
# Bidirectional overrides and isolates make a comment print differently from what it
# says (in the operator's terminal and in an editor); zero-width joiners (emoji) stay.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
_SECTION_SEP = " › "
_APPEND_LOCK = threading.Lock()  # one writer at a time in this process; flock for other processes


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` on one line: control characters (terminal escapes, NUL, bidi overrides)
    removed, line breaks and runs of spaces made single spaces, cut to ``limit`` characters.

    >>> clean_text("  Falsch:\\n\\tS. 8\\x1b[31m fehlt\\u202e ")
    'Falsch: S. 8[31m fehlt'
    >>> clean_text("Seite   fehlt", limit=8)
    'Seite fe'
    """
    kept = "".join(
        " " if c.isspace() else c for c in text.translate(_BIDI) if c.isspace() or unicodedata.category(c) != "Cc"
    )
    one_line = " ".join(kept.split())
    return one_line if limit is None else one_line[:limit]


@dataclass
class Feedback:
    """One visitor's rating of one answer, as it was shown to them."""

    time: str  # ISO 8601, UTC, to the second
    question: str
    status: str  # answered | passages | not_covered
    answer: str  # Answer.text: the text as shown, empty unless answered
    citations: list[str]  # the citation of each card shown, in order
    passage_ids: list[str]  # the passage behind each card
    rating: int  # UP (+1) or DOWN (-1)
    comment: str = ""
    generation: str = ""  # the index generation that answered
    lang: str = "de"  # the interface language
    sections: list[str] = field(default_factory=list)  # heading path of each card's passage
    quotes: list[str] = field(default_factory=list)  # the documents' sentences the answer quotes, verbatim
    followup: bool = False  # answered together with the previous question

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Feedback:
        """The record of one line; ValueError, KeyError or TypeError when it is not one."""
        if data["rating"] not in RATINGS or isinstance(data["rating"], bool):
            raise ValueError(f"rating={data['rating']!r} is not one of {list(RATINGS)}")
        if data["status"] not in OUTCOMES:
            raise ValueError(f"status={data['status']!r} is not one of {list(OUTCOMES)}")

        def strings(key: str) -> list[str]:
            values = data.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise TypeError(f"{key} must be a list of strings")
            return values

        return cls(
            time=str(data["time"]),
            question=str(data["question"]),
            status=data["status"],
            answer=str(data.get("answer", "")),
            citations=strings("citations"),
            passage_ids=strings("passage_ids"),
            rating=int(data["rating"]),
            comment=str(data.get("comment", "")),
            generation=str(data.get("generation", "")),
            lang=str(data.get("lang", "de")),
            sections=strings("sections"),
            quotes=strings("quotes"),
            followup=bool(data.get("followup", False)),
        )


def feedback_from(answer: Answer, rating: int, comment: str, generation: str, lang: str) -> Feedback:
    """The record of ``rating`` (UP or DOWN) given to ``answer``, stamped now.

    The comment is cleaned and cut to :data:`MAX_COMMENT_CHARS`; a rating or language
    that is not allowed is a ValueError naming the value and the allowed ones.
    """
    # True == 1 in Python; a bool is a programming error in the caller, not a 👍.
    if rating not in RATINGS or isinstance(rating, bool):
        raise ValueError(f"rating={rating!r} is not allowed; use {UP} (👍) or {DOWN} (👎)")
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not allowed; use one of {list(LANGS)}")
    return Feedback(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        question=clean_text(answer.question),
        status=answer.status,
        answer=answer.text,
        citations=[p.citation for p in answer.passages],
        passage_ids=[p.hit.passage_id for p in answer.passages],
        rating=rating,
        comment=clean_text(comment, MAX_COMMENT_CHARS),
        generation=generation,
        lang=lang,
        sections=[p.hit.section or _SECTION_SEP.join(p.hit.section_path) for p in answer.passages],
        quotes=[s.text for s in answer.sentences] if answer.answered else [],
        followup=answer.followup,
    )


def feedback_path(settings: Settings) -> Path:
    """Where feedback is kept: ``CHARTA_FEEDBACK_FILE``, else ``feedback.jsonl`` beside the
    index folder.

    >>> feedback_path(Settings(index_dir=Path("/srv/charta/index")))
    PosixPath('/srv/charta/feedback.jsonl')
    >>> feedback_path(Settings(index_dir=Path("/mnt/ro/index"), feedback_file=Path("/var/lib/a/fb.jsonl")))
    PosixPath('/var/lib/a/fb.jsonl')
    """
    return settings.feedback_file or settings.index_dir.parent / FILE_NAME


class FeedbackShareError(ChartaError):
    """One client has given as much feedback today as one client may."""


class FeedbackStore:
    """Feedback records appended to one JSON-lines file.

    ``add`` is safe from many threads and processes at once: each record is one
    ``write`` to a file opened with ``O_APPEND``, under an exclusive ``flock``.
    Each client may write ``max_bytes // CLIENT_SHARE`` bytes a day (in this process).
    """

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.client_bytes = max(1, max_bytes // CLIENT_SHARE)
        self.broken: list[int] = []  # line numbers the last read() skipped
        self._day = ""
        self._given: dict[str, int] = {}  # client → bytes stored today

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore | None:
        """The store the app writes to, or None while ``CHARTA_FEEDBACK`` is off; raises
        FeedbackWriteError if it could not be written, so the app refuses to start rather
        than fail at a visitor's first 👍."""
        if not settings.feedback:
            return None
        store = cls(feedback_path(settings))
        store.check_writable()
        return store

    def check_writable(self) -> None:
        """FeedbackWriteError unless :meth:`add` can write the file (creates nothing)."""
        if self.path.exists():
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND))
            except OSError as exc:
                raise self._unwritable(exc) from None
            return
        folder = self.path.parent
        while not folder.exists():  # add() creates the missing folders
            folder = folder.parent
        if not folder.is_dir():
            raise self._unwritable(f"{folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):  # also false on a read-only file system
            raise self._unwritable(f"the folder {folder} is not writable")

    def _unwritable(self, reason: OSError | str) -> FeedbackWriteError:
        if isinstance(reason, OSError):
            reason = reason.strerror or str(reason)
        return FeedbackWriteError(
            f"feedback cannot be stored in {self.path}: {reason}; set CHARTA_FEEDBACK_FILE to a writable "
            "file, or CHARTA_FEEDBACK=0"
        )

    def add(self, feedback: Feedback, client: str | None = None) -> None:
        """Append ``feedback``; FeedbackShareError once ``client`` (an address; None: the
        operator's own command) has used its share of today, FeedbackFullError once the
        file would pass ``max_bytes``, FeedbackWriteError if the file cannot be written."""
        line = (json.dumps(feedback.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
        with _APPEND_LOCK:
            if client is not None:
                today = datetime.now(UTC).date().isoformat()
                if today != self._day:
                    self._day, self._given = today, {}
                given = self._given.get(client, 0)
                if given + len(line) > self.client_bytes:
                    raise FeedbackShareError(
                        f"client {client} has given {given:,} bytes of feedback today; "
                        f"at most {self.client_bytes:,} per client and day"
                    )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # 0o600: visitors' questions and comments are for the operator only.
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise self._unwritable(exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                # A writer killed mid-line left no newline: start a new line, so only
                # that broken record is lost, not this one as well.
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line
                if size + len(line) > self.max_bytes:
                    raise FeedbackFullError(
                        f"{self.path} has reached its limit of {self.max_bytes:,} bytes; no more feedback is "
                        "stored until it is exported (python -m web.feedback export) and moved away"
                    )
                written = 0
                try:
                    while written < len(line):
                        written += os.write(fd, line[written:])
                except OSError as exc:  # a full disk
                    raise self._unwritable(exc) from None
                if client is not None:
                    self._given[client] = self._given.get(client, 0) + len(line)
            finally:
                os.close(fd)  # also releases the flock

    def read(self) -> list[Feedback]:
        """Every whole record, oldest first; broken lines are skipped, logged and their
        numbers kept in :attr:`broken`. FileNotFoundError when nothing was stored yet."""
        records: list[Feedback] = []
        broken: list[int] = []
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise TypeError("not an object")
                    records.append(Feedback.from_json(data))
                except (ValueError, KeyError, TypeError):
                    broken.append(number)
        self.broken = broken
        if broken:
            log.warning("%s: skipped %d broken line(s): %s", self.path, len(broken), _numbers(broken))
        return records


def _numbers(numbers: Sequence[int], shown: int = 10) -> str:
    """>>> _numbers([3, 7]), _numbers(list(range(1, 13)), shown=3)
    ('3, 7', '1, 2, 3 …')
    """
    return ", ".join(map(str, numbers[:shown])) + (" …" if len(numbers) > shown else "")


# --- eval drafts -------------------------------------------------------------------

REVIEW_NOTE = (
    "draft from visitor feedback: check it against the documents, correct kind, gold_sections and "
    "answer_contains, delete 'review' and 'feedback', then add the line to eval/questions.jsonl"
)


def eval_draft(fb: Feedback, votes: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """A line in the format of ``eval/questions.jsonl`` (see ``eval.metrics.load_questions``),
    filled with what the feedback knows, plus ``review`` saying what a person must check.

    A 👍 on an answer makes the cited section the gold section and the first quoted
    sentence the gold phrase; a 👍 on „not covered“ makes an unanswerable question.
    Everything else leaves the gold empty: the visitor said what is wrong, not what is right.
    ``votes`` counts the 👍 and 👎 the question got in all.
    """
    kind, gold, phrase = "answerable", [], None
    if fb.rating == UP and fb.status == ANSWERED and fb.quotes:
        path = [s for s in (fb.sections[0] if fb.sections else "").split(_SECTION_SEP) if s]
        gold = [heading_label(path[-1])] if path else []
        phrase = " ".join(fb.quotes[0].split())
        todo = "the visitor found this answer right; shorten answer_contains to the words that answer"
    elif fb.rating == UP and fb.status == NOT_COVERED:
        kind, todo = "unanswerable", "the visitor agreed that the documents do not answer this"
    elif fb.rating == UP:
        todo = "the visitor found the passages shown useful; pick the gold section and phrase among them"
    else:
        todo = (
            "the visitor found this wrong; find the section and phrase that answer it, "
            "or make it kind 'unanswerable' if the documents do not"
        )
    if fb.followup:
        todo += "; it was asked as a follow-up: add 'previous' and make it kind 'followup'"
    up, down = votes
    return {
        "id": "fb-" + hashlib.sha1(_key(fb.question).encode("utf-8")).hexdigest()[:8],
        "lang": fb.lang,
        "kind": kind,
        "question": fb.question,
        "gold_sections": gold,
        "answer_contains": phrase,
        "review": f"{REVIEW_NOTE}; {todo}",
        "feedback": {
            "time": fb.time,
            "rating": _thumb(fb.rating),
            "votes": {"up": up, "down": down},
            "status": fb.status,
            "answer": fb.answer,
            "citations": fb.citations,
            "comment": fb.comment,
            "generation": fb.generation,
        },
    }


def eval_drafts(records: Sequence[Feedback]) -> list[dict[str, Any]]:
    """One draft per question (the newest feedback on it), in order of that feedback."""
    newest: dict[str, Feedback] = {}
    votes: dict[str, list[int]] = {}
    for fb in records:
        key = _key(fb.question)
        newest.pop(key, None)  # re-insert: the order follows the newest feedback
        newest[key] = fb
        votes.setdefault(key, [0, 0])[0 if fb.rating == UP else 1] += 1
    return [eval_draft(fb, (votes[k][0], votes[k][1])) for k, fb in newest.items()]


def _key(question: str) -> str:
    return " ".join(question.split()).casefold()


def _thumb(rating: int) -> str:
    return "👍" if rating == UP else "👎"


# --- command line ------------------------------------------------------------------


def _short(text: str, width: int) -> str:
    """>>> _short("Wer hat die Charta erarbeitet?", 12)
    'Wer hat die…'
    """
    text = clean_text(text)  # the file may have been edited by hand; no escapes reach the terminal
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _table(records: Sequence[Feedback], out: TextIO) -> None:
    print(f"{'time (UTC)':<20} {'':2} {'status':<11} {'question':<60} comment", file=out)
    for fb in records:
        when = fb.time.replace("T", " ").removesuffix("+00:00")[:19]
        line = f"{when:<20} {_thumb(fb.rating)} {fb.status:<11} {_short(fb.question, 60):<60} {_short(fb.comment, 60)}"
        print(line.rstrip(), file=out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m web.feedback",
        description="List or export the 👍/👎 feedback visitors gave on answers (stored when CHARTA_FEEDBACK=1, "
        f"in {FILE_NAME} beside the index folder).",
    )
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR); the feedback file lies beside it")
    add_help_settings(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="list|export")
    # SUPPRESS: a subcommand's --index-dir only counts when given, so the one before the
    # command word is not overwritten by the subcommand's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", default=argparse.SUPPRESS, help="index folder (CHARTA_INDEX_DIR)")
    add_help_settings(common)
    listing = commands.add_parser("list", parents=[common], help="a table of the feedback, newest last")
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="only the newest N (default 50, 0: all)")
    export = commands.add_parser(
        "export",
        parents=[common],
        help="the records as JSON lines, or as draft eval questions",
        description="jsonl: the stored records. eval: one draft per question in the format of "
        "eval/questions.jsonl. The drafts must be reviewed by a person before use: each has a 'review' "
        "field saying what to check; 👎 drafts have no gold section or phrase.",
    )
    export.add_argument("--format", choices=("jsonl", "eval"), required=True)
    export.add_argument("--only", choices=("up", "down"), help="only 👍 (up) or only 👎 (down)")
    export.add_argument("--out", metavar="FILE", help="write to this new file (default: standard output)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list" and args.limit < 0:
        _parser().error(f"--limit must be 0 or more, got {args.limit}")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = load_settings(index_dir=args.index_dir)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = FeedbackStore(feedback_path(settings))
    try:
        records = store.read()
    except FileNotFoundError:
        print(
            f"error: no feedback stored yet in {store.path}; the app stores it when CHARTA_FEEDBACK=1",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        print(f"error: {store.path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    records.sort(key=lambda fb: fb.time)  # stable: same second keeps the order of the file

    if args.command == "list":
        shown = records[-args.limit :] if args.limit else records
        _table(shown, sys.stdout)
        up = sum(fb.rating == UP for fb in records)
        print(f"{len(records)} in all: {up} 👍, {len(records) - up} 👎 ({store.path})")
        return 0

    if args.only:
        records = [fb for fb in records if fb.rating == (UP if args.only == "up" else DOWN)]
    rows = [fb.to_json() for fb in records] if args.format == "jsonl" else eval_drafts(records)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out:
        try:
            # "x": never write over a file, least of all eval/questions.jsonl itself.
            with open(args.out, "x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            print(f"error: {args.out} exists; export to a new file", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    where = args.out or "standard output"
    if args.format == "eval":
        print(
            f"{len(rows)} draft eval question(s) to {where}: a person must review each one (its 'review' field) "
            "before it goes into eval/questions.jsonl",
            file=sys.stderr,
        )
    else:
        print(f"{len(rows)} record(s) to {where}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
