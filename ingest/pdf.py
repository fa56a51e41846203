"""Read a PDF with pypdf: lines per page, outline, page labels, metadata.

Parsing runs in a separate process with a time limit, so no single document (a
malformed object graph, a page tree that loops, a decompression bomb) can stall
ingest. Everything that can go wrong becomes a :class:`DocumentError` with one line
that names the file and the reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from common.errors import DocumentError
from ingest.clean import furniture_key, is_page_number, normalize_line
from ingest.ocr import OcrResult, OcrTimeout, Word, read_pages
from ingest.titles import page_title

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_MAX_OUTLINE_ENTRIES = 5_000
_CHILD_MEMORY_BYTES = 4 * 1024**3
# A page with fewer letters and digits than this in its text layer (a page number at most)
# has no text layer to speak of: if anything is drawn on it, it is read by OCR.
_MIN_LAYER_LETTERS = 5


@dataclass
class RawPdf:
    """What the parser child hands back: nothing cleaned beyond glyphs and furniture."""

    page_count: int
    pages: list[list[str]]  # normalised lines per page, positional heads/footers removed
    page_labels: list[str] | None  # from /PageLabels, None when the PDF has none
    footer_numbers: list[int | None]  # a page number printed in the head/foot zone, if any
    outline: list[tuple[int, str, int]]  # (level, title, 0-based page index)
    # The PDF's title, author, subject, keywords, creation date, and "page_title": the
    # title printed on the first page (ingest.titles.page_title), when it has one.
    metadata: dict[str, str] = field(default_factory=dict)
    failed_pages: int = 0  # pages whose text could not be extracted
    notes: list[str] = field(default_factory=list)  # what else could not be read, and why
    # Pages without text layer (ingest/ocr.py): the lines of words OCR found per 0-based
    # page, how many pages it read, how many it could not read and why.
    ocr_words: dict[int, list[list[Word]]] = field(default_factory=dict)
    ocr_read: int = 0
    ocr_unread: int = 0
    ocr_problem: str = ""
    ocr_waiting: bool = False  # unread only because Tesseract (or its German data) is missing
    ocr_seconds: float = 0.0


def check_file(path: Path, max_file_mb: float) -> None:
    """Cheap checks before any parsing: exists, not empty, not too big, looks like a PDF."""
    name = path.name
    if not path.is_file():
        raise DocumentError(name, "file not found", "missing")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(name, "empty file (0 bytes)", "empty")
    if size > max_file_mb * 1024 * 1024:
        mb = f"{size / 1024 / 1024:.1f}"
        raise DocumentError(
            name,
            f"file too large ({mb} MB > limit {max_file_mb:g} MB, CHARTA_MAX_FILE_MB)",
            "too_large",
            mb=mb,
            limit=f"{max_file_mb:g}",
        )
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        kind = "text" if _looks_like_text(head) else "binary data"
        raise DocumentError(name, f"not a PDF (no %PDF header; looks like {kind})", "not_pdf")


def _looks_like_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_pdf(
    path: Path,
    *,
    max_pages: int,
    timeout_s: float,
    passwords: tuple[str, ...] = (),
    max_page_chars: int | None = None,
    max_doc_chars: int | None = None,
) -> RawPdf:
    """Parse ``path`` in a child interpreter; raise :class:`DocumentError` on any failure.

    A fresh ``python -m ingest.pdf`` process (not a fork) keeps the parent's model and
    threads out of the child and lets the timeout kill a stuck parse cleanly. A page
    with more than ``max_page_chars`` characters of text, or a document with more than
    ``max_doc_chars``, is refused as soon as the parser gets there (None: no limit).
    """
    return PdfParse(
        path,
        max_pages=max_pages,
        timeout_s=timeout_s,
        passwords=passwords,
        max_page_chars=max_page_chars,
        max_doc_chars=max_doc_chars,
    ).result()


class PdfParse:
    """One PDF being parsed in its child process, started at once; :meth:`result` waits.

    Several can run side by side, and beside the embedding in the parent: each child is
    its own interpreter, and a reader thread per child drains its output (a large result
    must not block it on a full pipe) and kills it when ``timeout_s`` has passed since
    its start. The child counts the pages it has read on a pipe of their own
    (:meth:`pages_read`), so that a long parse shows progress. Arguments as for
    :func:`read_pdf`.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_pages: int,
        timeout_s: float,
        passwords: tuple[str, ...] = (),
        max_page_chars: int | None = None,
        max_doc_chars: int | None = None,
    ) -> None:
        self.path, self.timeout_s = path, timeout_s
        self.seconds = 0.0  # from the start of the child to its end, once it has ended
        self._pages = (0, 0)  # pages read, page count (0 until the child has counted them)
        self._out = self._err = ""
        self._timed_out = False
        self._failure: BaseException | None = None
        self._started = time.perf_counter()
        counts, counted = os.pipe()
        try:
            request = json.dumps(
                {
                    "path": str(path),
                    "max_pages": max_pages,
                    "timeout_s": timeout_s,
                    "deadline": time.time() + timeout_s,  # the wall clock: the child starts later
                    "passwords": list(passwords),
                    "max_page_chars": max_page_chars,
                    "max_doc_chars": max_doc_chars,
                    "progress_fd": counted,
                }
            )
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "ingest.pdf"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=str(_PROJECT_ROOT),
                encoding="utf-8",
                pass_fds=(counted,),
                # A group of its own: a timeout or a cancel ends the Tesseract runs it started too.
                start_new_session=True,
            )
        except BaseException:
            os.close(counts)
            raise
        finally:
            os.close(counted)  # the child holds its own copy; EOF comes when it ends
        # Daemons: an interrupted build must not wait at exit for a parse nobody reads.
        threading.Thread(
            target=self._count, args=(os.fdopen(counts, encoding="ascii"),), name=f"pages {path.name}", daemon=True
        ).start()
        self._reader = threading.Thread(target=self._wait, args=(request,), name=f"parse {path.name}", daemon=True)
        self._reader.start()

    def _count(self, pipe: IO[str]) -> None:
        with pipe:
            for line in pipe:
                read, _, count = line.partition(" ")
                with contextlib.suppress(ValueError):
                    self._pages = (int(read), int(count))

    def pages_read(self) -> tuple[int, int]:
        """Pages the child has read so far and the PDF's page count (0 while not yet known)."""
        return self._pages

    def wait(self, timeout_s: float) -> bool:
        """Wait at most ``timeout_s`` for the child to end; whether it has."""
        self._reader.join(timeout_s)
        return not self._reader.is_alive()

    def _wait(self, request: str) -> None:
        try:
            self._out, self._err = self._proc.communicate(request, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self._timed_out = True
            self._kill()
            self._proc.communicate()
        except BaseException as exc:  # handed to whoever asks for the result
            self._failure = exc
            self._kill()
        finally:
            self.seconds = time.perf_counter() - self._started

    def result(self) -> RawPdf:
        """The parsed PDF, once the child is done; :class:`DocumentError` if it failed."""
        self._reader.join()
        if self._failure is not None:
            raise self._failure
        if self._timed_out:
            raise DocumentError(
                self.path.name,
                f"parsing took longer than {self.timeout_s:g} s (CHARTA_PARSE_TIMEOUT)",
                "parse_timeout",
                seconds=f"{self.timeout_s:g}",
            )
        try:
            status, payload = json.loads(self._out)
        except (ValueError, TypeError):
            tail = (self._err or "").strip().splitlines()[-1:] or ["no output"]
            raise DocumentError(
                self.path.name,
                f"the PDF parser crashed (exit {self._proc.returncode}: {tail[0][:120]})",
                "parser_crashed",
                exit=self._proc.returncode,
                detail=tail[0][:120],
            ) from None
        if status == "error":
            raise DocumentError(self.path.name, payload["reason"], payload["code"], **payload["details"])
        payload["outline"] = [tuple(e) for e in payload["outline"]]
        payload["ocr_words"] = {int(k): v for k, v in payload["ocr_words"].items()}
        return RawPdf(**payload)

    def cancel(self) -> None:
        """Stop the child if it still runs (for a build that gives up before the result)."""
        if self._proc.poll() is None:
            self._kill()

    def _kill(self) -> None:
        """The child and whatever it started (Tesseract)."""
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except OSError:  # already gone
            self._proc.kill()


def _child_main() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (_CHILD_MEMORY_BYTES, _CHILD_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    logging.basicConfig(level=logging.CRITICAL)
    sys.setrecursionlimit(5_000)
    req = json.loads(sys.stdin.read())
    path = Path(req["path"])
    fd = req.get("progress_fd")
    counts = os.fdopen(fd, "w", buffering=1, encoding="ascii") if fd is not None else None

    def read(page: int, count: int) -> None:
        if counts is not None:
            with contextlib.suppress(OSError):  # a parent that stopped listening
                counts.write(f"{page} {count}\n")

    timeout_s = float(req.get("timeout_s") or 3600)
    # OCR stops a little before the parent's limit, so that it can say how far it got.
    left = float(req.get("deadline") or time.time() + timeout_s) - time.time()
    deadline = time.monotonic() + left - min(5.0, max(1.0, 0.1 * timeout_s))
    try:
        raw = _parse(
            path,
            int(req["max_pages"]),
            tuple(req["passwords"]),
            _Budget(req.get("max_page_chars"), req.get("max_doc_chars")),
            read,
            deadline,
        )
        result: tuple[str, Any] = ("ok", raw.__dict__)
    except DocumentError as exc:
        result = _error(exc.reason, exc.code, **exc.details)
    except OcrTimeout as exc:
        per_page = f", {exc.seconds / exc.done:.1f} s per page" if exc.done else ""
        result = _error(
            f"OCR of {exc.total} pages without text layer did not finish within {timeout_s:g} s "
            f"({exc.done} read{per_page}); raise CHARTA_PARSE_TIMEOUT",
            "ocr_timeout",
            pages=exc.total,
            seconds=f"{timeout_s:g}",
            done=exc.done,
        )
    except RecursionError:
        result = _error("corrupt PDF (object graph loops or nests too deeply)", "corrupt_loop")
    except MemoryError:
        result = _error("PDF needs too much memory to parse", "too_much_memory")
    except Exception as exc:  # pypdf raises many types on broken files
        detail = f"{type(exc).__name__}: {_short(exc)}"
        result = _error(f"corrupt or unreadable PDF ({detail})", "unreadable_pdf", detail=detail)
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
    sys.stdout.flush()


def _error(reason: str, code: str, **details: object) -> tuple[str, dict[str, Any]]:
    """A failure as the child hands it back: the English line, and its code and details
    for an interface that words it in another language."""
    return ("error", {"reason": reason, "code": code, "details": details})


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] or "no details"


class _TooMuchText(Exception):
    """Raised from inside pypdf's text visitor: stops a page that exceeds a limit."""


@dataclass
class _Budget:
    """Characters of text a page and the whole document may have (None: no limit).

    Counted while pypdf extracts, so a page with megabytes of text is stopped at the
    limit instead of being read, cleaned and cut into thousands of passages.
    """

    page_limit: int | None
    doc_limit: int | None
    used: int = 0  # characters of the pages before this one
    page: int = 0  # characters of this page so far

    def add(self, text: str) -> None:
        self.page += len(text)
        if self.page_limit is not None and self.page > self.page_limit:
            raise _TooMuchText
        if self.doc_limit is not None and self.used + self.page > self.doc_limit:
            raise _TooMuchText

    def next_page(self) -> None:
        self.used += self.page
        self.page = 0

    def refusal(self, name: str, page: int) -> DocumentError:
        if self.page_limit is not None and self.page > self.page_limit:
            return DocumentError(
                name,
                f"too much text on page {page} (more than {self.page_limit} characters, limit CHARTA_MAX_PAGE_CHARS)",
                "too_much_page_text",
                page=page,
                limit=self.page_limit,
            )
        return DocumentError(
            name,
            f"too much text (more than {self.doc_limit} characters by page {page}, limit CHARTA_MAX_DOC_CHARS)",
            "too_much_text",
            page=page,
            limit=self.doc_limit,
        )


def _parse(
    path: Path,
    max_pages: int,
    passwords: tuple[str, ...],
    budget: _Budget | None = None,
    read: Callable[[int, int], None] | None = None,
    deadline: float | None = None,
) -> RawPdf:
    """The PDF's pages, outline, labels and metadata; ``read(pages read, page count)``
    is told after each page, a page without text layer once OCR has read it."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    reader = PdfReader(str(path), strict=False)
    password: str | None = None
    if reader.is_encrypted:
        ok = False
        for pw in ("", *passwords):
            try:
                if reader.decrypt(pw):
                    ok, password = True, pw
                    break
            except Exception:  # wrong algorithm support or broken crypt dict
                continue
        if not ok:
            raise DocumentError(
                path.name, "encrypted and no known password opens it (add 'password' to its catalog entry)", "encrypted"
            )
    try:
        count = len(reader.pages)
    except FileNotDecryptedError:
        raise DocumentError(path.name, "encrypted and no known password opens it", "encrypted") from None
    if count == 0:
        raise DocumentError(path.name, "the PDF has no pages", "no_pages")
    if count > max_pages:
        raise DocumentError(
            path.name,
            f"too many pages ({count} > limit {max_pages}, CHARTA_MAX_PAGES)",
            "too_many_pages",
            pages=count,
            limit=max_pages,
        )
    told = read or (lambda _page, _count: None)
    told(0, count)
    fragments: list[list[tuple[float, str, float]]] = []  # (y, text, font size) per page
    heights: list[float] = []
    widths: list[float] = []
    failed = 0
    no_layer: list[int] = []  # pages whose text layer shows (next to) nothing
    notes: list[str] = []
    # pypdf reports a broken content stream as a log warning and returns no text: listen.
    problems = _Problems()
    logging.getLogger("pypdf").addHandler(problems)
    logging.getLogger("pypdf").setLevel(logging.WARNING)
    budget = budget or _Budget(None, None)
    for page in reader.pages:
        frags: list[tuple[float, str, float]] = []
        budget.next_page()
        try:
            height = float(page.mediabox.height) or 842.0
            width = float(page.mediabox.width) or 595.0
            low, high = float(page.mediabox.bottom), float(page.mediabox.top)
        except Exception:
            height, width, low, high = 842.0, 595.0, 0.0, 842.0

        def visit(text: str, cm: Any, tm: Any, _fd: Any, font_size: Any, frags=frags) -> None:
            if text:
                budget.add(text)
                try:
                    y = float(tm[4]) * float(cm[1]) + float(tm[5]) * float(cm[3]) + float(cm[5])
                except (TypeError, ValueError, IndexError):
                    y = -1.0
                frags.append((y, text, _font_size(font_size, cm, tm)))

        problems.messages.clear()
        try:
            page.extract_text(visitor_text=visit)
            if not any(text.strip() for _, text, _ in frags):
                if problems.messages:
                    raise ValueError(problems.messages[0])
                if broken := _broken_contents(page):
                    raise ValueError(broken)
        except _TooMuchText:
            raise budget.refusal(path.name, len(fragments) + 1) from None
        except Exception as exc:  # pypdf raises many types on broken content streams
            failed += 1
            if failed <= 3:
                notes.append(f"page {len(fragments) + 1}: text unreadable ({type(exc).__name__}: {_short(exc)})")
            frags.clear()
        else:
            # Text placed outside the page (a layer name ImageMagick writes above it) is
            # not a text layer anyone reads.
            shown = (t for y, t, _ in frags if y == -1.0 or low - 2 <= y <= high + 2)
            if sum(c.isalnum() for t in shown for c in t) < _MIN_LAYER_LETTERS:
                no_layer.append(len(fragments))
        fragments.append(frags)
        heights.append(height)
        widths.append(width)
        # A page without text layer counts as read once OCR has read it.
        told(len(fragments) - len(no_layer), count)
    sizes = list(zip(widths, heights))
    layer_pages = count - len(no_layer)
    ocr = (
        _ocr(path, no_layer, password, deadline, budget, fragments, sizes, lambda n: told(layer_pages + n, count))
        if no_layer
        else OcrResult()
    )
    if no_layer:
        told(count, count)  # blank pages and those OCR could not read are done too
    notes.extend(ocr.notes[:3])
    pages, numbers, first_page = _drop_positional_furniture(fragments, heights)
    metadata = _metadata(reader, notes)
    if title := page_title(first_page):
        metadata["page_title"] = title
    return RawPdf(
        page_count=count,
        pages=pages,
        page_labels=_page_labels(reader, count, notes),
        footer_numbers=numbers,
        outline=_outline(reader, notes),
        metadata=metadata,
        failed_pages=failed,
        notes=notes,
        ocr_words=ocr.pages,
        ocr_read=ocr.read,
        ocr_unread=ocr.unread,
        ocr_problem=ocr.problem,
        ocr_waiting=ocr.waiting_for_tesseract,
        ocr_seconds=round(ocr.seconds, 2),
    )


def _broken_contents(page: Any) -> str:
    """Why a page that gave no text has a broken content stream, ``""`` when it has none
    or an intact one. pypdf reads a missing stream or a cut-off compressed one as
    empty, without a warning: such a page would pass for blank."""
    import zlib

    if "/Contents" not in page:
        return ""  # a page without contents is blank
    try:
        contents = page["/Contents"]
        contents = contents.get_object() if hasattr(contents, "get_object") else contents
    except Exception as exc:  # a broken reference may raise as well as resolve to None
        return f"content stream missing ({_short(exc)})"
    if contents is None:
        return "content stream missing"
    for ref in contents if isinstance(contents, list) else [contents]:
        stream = ref.get_object() if hasattr(ref, "get_object") else ref
        if stream is None:
            return "content stream missing"
        filters = stream.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)]
        raw = getattr(stream, "_data", b"")
        if names[:1] == ["/FlateDecode"] and isinstance(raw, bytes):
            inflate = zlib.decompressobj()
            try:
                inflate.decompress(raw, 1 << 20)  # its start is enough to see it broken or cut off
            except zlib.error as exc:
                return f"content stream corrupt ({exc})"
            if not inflate.eof and not inflate.unconsumed_tail:
                return "content stream cut off"
    return ""


def _ocr(
    path: Path,
    indexes: list[int],
    password: str | None,
    deadline: float | None,
    budget: _Budget,
    fragments: list[list[tuple[float, str, float]]],
    sizes: list[tuple[float, float]],
    read: Callable[[int], None] | None = None,
) -> OcrResult:
    """Read the pages ``indexes`` by OCR and put their lines into ``fragments``, counted
    against the text budget; ``read(pages read so far)`` is told after each page."""
    ocr = read_pages(path, indexes, password, deadline if deadline is not None else time.monotonic() + 3600, read)
    for i in sorted(ocr.pages):
        budget.next_page()
        frags: list[tuple[float, str, float]] = []
        for words in ocr.pages[i]:
            try:
                budget.add(" ".join(w[0] for w in words))
            except _TooMuchText:
                raise budget.refusal(path.name, i + 1) from None
            frags.extend(_ocr_fragments(words, *sizes[i]))
        fragments[i] = frags
    return ocr


def _ocr_fragments(words: list[Word], width: float, height: float) -> list[tuple[float, str, float]]:
    """One OCR line as the text layer's fragments would be: at the height of its baseline,
    and split where a wide gap parts it (a running head's title left and chapter right),
    so that :func:`_drop_positional_furniture` finds running heads on scanned pages too.
    The baseline is the highest bottom of a word with a letter or digit: a word without
    descenders ends on it, one with „g“ or „p“ below it, a dash above it.

    >>> _ocr_fragments([["Smart", .1, .04, .16, .05], ["Charta", .17, .04, .24, .05],
    ...                 ["2.", .6, .04, .62, .05], ["Handlung", .63, .04, .7, .053]], 595.0, 842.0)
    [(799.9, 'Smart Charta ', 0.0), (799.9, '2. Handlung\\n', 0.0)]
    """
    bottoms = [w[4] for w in words if any(c.isalnum() for c in w[0])] or [w[4] for w in words]
    y = round((1 - min(bottoms)) * height, 2)
    line_height = max(w[4] - w[2] for w in words) * height
    pieces: list[list[str]] = [[words[0][0]]]
    for before, word in zip(words, words[1:]):
        if (word[1] - before[3]) * width > 3 * line_height:
            pieces.append([])
        pieces[-1].append(word[0])
    # OCR gives no font size (0.0: unknown), so a scanned first page has no title from it.
    return [(y, " ".join(piece) + (" " if k < len(pieces) - 1 else "\n"), 0.0) for k, piece in enumerate(pieces)]


class _Problems(logging.Handler):
    """Collects what pypdf warns about while one page is read."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _font_size(font_size: Any, cm: Any, tm: Any) -> float:
    """The size a fragment is printed in: the font size scaled by the text matrix and
    the current transformation matrix (Chromium, for one, sets its 32 pt headings as
    size 32 in a half-scale matrix); 0.0 when unknown."""
    try:
        scale = math.hypot(float(tm[2]), float(tm[3])) * math.hypot(float(cm[2]), float(cm[3]))
        return abs(float(font_size)) * scale
    except (TypeError, ValueError, IndexError):
        return 0.0


def _drop_positional_furniture(
    fragments: list[list[tuple[float, str, float]]], heights: list[float]
) -> tuple[list[list[str]], list[int | None], list[tuple[str, float]]]:
    """Remove text in head/foot bands that recur across pages with repeating content.

    A band (a y position in the top or bottom 12 % of the page) is furniture when it
    carries text on at least half the pages (and 3 or more) and its texts mostly repeat
    (running title, chapter name, page number), unlike the first body line, which sits
    at the same height on every page but says something new each time.

    Returns the lines per page, the printed page numbers, and the first page's lines with
    the largest font size on each (for its title).
    """
    band_pages: dict[int, set[int]] = defaultdict(set)
    band_texts: dict[int, list[str]] = defaultdict(list)
    for pno, (frags, height) in enumerate(zip(fragments, heights)):
        for y, text, _ in frags:
            if not text.strip() or y < 0:
                continue
            if y > 0.88 * height or y < 0.12 * height:
                band = round(y / 2)
                band_pages[band].add(pno)
                band_texts[band].append(furniture_key(text))
    n = len(fragments)
    furniture: set[int] = set()
    for band, pnos in band_pages.items():
        texts = band_texts[band]
        repeating = sum(c for c in Counter(texts).values() if c > 1)
        if len(pnos) >= max(3, 0.5 * n) and repeating >= 0.5 * len(texts):
            furniture.add(band)
    pages: list[list[str]] = []
    numbers: list[int | None] = []
    first_page: list[tuple[str, float]] = []
    for pno, frags in enumerate(fragments):
        kept: list[tuple[str, float]] = []
        number: int | None = None
        for y, text, size in frags:
            if y >= 0 and round(y / 2) in furniture:
                if is_page_number(text) and text.strip().isdigit():
                    number = int(text.strip())
                kept.append(("\n", 0.0))
            else:
                kept.append((text, size))
        if pno == 0:
            first_page = _sized_lines(kept)
        lines = [normalize_line(s) for s in "".join(text for text, _ in kept).splitlines()]
        pages.append([s for s in lines if s])
        numbers.append(number)
    return pages, numbers, first_page


def _sized_lines(kept: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The page's lines, as the text joins them, each with the largest size of the
    visible characters on it."""
    sizes: list[float] = []
    for text, size in kept:
        sizes.extend(size if not ch.isspace() else 0.0 for ch in text)
    out: list[tuple[str, float]] = []
    pos = 0
    for raw in "".join(text for text, _ in kept).splitlines(keepends=True):
        line = normalize_line(raw)
        if line:
            out.append((line, max(sizes[pos : pos + len(raw)], default=0.0)))
        pos += len(raw)
    return out


def _page_labels(reader: Any, count: int, notes: list[str]) -> list[str] | None:
    try:
        root = reader.trailer["/Root"]
        if "/PageLabels" not in root:
            return None
        labels = list(reader.page_labels)
    except Exception as exc:  # a broken /PageLabels tree: printed numbers are the fallback
        notes.append(f"page labels unreadable ({type(exc).__name__}: {_short(exc)})")
        return None
    return labels if len(labels) == count else None


def _outline(reader: Any, notes: list[str]) -> list[tuple[int, str, int]]:
    entries: list[tuple[int, str, int]] = []
    seen: set[int] = set()

    def walk(items: Any, level: int) -> None:
        for item in items:
            if len(entries) >= _MAX_OUTLINE_ENTRIES:
                return
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            if id(item) in seen:
                continue
            seen.add(id(item))
            try:
                title = normalize_line(str(item.title or ""))
                page = reader.get_destination_page_number(item)
            except Exception as exc:  # one broken entry; the others still count
                if len(notes) < 10:
                    notes.append(f"outline entry unreadable ({type(exc).__name__})")
                continue
            if title and page is not None and page >= 0:
                entries.append((level, title, int(page)))

    try:
        walk(reader.outline, 1)
    except Exception as exc:  # the entries read so far still help
        notes.append(f"outline unreadable ({type(exc).__name__}: {_short(exc)})")
    return entries


def _metadata(reader: Any, notes: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        meta = reader.metadata or {}
        for key in ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate"):
            value = meta.get(key)
            if value:
                out[key.strip("/").lower()] = re.sub(r"\s+", " ", str(value)).strip()
    except Exception as exc:  # title and year then come from the catalog or file name
        notes.append(f"metadata unreadable ({type(exc).__name__}: {_short(exc)})")
    return out


if __name__ == "__main__":
    _child_main()
