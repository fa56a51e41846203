"""How far a build is: pages read, passages and sentences embedded, and the time left.

A build reports a :class:`BuildProgress` after every page the parser reads and every
batch the model embeds (``build_index(on_event=…)``). The time left is estimated from
the rate the model has embedded at so far in this build (:class:`EmbedRate`): text
length, plus a little per text, is the measure of work (:func:`work`), so that the rate
measured on a document's passages holds for its shorter sentences too. The terminal
shows the progress as one bar (:class:`TerminalBar`), the admin tab in words
(``web/admin.py``).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

READ, EMBED, WRITE = "read", "embed", "write"

# Work of a text beyond its characters (the model's prefix, its two special tokens, its
# own attention and pooling), in characters: fitted to the model's CPU time over the
# passages and sentences of a 117-page PDF (0.81 ms a character, 28 ms a text).
_PER_TEXT = 35


def work(texts: list[str]) -> int:
    """The embedding work of ``texts``, in characters.

    >>> work(["Ein Satz.", "Noch einer."])
    90
    """
    return sum(len(t) + _PER_TEXT for t in texts)


class EmbedRate:
    """Characters embedded per second of model time, measured over a whole build.

    >>> rate = EmbedRate()
    >>> rate.seconds_for(1000) is None   # nothing measured yet
    True
    >>> rate.add(2000, 4.0)
    >>> rate.seconds_for(1000)
    2.0
    """

    def __init__(self) -> None:
        self.chars = 0
        self.seconds = 0.0

    @property
    def measured(self) -> bool:
        return self.chars > 0 and self.seconds > 0

    def add(self, chars: int, seconds: float) -> None:
        self.chars += chars
        self.seconds += seconds

    def seconds_for(self, chars: int) -> float | None:
        """How long ``chars`` of text will take the model, or None before any measurement."""
        return chars * self.seconds / self.chars if self.measured else None


@dataclass(frozen=True)
class BuildProgress:
    """Where a build is, for the document it is working on.

    ``doc`` counts the documents this build reads and embeds (unchanged ones are carried
    over, not counted). Totals are 0 while not yet known: the page count until the parser
    has opened the PDF, passages and sentences until it is cut. ``seconds_left`` is for
    this document, None until the model's rate has been measured.
    """

    stage: str  # READ, EMBED or WRITE (the new index, after all documents)
    file: str = ""
    doc: int = 0
    docs: int = 0
    pages_read: int = 0
    pages: int = 0
    passages_done: int = 0
    passages: int = 0
    sentences_done: int = 0
    sentences: int = 0
    embedded: float = 0.0  # share of the document's embedding work done, 0..1
    seconds_left: float | None = None

    @property
    def fraction(self) -> float:
        """Of the current stage: pages read while reading, text embedded while embedding.

        >>> BuildProgress(READ, pages_read=30, pages=120).fraction
        0.25
        """
        if self.stage == READ:
            return self.pages_read / self.pages if self.pages else 0.0
        if self.stage == EMBED:
            return self.embedded
        return 1.0

    def line(self) -> str:
        """The progress in a few English words, the time left first (the terminal's bar
        shows it, and a narrow terminal cuts the end off).

        >>> BuildProgress(READ, "a.pdf", 1, 1, pages_read=40, pages=117).line()
        'reading page 40/117'
        >>> BuildProgress(EMBED, "a.pdf", 1, 1, 117, 117, 300, 717, 0, 1207, 0.2, 250.0).line()
        'about 5 min left; 117 pages, passages 300/717, sentences 0/1207 embedded'
        """
        if self.stage == WRITE:
            return "writing the index"
        if self.stage == READ:
            return f"reading page {self.pages_read}/{self.pages}" if self.pages else "opening the PDF"
        return (
            f"{time_left(self.seconds_left)}; {self.pages} pages, passages {self.passages_done}/{self.passages}, "
            f"sentences {self.sentences_done}/{self.sentences} embedded"
        )


def rounded(seconds: float) -> tuple[int, int, int]:
    """``seconds`` as (hours, minutes, seconds), coarser the longer it is: seconds up to
    the next 5 below a minute, whole minutes (rounded up) below an hour, else hours and
    minutes.

    >>> rounded(3), rounded(42), rounded(61), rounded(250), rounded(4000)
    ((0, 0, 5), (0, 0, 45), (0, 2, 0), (0, 5, 0), (1, 7, 0))
    """
    if seconds < 55:
        return 0, 0, max(5, 5 * math.ceil(seconds / 5))
    minutes = math.ceil(seconds / 60)
    return (minutes // 60, minutes % 60, 0) if minutes >= 60 else (0, minutes, 0)


def time_left(seconds: float | None) -> str:
    """English words for an estimate of the time left.

    >>> time_left(None), time_left(12), time_left(250), time_left(4000)
    ('measuring the time left', 'about 15 s left', 'about 5 min left', 'about 1 h 7 min left')
    """
    if seconds is None:
        return "measuring the time left"
    h, m, s = rounded(seconds)
    if h:
        return f"about {h} h {m} min left"
    return f"about {m} min left" if m else f"about {s} s left"


class TerminalBar:
    """One line on stderr that follows the build: the document, what of it is read and
    embedded, and the time left. tqdm draws it, and keeps lines and log messages from
    writing through it (:meth:`writing`)."""

    REDRAW_S = 0.2  # at most this often, but at once when the stage or document changes

    def __init__(self) -> None:
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        self._stack = ExitStack()
        # The words go where tqdm puts its unit: its postfix would begin with a comma.
        self._bar: Any = tqdm(
            total=1000,
            desc="indexing",
            unit="",
            bar_format="{desc} {percentage:3.0f}%|{bar}| {unit}",
            leave=False,
            file=sys.stderr,
        )
        self._stack.enter_context(logging_redirect_tqdm())
        self._stack.callback(self._bar.close)
        self._drawn = 0.0
        self._shown: tuple[str, int] = ("", 0)

    def show(self, p: BuildProgress) -> None:
        now = time.monotonic()
        if (p.stage, p.doc) == self._shown and now - self._drawn < self.REDRAW_S:
            return
        self._shown, self._drawn = (p.stage, p.doc), now
        name = p.file if len(p.file) <= 30 else p.file[:29] + "…"
        self._bar.set_description_str(f"indexing {p.doc}/{p.docs} {name}" if p.file else "indexing", refresh=False)
        self._bar.n = round(1000 * p.fraction)
        self._bar.unit = p.line()
        self._bar.refresh()

    def writing(self) -> Any:
        """A context in which a line can be printed without breaking the bar."""
        return self._bar.external_write_mode()

    def close(self) -> None:
        self._stack.close()


class ProgressFile:
    """The build's progress as JSON in a file, for another process to show (the app's
    first start, app.py): replaced whole, at most every ``every_s``, at once when the
    stage or document changes."""

    def __init__(self, path: Path, every_s: float = 0.5) -> None:
        self.path = path
        self.every_s = every_s
        self._written = 0.0
        self._shown: tuple[str, int] = ("", 0)

    def __call__(self, event: object) -> None:
        if not isinstance(event, BuildProgress):
            return
        now = time.monotonic()
        if (event.stage, event.doc) == self._shown and now - self._written < self.every_s:
            return
        self._shown, self._written = (event.stage, event.doc), now
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(asdict(event)), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # the progress shown elsewhere is a courtesy; the build goes on


def read_progress(path: Path) -> BuildProgress | None:
    """What a :class:`ProgressFile` last wrote, or None (not yet written, or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return BuildProgress(**data)
    except (OSError, ValueError, TypeError):
        return None
